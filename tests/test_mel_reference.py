"""The reference ``solutions/mel_spectrogram.py`` against an independent librosa computation.

The librosa side is written from the contract alone (numpy reflect padding,
``librosa.stft(center=False)``, ``sqrt(re^2 + im^2 + 1e-9)``, librosa's mel
filterbank, ``log(max(x, 1e-5))``), in float64. In float64 the reference must
agree to 1e-8. In float32 the FFT itself is only accurate to about 1e-7 of
the signal's level, which matters in bands near the 1e-5 floor of a loud
clip (torch's float32 FFT and numpy's differ there by up to ~1e-2 in log
units): float32 results are compared in the linear domain, with an absolute
tolerance far below the floor's neighbourhood, and tightly in log units
wherever the mel value is well above the floor.
"""
from __future__ import annotations

import ast
import importlib.util
import math
from pathlib import Path

import librosa
import numpy as np
import pytest
import torch

from musicrep import hifigan

ROOT = Path(__file__).resolve().parents[1]
REFERENCE_PATH = ROOT / "solutions" / "mel_spectrogram.py"
STUB_PATH = ROOT / "assignments" / "mel_spectrogram.py"
FLOOR = math.log(1e-5)


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


reference = _load(REFERENCE_PATH, "reference_mel_spectrogram_under_test")

# (n_fft, num_mels, sampling_rate, hop_size, win_size, fmin, fmax)
V1 = (1024, 80, 22050, 256, 1024, 0, 8000)  # HiFi-GAN V1, V2 and V3
PARAMETER_SETS = {
    "v1-v3": V1,
    "short-window": (1024, 80, 22050, 256, 800, 0, 8000),            # win_size < n_fft
    "odd-padding-no-fmax": (1024, 80, 22050, 275, 600, 0, None),     # n_fft - hop odd, fmax=None
    "44k-fmin": (2048, 128, 44100, 512, 2048, 40, 16000),             # fmin > 0
    "16k-speech": (512, 64, 16000, 160, 400, 50, 7600),               # another rate, small FFT
    "half-overlap": (1024, 80, 22050, 512, 1024, 0, 8000),            # frame-bound minimum length
}


def librosa_log_mel(audio: np.ndarray, n_fft, num_mels, sampling_rate, hop_size, win_size,
                    fmin, fmax) -> np.ndarray:
    """The contract, computed with numpy and librosa in float64: ``[num_mels, frames]``."""
    pad = (n_fft - hop_size) // 2
    padded = np.pad(np.asarray(audio, dtype=np.float64), pad, mode="reflect")
    stft = librosa.stft(padded, n_fft=n_fft, hop_length=hop_size, win_length=win_size,
                        window="hann", center=False, dtype=np.complex128)
    magnitude = np.sqrt(stft.real ** 2 + stft.imag ** 2 + 1e-9)
    basis = librosa.filters.mel(sr=sampling_rate, n_fft=n_fft, n_mels=num_mels, fmin=fmin, fmax=fmax)
    return np.log(np.maximum(basis.astype(np.float64) @ magnitude, 1e-5))


def clips(sampling_rate: int, seconds: float = 1.5, seed: int = 0) -> dict[str, np.ndarray]:
    """float64 clips in [-1, 1], several of them close to the 1e-5 floor."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sampling_rate)) / sampling_rate
    ramp = t / t[-1]
    return {
        "chirp": 0.8 * np.sin(2 * np.pi * (100 + 0.3 * sampling_rate * ramp) * t),
        # a tone decaying from 0.5 to 1e-10: its bands cross the floor one after the other
        "fade-out": 0.5 * np.sin(2 * np.pi * 440 * t) * np.exp(-t * 15),
        # noise fading in from 0 to 3e-4: its mels go from below the floor to 30 times above
        "fade-in-near-floor": 3e-4 * rng.standard_normal(t.size) * ramp,
        "silence": np.zeros(t.size),
        "square-with-dc": np.clip(0.99 * np.sign(np.sin(2 * np.pi * 110 * t)) + 0.005, -1, 1),
        "clicks": 0.9 * (np.arange(t.size) % 3001 == 0),
    }


def expected_frames(length: int, n_fft: int, hop_size: int) -> int:
    pad = (n_fft - hop_size) // 2
    return 1 + (length + 2 * pad - n_fft) // hop_size


def assert_close_float32(ours: np.ndarray, theirs: np.ndarray) -> None:
    np.testing.assert_allclose(np.exp(ours), np.exp(theirs), rtol=2e-4, atol=5e-6)
    loud = theirs > math.log(1e-3)
    np.testing.assert_allclose(ours[loud], theirs[loud], rtol=0, atol=5e-4)


# ------------------------------------------------------------------ values

@pytest.mark.parametrize("name", PARAMETER_SETS)
def test_float64_matches_librosa(name):
    params = PARAMETER_SETS[name]
    for signal, audio in clips(params[2]).items():
        ours = reference.mel_spectrogram(torch.from_numpy(audio), *params)
        assert ours.dtype == torch.float64
        theirs = librosa_log_mel(audio, *params)
        assert ours.shape == (1, *theirs.shape), signal
        np.testing.assert_allclose(ours[0].numpy(), theirs, rtol=0, atol=1e-8, err_msg=signal)


@pytest.mark.parametrize("name", PARAMETER_SETS)
def test_float32_matches_librosa(name):
    params = PARAMETER_SETS[name]
    for signal, audio in clips(params[2], seed=1).items():
        audio32 = audio.astype(np.float32)
        ours = reference.mel_spectrogram(torch.from_numpy(audio32), *params)
        assert ours.dtype == torch.float32 and ours.is_contiguous()
        assert_close_float32(ours[0].numpy().astype(np.float64), librosa_log_mel(audio32, *params))


def test_floor_and_epsilon():
    silence = reference.mel_spectrogram(torch.zeros(22050, dtype=torch.float64), *V1)
    # silence: each band is sum(weights) * sqrt(1e-9), below 1e-5 for V1, so exactly the floor
    assert torch.all(silence == FLOOR)
    quiet = reference.mel_spectrogram(torch.full((22050,), 2e-5, dtype=torch.float64), *V1)
    assert quiet.min() == FLOOR and quiet.max() > FLOOR  # a DC of 2e-5 lifts the lowest bands only
    # the 1e-9 under the square root is visible where the bands are just above the floor
    audio = clips(22050)["fade-in-near-floor"]
    params = (1024, 80, 22050, 256, 1024, 0, 8000)
    pad = (1024 - 256) // 2
    stft = librosa.stft(np.pad(audio, pad, mode="reflect"), n_fft=1024, hop_length=256,
                        window="hann", center=False, dtype=np.complex128)
    basis = librosa.filters.mel(sr=22050, n_fft=1024, n_mels=80, fmin=0, fmax=8000).astype(np.float64)
    without_epsilon = np.log(np.maximum(basis @ np.abs(stft), 1e-5))
    ours = reference.mel_spectrogram(torch.from_numpy(audio), *params)[0].numpy()
    assert np.abs(ours - without_epsilon).max() > 1e-3
    np.testing.assert_allclose(ours, librosa_log_mel(audio, *params), rtol=0, atol=1e-8)


def test_batch_and_one_dimensional_input():
    signals = list(clips(22050).values())
    batch = torch.from_numpy(np.stack(signals).astype(np.float32))
    together = reference.mel_spectrogram(batch, *V1)
    assert together.shape == (len(signals), 80, expected_frames(batch.shape[1], 1024, 256))
    for i, audio in enumerate(signals):
        alone = reference.mel_spectrogram(batch[i], *V1)
        assert alone.shape == (1, 80, together.shape[2])
        torch.testing.assert_close(together[i:i + 1], alone, rtol=0, atol=1e-5)
        assert_close_float32(alone[0].numpy().astype(np.float64), librosa_log_mel(batch[i].numpy(), *V1))
    # the original HiFi-GAN call, on audio shaped [1, T]
    torch.testing.assert_close(reference.mel_spectrogram(batch[:1], *V1), together[:1], rtol=0, atol=1e-5)


def test_long_clips_and_batches_go_through_several_blocks(monkeypatch):
    """The reference works through the frames in blocks: a 12 s clip (1033 frames) and a
    batch of four 3 s clips take several blocks, the last one partial."""
    rng = np.random.default_rng(2)
    t = np.arange(12 * 22050) / 22050
    long = 0.6 * np.sin(2 * np.pi * (200 + 300 * t) * t) * np.exp(-(t % 3)) + 0.01 * rng.standard_normal(t.size)
    length = 3 * 22050 + 40  # 258 frames; in a batch of 4, blocks of 64 frames
    batch = np.stack([long[i * length:(i + 1) * length] for i in range(3)] + [np.zeros(length)])
    for audio in (long, batch):
        blocked = reference.mel_spectrogram(torch.from_numpy(audio), *V1)
        assert blocked.shape[2] == expected_frames(audio.shape[-1], 1024, 256) > 256
        for i, clip in enumerate(np.atleast_2d(audio)):
            np.testing.assert_allclose(blocked[i].numpy(), librosa_log_mel(clip, *V1), rtol=0, atol=1e-8)
        single = reference.mel_spectrogram(torch.from_numpy(audio.astype(np.float32)), *V1)
        with monkeypatch.context() as patch:
            patch.setattr(reference, "_VALUES_PER_BLOCK", 10 ** 12)  # everything in one block
            whole = reference.mel_spectrogram(torch.from_numpy(audio.astype(np.float32)), *V1)
        torch.testing.assert_close(single, whole, rtol=0, atol=1e-5)


def test_non_contiguous_input_and_float_parameters():
    audio = torch.from_numpy(clips(22050)["chirp"].astype(np.float32))
    strided = torch.stack([audio, audio]).t().contiguous().t()  # [2, T], column-major
    assert not strided.is_contiguous()
    expected = reference.mel_spectrogram(audio, *V1)
    torch.testing.assert_close(reference.mel_spectrogram(strided, *V1)[1:], expected)
    torch.testing.assert_close(reference.mel_spectrogram(audio, 1024, 80, 22050.0, 256, 1024, 0.0, 8000.0),
                               expected)
    torch.testing.assert_close(reference.mel_spectrogram(audio, np.int64(1024), 80, 22050, 256, 1024, 0, 8000),
                               expected)


def test_gradients_flow():
    audio = (0.1 * torch.randn(2, 4000, generator=torch.Generator().manual_seed(0))).requires_grad_()
    mel = reference.mel_spectrogram(audio, *V1)
    mel.sum().backward()
    assert audio.grad is not None and torch.isfinite(audio.grad).all() and audio.grad.abs().sum() > 0


def test_the_callers_thread_count_is_restored():
    """The reference computes on one thread and restores the caller's setting, errors included."""
    before = torch.get_num_threads()
    audio = torch.zeros(5000)
    try:
        for threads in sorted({1, 2, before}):
            torch.set_num_threads(threads)
            reference.mel_spectrogram(audio, *V1)
            assert torch.get_num_threads() == threads
            with pytest.raises(ValueError):
                reference.mel_spectrogram(torch.zeros(10), *V1)
            assert torch.get_num_threads() == threads
    finally:
        torch.set_num_threads(before)


def test_filterbank_and_window_are_cached(monkeypatch):
    calls = []
    real_mel = librosa.filters.mel

    def counting_mel(**kwargs):
        calls.append(kwargs)
        return real_mel(**kwargs)

    monkeypatch.setattr(reference.librosa.filters, "mel", counting_mel)
    params = (1024, 72, 22050, 256, 1024, 13, 7777)  # a set no other test uses
    audio = torch.zeros(3000)
    first = reference.mel_spectrogram(audio, *params)
    for _ in range(3):
        assert torch.equal(reference.mel_spectrogram(audio, *params), first)
    assert calls == [dict(sr=22050.0, n_fft=1024, n_mels=72, fmin=13.0, fmax=7777.0)]


# ------------------------------------------------------------------ lengths and errors

@pytest.mark.parametrize("name", PARAMETER_SETS)
def test_minimum_length(name):
    n_fft, num_mels, sampling_rate, hop_size, *_ = params = PARAMETER_SETS[name]
    pad = (n_fft - hop_size) // 2
    minimum = max(pad + 1, n_fft - 2 * pad)
    for length in (minimum, minimum + hop_size - 1, minimum + hop_size):
        audio = torch.from_numpy(np.linspace(-0.5, 0.5, length))
        mel = reference.mel_spectrogram(audio, *params)
        assert mel.shape == (1, num_mels, expected_frames(length, n_fft, hop_size))
        np.testing.assert_allclose(mel[0].numpy(), librosa_log_mel(audio.numpy(), *params),
                                   rtol=0, atol=1e-8)
    assert reference.mel_spectrogram(torch.zeros(minimum), *params).shape[2] == 1
    for length in (0, 1, minimum - 1):
        for shape in ((length,), (2, length)):
            with pytest.raises(ValueError, match=f"minimum is {minimum}"):
                reference.mel_spectrogram(torch.zeros(shape), *params)


def test_both_reasons_for_too_short():
    # V1: the reflection is the limit (384 padded samples need 385); one frame would need only 256
    with pytest.raises(ValueError, match="minimum is 385"):
        reference.mel_spectrogram(torch.zeros(384), *V1)
    assert reference.mel_spectrogram(torch.zeros(385), *V1).shape == (1, 80, 1)
    # half overlap: padding 256 needs 257 samples, but a frame needs 1024 - 512 = 512
    half = PARAMETER_SETS["half-overlap"]
    with pytest.raises(ValueError, match="minimum is 512"):
        reference.mel_spectrogram(torch.zeros(511), *half)
    assert reference.mel_spectrogram(torch.zeros(512), *half).shape == (1, 80, 1)
    # no padding at all (hop = n_fft): one full frame
    no_pad = (256, 20, 8000, 256, 256, 0, None)
    with pytest.raises(ValueError, match="minimum is 256"):
        reference.mel_spectrogram(torch.zeros(255), *no_pad)
    assert reference.mel_spectrogram(torch.zeros(256), *no_pad).shape == (1, 20, 1)


@pytest.mark.parametrize("audio, error, message", [
    (np.zeros(2048, dtype=np.float32), TypeError, "torch.Tensor"),
    (torch.zeros(2048, dtype=torch.int16), TypeError, "float32 or float64"),
    (torch.zeros(2048, dtype=torch.float16), TypeError, "float32 or float64"),
    (torch.zeros(2048, dtype=torch.complex64), TypeError, "float32 or float64"),
    (torch.zeros(1, 1, 2048), ValueError, "1-D or 2-D"),
    (torch.zeros(()), ValueError, "1-D or 2-D"),
    (torch.zeros(0, 2048), ValueError, "empty batch"),
    (torch.tensor([0.0] * 1000 + [math.nan] + [0.0] * 1000), ValueError, "NaN or infinite"),
    (torch.tensor([[0.0] * 2000, [0.0] * 1999 + [-math.inf]]), ValueError, "NaN or infinite"),
])
def test_bad_audio(audio, error, message):
    with pytest.raises(error, match=message):
        reference.mel_spectrogram(audio, *V1)


@pytest.mark.parametrize("params, message", [
    ((1024.0, 80, 22050, 256, 1024, 0, 8000), "n_fft"),
    ((1024, 0, 22050, 256, 1024, 0, 8000), "num_mels"),
    ((1024, 80, 22050, 0, 1024, 0, 8000), "hop_size"),
    ((1024, 80, 22050, True, 1024, 0, 8000), "hop_size"),
    ((1024, 80, 22050, 256, 2048, 0, 8000), "win_size"),
    ((1024, 80, 22050, 2048, 1024, 0, 8000), "hop_size"),
    ((1024, 80, 0, 256, 1024, 0, 8000), "sampling_rate"),
    ((1024, 80, 22050, 256, 1024, -1, 8000), "fmin"),
    ((1024, 80, 22050, 256, 1024, 8000, 8000), "fmax"),
    ((1024, 80, 22050, 256, 1024, 0, "8000"), "fmax"),
])
def test_bad_parameters(params, message):
    with pytest.raises(ValueError, match=message):
        reference.mel_spectrogram(torch.zeros(4096), *params)


# ------------------------------------------------------------------ vocode

@pytest.fixture(scope="module")
def tiny_generator(tmp_path_factory):
    folder = hifigan.make_tiny_checkpoint(tmp_path_factory.mktemp("tiny") / "hifigan", seed=0)
    return hifigan.from_pretrained(folder)


def test_vocode(tiny_generator):
    config = tiny_generator.config
    audio = torch.from_numpy(np.stack([clips(22050)["chirp"], clips(22050)["fade-out"]]))
    mel = reference.mel_spectrogram(audio.float(), config.n_fft, config.num_mels, config.sampling_rate,
                                    config.hop_size, config.win_size, config.fmin, config.fmax)
    wave = reference.vocode(tiny_generator, mel.requires_grad_())
    assert wave.shape == (2, mel.shape[2] * 256)
    assert wave.dtype == torch.float32 and not wave.requires_grad
    with torch.no_grad():
        assert torch.equal(wave, tiny_generator(mel).squeeze(1))
    # float64 mels are converted to the generator's dtype; a batch of one stays a batch
    torch.testing.assert_close(reference.vocode(tiny_generator, mel.detach().double()[:1]), wave[:1])


def test_vocode_leaves_the_generator_as_it_was(tiny_generator):
    mel = torch.full((1, 80, 3), -5.0)
    tiny_generator.train()
    try:
        before = {name: tensor.clone() for name, tensor in tiny_generator.state_dict().items()}
        reference.vocode(tiny_generator, mel)
        assert tiny_generator.training
        assert all(torch.equal(before[name], tensor) for name, tensor in tiny_generator.state_dict().items())
    finally:
        tiny_generator.eval()


@pytest.mark.parametrize("mel, error, message", [
    (np.zeros((1, 80, 4), dtype=np.float32), TypeError, "torch.Tensor"),
    (torch.zeros(1, 80, 4, dtype=torch.int32), TypeError, "float32 or float64"),
    (torch.zeros(80, 4), ValueError, "3-D"),
    (torch.zeros(0, 80, 4), ValueError, "empty batch"),
    (torch.zeros(1, 80, 0), ValueError, "no frames"),
    (torch.zeros(1, 64, 4), ValueError, "expects 80"),
    (torch.full((1, 80, 4), math.nan), ValueError, "NaN or infinite"),
])
def test_vocode_bad_input(tiny_generator, mel, error, message):
    with pytest.raises(error, match=message):
        reference.vocode(tiny_generator, mel)


# ------------------------------------------------------------------ the stub

def _function_docstrings(path: Path) -> dict[str, str]:
    tree = ast.parse(path.read_text())
    return {node.name: ast.get_docstring(node, clean=False) for node in tree.body
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_")}


def test_reference_docstrings_are_the_stubs():
    stub = _function_docstrings(STUB_PATH)
    assert list(stub) == ["mel_spectrogram", "vocode"]
    assert _function_docstrings(REFERENCE_PATH) == stub


def test_stub_is_unimplemented_and_the_reference_stays_independent():
    stub = _load(STUB_PATH, "stub_mel_spectrogram_under_test")
    with pytest.raises(NotImplementedError):
        stub.mel_spectrogram(torch.zeros(4096), *V1)
    with pytest.raises(NotImplementedError):
        stub.vocode(None, torch.zeros(1, 80, 2))
    imported = set()
    for node in ast.walk(ast.parse(REFERENCE_PATH.read_text())):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    assert "autograder" not in imported
