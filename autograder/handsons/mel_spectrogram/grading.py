"""Grader-side checks for Hands-on 3, shared by the public and hidden graders (numpy, no torch).

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

No points for properties alone: the dtype of the result, ``requires_grad``, a
waveform without autograd history and the too-short ``ValueError`` are checked
only after the values are right (the refusal: after the right mel at exactly
the minimum length). Two ``vocode`` checks hand an instrumented generator
(codec.py) whose forward pass checks that gradients are off (``torch.no_grad()``:
a ``.detach()`` afterwards does not stop the graph being built) or that it runs
in the train mode it was handed in; the waveforms must be right as well.

State: a worker serves several checks one after the other. ``run_state`` makes
a sequence of calls in one fresh worker; any other failing check is run again
in a fresh worker (``checked``), and when it is right there the feedback says
that state kept between calls is the cause.
"""
from __future__ import annotations

import json
import math
import re

import numpy as np

from ...engine.compare import assert_close, describe, expect_tensor, fail
from ...engine.diagnoses import Diagnosis
from ...engine.display import student_words
from ...engine.errors import expect_value_error, mentions, missing_numbers
from ...engine.reruns import failure_of, message_of, passes_alone
from ...engine.rules import Rule
from ...worker.wire import Ext, Tensor

# Every rule the stub's docstrings state, quoted from them. The cases that exercise each are named
# by the recipe (``rules`` of a case: ``recipe.mel_rules`` and the too-short and vocode cases) or by
# a test's ``rules`` marker; RULES.md is the table.
RULES = {
    # mel_spectrogram: the input
    "batch": Rule("mel_spectrogram", "``audio`` is ``[B, T]`` (``B`` clips of ``T`` samples each)"),
    "one-clip": Rule("mel_spectrogram", "or ``[T]`` (one clip, treated as ``[1, T]``: the result is then "
                                        "``[1, num_mels, frames]``)"),
    "float64-input": Rule("mel_spectrogram", "Samples are float32 or float64"),
    # the computation, step by step
    "reflect-padding": Rule("mel_spectrogram", "Pad every clip on both sides with ``pad = (n_fft - hop_size) // 2`` "
                            "samples in ``\"reflect\"`` mode (``torch.nn.functional.pad``: the clip mirrored "
                            "around its first and last sample, which are not repeated)."),
    "odd-padding": Rule("mel_spectrogram", "``pad = (n_fft - hop_size) // 2``"),
    "stft": Rule("mel_spectrogram", "``torch.stft`` of the padded clips with ``n_fft``, "
                 "``hop_length=hop_size``, ``win_length=win_size``,"),
    "stft-options": Rule("mel_spectrogram", "``center=False`` (no further padding), one-sided, not normalized, "
                         "``return_complex=True``"),
    "hann-window": Rule("mel_spectrogram", "``window=torch.hann_window(win_size)`` (periodic Hann;"),
    "window-centred": Rule("mel_spectrogram", "torch.stft centres it in ``n_fft`` with zeros when "
                                              "``win_size < n_fft``)"),
    "frames": Rule("mel_spectrogram", "``[B, n_fft // 2 + 1, frames]`` with "
                   "``frames = 1 + (T + 2 * pad - n_fft) // hop_size``"),
    "magnitude": Rule("mel_spectrogram", "Magnitude ``sqrt(re**2 + im**2 + 1e-9)``"),
    "epsilon": Rule("mel_spectrogram", "the ``1e-9`` is inside the square root, so silence gives "
                                       "``sqrt(1e-9) = 3.16e-5``, not 0."),
    "filterbank": Rule("mel_spectrogram", "Mel filterbank: ``librosa.filters.mel(sr=sampling_rate, n_fft=n_fft, "
                       "n_mels=num_mels, fmin=fmin, fmax=fmax)``, librosa's defaults otherwise (Slaney mel scale "
                       "and area normalization, float32;"),
    "fmax-none": Rule("mel_spectrogram", "``fmax=None`` means ``sampling_rate / 2``"),
    "natural-log": Rule("mel_spectrogram", "``log(clamp(mel, min=1e-5))``: natural log"),
    "log-floor": Rule("mel_spectrogram", "never below ``log(1e-5) = -11.51``."),
    # the result
    "result-dtype": Rule("mel_spectrogram", "The result has the dtype and the device of ``audio``"),
    "differentiable": Rule("mel_spectrogram", "it is differentiable with respect to ``audio``."),
    # too short
    "too-short-reflection": Rule("mel_spectrogram", "the reflection needs more samples than it pads (``T > pad``)"),
    "too-short-frame": Rule("mel_spectrogram", "the padded clip must hold one whole frame "
                                               "(``T + 2 * pad >= n_fft``)"),
    "minimum-length": Rule("mel_spectrogram", "So ``T`` must be at least ``max(pad + 1, n_fft - 2 * pad)`` samples"),
    "too-short-message": Rule("mel_spectrogram", "or ``ValueError`` (whose message gives that minimum)."),
    "hifigan-minimum": Rule("mel_spectrogram", "With HiFi-GAN's parameters (``n_fft=1024``, ``hop_size=256``: "
                            "``pad = 384``) that is 385 samples, which give 1 frame."),
    "too-short-valueerror": Rule("mel_spectrogram", "Raise it yourself, before padding: "
                                 "``torch.nn.functional.pad`` would raise a RuntimeError."),
    # vocode
    "vocode-generator": Rule("vocode", "Calls ``generator(mel)``"),
    "vocode-no-grad": Rule("vocode", "without gradients (inside ``torch.no_grad()``, so the result has no "
                                     "autograd history and no activations are kept)"),
    "vocode-shape": Rule("vocode", "drops the channel dimension: the generator returns ``[B, 1, samples]``, "
                                   "this function ``[B, samples]``"),
    "vocode-samples": Rule("vocode", "where ``samples = frames * hop_size`` and ``hop_size`` is the generator's"),
    "vocode-dtype": Rule("vocode", "It is converted to the dtype and the device of the generator's weights first "
                                   "(so float64 mels work with a float32 generator)."),
    "vocode-mode": Rule("vocode", "The generator is used as it is: its train/eval mode"),
    "vocode-unchanged": Rule("vocode", "and its weights are not changed."),
}

FLOOR = math.log(1e-5)
RTOL, ATOL, FRAME_RTOL = 1e-3, 1e-6, 1e-7
MISTAKE_SHOWS = 0.02      # a mistake "shows" on a case when it moves >= 2% of the probe values out of tolerance
MATCH = 0.98              # an answer "is" a mistake when >= 98% of its probe values are within tolerance of it

MISTAKES = {
    "center": Diagnosis("mel_spectrogram/center-true",
        "torch.stft(..., center=True) pads the clip again (n_fft // 2 samples on each side), which "
        "adds frames: after the reflect padding call it with center=False (center=True used)."),
    "no_padding": Diagnosis("mel_spectrogram/no-padding",
        "the clip was not padded: pad it with (n_fft - hop_size) // 2 samples on both sides, "
        "mode=\"reflect\", before the STFT (no reflect padding)."),
    "one_side": Diagnosis("mel_spectrogram/one-side",
        "the clip was padded on one side only: pad (n_fft - hop_size) // 2 samples on BOTH sides "
        "(padding on one side)."),
    "shifted": Diagnosis("mel_spectrogram/shifted",
        "the frames are shifted in time by (n_fft - hop_size) // 2 samples: the clip looks padded on "
        "one side only, by twice the amount; pad (n_fft - hop_size) // 2 samples on both sides "
        "(padding on one side)."),
    "zero_padding": Diagnosis("mel_spectrogram/zero-padding",
        "only the first and last frames differ: the padding must mirror the clip "
        "(mode=\"reflect\"), not add zeros or repeat the edge (no reflect padding)."),
    "power": Diagnosis("mel_spectrogram/power",
        "the mel filterbank must multiply the magnitude sqrt(re^2 + im^2 + 1e-9), not the power "
        "re^2 + im^2; in log units the power's values are about twice the magnitude's "
        "(power instead of magnitude)."),
    "log10": Diagnosis("mel_spectrogram/log10",
        "the values are the expected ones divided by ln(10) = 2.303: the natural log (torch.log) is "
        "wanted, not log10 (log10 instead of the natural log)."),
    "htk": Diagnosis("mel_spectrogram/htk",
        "the mel bands sit at other frequencies or have other heights: use librosa.filters.mel with its "
        "defaults (Slaney mel scale, htk=False, norm=\"slaney\"), as HiFi-GAN does (HTK filterbank)."),
    "no_norm": Diagnosis("mel_spectrogram/no-norm",
        "the filterbank is not area-normalized: librosa.filters.mel's default norm=\"slaney\" is "
        "wanted, not norm=None (filterbank without Slaney normalization)."),
    "window_n_fft": Diagnosis("mel_spectrogram/window-n-fft",
        "the window looks n_fft samples long: use torch.hann_window(win_size) and "
        "win_length=win_size; torch.stft centres it in n_fft with zeros "
        "(window of n_fft instead of win_size)."),
    "no_window": Diagnosis("mel_spectrogram/no-window",
        "no window (a rectangular one): use window=torch.hann_window(win_size) (no Hann window)."),
    "symmetric_window": Diagnosis("mel_spectrogram/symmetric-window",
        "the Hann window looks symmetric (np.hanning, scipy's sym=True, periodic=False): use "
        "the periodic torch.hann_window(win_size) (symmetric Hann window)."),
    "no_epsilon": Diagnosis("mel_spectrogram/no-epsilon",
        "the 1e-9 goes inside the square root, sqrt(re^2 + im^2 + 1e-9): with these parameters "
        "silence then lies above the floor (1e-9 missing or outside the square root)."),
    "normalized_stft": Diagnosis("mel_spectrogram/normalized-stft",
        "torch.stft(..., normalized=True) divides by sqrt(n_fft): use normalized=False "
        "(normalized STFT)."),
    "below_floor": Diagnosis("mel_spectrogram/below-floor",
        "values below log(1e-5) = -11.513: the floor is missing or too low; it is "
        "log(clamp(mel, min=1e-5)) (wrong floor)."),
    "minus_infinity": Diagnosis("mel_spectrogram/minus-infinity",
        "-inf means the log of 0: the floor, log(clamp(mel, min=1e-5)), is missing "
        "(wrong floor)."),
    "clamp_after_log": Diagnosis("mel_spectrogram/clamp-after-log",
        "the clamp must come before the log, log(clamp(mel, min=1e-5)), not after it "
        "(wrong floor: clamp after the log)."),
    "fmax_none_8000": Diagnosis("mel_spectrogram/fmax-none-8000",
        "the filterbank stops at 8000 Hz: fmax=None means sampling_rate / 2, librosa's own "
        "default, not 8000 (fmax=None taken as 8000)."),
    "fmax_none_crash": Diagnosis("mel_spectrogram/fmax-none-crash",
        "fmax=None is allowed: it means sampling_rate / 2, and librosa.filters.mel takes it as it "
        "is (fmax=None not handled)."),
    "float32_result": Diagnosis("mel_spectrogram/float32-result",
        "the filterbank or the window is float32 (librosa's filterbank is, and so is "
        "torch.hann_window by default) and the result was cast to it, or the audio was: build "
        "them in the audio's dtype, e.g. torch.from_numpy(basis).to(audio.dtype) "
        "(result not in the audio's dtype)."),
    "float64_result": Diagnosis("mel_spectrogram/float64-result",
        "a float64 computation (numpy's default) was returned as it is: the result has the "
        "audio's dtype (result not in the audio's dtype)."),
    "float64_mismatch": Diagnosis("mel_spectrogram/float64-mismatch",
        "the audio is float64 and the filterbank or the window float32: torch does not mix "
        "them; build them in the audio's dtype, e.g. torch.from_numpy(basis).to(audio.dtype) "
        "(result not in the audio's dtype)."),
    "not_differentiable": Diagnosis("mel_spectrogram/not-differentiable",
        "torch.no_grad(), .detach(), a new tensor (torch.tensor(...)) or a detour through "
        "numpy cuts the autograd graph; compute with torch operations from the audio to the "
        "log (not differentiable)."),
    "through_numpy": Diagnosis("mel_spectrogram/through-numpy",
        "the audio requires gradients, so .numpy() refuses it: compute with torch operations "
        "(torch.stft, torch.matmul...), not through numpy, so that the result stays differentiable "
        "(not differentiable)."),
    "wrong_exception": Diagnosis("mel_spectrogram/wrong-exception",
        "the length is checked right, but the error raised is {exception}: raise ValueError (wrong exception type)."),
    "batch_length": Diagnosis("mel_spectrogram/batch-length",
        "the length checked is that of the whole batch ({clips} clips: {total} samples, audio.numel() or "
        "len(audio.flatten())), not that of each clip, audio.shape[-1] = {length} (batch length checked instead "
        "of the clip's)."),
    "frame_not_checked": Diagnosis("mel_spectrogram/frame-not-checked",
        "checking only that the reflection works (T > pad) is not enough: one frame needs T + 2 * pad >= n_fft, "
        "so here the minimum is n_fft - 2 * pad = {minimum} (minimum length: frame not checked)."),
    "short_off_by_one": Diagnosis("mel_spectrogram/short-off-by-one",
        "the length check is off by one: {short} samples is one fewer than the minimum, T must be > pad = {pad} "
        "(minimum length off by one)."),
    "minimum_not_in_message": Diagnosis("mel_spectrogram/minimum-not-in-message",
        "the message does not give the minimum (ValueError without the minimum)."),
    "too_short_accepted": Diagnosis("mel_spectrogram/too-short-accepted",
        "the length is not checked, or against a smaller minimum (too short not refused)."),
    "minimum_refused": Diagnosis("mel_spectrogram/minimum-refused",
        "the length check is off by one (<= instead of <), or its minimum is too large (n_fft samples, "
        "forgetting the 2 * pad of padding) (minimum length refused)."),
    "generator_changed": Diagnosis("mel_spectrogram/generator-changed",
        "the generator was converted to the mel's dtype (generator.double(), generator.to(mel.dtype)), which "
        "changes the caller's model: convert the mel to the generator's dtype instead, "
        "mel.to(next(generator.parameters()).dtype) (generator changed)."),
    "mel_not_converted": Diagnosis("mel_spectrogram/mel-not-converted",
        "the float64 mel was not converted to the generator's dtype first: "
        "mel.to(next(generator.parameters()).dtype) (mel not converted to the generator's dtype)."),
    "grad_off_globally": Diagnosis("mel_spectrogram/grad-off-globally",
        "an earlier vocode call turned gradients off for good (torch.set_grad_enabled(False)) instead "
        "of for the generator's call only (with torch.no_grad():) (gradients turned off globally)"),
    "batch_dropped": Diagnosis("mel_spectrogram/batch-dropped",
        "1-D audio [T] is one clip: the result is [1, num_mels, frames], with its batch dimension."),
    "axes_swapped": Diagnosis("mel_spectrogram/axes-swapped",
        "the axes are swapped: the result is [B, num_mels, frames], not [B, frames, num_mels]."),
    "not_3d": Diagnosis("mel_spectrogram/not-3d", "the result is 3-D, [B, num_mels, frames] = {shape}."),
    "batch_count": Diagnosis("mel_spectrogram/batch-count",
        "one spectrogram per clip: the batch holds {batch} clip(s)."),
    "num_mels": Diagnosis("mel_spectrogram/num-mels",
        "num_mels={num_mels} bands are asked for: the filterbank is [num_mels, n_fft // 2 + 1]."),
    "frame_count": Diagnosis("mel_spectrogram/frame-count",
        "with pad = (n_fft - hop_size) // 2 = {pad} on both sides and center=False there are "
        "1 + (T + 2 * pad - n_fft) // hop_size = {frames} frames for T = {length}."),
    "floor_value": Diagnosis("mel_spectrogram/floor-value",
        "where the expected values are at the floor log(1e-5) = -11.513, yours are all {value} = log({exp}): "
        "the floor is clamp(mel, min=1e-5) before the natural log (wrong floor)."),
    "vocode_channel": Diagnosis("mel_spectrogram/vocode-channel",
        "the channel dimension is still there: the generator returns [B, 1, samples]; vocode "
        "returns [B, samples] (squeeze(1), not removing the channel dimension)."),
    "vocode_batch_dropped": Diagnosis("mel_spectrogram/vocode-batch-dropped",
        "the batch dimension is gone: squeeze() also drops a batch of one; squeeze(1) drops "
        "only the channel dimension."),
    "vocode_samples": Diagnosis("mel_spectrogram/vocode-samples", "samples = frames * hop_size = {samples} per clip."),
}
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


def run_too_short(student, fixture_set, case: dict) -> None:
    checked(student, lambda: _too_short(student, fixture_set, case))


def _too_short(student, fixture_set, case: dict) -> None:
    """Audio of exactly the minimum length must be accepted with the right mel, and the shorter clip
    refused: the refusal scores only with the right answer at the minimum (a function that refuses
    everything earns nothing)."""
    from ...engine.client import StudentCodeError
    accepted, minimum = case["accepted"], case["minimum"]
    audio = fixture_set.read_array(accepted["audio"])
    n_fft, hop_size = case["params"]["n_fft"], case["params"]["hop_size"]
    pad = (n_fft - hop_size) // 2
    try:
        got = student.call("mel_spectrogram", Tensor(audio), *parameters(case))
    except StudentCodeError as error:
        if error.kind == "exception" and error.exception == "ValueError":
            fail(f"{mel_call_text(case, audio.shape)} raised ValueError.{student_words(' Its message', error.detail)}"
                 f"\nBut {minimum} samples is "
                 f"exactly the minimum, max(pad + 1, n_fft - 2 * pad) = max({pad + 1}, {n_fft - 2 * pad}) with "
                 f"pad = (n_fft - hop_size) // 2 = {pad}: it must be accepted (it gives "
                 f"{1 + (minimum + 2 * pad - n_fft) // hop_size} frame).\nLikely cause: {MISTAKES['minimum_refused']}")
        raise
    check_mel(got, accepted, audio, fixture_set.read_array(accepted["expected"]),
              fixture_set.read_array(accepted["librosa"]), _mistake_outputs(fixture_set, accepted))
    short = fixture_set.read_array(case["audio"])
    check_too_short(lambda: student.call("mel_spectrogram", Tensor(short), *parameters(case)), case, short.shape)


# ------------------------------------------------------------------ vocode

def generator_arg(config: bytes, weights: bytes, train: bool = False, watch: tuple[str, ...] = ()) -> Ext:
    """A HiFi-GAN generator as an argument: student code receives a
    ``musicrep.hifigan.HifiGanGenerator`` on the CPU, in eval mode (``train``: in train mode). Its
    forward pass checks what ``watch`` names (see codec.py): ``"no_grad"``, that gradients are off;
    ``"mode"``, that it runs in the mode it was handed in."""
    meta = {"train": True} if train else {}
    if watch:
        meta["watch"] = list(watch)
    return Ext("hifigan", meta, [bytes(config), bytes(weights)])


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


WATCHED = {
    "no_grad": "the generator's forward pass ran with gradients enabled, so torch built the autograd graph and "
               "kept every activation of the generator, even if the result was .detach()ed afterwards. Call it "
               "inside `with torch.no_grad():` (the docstring: \"inside torch.no_grad()\")",
    "mode": "the generator was handed to vocode in train mode and ran in eval mode: vocode changed the caller's "
            "model. The docstring: \"The generator is used as it is: its train/eval mode and its weights are not "
            "changed.\" Do not call generator.eval() (or .train()) in vocode",
}
WATCHED_CAUSE = {
    "no_grad": Diagnosis("mel_spectrogram/no-grad",
        "gradients on during the generator's call: no gradients kept means torch.no_grad() "
        "around it (.detach() afterwards is too late)"),
    "mode": Diagnosis("mel_spectrogram/mode",
        "generator.eval() called in vocode (the caller's train/eval mode changed)"),
}


def _call_vocode(student, fixture_set, case: dict, mel: np.ndarray, requires_grad: bool = False,
                 train: bool = False, watch: tuple[str, ...] = ()):
    from ...engine.client import StudentCodeError
    from .codec import WATCH_MARK
    try:
        return student.call("vocode", _generator(fixture_set, case, train, watch),
                            Tensor(mel, requires_grad=requires_grad))
    except StudentCodeError as error:
        if error.kind == "exception" and WATCH_MARK in error.detail:
            name = error.detail.split(WATCH_MARK, 1)[1].split(":", 1)[0].strip()
            if name in watch:
                fail(f"{vocode_call_text(mel, requires_grad)}: {WATCHED[name]}.\nThe generator of this "
                     f"check is the reference's, instrumented: its forward pass stopped the call "
                     f"({WATCH_MARK} {name}).\nLikely cause: {WATCHED_CAUSE[name]}.")
        if (error.kind == "exception" and mel.dtype == np.float64
                and re.search(r"double|float64", error.detail, re.IGNORECASE)):
            fail(f"{error}\nLikely cause: {MISTAKES['mel_not_converted']}")
        raise


# ------------------------------------------------------------------ the checks, run
# (public and hidden graders are the same checks on different fixture sets)

STATE_CAUSE = Diagnosis("mel_spectrogram/state",
    "a filterbank or window cached under a key that leaves out a parameter it depends on, or a global "
    "an earlier call changed: key a cache on every parameter the cached value depends on "
    "(sampling_rate, n_fft, num_mels, fmin, fmax, win_size, and the dtype and device) "
    "(cache keyed without every parameter)")


RERUNS_AFTER_FAILURES_ALONE = 3   # a submission whose failures failed alone this often: they are its own


def checked(student, check) -> None:
    """Run ``check()``. Workers serve several checks one after the other, so an answer may depend on
    earlier calls; when ``check()`` fails, it runs again in a fresh worker (``engine/reruns.py``), and if it
    passes there the verdict stands (that answer was wrong) but the feedback says the cause is state kept
    between calls."""
    failure = failure_of(check)
    if failure is None:
        return
    message = message_of(failure)
    if not passes_alone(student, check, give_up_after=RERUNS_AFTER_FAILURES_ALONE):
        fail(message)
    fail(f"{message.split(chr(10) + 'Likely cause:')[0]}\nThe same call in a fresh worker gives the right "
         f"answer: here it came after calls with other parameters, and your code keeps state from one call to "
         f"the next that changes the answer (test_state_across_calls shows it step by step).\nLikely cause: "
         f"{STATE_CAUSE}.")


def _mistake_outputs(fixture_set, case: dict) -> np.ndarray | None:
    return fixture_set.read_array(case["mistake_outputs"]) if "mistake_outputs" in case else None


def _call_mel(student, case: dict, audio: np.ndarray, projection: np.ndarray | None = None):
    from ...engine.client import StudentCodeError
    requires_grad = bool(case.get("requires_grad"))
    extra = {} if projection is None else {"projection": projection}
    try:
        return student.call("mel_spectrogram", Tensor(audio, requires_grad=requires_grad), *parameters(case), **extra)
    except StudentCodeError as error:
        if error.kind != "exception":
            raise
        if requires_grad and "requires grad" in error.detail:
            fail(f"{error}\nLikely cause: {MISTAKES['through_numpy']}")
        if audio.dtype == np.float64 and re.search(r"double|float64", error.detail, re.IGNORECASE):
            fail(f"{error}\nLikely cause: {MISTAKES['float64_mismatch']}")
        if case["params"]["fmax"] is None and "NoneType" in error.detail:
            fail(f"{error}\nLikely cause: {MISTAKES['fmax_none_crash']}")
        raise


def run_mel(student, fixture_set, case: dict, artifacts=None) -> None:
    audio = fixture_set.read_array(case["audio"])
    expected = fixture_set.read_array(case["expected"])
    shown = []

    def check():
        projection = GRADIENT_DRAWS.standard_normal(expected.shape) if case.get("requires_grad") else None
        got = _call_mel(student, case, audio, projection)
        got, products = got if projection is not None else (got, None)
        if artifacts is not None and not shown:
            shown.append(show_mel(artifacts, expected, got))
        check_mel(got, case, audio, expected, fixture_set.read_array(case["librosa"]),
                  _mistake_outputs(fixture_set, case))
        if projection is not None:
            check_gradient(student, case, audio, projection, products)
    checked(student, check)


# The random weights and directions of the gradient check: drawn at grading time from the system's
# entropy (nothing in shipped code says which), so that no fixed answer fits them.
GRADIENT_DRAWS = np.random.default_rng()
# Of the gradient's size along a random direction (its norm: a standard normal direction's projection
# has that spread), not of the one projection drawn, which can land near zero. Measured on 2026-12-07
# (150 draws each on the public speech case): every alternative and the reference within 5.5e-4 of it
# (float32 autograd), on other kernels too; a reflect padding with detached edges 3e-3 (median).
GRADIENT_RTOL = 0.003
GRADIENT_DIRECTIONS = 3   # each misses a wrong gradient only where it happens to be near orthogonal


def check_gradient(student, case: dict, audio: np.ndarray, projection: np.ndarray, products: list | None) -> None:
    """The result's gradient with respect to the audio must be the mel's own: for the random weights
    ``projection`` of the result, autograd's vector-Jacobian product (computed in the worker from the
    result's graph, ``products``) along random directions of the audio equals the function's finite
    difference along them (two more calls each, in a fresh worker: nothing the differentiable call
    left in memory can answer them). A graph that reaches the audio through a path of weight 0
    (``+ 0 * audio.sum()``) or a stand-in path has requires_grad, but not this gradient."""
    what = mel_call_text(case, audio.shape, audio.dtype.name, True)
    gradient = products[0] if products and products[0].shape == audio.shape else None
    if gradient is None or not np.isfinite(gradient).all():
        fail(f"{what} returned the right values with requires_grad=True, but autograd gives no gradient of "
             f"it with respect to the audio.\nLikely cause: {MISTAKES['not_differentiable']}")
    gradient = gradient.astype(np.float64)
    # The function's own change along a random direction, in float64 (the docstring: the result has
    # the audio's dtype), with a step small enough for the log's curvature (1e-8 of the loudest sample).
    base = audio.astype(np.float64)
    step = 1e-8 * float(np.abs(base).max() or 1.0)
    student.fresh()
    for _ in range(GRADIENT_DIRECTIONS):
        direction = GRADIENT_DRAWS.standard_normal(audio.shape)
        sides = []
        for sign in (1, -1):
            value = student.call("mel_spectrogram", Tensor(base + sign * step * direction), *parameters(case))
            side = expect_tensor(value, mel_call_text(case, audio.shape, "float64"), kind="f")
            if value.dtype != "torch.float64":
                fail(f"{what}: to check its gradient, the same audio is sent as float64, and the result came back "
                     f"as {value.dtype}; the result has the dtype of the audio.\nLikely cause: "
                     f"{MISTAKES['float32_result']}")
            sides.append(side.astype(np.float64))
        finite = float(np.sum(projection * (sides[0] - sides[1]))) / (2 * step)
        autograd = float(np.sum(gradient * direction))
        scale = max(float(np.linalg.norm(gradient)), abs(finite))
        if not abs(autograd - finite) <= GRADIENT_RTOL * scale + 1e-6:
            fail(f"{what} returned the right values with requires_grad=True, but its gradient with respect to "
                 f"the audio is not the mel's: along a random direction of the audio, autograd's gradient (of a "
                 f"random weighting of the result) gives {autograd:.6g}, the function's own change {finite:.6g}. "
                 f"The result must be computed from the audio by differentiable torch operations, not joined to "
                 f"it by a path that carries no gradient.\nLikely cause: {MISTAKES['not_differentiable']}")


def _generator(fixture_set, case: dict, train: bool = False, watch: tuple[str, ...] = ()) -> Ext:
    config, weights = case["checkpoint"]
    return generator_arg(fixture_set.read_bytes(config), fixture_set.read_bytes(weights), train, watch)


def run_vocode(student, fixture_set, case: dict, artifacts=None) -> None:
    mel = fixture_set.read_array(case["mel"])
    expected = fixture_set.read_array(case["expected"])
    shown = []

    def check():
        got = _call_vocode(student, fixture_set, case, mel)
        if artifacts is not None and not shown:
            rate = json.loads(fixture_set.read_bytes(case["checkpoint"][0]))["sampling_rate"]
            shown.append(show_vocoded(artifacts, expected, got, rate))
        check_vocode(got, expected, mel)
    checked(student, check)


def run_no_grad(student, fixture_set, case: dict) -> None:
    """The mel requires gradients and the generator checks that it runs with gradients off; the
    waveforms must be right and carry no autograd history (the point only with the right waveforms)."""
    mel = fixture_set.read_array(case["mel"])
    checked(student, lambda: check_vocode(_call_vocode(student, fixture_set, case, mel, requires_grad=True,
                                                       watch=("no_grad",)),
                                          fixture_set.read_array(case["expected"]), mel, requires_grad=True))


def run_keeps_mode(student, fixture_set, case: dict) -> None:
    """The generator is handed in train mode and checks that it runs in train mode: vocode uses it as it
    is (HiFi-GAN has no layer that trains differently, so the waveforms are the same; the point only
    with the right waveforms)."""
    mel = fixture_set.read_array(case["mel"])
    checked(student, lambda: check_vocode(_call_vocode(student, fixture_set, case, mel, train=True,
                                                       watch=("mode",)),
                                          fixture_set.read_array(case["expected"]), mel))


# ------------------------------------------------------------------ state across calls

def _run_step(student, fixture_set, step: dict) -> None:
    if step["function"] == "vocode":
        mel = fixture_set.read_array(step["mel"])
        check_vocode(_call_vocode(student, fixture_set, step, mel), fixture_set.read_array(step["expected"]), mel)
        return
    audio = fixture_set.read_array(step["audio"])
    check_mel(_call_mel(student, step, audio), step, audio, fixture_set.read_array(step["expected"]),
              fixture_set.read_array(step["librosa"]), _mistake_outputs(fixture_set, step))


def _step_text(step: dict, shape: tuple, dtype: str) -> str:
    if step["function"] == "vocode":
        return f"vocode(generator, <mel of shape {list(shape)}>)"
    kind = "" if dtype == "float32" else f"{dtype} "
    grad = ", requires_grad=True" if step.get("requires_grad") else ""
    return (f"mel_spectrogram(<{kind}{list(shape)}{grad}>, "
            + ", ".join(repr(step["params"][name]) for name in PARAMETER_ORDER) + ")")


def _what_changed(steps: list[dict], index: int, dtypes: list[str]) -> str:
    """How call ``index`` differs from the closest earlier ``mel_spectrogram`` call."""
    step = steps[index]
    if step["function"] == "vocode":
        return "It is a vocode call after mel_spectrogram calls."
    best = None
    for earlier in range(index):
        if steps[earlier]["function"] != "mel_spectrogram":
            continue
        differ = [f"{k} {steps[earlier]['params'][k]!r} -> {step['params'][k]!r}" for k in PARAMETER_ORDER
                  if steps[earlier]["params"][k] != step["params"][k]]
        if dtypes[earlier] != dtypes[index]:
            differ.append(f"the audio's dtype {dtypes[earlier]} -> {dtypes[index]}")
        if best is None or len(differ) <= len(best[1]):
            best = (earlier, differ)
    if best is None:
        return ""
    earlier, differ = best
    if not differ:
        return (f"It repeats the parameters of call {earlier + 1}, which came before calls with other "
                f"parameters.")
    return f"From call {earlier + 1} to this one, only this changed: {', '.join(differ)}."


def run_state(student, fixture_set, case: dict) -> None:
    """The calls of ``case["steps"]`` in one fresh worker, one after the other, each checked. When one
    fails, the same call is made again in a fresh worker: right there, the failure comes from what
    earlier calls left behind (a cache keyed without a parameter, a changed global), and it says so."""
    steps = case["steps"]
    shapes, dtypes = [], []
    for step in steps:
        array = fixture_set.read_array(step["audio"] if step["function"] == "mel_spectrogram" else step["mel"])
        shapes.append(array.shape)
        dtypes.append(array.dtype.name)
    student.fresh()   # a worker of its own: only these calls come before each one
    for index, step in enumerate(steps):
        check = (lambda step=step: _run_step(student, fixture_set, step))
        failed = failure_of(check)
        if failed is None:
            continue
        failure = message_of(failed)
        listing = "; ".join(f"{i + 1}. {_step_text(s, shapes[i], dtypes[i])}" for i, s in enumerate(steps[:index + 1]))
        header = (f"Call {index + 1} of {len(steps)} in one worker, after the calls before it (the way a notebook "
                  f"calls your functions one after the other: {listing}):")
        if not passes_alone(student, check):
            fail(f"{header}\n{failure}\n(The same call fails in a fresh worker too: the other checks of this "
                 f"function say more.)")
        grad_off = (bool(step.get("requires_grad")) and "requires_grad=False" in failure
                    and any(s["function"] == "vocode" for s in steps[:index]))
        likely = MISTAKES["grad_off_globally"] if grad_off else STATE_CAUSE
        fail(f"{header}\n{failure.split(chr(10) + 'Likely cause:')[0]}\nThe same call in a fresh worker gives "
             f"the right answer: your code keeps state from one call to the next that changes the answer. "
             f"{_what_changed(steps, index, dtypes)}\nLikely cause: {likely}.")
