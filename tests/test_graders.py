"""The graders are themselves graded, for every hands-on:

- the reference scores full marks, with no grader error;
- the untouched stub scores zero, with a message on every line;
- every alternative correct implementation scores full marks: ``tests/alternatives/<module>.py``
  and ``tests/alternatives/<module>/*.py`` (written from the docstrings alone, in other styles);
- every one-mistake implementation loses points: the edits of the reference in
  ``tests/mistakes/<module>.py`` (``MISTAKES``), on the checks named, with the classic mistake
  named in the feedback, and the whole files in ``tests/mistakes/<module>/*.py`` (written from
  the docstrings alone; a ``# loses: check, ...`` line names the checks that must catch each, an
  optional ``# says: ...`` line what their feedback must say);
  each loses points on hidden checks, and the public checks alone catch at least 80 % of them;
- every score is the same under another CPU's kernels.

Each hands-on is graded in one batch through the real command line.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.engine import handsons

from .catalogue import alternatives_of, everything_of, mistake_variants_of, write_submissions

MODULES = handsons.names()
PUBLIC_CATCH_RATE = 0.8


# Other CPU kernels than this machine's (torch's default, MKL's SSE4.2, OpenBLAS's Prescott): the
# grader and its workers round floats as another CPU would.
OTHER_KERNELS = {"ATEN_CPU_CAPABILITY": "default", "MKL_ENABLE_INSTRUCTIONS": "SSE4_2",
                 "OPENBLAS_CORETYPE": "Prescott"}


def _grade_everything(root: Path, env: dict | None = None) -> dict[str, dict[str, dict]]:
    """module -> submission name -> results.json: the reference, the stub, the alternatives and
    every mistake of each module, graded in one batch per module."""
    out: dict[str, dict[str, dict]] = {}
    for module in MODULES:
        folder = root / module
        paths = write_submissions(folder, module, everything_of(module))
        results = folder / "out"
        run = subprocess.run([sys.executable, "-m", "autograder", "grade", *map(str, paths),
                              "--out", str(results), "--module", module, "--jobs", "2"],
                             capture_output=True, text=True, timeout=2400, env={**os.environ, **(env or {})})
        assert run.returncode == 0, run.stdout + run.stderr
        out[module] = {p.name: json.loads((results / p.name / "results.json").read_text()) for p in paths}
    return out


@pytest.fixture(scope="session")
def graded(tmp_path_factory) -> dict[str, dict[str, dict]]:
    return _grade_everything(tmp_path_factory.mktemp("graders"))


@pytest.fixture(scope="session")
def graded_on_other_kernels(tmp_path_factory) -> dict[str, dict[str, dict]]:
    return _grade_everything(tmp_path_factory.mktemp("graders-other-kernels"), OTHER_KERNELS)


def _lines(results: dict) -> list[dict]:
    assert results["tests"], results.get("output")
    return results["tests"]


def _name(test: dict) -> str:
    return test["extra_data"]["nodeid"].split("::", 1)[1]


def _lost(lines: list[dict], visibility: str) -> list[dict]:
    return [t for t in lines if t["score"] < t["max_score"] and t["visibility"] == visibility]


@pytest.mark.parametrize("module", MODULES)
def test_reference_gets_full_marks(graded, module):
    for test in _lines(graded[module]["reference"]):
        assert test["status"] == "passed", (_name(test), test["output"])
        assert test["score"] == test["max_score"] > 0
    assert graded[module]["reference"]["extra_data"]["grader_errors"] == 0
    assert graded[module]["reference"]["extra_data"]["review"] == []


@pytest.mark.parametrize("module", MODULES)
def test_untouched_stub_gets_zero_with_a_message(graded, module):
    for test in _lines(graded[module]["stub"]):
        assert test["score"] == 0, _name(test)
        assert "not implemented yet" in test["output"], (_name(test), test["output"])


@pytest.mark.parametrize("module, variant", [(m, v) for m in MODULES for v in alternatives_of(m)],
                         ids=lambda v: v if isinstance(v, str) else v.name)
def test_alternative_correct_implementation_gets_full_marks(graded, module, variant):
    for test in _lines(graded[module][variant.name]):
        assert test["status"] == "passed", (_name(test), test["output"])
    assert graded[module][variant.name]["extra_data"]["review"] == []


# Ordinary mistakes flagged for review (engine/results.py's integrity flags), and why: their hidden
# cases fail as a table of the public answers would.
FLAGGED_MISTAKES = {
    "midi_tokens": {"mistake-global_channels": "its channels run out across calls: every hidden tokens_to_midi "
                                               "call, graded after the public ones, raises StopIteration"},
    "mel_spectrogram": {"mistake-cleared_hooks_eval": "a cheat: it clears the hooks the grader put on the generator "
                                                      "(engine/tamper.py's scan)"},
}


@pytest.mark.parametrize("module", MODULES)
def test_ordinary_mistakes_are_not_flagged_for_review(graded, module):
    flagged = {variant.name: graded[module][variant.name]["extra_data"]["review"]
               for variant in mistake_variants_of(module) if graded[module][variant.name]["extra_data"]["review"]}
    assert set(flagged) == set(FLAGGED_MISTAKES.get(module, {})), flagged


@pytest.mark.parametrize("module", MODULES)
def test_every_hands_on_has_alternatives_and_at_least_eight_mistakes(module):
    assert alternatives_of(module)
    assert len(mistake_variants_of(module)) >= 8


@pytest.mark.parametrize("module, variant", [(m, v) for m in MODULES for v in mistake_variants_of(m)],
                         ids=lambda v: v if isinstance(v, str) else v.name)
def test_each_mistake_loses_points_where_it_should(graded, module, variant):
    results = graded[module][variant.name]
    lines = _lines(results)
    assert results["extra_data"]["grader_errors"] == 0, [t["output"] for t in lines]
    assert results["score"] < graded[module]["reference"]["score"]
    assert _lost(lines, "after_published"), f"{variant.name}: no hidden check catches it"
    for expected in variant.loses:
        hits = [t for t in lines if _name(t) == expected or _name(t).split("[")[0] == expected]
        assert hits, f"no check named {expected}"
        assert any(t["score"] < t["max_score"] for t in hits), f"{variant.name} was not caught by {expected}"
        if variant.says:
            messages = [t["output"] for t in hits if t["score"] < t["max_score"]]
            assert any(variant.says in m for m in messages), messages


def mistake_catch_table(graded) -> str:
    """The README's table: one-mistake variants per hands-on, and what share the public checks catch."""
    lines = ["| hands-on | one-mistake variants | caught by public checks | caught by hidden checks |",
             "| --- | ---: | ---: | ---: |"]
    for module in MODULES:
        variants = mistake_variants_of(module)
        public = sum(1 for v in variants if _lost(_lines(graded[module][v.name]), "visible"))
        hidden = sum(1 for v in variants if _lost(_lines(graded[module][v.name]), "after_published"))
        lines.append(f"| {module} | {len(variants)} | {public} ({public / len(variants):.0%}) | "
                     f"{hidden} ({hidden / len(variants):.0%}) |")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("module", MODULES)
def test_public_checks_alone_catch_most_mistakes(graded, module):
    """Students learn of their mistakes before the deadline: public checks catch >= 80 % of them."""
    variants = mistake_variants_of(module)
    missed = [v.name for v in variants if not _lost(_lines(graded[module][v.name]), "visible")]
    assert len(missed) <= (1 - PUBLIC_CATCH_RATE) * len(variants), f"public checks miss {missed}"


def test_the_readme_reports_the_mistake_catalogue(graded):
    readme = (handsons.REPO_ROOT / "README.md").read_text()
    block = readme.split("<!-- mistakes:start -->\n", 1)[-1].split("<!-- mistakes:end -->", 1)[0]
    assert block == mistake_catch_table(graded), "update the README's table to:\n" + mistake_catch_table(graded)


@pytest.mark.parametrize("module", MODULES)
def test_every_score_is_the_same_on_other_cpu_kernels(graded, graded_on_other_kernels, module):
    """The reference, the stub, the alternatives and every mistake: the same score on every check,
    with this CPU's kernels and with another's (float rounding must never decide a point)."""
    here, there = graded[module], graded_on_other_kernels[module]
    assert set(here) == set(there)
    for name in here:
        ours = {_name(t): t["score"] for t in _lines(here[name])}
        theirs = {_name(t): t["score"] for t in _lines(there[name])}
        assert theirs == ours, (name, {k: (ours.get(k), theirs.get(k)) for k in ours if ours.get(k) != theirs.get(k)})
        assert there[name]["extra_data"]["grader_errors"] == 0, name
