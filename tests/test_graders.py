"""The graders are themselves graded, for every hands-on:

- the reference scores full marks, with no grader error;
- the untouched stub scores zero, with a message on every line;
- an alternative correct implementation (``tests/alternatives/<module>.py``)
  scores full marks;
- each one-mistake implementation (``tests/mistakes/<module>.py``) loses points
  on the checks that should catch it, and the feedback names the mistake.

Each hands-on is graded in one batch through the real command line.
"""
from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.engine import handsons

TESTS = Path(__file__).parent
MODULES = handsons.names()


def mistakes_of(module: str) -> list:
    try:
        return importlib.import_module(f"tests.mistakes.{module}").MISTAKES
    except ModuleNotFoundError:
        return []


def _submission(root: Path, name: str, module: str, source: str) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / f"{module}.py").write_text(source)
    return folder


# Other CPU kernels than this machine's (torch's default, MKL's SSE4.2, OpenBLAS's Prescott): the
# grader and its workers round floats as another CPU would.
OTHER_KERNELS = {"ATEN_CPU_CAPABILITY": "default", "MKL_ENABLE_INSTRUCTIONS": "SSE4_2",
                 "OPENBLAS_CORETYPE": "Prescott"}


def _grade_everything(root: Path, env: dict | None = None) -> dict[str, dict[str, dict]]:
    """module -> submission name -> results.json: the reference, the stub, the alternative and
    every mistake of each module, graded in one batch per module."""
    out: dict[str, dict[str, dict]] = {}
    for module in MODULES:
        folder = root / module
        reference = handsons.get(module).reference_path.read_text()
        paths = [_submission(folder, "reference", module, reference),
                 _submission(folder, "stub", module, handsons.get(module).stub_path.read_text())]
        alternative = TESTS / "alternatives" / f"{module}.py"
        if alternative.exists():
            paths.append(_submission(folder, "alternative", module, alternative.read_text()))
        for mistake in mistakes_of(module):
            paths.append(_submission(folder, f"mistake-{mistake.name}", module, mistake.apply(reference)))
        results = folder / "out"
        run = subprocess.run([sys.executable, "-m", "autograder", "grade", *map(str, paths),
                              "--out", str(results), "--module", module, "--jobs", "2"],
                             capture_output=True, text=True, timeout=1800, env={**os.environ, **(env or {})})
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


@pytest.mark.parametrize("module", MODULES)
def test_reference_gets_full_marks(graded, module):
    for test in _lines(graded[module]["reference"]):
        assert test["status"] == "passed", (_name(test), test["output"])
        assert test["score"] == test["max_score"] > 0
    assert graded[module]["reference"]["extra_data"]["grader_errors"] == 0


@pytest.mark.parametrize("module", MODULES)
def test_untouched_stub_gets_zero_with_a_message(graded, module):
    for test in _lines(graded[module]["stub"]):
        assert test["score"] == 0, _name(test)
        assert "not implemented yet" in test["output"], (_name(test), test["output"])


@pytest.mark.parametrize("module", [m for m in MODULES if (TESTS / "alternatives" / f"{m}.py").exists()])
def test_alternative_correct_implementation_gets_full_marks(graded, module):
    for test in _lines(graded[module]["alternative"]):
        assert test["status"] == "passed", (_name(test), test["output"])


@pytest.mark.parametrize("module", MODULES)
def test_every_hands_on_has_at_least_eight_mistakes(module):
    assert len(mistakes_of(module)) >= 8


@pytest.mark.parametrize("module, mistake", [(m, k) for m in MODULES for k in mistakes_of(m)],
                         ids=lambda v: v if isinstance(v, str) else v.name)
def test_each_mistake_loses_points_where_it_should(graded, module, mistake):
    results = graded[module][f"mistake-{mistake.name}"]
    lines = _lines(results)
    assert results["extra_data"]["grader_errors"] == 0, [t["output"] for t in lines]
    assert results["score"] < graded[module]["reference"]["score"]
    for expected in mistake.loses:
        hits = [t for t in lines if _name(t) == expected or _name(t).split("[")[0] == expected]
        assert hits, f"no check named {expected}"
        assert any(t["score"] < t["max_score"] for t in hits), f"{mistake.name} was not caught by {expected}"
        if mistake.says:
            messages = [t["output"] for t in hits if t["score"] < t["max_score"]]
            assert any(mistake.says in m for m in messages), messages


@pytest.mark.parametrize("module", MODULES)
def test_every_score_is_the_same_on_other_cpu_kernels(graded, graded_on_other_kernels, module):
    """The reference, the stub, the alternative and every mistake: the same score on every check,
    with this CPU's kernels and with another's (float rounding must never decide a point)."""
    here, there = graded[module], graded_on_other_kernels[module]
    assert set(here) == set(there)
    for name in here:
        ours = {_name(t): t["score"] for t in _lines(here[name])}
        theirs = {_name(t): t["score"] for t in _lines(there[name])}
        assert theirs == ours, (name, {k: (ours.get(k), theirs.get(k)) for k in ours if ours.get(k) != theirs.get(k)})
        assert there[name]["extra_data"]["grader_errors"] == 0, name
