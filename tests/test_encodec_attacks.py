"""Attacks on what Hands-on 1's workers share and measure (tests/attacks/encodec_*/encodec_rvq.py, found
by a red team reading a student release; each file's docstring says what it does and what was found).

Unlike tests/test_attacks.py's (every one scores 0), these are working submissions with an attack
inside, so what is asserted is what each may and may not earn, in one batch beside a copy of the
reference: nobody else is harmed, no attack turns a verdict into a grader error, and each open gap
(docs/threat-model.md) stays exactly as wide as written there.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from autograder.engine import handsons

from .helpers import max_score, results, run_cli

MODULE = "encodec_rvq"
ATTACKS_DIR = Path(__file__).resolve().parent / "attacks"
ATTACKS = sorted(p.name for p in ATTACKS_DIR.iterdir() if (p / f"{MODULE}.py").is_file())
CONTROL = "control"


def _check(line: dict) -> str:
    return line["extra_data"]["nodeid"].split("::", 1)[1].split("[")[0]


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> dict[str, dict]:
    root = tmp_path_factory.mktemp("encodec-attacks")
    folders = []
    for name in ATTACKS + [CONTROL]:
        source = handsons.get(MODULE).reference_path if name == CONTROL else ATTACKS_DIR / name / f"{MODULE}.py"
        (root / "subs" / name).mkdir(parents=True)
        shutil.copy(source, root / "subs" / name / f"{MODULE}.py")
        folders.append(str(root / "subs" / name))
    run = run_cli(["grade", *folders, "--out", str(root / "out"), "--module", MODULE, "--jobs", "2"], root,
                  timeout=1800)
    assert run.returncode == 0, run.output[-3000:]
    return {name: results(root / "out", name) for name in ATTACKS + [CONTROL]}


def test_there_are_encodec_attacks():
    assert {"encodec_spare_twin", "encodec_vmpeak_escape"} <= set(ATTACKS)


def test_the_reference_beside_them_keeps_full_marks_and_nothing_is_a_grader_error(graded):
    assert graded[CONTROL]["score"] == max_score(MODULE)
    for name, result in graded.items():
        assert result["extra_data"]["grader_errors"] == 0, (name, result.get("output", "")[-2000:])


def test_a_spare_model_changed_with_its_twin_costs_only_its_own_points_and_is_flagged(graded):
    """The changed spare reaches this submission's later calls only (the control, graded in the same
    batch by the same zygote's workers, is full); the frame walk that finds it is flagged."""
    result = graded["encodec_spare_twin"]
    assert result["score"] < max_score(MODULE)
    assert any("._getframe" in flag["message"] for flag in result["extra_data"]["review"])


def test_a_worker_ending_after_its_answer_loses_the_memory_check_and_a_forked_child_escapes_one_point(graded):
    """rvq_encode's worker exits before its peak is read: the at-scale check is lost as a crash, never
    a grader error. quantize's chunks in a forked child are the open gap: only
    ``test_quantize_at_scale`` may be earned by it (+1), its speed check is still lost."""
    result = graded["encodec_vmpeak_escape"]
    lost = {_check(t) for t in result["tests"] if t["score"] < t["max_score"]}
    assert {"test_rvq_encode_at_scale", "test_quantize_is_vectorised", "test_rvq_encode_is_vectorised"} <= lost
    crash = [t["output"] for t in result["tests"] if _check(t) == "test_rvq_encode_at_scale"]
    assert all("the worker process ended" in text or "memory" in text for text in crash), crash
    assert result["score"] <= max_score(MODULE) - 4
