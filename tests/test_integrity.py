"""No points for junk, integrity flags for code tuned to the public fixtures, and grading on hidden
checks only: through the real command line."""
from __future__ import annotations

import csv
import re
import sqlite3
from pathlib import Path

import pytest

from autograder.engine import handsons
from autograder.engine.results import integrity_flags

from .helpers import full_marks, lookup_table, results, run_cli

MODULES = handsons.names()
SHIPPED = ["--variant", "0"]   # the review flag is about the shipped public cases (grading draws other inputs)
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




def test_a_lookup_table_of_the_public_answers_is_flagged_for_review(tmp_path):
    cheat = tmp_path / "subs" / "lookup_table"
    cheat.mkdir(parents=True)
    (cheat / "midi_tokens.py").write_text(lookup_table())
    honest = tmp_path / "subs" / "reference"
    honest.mkdir()
    (honest / "midi_tokens.py").write_bytes(handsons.get("midi_tokens").reference_path.read_bytes())
    out = tmp_path / "out"
    run = run_cli(["grade", str(cheat), str(honest), "--out", str(out), "--module", "midi_tokens", "--html",
                   *SHIPPED], tmp_path)
    assert run.returncode == 0, run.output[-3000:]
    flagged = results(out, "lookup_table")
    public = [t for t in flagged["tests"] if t["visibility"] == "visible" and t["status"] == "passed"]
    assert public, "the lookup table should pass public checks"
    flag = flagged["extra_data"]["review"][0]
    assert flag["module"] == "midi_tokens" and flag["public_passed"] >= 0.8 * flag["public_cases"]
    assert f"{flag['check']} passes {flag['public_passed']}/{flag['public_cases']} public cases" in flag["message"]
    assert "possibly tuned or hard-coded to the public fixtures" in flag["message"]
    assert results(out, "reference")["extra_data"]["review"] == []
    with open(out / "grades.csv", newline="") as handle:
        rows = {row["submission"]: row for row in csv.DictReader(handle)}
    assert "hard-coded to the public fixtures" in rows["lookup_table"]["review"] and rows["reference"]["review"] == ""
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        review = dict(db.execute("SELECT submission, review FROM gradings").fetchall())
    assert "hard-coded" in review["lookup_table"] and review["reference"] == ""
    assert "hard-coded to the public fixtures" in (out / "index.html").read_text()
    assert "to review" in run.output


@pytest.mark.parametrize("share", [0.5, 0.7])
def test_a_partial_lookup_table_is_flagged_too(tmp_path, share):
    """A table of half or 70 % of the public answers: its checks' public cases pass well beyond their
    hidden cases (a whole-hands-on share of the public cases would not see it: 78.6 % went unflagged)."""
    cheat = tmp_path / "subs" / f"table_{round(100 * share)}"
    cheat.mkdir(parents=True)
    (cheat / "midi_tokens.py").write_text(lookup_table(share=share))
    out = tmp_path / "out"
    run = run_cli(["grade", str(cheat), "--out", str(out), "--module", "midi_tokens", *SHIPPED], tmp_path)
    assert run.returncode == 0, run.output[-3000:]
    result = results(out, cheat.name)
    public = [t for t in result["tests"] if t["visibility"] == "visible"]
    passed = sum(t["status"] == "passed" for t in public)
    assert 0.4 * len(public) <= passed <= (share + 0.1) * len(public), (passed, len(public))
    flags = result["extra_data"]["review"]
    assert flags, f"{passed}/{len(public)} public cases pass, unflagged"
    assert {flag["check"] for flag in flags} & {"test_midi_to_tokens", "test_tokens_to_midi"}, flags


def test_integrity_flags_need_public_passes_and_hidden_failures():
    def lines(public: tuple[int, int], hidden: tuple[int, int], check: str = "test_x") -> list[dict]:
        out = []
        for visibility, (passed, total) in (("visible", public), ("after_published", hidden)):
            out += [{"tags": ["m"], "visibility": visibility, "status": "passed" if i < passed else "failed",
                     "extra_data": {"nodeid": f"f.py::{check}[{visibility}{i}]"}} for i in range(total)]
        return out

    assert integrity_flags(lines((10, 10), (2, 20)))[0]["message"].startswith("m: test_x passes 10/10 public "
                                                                              "cases, 2/20")
    assert integrity_flags(lines((5, 10), (0, 20)))                # half a table: flagged too
    assert integrity_flags(lines((7, 10), (0, 20)))
    assert integrity_flags(lines((3, 17), (0, 17))) == []      # few public passes: chance explains it (0.1)
    two_checks = lines((10, 10), (0, 20)) + lines((10, 10), (20, 20), check="test_other")
    assert [flag["check"] for flag in integrity_flags(two_checks)] == ["test_x"]   # not hidden by another check
    small = [line for name in "abc" for line in lines((4, 4), (0, 4), check=f"test_{name}")]
    assert integrity_flags(small[:8]) == []                         # one small check: 1/70, chance
    assert [flag["check"] for flag in integrity_flags(small)] == ["3 checks together"]   # three: (1/70)^3
    honest = [line for name in "abc" for line in lines((3, 4), (2, 4), check=f"test_{name}")]
    assert integrity_flags(honest) == []
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
    from autograder.engine.session import maxima
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
            # "# loses: check, ...": the checks the cheat aims at earn nothing, in any case
            declared = re.search(r"^# loses: (.+)$", (Path(folder) / f"{module}.py").read_text(), re.MULTILINE)
            for check in ([c.strip() for c in declared.group(1).split(",")] if declared else []):
                lines = [t for t in result["tests"] if t["extra_data"]["nodeid"].split("::", 1)[1].split("[")[0]
                         == check]
                assert lines, f"{Path(folder).name}: no check named {check}"
                earned = [(t["name"], t["score"]) for t in lines if t["score"] > 0]
                assert not earned, f"{Path(folder).name} earned points on {check}: {earned}"
