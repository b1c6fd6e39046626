"""Hidden checks of Hands-on 3: the same kinds of checks on inputs students never see
(other music, speech, parameter sets, floors and batches)."""
import pytest

from ...engine import fixtures
from . import runs

FIXTURES = fixtures.load("mel_spectrogram", "hidden")


@pytest.mark.points(2)
@pytest.mark.parametrize("case", FIXTURES.cases("mel"), ids=fixtures.case_id)
def test_mel_spectrogram(student, case):
    """mel_spectrogram"""
    runs.run_mel(student, FIXTURES, case)


@pytest.mark.points(2)
@pytest.mark.parametrize("case", FIXTURES.cases("too_short"), ids=fixtures.case_id)
def test_too_short(student, case):
    """mel_spectrogram accepts audio of exactly the minimum length and rejects shorter audio (ValueError)"""
    runs.run_too_short(student, FIXTURES, case)


@pytest.mark.points(3)
@pytest.mark.parametrize("case", FIXTURES.cases("vocode"), ids=fixtures.case_id)
def test_vocode(student, case):
    """vocode: the waveforms of the reference generator, [B, frames * hop_size]"""
    runs.run_vocode(student, FIXTURES, case)


@pytest.mark.points(2)
@pytest.mark.rules("vocode-no-grad")
@pytest.mark.parametrize("case", FIXTURES.cases("vocode")[:1], ids=fixtures.case_id)
def test_vocode_no_grad(student, case):
    """vocode keeps no gradients (torch.no_grad): the right waveforms, without autograd history"""
    runs.run_no_grad(student, FIXTURES, case)


@pytest.mark.points(2)
@pytest.mark.rules("vocode-mode")
@pytest.mark.parametrize("case", FIXTURES.cases("vocode")[:1], ids=fixtures.case_id)
def test_vocode_keeps_the_mode(student, case):
    """vocode uses the generator as it is: handed in train mode, it runs in train mode (the right waveforms)"""
    runs.run_keeps_mode(student, FIXTURES, case)


@pytest.mark.points(4)
@pytest.mark.parametrize("case", FIXTURES.cases("state"), ids=fixtures.case_id)
def test_state_across_calls(student, case):
    """mel_spectrogram and vocode called one after the other in one worker, parameters changing"""
    runs.run_state(student, FIXTURES, case)
