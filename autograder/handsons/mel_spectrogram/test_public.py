"""Public checks of Hands-on 3 (students run these with `autograder check mel_spectrogram`)."""
import pytest

from ...engine import fixtures
from ...worker.wire import Tensor
import json

from .grading import (check_mel, check_no_grad, check_too_short, check_vocode, generator_arg, parameters, show_mel,
                      show_vocoded)

FIXTURES = fixtures.load("mel_spectrogram", "public")


@pytest.mark.points(3)
@pytest.mark.parametrize("case", FIXTURES.cases("mel"), ids=fixtures.case_id)
def test_mel_spectrogram(student, case, artifacts):
    """mel_spectrogram"""
    audio = FIXTURES.read_array(case["audio"])
    got = student.call("mel_spectrogram", Tensor(audio), *parameters(case))
    mistakes = FIXTURES.read_array(case["mistake_outputs"]) if "mistake_outputs" in case else None
    show_mel(artifacts, FIXTURES.read_array(case["expected"]), got)
    check_mel(got, case, audio.shape, FIXTURES.read_array(case["expected"]),
              FIXTURES.read_array(case["librosa"]), mistakes)


@pytest.mark.points(2)
@pytest.mark.parametrize("case", FIXTURES.cases("too_short"), ids=fixtures.case_id)
def test_too_short(student, case):
    """mel_spectrogram rejects audio too short to pad (ValueError)"""
    audio = FIXTURES.read_array(case["audio"])
    check_too_short(lambda: student.call("mel_spectrogram", Tensor(audio), *parameters(case)), case, audio.shape)


def _generator(case):
    config, weights = case["checkpoint"]
    return generator_arg(FIXTURES.read_bytes(config), FIXTURES.read_bytes(weights))


@pytest.mark.points(4)
@pytest.mark.parametrize("case", FIXTURES.cases("vocode"), ids=fixtures.case_id)
def test_vocode(student, case, artifacts):
    """vocode: the waveforms of the reference generator, [B, frames * hop_size]"""
    mel = FIXTURES.read_array(case["mel"])
    got = student.call("vocode", _generator(case), Tensor(mel))
    rate = json.loads(FIXTURES.read_bytes(case["checkpoint"][0]))["sampling_rate"]
    show_vocoded(artifacts, FIXTURES.read_array(case["expected"]), got, rate)
    check_vocode(got, FIXTURES.read_array(case["expected"]), mel.shape)


@pytest.mark.points(2)
@pytest.mark.parametrize("case", FIXTURES.cases("vocode")[:1], ids=fixtures.case_id)
def test_vocode_no_grad(student, case):
    """vocode keeps no gradients (torch.no_grad)"""
    mel = FIXTURES.read_array(case["mel"])
    got = student.call("vocode", _generator(case), Tensor(mel, requires_grad=True))
    check_no_grad(got, mel.shape)
