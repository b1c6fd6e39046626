"""Attack: change submitted code: this module's own file in the worker (so that the
next worker, or a re-grade, runs something else), new modules beside it, and the
submitted folders on the grading machine (this one's and the others': the bundled
good submission would lose its points). The test compares every submitted file
before and after, and the good submission must keep its full marks."""
import os
import shutil
import sys

MARK = "@@MARK@@"
SUBMISSIONS = "@@SUBMISSIONS@@"
DONE = []
EVIL = "def midi_to_tokens(midi):\n    return [-7]\n\n\ndef tokens_to_midi(tokens, bpm=120):\n    return None\n"


def _try(what, action):
    try:
        action()
        DONE.append(what)
    except (OSError, shutil.Error):
        pass


def _append(path, text):
    with open(path, "a") as handle:
        handle.write(text)


def _tamper():
    del DONE[:]
    here = os.path.abspath(__file__)
    folder = os.path.dirname(here)
    _try(f"appended to {here}", lambda: _append(here, f"\n# {MARK}\n"))
    _try(f"chmod {here}", lambda: os.chmod(here, 0o777))
    _try(f"wrote {folder}/mido.py", lambda: _append(os.path.join(folder, "mido.py"), "raise SystemExit\n"))
    _try(f"renamed {here}", lambda: os.rename(here, here + ".old"))
    _try(f"removed {folder}/*", lambda: [os.unlink(os.path.join(folder, n)) for n in os.listdir(folder)])
    for path in sys.path:
        if path and os.path.isdir(path):
            _try(f"wrote {path}/midi_tokens.py", lambda p=path: _append(os.path.join(p, "midi_tokens.py"), EVIL))
    try:
        others = os.listdir(SUBMISSIONS)
    except OSError:
        others = []
    for name in others:
        target = os.path.join(SUBMISSIONS, name, "midi_tokens.py")
        _try(f"rewrote {target}", lambda t=target: _append(t, "\n" + EVIL))
        _try(f"planted {name}/{MARK}.py", lambda n=name: _append(os.path.join(SUBMISSIONS, n, f"{MARK}.py"), EVIL))
    _try(f"replaced {SUBMISSIONS}", lambda: shutil.rmtree(SUBMISSIONS))


_tamper()


def midi_to_tokens(midi):
    _tamper()
    raise RuntimeError(f"AG-ATTACK report: {len(DONE)} found: {DONE[:10]}")


def tokens_to_midi(tokens, bpm=120):
    _tamper()
    return None
