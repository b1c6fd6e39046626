"""Attack: import the answers (the reference solution, the graders, the fixtures)
and use them. If any import works, this submission would score."""
import importlib
import importlib.util
import os
import sys

REPO = "@@REPO@@"
FOUND = None
REPORT = []   # what worked: shown in every call's error message, so the test can read it


def _try_import():
    for name in ("solutions.midi_tokens", "solutions", "autograder.handsons.midi_tokens.test_hidden",
                 "autograder.engine.fixtures", "autograder"):
        try:
            module = importlib.import_module(name)
            REPORT.append(f"imported {name}")
            if hasattr(module, "midi_to_tokens"):
                return module
        except BaseException:
            pass
    for path in (f"{REPO}/solutions/midi_tokens.py", "/solutions/midi_tokens.py",
                 "../solutions/midi_tokens.py", "/work/main/solutions/midi_tokens.py",
                 "/autograder/source/solutions/midi_tokens.py"):
        try:
            spec = importlib.util.spec_from_file_location("_stolen", path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            REPORT.append(f"loaded {path}")
            return module
        except BaseException:
            pass
    for entry in list(sys.path):   # the installed project, if the site-packages shows it
        candidate = os.path.join(entry, "solutions", "midi_tokens.py")
        if os.path.exists(candidate):
            REPORT.append(f"found {candidate}")
    return None


FOUND = _try_import()


def midi_to_tokens(midi):
    if FOUND is not None:
        return FOUND.midi_to_tokens(midi)
    raise RuntimeError(f"AG-ATTACK report: {len(REPORT)} found: {REPORT[:10]}")


def tokens_to_midi(tokens, bpm=120):
    if FOUND is not None:
        return FOUND.tokens_to_midi(tokens, bpm=bpm)
    return None
