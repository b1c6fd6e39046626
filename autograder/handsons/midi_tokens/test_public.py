"""Public checks of Hands-on 2 (students run these with `autograder check midi_tokens`)."""
import pytest

from ...engine import fixtures
from .runs import run_bad_bpm, run_midi_to_tokens, run_round_trip, run_sequence, run_tokens_to_midi
from .token_checks import check_rejected

FIXTURES = fixtures.load("midi_tokens", "public")


@pytest.mark.points(1)
@pytest.mark.parametrize("case", FIXTURES.cases("midi_to_tokens"), ids=fixtures.case_id)
def test_midi_to_tokens(student, case, artifacts):
    """midi_to_tokens"""
    run_midi_to_tokens(student, FIXTURES, case, artifacts)


@pytest.mark.points(1)
@pytest.mark.parametrize("case", FIXTURES.cases("tokens_to_midi"), ids=fixtures.case_id)
def test_tokens_to_midi(student, case):
    """tokens_to_midi"""
    run_tokens_to_midi(student, FIXTURES, case)


@pytest.mark.points(0.5)
@pytest.mark.parametrize("case", FIXTURES.cases("invalid"), ids=fixtures.case_id)
def test_invalid_tokens(student, case):
    """tokens_to_midi rejects invalid tokens"""
    check_rejected(lambda: student.call("tokens_to_midi", case["tokens"], bpm=case["bpm"]), case)


@pytest.mark.points(0.5)
@pytest.mark.parametrize("case", FIXTURES.cases("bad_bpm"), ids=fixtures.case_id)
def test_bad_bpm(student, case):
    """tokens_to_midi rejects a bpm whose ticks per beat are outside 1-1677, and accepts one near it"""
    run_bad_bpm(student, FIXTURES, case)


@pytest.mark.points(2)
@pytest.mark.parametrize("case", FIXTURES.cases("sequence"), ids=fixtures.case_id)
def test_calls_in_one_worker(student, case):
    """several calls one after the other in one worker, as in the notebook: each answer as if alone"""
    run_sequence(student, FIXTURES, case)


@pytest.mark.points(4)
@pytest.mark.rules("round-trip")
def test_round_trip(student):
    """midi_to_tokens(tokens_to_midi(t)) gives back the notes of t, for generated t"""
    # Small token lists first; then lists where notes of one pitch overlap and start together:
    # newest-first pairing and longest-first note-ons show there. The first failure ends the check.
    generated = FIXTURES.read_json("round_trip.generated.json")
    for tokens in generated["valid"] + generated["crowded"]:
        run_round_trip(student, tokens)
