"""Hidden checks of Hands-on 2: the same kinds of checks on inputs students never
see, generated token lists compared with the reference's files, and round trips of
real music and of other generated token lists and tempos."""
import io

import pytest

from ...engine import fixtures
from .midi_checks import check_midi
from .runs import run_bad_bpm, run_midi_to_tokens, run_round_trip, run_sequence, run_tokens_to_midi
from .token_checks import check_rejected

FIXTURES = fixtures.load("midi_tokens", "hidden")


@pytest.mark.points(1)
@pytest.mark.parametrize("case", FIXTURES.cases("midi_to_tokens"), ids=fixtures.case_id)
def test_midi_to_tokens(student, case):
    """midi_to_tokens"""
    run_midi_to_tokens(student, FIXTURES, case)


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
def test_tokens_to_midi_generated(student):
    """tokens_to_midi on generated token lists and tempos, compared with the reference's file"""
    reference = fixtures.load_reference("midi_tokens")

    generated = FIXTURES.read_json("tokens_to_midi.generated.json")
    for tokens, bpm in generated["valid"] + generated["crowded"]:
        got = student.call("tokens_to_midi", tokens, bpm=bpm)
        expected = io.BytesIO()
        reference.tokens_to_midi(tokens, bpm=bpm).save(file=expected)
        check_midi(got, expected.getvalue(), bpm)


@pytest.mark.points(2)
@pytest.mark.rules("round-trip")
def test_round_trip(student):
    """midi_to_tokens(tokens_to_midi(t, bpm)) gives back the notes of t, for other generated t and bpm"""
    reference = fixtures.load_reference("midi_tokens")
    generated = FIXTURES.read_json("round_trip.generated.json")
    for tokens, bpm in generated["valid"] + generated["crowded"]:
        run_round_trip(student, tokens, bpm, reference=reference)


@pytest.mark.points(1)
@pytest.mark.parametrize("case", FIXTURES.cases("round_trip"), ids=fixtures.case_id)
def test_round_trip_of_music(student, case):
    """midi_to_tokens(tokens_to_midi(t)) gives back the notes of t, for the tokens of real music"""
    run_round_trip(student, FIXTURES.read_json(case["tokens"]), reference=fixtures.load_reference("midi_tokens"))
