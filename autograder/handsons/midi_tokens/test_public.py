"""Public checks of Hands-on 2 (students run these with `autograder check midi_tokens`)."""
import pytest
from hypothesis import HealthCheck, Phase, given, settings

from ...engine import fixtures
from ...engine.client import StudentCodeError
from .grading import (check_rejected, grade_bad_bpm, grade_midi_to_tokens, grade_sequence, grade_tokens_to_midi,
                      round_trip)
from .strategies import valid_token_lists

FIXTURES = fixtures.load("midi_tokens", "public")


@pytest.mark.points(1)
@pytest.mark.parametrize("case", FIXTURES.cases("midi_to_tokens"), ids=fixtures.case_id)
def test_midi_to_tokens(student, case, artifacts):
    """midi_to_tokens"""
    grade_midi_to_tokens(student, FIXTURES, case, artifacts)


@pytest.mark.points(1)
@pytest.mark.parametrize("case", FIXTURES.cases("tokens_to_midi"), ids=fixtures.case_id)
def test_tokens_to_midi(student, case):
    """tokens_to_midi"""
    grade_tokens_to_midi(student, FIXTURES, case)


@pytest.mark.points(0.5)
@pytest.mark.parametrize("case", FIXTURES.cases("invalid"), ids=fixtures.case_id)
def test_invalid_tokens(student, case):
    """tokens_to_midi rejects invalid tokens"""
    check_rejected(lambda: student.call("tokens_to_midi", case["tokens"], bpm=case["bpm"]), case)


@pytest.mark.points(0.5)
@pytest.mark.parametrize("case", FIXTURES.cases("bad_bpm"), ids=fixtures.case_id)
def test_bad_bpm(student, case):
    """tokens_to_midi rejects a bpm whose ticks per beat are outside 1-1677, and accepts one near it"""
    grade_bad_bpm(student, FIXTURES, case)


@pytest.mark.points(2)
@pytest.mark.parametrize("case", FIXTURES.cases("sequence"), ids=fixtures.case_id)
def test_calls_in_one_worker(student, case):
    """several calls one after the other in one worker, as in the notebook: each answer as if alone"""
    grade_sequence(student, FIXTURES, case)


@pytest.mark.points(4)
@pytest.mark.rules("round-trip")
def test_round_trip(student):
    """midi_to_tokens(tokens_to_midi(t)) gives back the notes of t, for generated t"""
    stopped: list[StudentCodeError] = []

    # No shrinking: it can cost minutes of calls into a wrong submission. Examples
    # start small, so the first failing one is usually short already.
    @settings(max_examples=40, derandomize=True, database=None, deadline=None,
              phases=(Phase.explicit, Phase.generate), suppress_health_check=list(HealthCheck))
    @given(valid_token_lists())
    def generated(tokens):
        if stopped:   # student code failed: report that, without shrinking through more calls
            return
        try:
            round_trip(student, tokens)
        except StudentCodeError as error:
            stopped.append(error)

    generated()
    if stopped:
        raise stopped[0]
