"""Grader-side code of Hands-on 3, shared by the public and hidden graders: the docstrings' rules and
the classic mistakes' texts; the rest is split by job into the modules beside it.

- ``checks.py``: each returned value judged (``check_``), with the log-mel tolerance (also the
  recipe's) and the hints that name a classic mistake;
- ``runs.py``: the calls in the sandbox for each case (``run_``), among them the gradient check, a
  failing check run again in a fresh worker, and sequences of calls in one worker.

NumPy only (no torch in the grader process): tensors come back as ``wire.Tensor``. Every
explanation of a mistake (a ``Diagnosis``) is made here, so that importing this module registers
them all (the class report does).
"""
from __future__ import annotations

from ...engine.diagnoses import Diagnosis
from ...engine.rules import Rule

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

# What the instrumented generator (codec.py) says when its forward pass stops a vocode call.
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

# The cause named when a failing call is right in a fresh worker.
STATE_CAUSE = Diagnosis("mel_spectrogram/state",
    "a filterbank or window cached under a key that leaves out a parameter it depends on, or a global "
    "an earlier call changed: key a cache on every parameter the cached value depends on "
    "(sampling_rate, n_fft, num_mels, fmin, fmax, win_size, and the dtype and device) "
    "(cache keyed without every parameter)")
