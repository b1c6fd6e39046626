"""Grader-side checks for Hands-on 3, shared by the public and hidden graders (numpy only).

How log-mels are compared. Correct implementations differ by float32 rounding,
and not only in the last digit: the FFT of a frame is accurate to about 1e-7
of the frame's level, so in bands near the 1e-5 floor of a loud clip two
correct float32 implementations (torch.stft, torch.fft.rfft on frames, numpy,
librosa, a DFT as a matrix product) differ by up to ~2e-2 in log units. So the
tolerance is elementwise, in log units, from the linear-domain test
``|exp(got) - exp(expected)| <= 1e-3 * exp(expected) + 1e-6 + 1e-7 * (the frame's
largest mel value)``: 1e-3 (relative) where the mel is well above the floor,
growing towards the floor, to about 0.1 at the floor itself in a quiet frame.
The worst correct implementation measured needs about a tenth of it; every
classic mistake is far outside it on the cases that exercise it.

Feedback: a failing answer's shape, floor and scale are looked at first
(``center=True`` adds frames, ``log10`` divides by 2.3, values below log(1e-5)
mean a missing floor...); then it is compared with what each classic mistake
returns on a few probe frames of the same input (the fixtures hold those
outputs, made by the recipe), and the mistake it matches is named.
"""
from __future__ import annotations

import json
import math

import numpy as np

from ...engine.compare import assert_close, describe, expect_tensor, fail
from ...worker.wire import Ext, Tensor

FLOOR = math.log(1e-5)
RTOL, ATOL, FRAME_RTOL = 1e-3, 1e-6, 1e-7
MISTAKE_SHOWS = 0.02      # a mistake "shows" on a case when it moves >= 2% of the probe values out of tolerance
MATCH = 0.98              # an answer "is" a mistake when >= 98% of its probe values are within tolerance of it

MISTAKES = {
    "center": "torch.stft(..., center=True) pads the clip again (n_fft // 2 samples on each side), which "
              "adds frames: after the reflect padding call it with center=False (center=True used).",
    "no_padding": "the clip was not padded: pad it with (n_fft - hop_size) // 2 samples on both sides, "
                  "mode=\"reflect\", before the STFT (no reflect padding).",
    "one_side": "the clip was padded on one side only: pad (n_fft - hop_size) // 2 samples on BOTH sides "
                "(padding on one side).",
    "shifted": "the frames are shifted in time by (n_fft - hop_size) // 2 samples: the clip looks padded on "
               "one side only, by twice the amount; pad (n_fft - hop_size) // 2 samples on both sides "
               "(padding on one side).",
    "zero_padding": "only the first and last frames differ: the padding must mirror the clip "
                    "(mode=\"reflect\"), not add zeros or repeat the edge (no reflect padding).",
    "power": "the mel filterbank must multiply the magnitude sqrt(re^2 + im^2 + 1e-9), not the power "
             "re^2 + im^2; in log units the power's values are about twice the magnitude's "
             "(power instead of magnitude).",
    "log10": "the values are the expected ones divided by ln(10) = 2.303: the natural log (torch.log) is "
             "wanted, not log10 (log10 instead of the natural log).",
    "htk": "the mel bands sit at other frequencies or have other heights: use librosa.filters.mel with its "
           "defaults (Slaney mel scale, htk=False, norm=\"slaney\"), as HiFi-GAN does (HTK filterbank).",
    "no_norm": "the filterbank is not area-normalized: librosa.filters.mel's default norm=\"slaney\" is "
               "wanted, not norm=None (filterbank without Slaney normalization).",
    "window_n_fft": "the window looks n_fft samples long: use torch.hann_window(win_size) and "
                    "win_length=win_size; torch.stft centres it in n_fft with zeros "
                    "(window of n_fft instead of win_size).",
    "no_window": "no window (a rectangular one): use window=torch.hann_window(win_size) (no Hann window).",
    "symmetric_window": "the Hann window looks symmetric (np.hanning, scipy's sym=True, periodic=False): use "
                        "the periodic torch.hann_window(win_size) (symmetric Hann window).",
    "no_epsilon": "the 1e-9 goes inside the square root, sqrt(re^2 + im^2 + 1e-9): with these parameters "
                  "silence then lies above the floor (1e-9 missing or outside the square root).",
    "normalized_stft": "torch.stft(..., normalized=True) divides by sqrt(n_fft): use normalized=False "
                       "(normalized STFT).",
    "below_floor": "values below log(1e-5) = -11.513: the floor is missing or too low; it is "
                   "log(clamp(mel, min=1e-5)) (wrong floor).",
    "minus_infinity": "-inf means the log of 0: the floor, log(clamp(mel, min=1e-5)), is missing "
                      "(wrong floor).",
    "clamp_after_log": "the clamp must come before the log, log(clamp(mel, min=1e-5)), not after it "
                       "(wrong floor: clamp after the log).",
}
# The mistakes the recipe computes (recipe.MISTAKES) -> what the student is told.
MISTAKE_HINTS = {
    "zero_padding": "zero_padding", "padding_left_only": "shifted", "padding_right_only": "shifted",
    "power": "power", "log10": "log10", "htk": "htk", "htk_no_norm": "htk", "no_norm": "no_norm",
    "window_n_fft": "window_n_fft", "no_window": "no_window", "symmetric_window": "symmetric_window",
    "no_epsilon": "no_epsilon", "normalized_stft": "normalized_stft",
}
PARAMETER_ORDER = ("n_fft", "num_mels", "sampling_rate", "hop_size", "win_size", "fmin", "fmax")


def parameters(case: dict) -> tuple:
    """The case's parameters, in the order of mel_spectrogram's arguments."""
    return tuple(case["params"][name] for name in PARAMETER_ORDER)


def mel_call_text(case: dict, shape: tuple) -> str:
    arguments = ", ".join(f"{name}={case['params'][name]!r}" for name in PARAMETER_ORDER)
    return f"mel_spectrogram(<audio of shape {list(shape)}>, {arguments})"


# ------------------------------------------------------------------ tolerance

def mel_tolerance(expected: np.ndarray) -> np.ndarray:
    """The elementwise tolerance, in log units, for log-mels ``[..., num_mels, frames]``."""
    linear = np.exp(np.asarray(expected, dtype=np.float64))
    frame_max = linear.max(axis=-2, keepdims=True)
    return np.log1p(RTOL + (ATOL + FRAME_RTOL * frame_max) / linear)


def fraction_close(got: np.ndarray, expected: np.ndarray) -> float:
    """The fraction of ``got``'s values within the tolerance of ``expected``'s."""
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if got.shape != expected.shape or not expected.size:
        return 0.0
    with np.errstate(invalid="ignore"):
        close = np.abs(got - expected) <= mel_tolerance(expected)
    return float(np.mean(close & np.isfinite(got)))


def probe_frames(frames: int) -> list[int]:
    """The frames at which the fixtures hold what classic mistakes return: both ends and a few between."""
    return sorted({f for f in (0, 1, frames // 4, frames // 2, 3 * frames // 4, frames - 2, frames - 1)
                   if 0 <= f < frames})


# ------------------------------------------------------------------ mel_spectrogram

def check_mel(value: object, case: dict, audio_shape: tuple, expected: np.ndarray, independent: np.ndarray,
              mistakes: np.ndarray | None) -> None:
    """Fail with an explanation unless ``value`` is the expected log-mel spectrogram."""
    what = mel_call_text(case, audio_shape)
    got = expect_tensor(value, what, kind="f")
    hints = [_shape_hint(case, audio_shape), _floor_hint, _mistake_hint(case, mistakes), _scale_hint]
    if got.shape == expected.shape:
        bad = ~np.isfinite(got)
        if bad.any():
            index = tuple(int(i) for i in np.argwhere(bad)[0])
            message = (f"{what} holds {int(bad.sum())} NaN/inf value(s) (the first at index {index}: "
                       f"{got[index]}); every value should be finite, never below log(1e-5).")
            if np.isneginf(got).any():
                message += f"\nLikely cause: {MISTAKES['minus_infinity']}"
            fail(message)
    assert_close(got, expected, "the log-mel spectrogram", rtol=0, atol=mel_tolerance(expected), hints=hints)
    assert_close(got, independent, "the log-mel spectrogram (compared with an independent librosa computation "
                 "of the same formula)", rtol=0, atol=mel_tolerance(independent), hints=hints)


def _frames(length: int, n_fft: int, hop_size: int, padding: int) -> int | None:
    total = length + padding
    return 1 + (total - n_fft) // hop_size if total >= n_fft else None


def _shape_hint(case: dict, audio_shape: tuple):
    n_fft, num_mels, _, hop_size, _, _, _ = parameters(case)
    length, pad = audio_shape[-1], (n_fft - hop_size) // 2
    batch = audio_shape[0] if len(audio_shape) == 2 else 1

    def hint(got: np.ndarray, expected: np.ndarray) -> str | None:
        if got.shape == expected.shape:
            return None
        if len(audio_shape) == 1 and got.shape == expected.shape[1:]:
            return "1-D audio [T] is one clip: the result is [1, num_mels, frames], with its batch dimension."
        if got.ndim == 3 and got.shape == (expected.shape[0], expected.shape[2], expected.shape[1]):
            return "the axes are swapped: the result is [B, num_mels, frames], not [B, frames, num_mels]."
        if got.ndim != 3:
            return f"the result is 3-D, [B, num_mels, frames] = {list(expected.shape)}."
        if got.shape[0] != batch:
            return f"one spectrogram per clip: the batch holds {batch} clip(s)."
        if got.shape[1] != num_mels:
            return f"num_mels={num_mels} bands are asked for: the filterbank is [num_mels, n_fft // 2 + 1]."
        frames = got.shape[2]
        candidates = (  # (frames that mistake gives, what to say), most common first
            (1 + length // hop_size, "center"),                                   # center=True instead of padding
            (1 + (length + 2 * pad) // hop_size, "center"),                       # padding and center=True
            (_frames(length, n_fft, hop_size, pad), "one_side"),
            (_frames(length, n_fft, hop_size, 0), "no_padding"),
        )
        for count, mistake in candidates:
            if count == frames:
                return MISTAKES[mistake]
        return (f"with pad = (n_fft - hop_size) // 2 = {pad} on both sides and center=False there are "
                f"1 + (T + 2 * pad - n_fft) // hop_size = {expected.shape[2]} frames for T = {length}.")
    return hint


def _floor_hint(got: np.ndarray, expected: np.ndarray) -> str | None:
    if got.shape != expected.shape or not got.size:
        return None
    got = got.astype(np.float64)
    lowest = float(got.min())
    if lowest < FLOOR - 1e-2:
        return f"{MISTAKES['below_floor']} Your lowest value is {lowest:.4g}."
    at_floor = expected <= FLOOR + 1e-4
    if abs(lowest - 1e-5) < 1e-6 and np.mean(got <= 1e-5 + 1e-6) > 0.5 and np.mean(expected < 0) > 0.5:
        return MISTAKES["clamp_after_log"]
    if at_floor.any() and not _is_log10(got, expected):
        values = got[at_floor]
        if np.ptp(values) < 1e-4 and abs(values[0] - math.log10(1e-5)) < 1e-4:
            return MISTAKES["log10"]
        if np.ptp(values) < 1e-4 and abs(values[0] - FLOOR) > 1e-2 and abs(values[0] - lowest) < 1e-4:
            return (f"where the expected values are at the floor log(1e-5) = -11.513, yours are all "
                    f"{values[0]:.4g} = log({math.exp(values[0]):.3g}): the floor is clamp(mel, min=1e-5) "
                    f"before the natural log (wrong floor).")
    return None


def _is_log10(got: np.ndarray, expected: np.ndarray) -> bool | None:
    """Whether ``got`` is ``expected / ln(10)`` where the expected values are above the floor;
    None when there is nothing to tell it from."""
    above = (expected > FLOOR + 0.5) & (np.abs(expected) > 0.5) & np.isfinite(got)
    if above.sum() < 10:
        return None
    ratio = got[above] / expected[above]
    return bool(np.mean(np.abs(ratio * math.log(10) - 1) < 1e-2) > 0.95)


def _mistake_hint(case: dict, outputs: np.ndarray | None):
    names = case.get("mistakes", [])

    def hint(got: np.ndarray, expected: np.ndarray) -> str | None:
        if outputs is None or got.shape != expected.shape or not names:
            return None
        probes = probe_frames(expected.shape[-1])
        mine = got[..., probes]
        correct = fraction_close(mine, expected[..., probes])
        scores = [fraction_close(mine, outputs[i]) for i in range(len(names))]
        best = max(scores)
        if best < MATCH or best - correct < 0.01:
            return None
        # Mistakes that give the same values on this input (on silence, the power and a
        # missing 1e-9 both give the floor) are all named.
        found = list(dict.fromkeys(MISTAKE_HINTS[name] for name, score in zip(names, scores)
                                   if score >= best - 0.005))
        if len(found) == 1:
            return MISTAKES[found[0]]
        return "one of these (they give the same values on this input): " + " OR ".join(
            MISTAKES[key] for key in found)
    return hint


def _scale_hint(got: np.ndarray, expected: np.ndarray) -> str | None:
    """Mistakes told by how the values scale, when no single known mistake matched."""
    if got.shape != expected.shape:
        return None
    got = got.astype(np.float64)
    if _is_log10(got, expected):
        return MISTAKES["log10"]
    both = (expected > FLOOR + 0.5) & (got > FLOOR + 0.5) & np.isfinite(got)
    if both.sum() >= 10 and np.ptp(expected[both]) > 1:
        slope, _ = np.polyfit(expected[both], got[both], 1)
        if 1.7 <= slope <= 2.3:
            return MISTAKES["power"]
        if 0.75 <= slope <= 1.0 and got.min() >= math.log10(1e-5) - 1e-3:
            return f"{MISTAKES['power']} And {MISTAKES['log10']}"   # 2 / ln(10) = 0.87
    return None


# ------------------------------------------------------------------ too short

def check_too_short(call, case: dict, audio_shape: tuple) -> None:
    """``call()`` must raise a ValueError: the audio is too short to pad."""
    from ...engine.client import StudentCodeError
    what = mel_call_text(case, audio_shape)
    pad = (case["params"]["n_fft"] - case["params"]["hop_size"]) // 2
    why = (f"{audio_shape[-1]} samples cannot be reflect-padded by (n_fft - hop_size) // 2 = {pad} (the "
           f"minimum is {case['minimum']} samples)")
    try:
        value = call()
    except StudentCodeError as error:
        if error.kind != "exception":
            raise
        if error.exception != "ValueError":
            fail(f"{what} should raise a ValueError ({why}); it raised {error.exception}: "
                 f"{error.detail or error.message}\nCheck the length first and raise ValueError yourself: "
                 f"the spec asks for a ValueError, not whatever torch raises.")
        return
    fail(f"{what} should raise a ValueError ({why}); it returned {describe(value)}.")


# ------------------------------------------------------------------ vocode

def generator_arg(config: bytes, weights: bytes) -> Ext:
    """A HiFi-GAN generator as an argument: student code receives a
    ``musicrep.hifigan.HifiGanGenerator`` (eval mode, on the CPU)."""
    return Ext("hifigan", {}, [bytes(config), bytes(weights)])


def show_mel(artifacts, expected: np.ndarray, got: object) -> None:
    """Expected and returned log-mel spectrograms and their difference (first item of a batch)."""
    if isinstance(got, Tensor) and got.array.dtype.kind == "f" and got.array.shape == expected.shape:
        first = (lambda a: a[0] if a.ndim == 3 else a)
        artifacts.heatmaps("log-mel spectrogram (mels x frames)", expected=first(expected),
                           yours=first(got.array), difference=first(got.array) - first(expected))


def show_vocoded(artifacts, expected: np.ndarray, got: object, rate: int) -> None:
    """Players for the expected and returned waveforms (first item of a batch)."""
    artifacts.audio("vocoded: expected", expected[0], rate)
    if isinstance(got, Tensor) and got.array.dtype.kind == "f" and got.array.ndim == 2:
        artifacts.audio("vocoded: yours", got.array[0], rate)


def check_vocode(value: object, expected: np.ndarray, mel_shape: tuple) -> None:
    """Fail unless ``value`` is the expected waveforms ``[B, frames * hop_size]``."""
    what = f"vocode(generator, <mel of shape {list(mel_shape)}>)"
    got = expect_tensor(value, what, kind="f")

    def shape_hint(got: np.ndarray, expected: np.ndarray) -> str | None:
        if got.ndim == 3 and got.shape[1] == 1 and got.shape[::2] == expected.shape:
            return ("the channel dimension is still there: the generator returns [B, 1, samples]; vocode "
                    "returns [B, samples] (squeeze(1), not removing the channel dimension).")
        if got.ndim == 1 and expected.shape[0] == 1 and got.shape[0] == expected.shape[1]:
            return ("the batch dimension is gone: squeeze() also drops a batch of one; squeeze(1) drops "
                    "only the channel dimension.")
        if got.ndim == 2 and got.shape[0] == expected.shape[0]:
            return f"samples = frames * hop_size = {expected.shape[1]} per clip."
        return None

    assert_close(got, expected, "the waveforms", rtol=1e-4, atol=1e-5, hints=[shape_hint])


def check_no_grad(value: object, mel_shape: tuple) -> None:
    """The waveform carries no autograd history."""
    what = f"vocode(generator, <mel of shape {list(mel_shape)}, requires_grad=True>)"
    if not isinstance(value, Tensor):
        fail(f"{what} should return a torch.Tensor; got {describe(value)}.")
    if value.requires_grad:
        fail(f"{what} returned a tensor with requires_grad=True: it keeps the autograd graph and every "
             f"activation of the generator. Run the generator inside `with torch.no_grad():` "
             f"(no gradients kept; without no_grad the graph is built).")


# ------------------------------------------------------------------ the checks, run
# (public and hidden graders are the same checks on different fixture sets)

def run_mel(student, fixture_set, case: dict, artifacts=None) -> None:
    audio = fixture_set.read_array(case["audio"])
    expected = fixture_set.read_array(case["expected"])
    got = student.call("mel_spectrogram", Tensor(audio), *parameters(case))
    mistakes = fixture_set.read_array(case["mistake_outputs"]) if "mistake_outputs" in case else None
    if artifacts is not None:
        show_mel(artifacts, expected, got)
    check_mel(got, case, audio.shape, expected, fixture_set.read_array(case["librosa"]), mistakes)


def run_too_short(student, fixture_set, case: dict) -> None:
    audio = fixture_set.read_array(case["audio"])
    check_too_short(lambda: student.call("mel_spectrogram", Tensor(audio), *parameters(case)), case, audio.shape)


def _generator(fixture_set, case: dict) -> Ext:
    config, weights = case["checkpoint"]
    return generator_arg(fixture_set.read_bytes(config), fixture_set.read_bytes(weights))


def run_vocode(student, fixture_set, case: dict, artifacts=None) -> None:
    mel = fixture_set.read_array(case["mel"])
    expected = fixture_set.read_array(case["expected"])
    got = student.call("vocode", _generator(fixture_set, case), Tensor(mel))
    if artifacts is not None:
        rate = json.loads(fixture_set.read_bytes(case["checkpoint"][0]))["sampling_rate"]
        show_vocoded(artifacts, expected, got, rate)
    check_vocode(got, expected, mel.shape)


def run_no_grad(student, fixture_set, case: dict) -> None:
    mel = fixture_set.read_array(case["mel"])
    check_no_grad(student.call("vocode", _generator(fixture_set, case), Tensor(mel, requires_grad=True)), mel.shape)
