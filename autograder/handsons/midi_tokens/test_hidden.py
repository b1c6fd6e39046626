"""Hidden checks of Hands-on 2: the same kinds of checks on inputs students never
see, and generated token lists compared with the reference's files."""
import io

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from ...engine import fixtures
from ...engine.client import StudentCodeError
from .grading import check_midi, check_rejected, check_tokens, midi_arg
from .strategies import valid_bpms, valid_token_lists

FIXTURES = fixtures.load("midi_tokens", "hidden")


@pytest.mark.points(2)
@pytest.mark.parametrize("case", FIXTURES.cases("midi_to_tokens"), ids=fixtures.case_id)
def test_midi_to_tokens(student, case):
    """midi_to_tokens"""
    got = student.call("midi_to_tokens", midi_arg(FIXTURES.read_bytes(case["midi"])))
    check_tokens(got, FIXTURES.read_json(case["expected"]), case)


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
def test_tokens_to_midi_generated(student):
    """tokens_to_midi on generated token lists and tempos, compared with the reference's file"""
    reference = fixtures.load_reference("midi_tokens")
    stopped: list[StudentCodeError] = []

    # No shrinking: it can cost minutes of calls into a wrong submission. Examples
    # start small, so the first failing one is usually short already.
    @settings(max_examples=40, derandomize=True, database=None, deadline=None,
              phases=(Phase.explicit, Phase.generate), suppress_health_check=list(HealthCheck))
    @given(tokens=valid_token_lists(), bpm=valid_bpms())
    def same_file(tokens, bpm):
        if stopped:
            return
        try:
            got = student.call("tokens_to_midi", tokens, bpm=bpm)
        except StudentCodeError as error:
            stopped.append(error)
            return
        expected = io.BytesIO()
        reference.tokens_to_midi(tokens, bpm=bpm).save(file=expected)
        check_midi(got, expected.getvalue(), bpm)

    same_file()
    if stopped:
        raise stopped[0]
