"""No points for junk, integrity flags for code tuned to the public fixtures, and grading on hidden
checks only: through the real command line."""
from __future__ import annotations

import base64
import csv
import json
import sqlite3
import textwrap
from pathlib import Path

import mido
import pytest

from autograder.engine import fixtures, handsons
from autograder.engine.results import integrity_flags

from .helpers import full_marks, results, run_cli

MODULES = handsons.names()
# Every function of every hands-on returns the same constant: a zero tensor, [], 0 or an empty MIDI file.
CONSTANTS = {"zero_tensor": "import torch\nVALUE = lambda: torch.zeros(4)\n",
             "empty_list": "VALUE = lambda: []\n",
             "zero": "VALUE = lambda: 0\n",
             "empty_midi": "import mido\nVALUE = lambda: mido.MidiFile()\n"}


def _functions(module: str) -> list[str]:
    import ast
    tree = ast.parse(handsons.get(module).stub_path.read_text())
    return [node.name for node in tree.body if isinstance(node, ast.FunctionDef) and not node.name.startswith("_")]


def _constant_submission(root: Path, name: str, value: str) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    for module in MODULES:
        body = "".join(f"\n\ndef {function}(*args, **kwargs):\n    return VALUE()\n" for function in _functions(module))
        extra = "TIME_RESOLUTION = 100\n" if module == "midi_tokens" else ""
        (folder / f"{module}.py").write_text(value + extra + body)
    return folder


def test_a_constant_answer_scores_nothing(tmp_path):
    """Zeros, [], 0 or an empty MidiFile for everything: 0 on every check (a property such as "no
    gradients", a dtype or a shape is scored only with the right value)."""
    subs = [_constant_submission(tmp_path / "subs", name, value) for name, value in CONSTANTS.items()]
    run = run_cli(["grade", *map(str, subs), "--out", str(tmp_path / "out"), "--jobs", "2"], tmp_path, timeout=1800)
    assert run.returncode == 0, run.output[-3000:]
    for sub in subs:
        result = results(tmp_path / "out", sub.name)
        scored = [(t["name"], t["score"]) for t in result["tests"] if t["score"] > 0]
        assert result["tests"] and not scored, (sub.name, scored)


def lookup_table(sets: list | None = None) -> str:
    """A midi_tokens.py that only looks up the answers of fixture sets (a cheat): tokens (or the
    exception) by the messages of the file, MIDI files (or the bad index) by the tokens and bpm.
    By default the public fixtures of the release."""
    tokens, files, errors = {}, {}, {}
    for fixture_set in sets or [fixtures.FixtureSet(handsons.get("midi_tokens").fixtures_dir("public"))]:
        _add_answers(fixture_set, tokens, files, errors)
    files = {key: base64.b64encode(data).decode() for key, data in files.items()}
    return textwrap.dedent(f'''\
        import base64, io
        import mido
        TIME_RESOLUTION = 100
        TOKENS, FILES, ERRORS = {tokens!r}, {files!r}, {errors!r}

        def midi_to_tokens(midi):
            answer = TOKENS.get(repr([str(m) for t in midi.tracks for m in t]), [])
            if isinstance(answer, str):
                raise {{"TypeError": TypeError}}.get(answer, ValueError)("refused")
            return answer

        def tokens_to_midi(tokens, bpm=120):
            key = repr((list(tokens), bpm))
            if key in ERRORS:
                raise ValueError(f"{{ERRORS[key]}} is bad")
            data = FILES.get(key)
            return mido.MidiFile(file=io.BytesIO(base64.b64decode(data))) if data else mido.MidiFile()
        ''')


def _add_answers(public, tokens: dict, files: dict, errors: dict) -> None:
    def key_of(path: str) -> str:
        midi = mido.MidiFile(public.path(path))
        return repr([str(m) for t in midi.tracks for m in t])

    for case in public.cases("midi_to_tokens"):
        tokens[key_of(case["midi"])] = public.read_json(case["expected"]) if "expected" in case else case["raises"]
        if "companion_midi" in case:
            tokens[key_of(case["companion_midi"])] = public.read_json(case["companion_expected"])
    for case in public.cases("tokens_to_midi") + public.cases("bad_bpm"):
        if "expected_midi" in case:
            files[repr((public.read_json(case["tokens"]), case["bpm"]))] = public.read_bytes(case["expected_midi"])
        else:
            errors[repr((public.read_json(case["tokens"]) if isinstance(case["tokens"], str) else case["tokens"],
                         case["bpm"]))] = "the bpm"
        if "companion_midi" in case:
            companion = (public.read_json(case["companion_tokens"]) if "companion_tokens" in case else
                         public.read_json(case["tokens"]) if isinstance(case["tokens"], str) else case["tokens"])
            files[repr((companion, case.get("companion_bpm", case["bpm"])))] = public.read_bytes(case["companion_midi"])
    for case in public.cases("invalid"):
        errors[repr((case["tokens"], case["bpm"]))] = f"token {case['bad_index']}"


def test_integrity_flags_need_public_passes_and_hidden_failures():
    def lines(public: tuple[int, int], hidden: tuple[int, int], check: str = "test_x") -> list[dict]:
        out = []
        for visibility, (passed, total) in (("visible", public), ("after_published", hidden)):
            out += [{"tags": ["m"], "visibility": visibility, "status": "passed" if i < passed else "failed",
                     "extra_data": {"nodeid": f"f.py::{check}[{visibility}{i}]"}} for i in range(total)]
        return out

    assert integrity_flags(lines((10, 10), (2, 20)))[0]["message"].startswith("m: passes 10/10 public cases, 2/20")
    assert integrity_flags(lines((10, 10), (12, 20))) == []     # most hidden cases pass: fine
    assert integrity_flags(lines((5, 10), (2, 20))) == []       # public cases fail too: just wrong
    assert integrity_flags(lines((2, 2), (0, 20))) == []        # too few public cases to say
    only_public = lines((10, 10), (0, 0)) + lines((0, 0), (0, 20), check="test_other")
    assert integrity_flags(only_public) == []                   # not the same checks


def test_public_checks_can_weigh_nothing(tmp_path):
    honest = tmp_path / "subs" / "reference"
    honest.mkdir(parents=True)
    (honest / "midi_tokens.py").write_bytes(handsons.get("midi_tokens").reference_path.read_bytes())
    out = tmp_path / "out"
    run = run_cli(["grade", str(honest), "--out", str(out), "--module", "midi_tokens", "--public-weight", "0"],
                  tmp_path)
    assert run.returncode == 0, run.output[-3000:]
    result = results(out, "reference")
    assert full_marks(result)
    public = [t for t in result["tests"] if t["visibility"] == "visible"]
    assert public and all(t["max_score"] == 0 and t["status"] == "passed" for t in public)
    hidden_points = sum(t["max_score"] for t in result["tests"] if t["visibility"] != "visible")
    assert result["score"] == hidden_points > 0
    with open(out / "grades.csv", newline="") as handle:
        (row,) = list(csv.DictReader(handle))
    assert float(row["max_score"]) == hidden_points == float(row["score"])


def test_every_known_cheat_is_flagged_or_earns_next_to_nothing(tmp_path):
    """tests/cheats/<module>/*.py: submissions that try to get points without solving the task
    (lookup tables of the public answers, answers that fit every input, reading the fixtures...),
    written by someone who saw only the student release. Each is flagged for review, or scores at
    most a tenth of the hands-on."""
    from autograder.engine.runner import maxima
    cheats = [(module, path) for module in MODULES
              for path in sorted((handsons.REPO_ROOT / "tests" / "cheats" / module).glob("*.py"))]
    assert cheats, "no cheats in tests/cheats/"
    folders = []
    for module, path in cheats:
        folder = tmp_path / "subs" / f"{module}-{path.stem}"
        folder.mkdir(parents=True)
        (folder / f"{module}.py").write_bytes(path.read_bytes())
        folders.append((module, folder))
    for module in sorted({m for m, _ in folders}):
        mine = [str(f) for m, f in folders if m == module]
        run = run_cli(["grade", *mine, "--out", str(tmp_path / module), "--module", module, "--jobs", "2"], tmp_path,
                      timeout=1800)
        assert run.returncode == 0, run.output[-3000:]
        full = maxima([module])[module]
        for folder in mine:
            result = results(tmp_path / module, Path(folder).name)
            flagged = bool(result["extra_data"].get("review"))
            assert flagged or result["score"] <= 0.1 * full, (Path(folder).name, result["score"], full)
