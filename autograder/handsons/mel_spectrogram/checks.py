"""Hands-on 3's checks: each untrusted returned value judged, with the classic mistake named when it is one.

``check_<what>`` fails with a message for the student; the hints (``_..._hint``) name the likely mistake.
No sandbox calls here (those are ``runs.py``'s; ``check_too_short`` is handed its call).

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
classic mistake is far outside it on the cases that exercise it. The recipe
uses the same tolerance (``mel_tolerance``, ``fraction_close``, ``probe_frames``).

Feedback: a failing answer's shape, floor and scale are looked at first
(``center=True`` adds frames, ``log10`` divides by 2.3, values below log(1e-5)
mean a missing floor...); then it is compared with what each classic mistake
returns on a few probe frames of the same input (the fixtures hold those
outputs, made by the recipe), and the mistake it matches is named.

No points for properties alone: the dtype of the result, ``requires_grad``, a
waveform without autograd history and the too-short ``ValueError`` are checked
only after the values are right (the refusal: after the right mel at exactly
the minimum length).
"""
from __future__ import annotations

import math

import numpy as np

from ...engine.compare import assert_close, describe, expect_tensor, fail
from ...engine.display import student_words
from ...engine.errors import expect_value_error, mentions, missing_numbers
from .grading import MISTAKES

FLOOR = math.log(1e-5)
RTOL, ATOL, FRAME_RTOL = 1e-3, 1e-6, 1e-7
MISTAKE_SHOWS = 0.02      # a mistake "shows" on a case when it moves >= 2% of the probe values out of tolerance
MATCH = 0.98              # an answer "is" a mistake when >= 98% of its probe values are within tolerance of it

# The mistakes the recipe computes (recipe.MISTAKES) -> what the student is told.
MISTAKE_HINTS = {
    "zero_padding": "zero_padding", "padding_left_only": "shifted", "padding_right_only": "shifted",
    "power": "power", "log10": "log10", "htk": "htk", "htk_no_norm": "htk", "no_norm": "no_norm",
    "window_n_fft": "window_n_fft", "no_window": "no_window", "symmetric_window": "symmetric_window",
    "no_epsilon": "no_epsilon", "normalized_stft": "normalized_stft", "fmax_none_8000": "fmax_none_8000",
}
PARAMETER_ORDER = ("n_fft", "num_mels", "sampling_rate", "hop_size", "win_size", "fmin", "fmax")


def parameters(case: dict) -> tuple:
    """The case's parameters, in the order of mel_spectrogram's arguments."""
    return tuple(case["params"][name] for name in PARAMETER_ORDER)


def mel_call_text(case: dict, shape: tuple, dtype: str = "float32", requires_grad: bool = False) -> str:
    arguments = ", ".join(f"{name}={case['params'][name]!r}" for name in PARAMETER_ORDER)
    kind = "" if dtype == "float32" else f"{dtype} "
    grad = ", requires_grad=True" if requires_grad else ""
    return f"mel_spectrogram(<{kind}audio of shape {list(shape)}{grad}>, {arguments})"


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

def check_mel(value: object, case: dict, audio: np.ndarray, expected: np.ndarray, independent: np.ndarray,
              mistakes: np.ndarray | None) -> None:
    """Fail with an explanation unless ``value`` is the expected log-mel spectrogram of ``audio``, with
    the dtype of ``audio`` and, when the case sends it with ``requires_grad``, differentiable. Those
    two properties are checked only once the values are right: they earn nothing on their own."""
    requires_grad = bool(case.get("requires_grad"))
    what = mel_call_text(case, audio.shape, audio.dtype.name, requires_grad)
    got = expect_tensor(value, what, kind="f")
    hints = [_shape_hint(case, audio.shape), _floor_hint, _mistake_hint(case, mistakes), _scale_hint]
    if got.shape == expected.shape:
        bad = ~np.isfinite(got)
        if bad.any():
            index = tuple(int(i) for i in np.argwhere(bad)[0])
            message = (f"{what} holds {int(bad.sum())} NaN/inf value(s) (the first at index {index}: "
                       f"{got[index]}); every value should be finite, never below log(1e-5).")
            if np.isneginf(got).any():
                message += f"\nLikely cause: {MISTAKES['minus_infinity']}"
            fail(message)
    assert_close(got, expected, f"{what}: the log-mel spectrogram", rtol=0, atol=mel_tolerance(expected),
                 hints=hints)
    assert_close(got, independent, f"{what}: the log-mel spectrogram (compared with an independent librosa "
                 "computation of the same formula)", rtol=0, atol=mel_tolerance(independent), hints=hints)
    wanted = f"torch.{audio.dtype.name}"
    if value.dtype != wanted:
        why = MISTAKES["float32_result"] if wanted == "torch.float64" else MISTAKES["float64_result"]
        fail(f"{what} returned the right values as {value.dtype}; the result has the dtype of the audio, "
             f"{wanted}.\nLikely cause: {why}")
    if requires_grad and not value.requires_grad:
        fail(f"{what} returned the right values, but with requires_grad=False: the result must be "
             f"differentiable with respect to the audio (autograd must reach it from the audio).\n"
             f"Likely cause: {MISTAKES['not_differentiable']}")
    if requires_grad and not value.from_args:   # observed in the worker: its autograd graph, not a flag
        fail(f"{what} returned the right values with requires_grad=True, but its autograd graph does not "
             f"reach the audio: the result is not differentiable with respect to it (a new tensor marked "
             f"requires_grad_() afterwards is not).\nLikely cause: {MISTAKES['not_differentiable']}")


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
            return MISTAKES["batch_dropped"]
        if got.ndim == 3 and got.shape == (expected.shape[0], expected.shape[2], expected.shape[1]):
            return MISTAKES["axes_swapped"]
        if got.ndim != 3:
            return MISTAKES["not_3d"].format(shape=list(expected.shape))
        if got.shape[0] != batch:
            return MISTAKES["batch_count"].format(batch=batch)
        if got.shape[1] != num_mels:
            return MISTAKES["num_mels"].format(num_mels=num_mels)
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
        return MISTAKES["frame_count"].format(pad=pad, frames=expected.shape[2], length=length)
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
            return MISTAKES["floor_value"].format(value=f"{values[0]:.4g}", exp=f"{math.exp(values[0]):.3g}")
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
    """``call()`` must raise a ValueError whose message gives the minimum length: the audio is too
    short to pad and frame."""
    what = mel_call_text(case, audio_shape)
    n_fft, hop_size = case["params"]["n_fft"], case["params"]["hop_size"]
    pad, minimum, length = (n_fft - hop_size) // 2, case["minimum"], audio_shape[-1]
    why = (f"{length} samples are too few: the minimum is max(pad + 1, n_fft - 2 * pad) = max({pad + 1}, "
           f"{n_fft - 2 * pad}) = {minimum} samples, with pad = (n_fft - hop_size) // 2 = {pad}")

    def other(error) -> str:
        hint = ("Check the length first and raise ValueError yourself: the spec asks for a ValueError, not "
                "whatever torch raises.")
        total = int(np.prod(audio_shape))
        if mentions(error.detail or "", minimum):   # a length check of its own, wrong type
            hint += f"\nLikely cause: {MISTAKES['wrong_exception'].format(exception=error.exception)}"
        elif len(audio_shape) == 2 and audio_shape[0] > 1 and total >= minimum:
            hint += "\nLikely cause: " + MISTAKES["batch_length"].format(clips=audio_shape[0], total=total,
                                                                        length=length)
        elif length > pad:   # the reflection works: the frame is what is missing
            hint += f"\nLikely cause: {MISTAKES['frame_not_checked'].format(minimum=n_fft - 2 * pad)}"
        elif length == minimum - 1:
            hint += f"\nLikely cause: {MISTAKES['short_off_by_one'].format(short=minimum - 1, pad=pad)}"
        return (f"{what} should raise a ValueError ({why}); it raised {error.exception}."
                f"{student_words(' Its message', error.detail) if error.detail else error.message}\n{hint}")

    error = expect_value_error(call, lambda value: f"{what} should raise a ValueError ({why}); it returned "
                                                   f"{describe(value)}.\nLikely cause: {MISTAKES['too_short_accepted']}",
                               other)
    if missing_numbers(error.detail, [minimum]):
        fail(f"{what} raised ValueError: right, but the message should give the minimum "
             f"length, {minimum} samples (the docstring: \"whose message gives that minimum\"), so that "
             f"whoever calls it knows how much audio is needed.\nLikely cause: "
             f"{MISTAKES['minimum_not_in_message']}" + student_words("\nIts message", error.detail))


# ------------------------------------------------------------------ vocode

def vocode_call_text(mel: np.ndarray, requires_grad: bool = False) -> str:
    kind = "" if mel.dtype == np.float32 else f"{mel.dtype.name} "
    grad = ", requires_grad=True" if requires_grad else ""
    return f"vocode(generator, <{kind}mel of shape {list(mel.shape)}{grad}>)"


def check_vocode(value: object, expected: np.ndarray, mel: np.ndarray, requires_grad: bool = False) -> None:
    """Fail unless ``value`` is the expected waveforms ``[B, frames * hop_size]``, in the generator's
    dtype (float32: the mel is converted to it, the generator is not converted to the mel's), and,
    for a mel sent with ``requires_grad`` (the no-gradient check), without autograd history. The
    dtype and the history are checked only once the values are right."""
    what = vocode_call_text(mel, requires_grad)
    got = expect_tensor(value, what, kind="f")

    def shape_hint(got: np.ndarray, expected: np.ndarray) -> str | None:
        if got.ndim == 3 and got.shape[1] == 1 and got.shape[::2] == expected.shape:
            return MISTAKES["vocode_channel"]
        if got.ndim == 1 and expected.shape[0] == 1 and got.shape[0] == expected.shape[1]:
            return MISTAKES["vocode_batch_dropped"]
        if got.ndim == 2 and got.shape[0] == expected.shape[0]:
            return MISTAKES["vocode_samples"].format(samples=expected.shape[1])
        return None

    assert_close(got, expected, f"{what}: the result", rtol=1e-4, atol=1e-5, hints=[shape_hint])
    if value.dtype != "torch.float32":
        fail(f"{what} returned the right waveforms as {value.dtype}; the generator's weights are float32, so "
             f"the waveforms are too.\nLikely cause: {MISTAKES['generator_changed']}")
    if requires_grad and value.requires_grad:
        fail(f"{what} returned the right waveforms, but with requires_grad=True: they keep the autograd graph "
             f"and every activation of the generator. Run the generator inside `with torch.no_grad():` "
             f"(no gradients kept; without no_grad the graph is built).")
