"""Public checks of Hands-on 2 (students run these with `autograder check midi_tokens`)."""
import pytest
from hypothesis import HealthCheck, Phase, given, settings

from ...engine import fixtures
from ...engine.client import StudentCodeError
from .grading import (check_midi, check_rejected, check_round_trip, check_tokens, midi_arg, read_midi,
                      show_piano_rolls)
from .strategies import valid_token_lists

FIXTURES = fixtures.load("midi_tokens", "public")


@pytest.mark.points(2)
@pytest.mark.parametrize("case", FIXTURES.cases("midi_to_tokens"), ids=fixtures.case_id)
def test_midi_to_tokens(student, case, artifacts):
    """midi_to_tokens"""
    got = student.call("midi_to_tokens", midi_arg(FIXTURES.read_bytes(case["midi"])))
    expected = FIXTURES.read_json(case["expected"])
    show_piano_rolls(artifacts, expected, got)
    check_tokens(got, expected, case)


@pytest.mark.points(2)
@pytest.mark.parametrize("case", FIXTURES.cases("tokens_to_midi"), ids=fixtures.case_id)
def test_tokens_to_midi(student, case):
    """tokens_to_midi"""
    got = student.call("tokens_to_midi", FIXTURES.read_json(case["tokens"]), bpm=case["bpm"])
    check_midi(got, FIXTURES.read_bytes(case["expected_midi"]), case["bpm"])


@pytest.mark.points(1)
@pytest.mark.parametrize("case", FIXTURES.cases("invalid"), ids=fixtures.case_id)
def test_invalid_tokens(student, case):
    """tokens_to_midi rejects invalid tokens"""
    check_rejected(lambda: student.call("tokens_to_midi", case["tokens"], bpm=case["bpm"]), case)


@pytest.mark.points(4)
def test_round_trip(student):
    """midi_to_tokens(tokens_to_midi(t)) gives back the notes of t, for generated t"""
    stopped: list[StudentCodeError] = []

    # No shrinking: it can cost minutes of calls into a wrong submission. Examples
    # start small, so the first failing one is usually short already.
    @settings(max_examples=40, derandomize=True, database=None, deadline=None,
              phases=(Phase.explicit, Phase.generate), suppress_health_check=list(HealthCheck))
    @given(valid_token_lists())
    def round_trip(tokens):
        if stopped:   # student code failed: report that, without shrinking through more calls
            return
        try:
            midi = student.call("tokens_to_midi", tokens)
            read_midi(midi, "tokens_to_midi")   # fails unless it is a readable MidiFile
            back = student.call("midi_to_tokens", midi_arg(midi.blobs[0]))
        except StudentCodeError as error:
            stopped.append(error)
            return
        check_round_trip(tokens, back)

    round_trip()
    if stopped:
        raise stopped[0]
