"""The class report and the regrade impact checked against what is known to be true:

- a class made of the mistake catalogue (``tests/catalogue.py``): each one-mistake submission
  whose feedback must say (``says``) words of a registered explanation is attributed to that
  mistake, at least 90 % of them, and every count of the report is the one found in the results;
- a hidden fixture's expected value changed (in a copy of the repository): a dry-run regrade shows
  exactly the submissions and checks that move, with their old and new scores, writing nothing;
  the regrade then keeps both gradings.

Grading the whole catalogue takes ~10 minutes: these tests grade a representative subset per
hands-on (every mistake the feedback names when ``AG_FULL_CATALOGUE=1``; docs/catalogue.md gives that figure).
"""
from __future__ import annotations

import hashlib
import importlib
import json
import os
import re
import shutil
import sqlite3
import string
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.engine import diagnoses, handsons

from .catalogue import alternatives_of, mistake_variants_of, write_submissions

ATTRIBUTED = 0.9          # of the one-mistake submissions the feedback names, at least this share
PER_HANDSON = 8           # named mistakes graded per hands-on (all with AG_FULL_CATALOGUE=1)
FULL = os.environ.get("AG_FULL_CATALOGUE") == "1"


def _autograder(*args: str, cwd: Path | None = None, timeout: float = 2400) -> subprocess.CompletedProcess:
    run = subprocess.run([sys.executable, "-m", "autograder", *args], capture_output=True, text=True,
                         timeout=timeout, cwd=cwd)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    return run


def _explanations(module: str) -> dict[str, str]:
    importlib.import_module(f"autograder.handsons.{module}.grading")
    return diagnoses.known(module)


def _filled_in(template: str, lines: list[str]) -> bool:
    """Whether one of ``lines`` is ``template`` with its ``{fields}`` filled in: it holds each of
    the template's literal parts (what the catalogue's words are in, once filled in)."""
    parts = [literal for literal, field, _, _ in string.Formatter().parse(template)]
    return len(parts) > 1 and any(all(part in line for part in parts) for line in lines)


def _class_of(module: str) -> list:
    """The mistakes whose feedback must say (``says``) words of a registered explanation (a subset),
    and an alternative; everything with AG_FULL_CATALOGUE=1."""
    known = _explanations(module).values()
    mistakes = [v for v in mistake_variants_of(module) if FULL or (v.says and any(v.says in t for t in known))]
    if not FULL:
        step = max(1, len(mistakes) // PER_HANDSON)
        mistakes = mistakes[::step][:PER_HANDSON]
    alternatives = alternatives_of(module)
    return mistakes + (alternatives if FULL else alternatives[:1])


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory) -> dict[str, tuple[dict, dict]]:
    """module -> (its part of class_report.json, {submission: results.json})."""
    out = {}
    for module in handsons.names():
        root = tmp_path_factory.mktemp(module)
        paths = write_submissions(root / "subs", module, _class_of(module))
        _autograder("grade", *map(str, paths), "--out", str(root / "out"), "--module", module, "--jobs", "2")
        _autograder("report", str(root / "out"), "--html")
        report = json.loads((root / "out" / "class_report.json").read_text())
        batch = {p.name: json.loads((root / "out" / p.name / "results.json").read_text()) for p in paths}
        out[module] = (report["handsons"][module], batch)
    return out


def test_each_named_mistake_is_attributed_to_its_own_id(graded_class):
    """A one-mistake submission's feedback names its mistake where a "Likely cause:" line of it says
    the catalogue's words for that mistake; its own ids are those whose explanation holds the words
    (registered, or given by a fixture: as the report quotes it)."""
    attributed, named_total, missed = 0, 0, []
    for module, (part, batch) in graded_class.items():
        says = {v.name: v.says for v in mistake_variants_of(module) if v.says}
        explanations = {**_explanations(module), **{m["id"]: m["explanation"] for m in part["mistakes"]}}
        by_id = {m["id"]: set(m["submissions"]) for m in part["mistakes"]}
        for name, results in batch.items():
            said = [c for t in results["tests"] if t["status"] == "failed" for c in diagnoses.causes(t["output"])]
            if name not in says or not any(says[name] in cause for cause in said):
                continue
            named_total += 1
            lines = [cause for cause in said if says[name] in cause]
            own = {i for i, text in explanations.items() if says[name] in text or _filled_in(text, lines)}
            if any(name in by_id.get(i, ()) for i in own):
                attributed += 1
            else:
                missed.append((name, sorted(own), sorted(i for i, who in by_id.items() if name in who)))
    print(f"attributed {attributed} of {named_total} one-mistake submissions whose feedback names the mistake; "
          f"not: {missed}")
    assert named_total >= 15 and attributed >= ATTRIBUTED * named_total, missed


def test_the_counts_are_those_of_the_results(graded_class):
    for module, (part, batch) in graded_class.items():
        lines = {name: [t for t in results["tests"] if t["tags"][0] == module] for name, results in batch.items()}
        assert part["students"] == len(batch) and len(part["scores"]) == len(batch)
        for mistake in part["mistakes"]:
            having = {name for name, tests in lines.items()
                      if any(mistake["id"] in t["extra_data"].get("diagnoses", []) for t in tests)}
            assert set(mistake["submissions"]) == having and mistake["students"] == len(having), mistake["id"]
            assert all(0 < n <= mistake["students"] for n in mistake["checks"].values())
        failed = [t for tests in lines.values() for t in tests if t["status"] == "failed"]
        unnamed = [t for t in failed if not t["extra_data"].get("diagnoses")]
        assert sum(g["lines"] for g in part["unrecognised"]) == len(unnamed)
        for check in part["checks"]:
            assert check["students"] == len(batch) and 0 <= check["students_passed"] <= check["students"]
        # a line says "Likely cause:" only with a registered explanation: each is named
        said = [t for t in failed if re.search(r"(?m)^Likely cause: ", t["output"])]
        assert all(t["extra_data"].get("diagnoses") for t in said), \
            [t["output"][-300:] for t in said if not t["extra_data"].get("diagnoses")]
        for name, tests in lines.items():   # right submissions are never said to have a mistake
            if name.startswith("alternative-"):
                assert all(t["status"] == "passed" for t in tests), name
                assert not any(name in m["submissions"] for m in part["mistakes"])


# ------------------------------------------------------------------ regrade impact

MODULE = "midi_tokens"
COPIED = ("autograder", "fixtures", "solutions", "assignments", "examples", "pyproject.toml")


def _repository_copy(root: Path) -> Path:
    """The parts of the repository that grading reads, copied: its fixtures may be changed."""
    for name in COPIED:
        source = handsons.REPO_ROOT / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, root / name)
    return root


def _own_expected_files(fixtures: Path) -> dict[str, str]:
    """case id -> file, of the hidden midi_to_tokens cases whose expected tokens no other case reads."""
    cases = json.loads((fixtures / "cases.json").read_text())["cases"]
    text = json.dumps(cases)
    return {case["id"]: case["expected"] for case in cases
            if case["group"] == "midi_to_tokens" and case.get("expected", "").endswith(".tokens.json")
            and text.count(case["expected"]) == 1}


def _snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_changed_hidden_fixture_shows_whose_scores_move_before_writing(tmp_path):
    repo = _repository_copy(tmp_path / "repo")
    variants = [v for v in mistake_variants_of(MODULE) if v.name in ("mistake-drums_not_128", "mistake-end_time_rounded",
                                                                     "mistake-velocity_zero_is_a_note")]
    paths = write_submissions(tmp_path / "subs", MODULE, variants) + [handsons.SOLUTIONS_DIR]
    out = tmp_path / "out"
    # Everyone on the shipped fixtures (variant 0), the ones this test changes.
    grade = ["grade", *map(str, paths), "--out", str(out), "--module", MODULE, "--jobs", "2", "--variant", "0"]
    _autograder(*grade, cwd=repo)
    before = {p.name: json.loads((out / p.name / "results.json").read_text()) for p in paths}

    def passed(results, check):
        return any(t["extra_data"]["nodeid"].endswith(check) and t["status"] == "passed" for t in results["tests"])
    hidden = repo / "fixtures" / MODULE / "hidden"
    for case, expected in _own_expected_files(hidden).items():   # a case some of the mistakes fail
        check = f"test_hidden.py::test_midi_to_tokens[{case}]"
        moving = {name for name, results in before.items() if passed(results, check)}
        if "solutions" in moving and any(name.startswith("mistake-") and name not in moving for name in before):
            break
    else:
        raise AssertionError("no hidden case that the reference passes and a mistake fails")
    tokens = json.loads((hidden / expected).read_text())
    tokens[4] = tokens[4] - 1 if tokens[4] > 1 else 2      # the first note's velocity
    (hidden / expected).write_text(json.dumps(tokens))
    manifest = json.loads((repo / "fixtures" / "manifest.json").read_text())   # as `fixtures regen` records it
    manifest["files"][f"{MODULE}/hidden/{expected}"]["sha256"] = hashlib.sha256((hidden / expected).read_bytes()).hexdigest()
    (repo / "fixtures" / "manifest.json").write_text(json.dumps(manifest))

    unchanged = _snapshot(out)
    dry = _autograder(*grade, "--regrade", "--dry-run", cwd=repo)
    assert _snapshot(out) == unchanged, "a dry run wrote something"
    shown = dry.stdout[dry.stdout.index("Regrade:"):]
    assert f"Regrade: {len(moving)} submission(s) would change" in shown
    for name, results in before.items():
        old = results["score"]
        mentioned = re.search(rf"^  {re.escape(name)}: {old:g} -> {old - 1:g} \(-1\)$", shown, re.MULTILINE)
        assert bool(mentioned) == (name in moving), (name, shown)
    assert shown.count(f"midi_to_tokens [{case}]: 1/1 -> 0/1") == len(moving)
    assert len(re.findall(r"^    \S.*: \S+ -> \S+$", shown, re.MULTILINE)) == len(moving)   # no other line moved

    _autograder(*grade, "--regrade", cwd=repo)
    impact = json.loads((out / "regrade_impact.json").read_text())
    assert {c["submission"] for c in impact["changed"]} == moving and impact["unchanged"] == len(before) - len(moving)
    for change in impact["changed"]:
        [line] = change["lines"]
        assert line["check"].endswith(check) and (line["old"]["score"], line["new"]["score"]) == (1.0, 0.0)
        assert line["old"]["status"] == "passed" and line["new"]["status"] == "failed" and line["new"]["message"]
    with sqlite3.connect(out / "gradebook.sqlite") as db:   # both gradings kept, each with its fixtures
        rows = db.execute("SELECT submission, COUNT(*), COUNT(DISTINCT fixtures_version) FROM gradings "
                          "GROUP BY submission").fetchall()
    assert sorted(rows) == sorted((name, 2, 2) for name in before)
