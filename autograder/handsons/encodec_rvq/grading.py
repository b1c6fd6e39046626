"""Grader-side checks for Hands-on 1, shared by the public and hidden graders.

NumPy only (no torch, no transformers in the grader process): tensors come back
as ``wire.Tensor``, the models' codebooks are read from the fixtures'
safetensors with ``safetensors.numpy``.

Nearest rows are checked by distance, never by index: where rows tie (duplicate
rows, symmetric points) any minimiser is right. Distances are computed here in
float64; a choice passes when its squared distance exceeds the minimum by at
most ``RTOL * (|r|^2 + max_k |e_k|^2)`` (float32 rounding of ``|r|^2 - 2 r.e +
|e|^2``, the usual way to compute them) plus what an uncertainty ``delta`` on
the residual ``r`` can change: ``4 delta (|r| + max_k |e_k|) + 4 delta^2``.

- ``quantize``: ``delta = 0`` (the vectors are exactly what was sent).
- ``rvq_encode``: the student's own path is replayed, residual minus chosen row
  in float32 (as the reference computes it), and every step must take a
  nearest row to that residual. A student who computes the residual otherwise
  (float64, the vector minus the sum of the rows) holds a residual that
  differs by float rounding, growing with the path:
  ``delta = DELTA * (|v| + sum of the rows taken so far)``.
- ``encode``: the same replay on the reference's encoder output for the clip.
  On the machine that made the fixtures the codes are identical; on another
  CPU the convolutions may round otherwise (``DELTA * |v|`` is generous), and
  late codebooks, whose residuals are at float32 noise level on these tiny
  models, then pick other rows: any such path passes, a path that is not
  greedy on the model's own embeddings does not.
"""
from __future__ import annotations

import contextlib
import functools
import json
import math
import os
import re
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import pytest

from ...engine.compare import assert_close, describe, expect_int, expect_number, expect_tensor, fail
from ...engine.diagnoses import Diagnosis
from ...engine.display import student_words
from ...engine.errors import expect_value_error, missing_numbers
from ...engine.reruns import is_wrong_answer, passes_alone
from ...engine.rules import Rule
from ...worker.wire import Ext, Opaque, Tensor
from .codec import CHECKPOINT_FILES

RTOL = 1e-5     # float32 rounding of squared distances, relative to |r|^2 + max |e|^2
DELTA = 1e-5    # residual uncertainty, relative to the vector's norm (and the rows taken so far)

# ------------------------------------------------------------------ the docstrings' rules

# Every rule the stub's docstrings state, quoted word for word (see engine/rules.py): the recipe's
# cases and the graders' marks say which checks exercise each. What the docstrings leave free (which
# row where rows tie, float32 rounding, how the residual is formed) is honoured, not a rule.
RULES = {
    # downsampling_factor
    "downsampling-product": Rule("downsampling_factor", "the product of the strides of the encoder's convolutions"),
    "downsampling-strides-once": Rule("downsampling_factor", "a walk over all modules that reads every ``stride`` "
                                                             "counts each one twice; take the strides of the "
                                                             "``nn.Conv1d`` layers"),
    "downsampling-any-config": Rule("downsampling_factor", "Works for any ``EncodecConfig`` (mono or stereo, any "
                                                           "ratios)"),
    "downsampling-meta": Rule("downsampling_factor", "also on a model built on the meta device"),
    "downsampling-int": Rule("downsampling_factor", "the factor, a Python ``int``."),
    # num_quantizers
    "nq-log2-bits": Rule("num_quantizers", "Each codebook adds one code per frame, of "
                                           "``log2(config.codebook_size)`` bits"),
    "nq-frame-rate": Rule("num_quantizers", "``frame_rate`` is ``ceil(sampling_rate / hop_length)``"),
    "nq-rounded-down": Rule("num_quantizers", "The model uses as many codebooks as fit in ``bandwidth * 1000`` "
                                              "bits per second, rounded down"),
    "nq-at-least-one": Rule("num_quantizers", "rounded down, and at least one"),
    "nq-exact-edges": Rule("num_quantizers", "Compute ``bandwidth * 1000 / (log2(codebook_size) * frame_rate)`` "
                                             "in that order, as transformers does, so that bandwidths at the "
                                             "exact edges round the same way."),
    "nq-any-bandwidth": Rule("num_quantizers", "Any bandwidth counts, not only ``config.target_bandwidths``"),
    "nq-above-targets": Rule("num_quantizers", "A bandwidth above the largest target can give more codebooks than "
                                               "the model has"),
    "nq-no-limit": Rule("num_quantizers", "a bandwidth of 0 or less means no limit: ``config.num_quantizers``."),
    "nq-int": Rule("num_quantizers", "the number of codebooks, a Python ``int``."),
    # encode
    "encode-codes": Rule("encode", "then call ``model.encode(input_values, padding_mask, bandwidth=bandwidth)``"),
    "encode-rows-columns": Rule("encode", "one row per codebook, one column per frame"),
    "encode-frames": Rule("encode", "``frames = ceil(len(audio) / hop_length)``"),
    "encode-n_q": Rule("encode", "``n_q`` is :func:`num_quantizers` of the bandwidth."),
    "encode-long": Rule("encode", "``torch.long`` tensor ``[n_q, frames]``."),
    "encode-wrong-rate": Rule("encode", "``sampling_rate`` must be the model's (``model.config.sampling_rate``): "
                                        "otherwise ``ValueError`` whose message gives both rates"),
    "encode-wrong-bandwidth": Rule("encode", "``bandwidth`` must be one of ``model.config.target_bandwidths``"),
    "encode-wrong-bandwidth-message": Rule("encode", "otherwise ``ValueError`` whose message lists them."),
    "encode-int-bandwidth": Rule("encode", "(``6`` and ``6.0`` are the same)"),
    # decode
    "decode-audio": Rule("decode", "The audio that ``codes`` stand for: ``model.decode``"),
    "decode-no-grad": Rule("decode", "``model.decode`` without gradients."),
    "decode-one-channel": Rule("decode", "Return the one channel of the one example."),
    "decode-samples": Rule("decode", "float tensor ``[frames * hop_length]``."),
    "decode-any-n_q": Rule("decode", "Any number of codebooks from 1 to ``model.config.num_quantizers`` works"),
    # compression_ratio
    "ratio-pcm-bits": Rule("compression_ratio", "The PCM audio takes ``num_samples * bits_per_sample`` bits"),
    "ratio-code-bits": Rule("compression_ratio", "the codes take ``n_q * frames * log2(codebook_size)`` bits"),
    "ratio-first-over-second": Rule("compression_ratio", "The ratio is the first over the second."),
    "ratio-float": Rule("compression_ratio", "the ratio, a Python ``float``."),
    # pre_quantize
    "pq-padding-zeroed": Rule("pre_quantize", "Set the padded samples (where ``padding_mask`` is 0 or ``False``) "
                                              "to zero, then run ``model.encoder``"),
    "pq-nan-padding": Rule("pre_quantize", "Whatever the padding held (noise, huge values, even NaN), the result "
                                           "is the same as for zeros there"),
    "pq-any-mask-dtype": Rule("pre_quantize", "as the feature extractor gives (any dtype)"),
    "pq-no-grad": Rule("pre_quantize", "then run ``model.encoder`` without gradients."),
    "pq-shape": Rule("pre_quantize", "float tensor ``[B, hidden_size, frames]``, ``frames = ceil(T / hop_length)``."),
    # codebooks
    "codebooks-tables": Rule("codebooks", "Codebook ``q`` is ``model.quantizer.layers[q].codebook.embed``"),
    "codebooks-count": Rule("codebooks", "At ``bandwidth`` the model uses the first :func:`num_quantizers` of them"),
    "codebooks-capped": Rule("codebooks", "(all of them if that is more than it has)"),
    "codebooks-any-bandwidth": Rule("codebooks", "Any bandwidth counts, not only the targets."),
    "codebooks-list": Rule("codebooks", "a list of float tensors ``[K, D]``."),
    # quantize
    "quantize-nearest": Rule("quantize", "``result[n] = argmin_k |vectors[n] - embed[k]|``"),
    "quantize-vectorised": Rule("quantize", "One vector at a time is far too slow (this is graded on 20000 vectors "
                                            "and 1024 rows of 128 dimensions): use matrix operations"),
    "quantize-empty": Rule("quantize", "``N = 0`` gives an empty result."),
    "quantize-long": Rule("quantize", "``torch.long`` tensor ``[N]``, values in ``0..K-1``."),
    # rvq_encode
    "rvq-greedy": Rule("rvq_encode", "For each codebook ``q`` in turn: its code is the nearest row to the residual "
                                     "(as :func:`quantize`), then that row is subtracted from the residual."),
    "rvq-every-codebook": Rule("rvq_encode", "Every codebook is used"),
    "rvq-sizes-differ": Rule("rvq_encode", "a sequence of ``Q`` float tensors ``[K_q, D]``"),
    "rvq-no-codebooks": Rule("rvq_encode", "(``Q`` may be 0)"),
    "rvq-long": Rule("rvq_encode", "``torch.long`` tensor ``[Q, N]``: row ``q`` holds the codes of codebook ``q``."),
    "rvq-speed": Rule("rvq_encode", "Speed counts: this must be at least as fast as ``model.quantizer.encode`` on the "
                                    "same vectors"),
    # rvq_decode
    "rvq-decode-sum": Rule("rvq_decode", "``result[n] = sum over q of codebooks[q][codes[q, n]]``"),
    "rvq-decode-fewer-rows": Rule("rvq_decode", "``codes`` may have fewer rows than there are codebooks: row ``q`` "
                                                "uses codebook ``q``"),
    "rvq-decode-no-rows": Rule("rvq_decode", "``Q = 0`` gives zeros."),
    "rvq-decode-dtype": Rule("rvq_decode", "float tensor ``[N, D]`` (the codebooks' dtype)."),
    # distance_curve
    "curve-greedy": Rule("distance_curve", "Encode ``vector`` greedily with all the codebooks (as :func:`rvq_encode`)"),
    "curve-distances": Rule("distance_curve", "``result[k - 1]`` is the Euclidean distance between ``vector`` and its "
                                              "reconstruction from the first ``k`` codes"),
    "curve-length": Rule("distance_curve", "for ``k = 1 .. Q``"),
    "curve-not-squared": Rule("distance_curve", "distances (not squared)."),
}

MISTAKES = {
    "strides_twice": Diagnosis("encodec_rvq/strides-twice",
        "each EncodecConv1d keeps a stride buffer of its own and wraps an nn.Conv1d with the "
        "same stride: a walk over all modules that reads every stride counts each one twice "
        "(strides counted twice). Take the strides of the nn.Conv1d layers only."),
    "strides_summed": Diagnosis("encodec_rvq/strides-summed",
        "the strides were added; the factor is their product."),
    "rounded_up": Diagnosis("encodec_rvq/rounded-up",
        "the number of codebooks is rounded down (floor), not up: only whole codebooks fit in the "
        "bandwidth (rounded up instead of down)."),
    "rounded": Diagnosis("encodec_rvq/rounded",
        "the number of codebooks is rounded down (floor), not to the nearest."),
    "frame_rate": Diagnosis("encodec_rvq/frame-rate",
        "the frame rate is config.frame_rate, ceil(sampling_rate / hop_length) frames a second, "
        "not sampling_rate / hop_length (wrong frame rate)."),
    "at_least_one": Diagnosis("encodec_rvq/at-least-one",
        "at least one codebook is used, however low the bandwidth: max(1, ...)."),
    "no_limit": Diagnosis("encodec_rvq/no-limit",
        "as in transformers, a bandwidth of 0 or less means no limit: config.num_quantizers."),
    "capped": Diagnosis("encodec_rvq/capped",
        "num_quantizers is not capped at the model's codebooks: above the largest target it can be "
        "more than config.num_quantizers (codebooks() caps, num_quantizers does not)."),
    "kbps": Diagnosis("encodec_rvq/kbps",
        "the bandwidth is in kilobits per second: multiply by 1000 to compare with bits per second."),
    "bits_rounded": Diagnosis("encodec_rvq/bits-rounded",
        "a code takes log2(codebook_size) bits, not a whole number of bits: with a codebook size "
        "that is not a power of two (1000 rows: 9.97 bits) rounding log2 changes the result (log2 "
        "rounded to whole bits)."),
    "order": Diagnosis("encodec_rvq/order",
        "compute bandwidth * 1000 / (log2(codebook_size) * frame_rate) in that order, as transformers "
        "does: the bandwidth divided by the kilobits per second of a codebook is the same number on paper "
        "but rounds otherwise in floats, and at an exact edge floor() then gives one codebook more "
        "(operations in another order)."),
    "l1": Diagnosis("encodec_rvq/l1",
        "the rows look chosen by the L1 (Manhattan) distance sum |v - e|; the nearest row is by Euclidean "
        "distance (L1 distance instead of Euclidean)."),
    "dot": Diagnosis("encodec_rvq/dot",
        "the rows look chosen by the largest dot product v.e (a similarity); that is the nearest row only "
        "when every row has the same norm: argmin |e|^2 - 2 v.e (dot product instead of Euclidean distance)."),
    "no_factor_2": Diagnosis("encodec_rvq/no-factor-2",
        "the rows look chosen by |e|^2 - v.e: the cross term of |v - e|^2 = |v|^2 - 2 v.e + |e|^2 "
        "has a factor 2 (factor 2 dropped)."),
    "cosine": Diagnosis("encodec_rvq/cosine",
        "the rows look chosen by cosine similarity; the nearest row is by Euclidean distance."),
    "farthest": Diagnosis("encodec_rvq/farthest",
        "the rows look like the farthest ones: argmin, not argmax, of the distance."),
    "residual_not_subtracted": Diagnosis("encodec_rvq/residual-not-subtracted",
        "every codebook seems to quantize the vector itself: subtract each chosen row "
        "from the residual before the next codebook (residual not subtracted)."),
    "residual_added": Diagnosis("encodec_rvq/residual-added",
        "the chosen rows seem added to the residual: subtract them."),
    "mean": Diagnosis("encodec_rvq/mean",
        "the result is the sum of the chosen rows divided by the number of codebooks: rvq_decode sums the "
        "rows (mean instead of sum)."),
    "squared": Diagnosis("encodec_rvq/squared",
        "the values are the squares of the expected distances: the curve holds Euclidean distances, "
        "the norms of the residuals, not squared (squared distances in the curve)."),
    "curve_k0": Diagnosis("encodec_rvq/curve-k0",
        "the curve has Q values, one after each codebook (k = 1..Q); do not include k = 0."),
    "all_layers": Diagnosis("encodec_rvq/all-layers",
        "these are all the model's codebooks; at a bandwidth the model uses only the first "
        "num_quantizers(config, bandwidth) of them (all layers instead of the bandwidth's)."),
    "inverted": Diagnosis("encodec_rvq/inverted",
        "the ratio is inverted: PCM bits over code bits, how many times smaller the codes are "
        "(inverted ratio)."),
    "no_log2": Diagnosis("encodec_rvq/no-log2",
        "a code takes log2(codebook_size) bits, not codebook_size bits."),
    "ratio_bits_rounded": Diagnosis("encodec_rvq/ratio-bits-rounded",
        "a code takes log2(codebook_size) bits, not a whole number of bits: for a codebook size "
        "that is not a power of two the ratio uses the exact log2 (log2 rounded to whole bits)."),
    "bits_per_sample": Diagnosis("encodec_rvq/bits-per-sample",
        "the PCM audio takes bits_per_sample bits a sample; it looks like 16 was used whatever "
        "bits_per_sample was."),
    "padding_not_masked": Diagnosis("encodec_rvq/padding-not-masked",
        "the output is what the encoder gives for the padding's values: set the padded "
        "samples to zero first (padding not masked)."),
    "nan_multiplied": Diagnosis("encodec_rvq/nan-multiplied",
        "the padding held NaN and your output has NaN: multiplying by the mask keeps them "
        "(NaN * 0 is NaN). Replace the padded samples (torch.where, masked_fill) "
        "(padding multiplied, not replaced)."),
    "int_bandwidth": Diagnosis("encodec_rvq/int-bandwidth",
        "6 and 6.0 are the same bandwidth: compare it with the targets as a number (an int bandwidth "
        "that is a target is valid) (int bandwidth refused)."),
    "short_audio": Diagnosis("encodec_rvq/short-audio",
        "audio shorter than one frame still gives one frame of codes: frames = ceil(len(audio) / "
        "hop_length), at least 1 (the encoder pads the audio), so do not cut it to whole frames "
        "(partial frame dropped)."),
    "whole_frames": Diagnosis("encodec_rvq/whole-frames",
        "frames = ceil(len(audio) / hop_length): the last, partial frame counts too (the encoder pads "
        "it), so do not cut the audio to whole frames (partial frame dropped)."),
    "capped_index": Diagnosis("encodec_rvq/capped-index",
        "at this bandwidth num_quantizers is more than the model's codebooks: the model then uses all "
        "of them. A slice (layers[:n]) stops at the end; indexing layers[q] for q in range(n) does not "
        "(codebooks not capped at the model's)."),
    "stacked": Diagnosis("encodec_rvq/stacked",
        "these codebooks have different numbers of rows: each is [K_q, D], and K_q may differ from one "
        "codebook to the next, so they cannot be stacked into one [Q, K, D] tensor (codebooks stacked)."),
    "no_codebooks": Diagnosis("encodec_rvq/no-codebooks",
        "Q may be 0: with no codebooks the codes are an empty [0, N] tensor (torch.stack of an empty "
        "list fails; torch.empty(0, N, dtype=torch.long) does not)."),
    "empty_vectors": Diagnosis("encodec_rvq/empty-vectors",
        "N = 0 gives an empty result (torch.cat or torch.stack of an empty list fails; an argmin over "
        "the rows of a [0, K] distance matrix does not)."),
    "fewer_rows": Diagnosis("encodec_rvq/fewer-rows",
        "codes may have fewer rows than there are codebooks: row q uses codebook q, so loop over the rows "
        "of codes (or zip them with the codebooks), not over every codebook (loop over the codebooks)."),
    "no_rows": Diagnosis("encodec_rvq/no-rows",
        "Q = 0 gives zeros [N, D]: start from zeros and add each row's vectors (torch.stack or torch.cat of "
        "an empty list fails)."),
    "mask_dtype": Diagnosis("encodec_rvq/mask-dtype",
        "padding_mask may have any dtype (here {dtype}): torch.where needs a bool condition, so compare "
        "it (padding_mask != 0) or convert it (padding_mask.bool()) first (mask used as is)."),
    "state": Diagnosis("encodec_rvq/state",
        "the same call in a fresh worker gives the right result: something keeps state between calls, a "
        "cache keyed without one of the arguments (the bandwidth, the table, the model) or a global that a "
        "call changes (state kept between calls)."),
}


# ------------------------------------------------------------------ arguments

def _checkpoint_files(fixture_set, name: str) -> tuple[dict, list[bytes]]:
    names = [n for n in CHECKPOINT_FILES if fixture_set.path(f"models/{name}/{n}").is_file()]
    if "config.json" not in names:
        raise FileNotFoundError(f"no checkpoint {name} in {fixture_set.folder}")
    return {"files": names}, [fixture_set.read_bytes(f"models/{name}/{n}") for n in names]


def model_arg(fixture_set, name: str) -> Ext:
    """The checkpoint ``name`` as an argument: student code gets a ``transformers.EncodecModel``
    (on the meta device when the checkpoint is a config only)."""
    meta, blobs = _checkpoint_files(fixture_set, name)
    return Ext("encodec_model", meta, blobs)


def feature_extractor_arg(fixture_set, name: str) -> Ext:
    meta, blobs = _checkpoint_files(fixture_set, name)
    return Ext("encodec_feature_extractor", meta, blobs)


def config_arg(fixture_set, name: str) -> Ext:
    return Ext("encodec_config", {"files": ["config.json"]}, [fixture_set.read_bytes(f"models/{name}/config.json")])


@functools.lru_cache(maxsize=None)
def _state(path: str) -> dict:
    from safetensors.numpy import load_file
    return load_file(path)


def model_tables(fixture_set, name: str, count: int | None = None) -> list[np.ndarray]:
    """The codebooks of checkpoint ``name`` (the first ``count``), float32 ``[K, D]`` each."""
    state = _state(str(fixture_set.path(f"models/{name}/model.safetensors")))
    total = sum(1 for key in state if key.endswith(".codebook.embed"))
    count = total if count is None else count
    return [state[f"quantizer.layers.{q}.codebook.embed"] for q in range(count)]


def tensor(array: np.ndarray, dtype=None) -> Tensor:
    return Tensor(np.ascontiguousarray(array if dtype is None else np.asarray(array).astype(dtype)))


def random_tables(seed: int, count: int, rows: int, dim: int, decay: float) -> list[np.ndarray]:
    """Seeded normal tables whose scale shrinks from one codebook to the next, like trained ones."""
    generator = np.random.default_rng(seed)
    return [generator.standard_normal((rows, dim), dtype=np.float32) * np.float32(decay ** q)
            for q in range(count)]


def random_vectors(seed: int, count: int, dim: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((count, dim), dtype=np.float32)


def random_codes(seed: int, shape: Sequence[int], size: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, size, tuple(shape), dtype=np.int64)


def generated(spec: dict) -> tuple[list[np.ndarray], np.ndarray | None]:
    """Seeded tables and vectors of a case (``"generated"``: too big to store, cheap to make).
    With ``copies``, a tenth of the vectors are copies of rows (distance 0: exact ties where rows repeat)."""
    tables = random_tables(spec["seed"], spec["count"], spec["rows"], spec["dim"], spec["decay"])
    if "vectors" not in spec:
        return tables, None
    vectors = random_vectors(spec["seed"] + 1, spec["vectors"], spec["dim"])
    if spec.get("copies"):
        rows = tables[0][np.random.default_rng(spec["seed"] + 2).integers(0, spec["rows"], spec["vectors"] // 10)]
        vectors = np.concatenate([vectors[: spec["vectors"] - len(rows)], rows])
    return tables, vectors


# ------------------------------------------------------------------ plain values

def expect_long(value: Tensor, what: str) -> None:
    """After the values passed: the dtype the docstring asks for (never a point for a dtype alone)."""
    if value.dtype != "torch.int64":
        fail(f"{what}: the values are right, but the dtype is {value.dtype}; the docstring asks for torch.long "
             f"(int64): return .long() of it.")


def expect_no_grad(value: Tensor, what: str, run: str) -> None:
    """After the values passed: no autograd graph (``run`` is what should run under ``torch.no_grad()``)."""
    if value.requires_grad:
        fail(f"{what}: the values are right, but the result requires gradients (requires_grad=True): run {run} "
             f"under torch.no_grad(), as the docstring says (without gradients). A result that keeps the graph "
             f"also keeps every intermediate tensor of the network in memory.")


def check_downsampling_factor(value: object, case: dict) -> None:
    got = expect_int(value, "downsampling_factor(model)")
    expected, ratios = case["expected"], case["ratios"]
    if got == expected:
        return
    message = (f"downsampling_factor(model) = {got} for the {case['id']} model (upsampling_ratios {ratios}); "
               f"expected {expected}, the product of the strides of the encoder's convolutions.")
    if got == expected ** 2:
        message += f"\nLikely cause: {MISTAKES['strides_twice']}"
    elif got == sum(ratios):
        message += f"\nLikely cause: {MISTAKES['strides_summed']}"
    fail(message)


def diagnose_num_quantizers(got: int, bandwidth: float, case: dict) -> str | None:
    bits = math.log2(case["codebook_size"])
    exact = bandwidth * 1000 / (bits * case["frame_rate"])
    if bandwidth <= 0:
        return MISTAKES["no_limit"]
    if got == 0 and math.floor(exact) == 0:
        return MISTAKES["at_least_one"]
    for whole_bits in {math.floor(bits), math.ceil(bits)} - {bits}:
        if got == max(1, math.floor(bandwidth * 1000 / (whole_bits * case["frame_rate"]))):
            return MISTAKES["bits_rounded"]
    if got == max(1, math.floor(bandwidth / (bits * case["frame_rate"] / 1000))):
        return MISTAKES["order"]
    unceiled = bandwidth * 1000 / (bits * case["sampling_rate"] / case["hop_length"])
    if got == max(1, math.floor(unceiled)) and unceiled != exact:
        return MISTAKES["frame_rate"]
    if got == math.ceil(exact):
        return MISTAKES["rounded_up"]
    if got == round(exact):
        return MISTAKES["rounded"]
    if got == case["num_quantizers"] and got < math.floor(exact):
        return MISTAKES["capped"]
    if got == max(1, math.floor(exact / 1000)) or got == max(1, math.floor(exact * 1000)):
        return MISTAKES["kbps"]
    return None


def check_num_quantizers(value: object, bandwidth: float, expected: int, case: dict) -> None:
    got = expect_int(value, f"num_quantizers(config, {bandwidth!r})")
    if got == expected:
        return
    bits = math.log2(case["codebook_size"])
    message = (f"num_quantizers(config, {bandwidth!r}) = {got}; expected {expected}. This config: "
               f"codebook_size {case['codebook_size']} ({bits:g} bits a code), frame_rate {case['frame_rate']} "
               f"(sampling_rate {case['sampling_rate']}, hop_length {case['hop_length']}), so "
               f"{bits * case['frame_rate']:g} bits per second per codebook; {case['num_quantizers']} codebooks.")
    cause = diagnose_num_quantizers(got, bandwidth, case)
    fail(f"{message}\nLikely cause: {cause}" if cause else message)


def check_ratio(value: object, case: dict) -> None:
    got = expect_number(value, "compression_ratio(...)")
    expected = case["expected"]
    if math.isclose(got, expected, rel_tol=1e-9):
        return
    message = (f"compression_ratio({case['num_samples']}, codes of shape {case['codes_shape']}, "
               f"codebook_size={case['codebook_size']}, bits_per_sample={case['bits_per_sample']}) = {got!r}; "
               f"expected {expected!r}.")
    n_q, frames = case["codes_shape"]
    pcm = case["num_samples"] * case["bits_per_sample"]
    code_bits = n_q * frames * math.log2(case["codebook_size"])
    candidates = [
        (code_bits / pcm, "inverted"),
        (pcm / (n_q * frames * case["codebook_size"]), "no_log2"),
        (pcm / (n_q * frames * math.ceil(math.log2(case["codebook_size"]))), "ratio_bits_rounded"),
        (pcm / (n_q * frames * math.floor(math.log2(case["codebook_size"]))), "ratio_bits_rounded"),
        (case["num_samples"] * 16 / code_bits, "bits_per_sample"),
    ]
    for value_, key in candidates:
        if math.isclose(got, value_, rel_tol=1e-6) and not math.isclose(value_, expected, rel_tol=1e-9):
            message += f"\nLikely cause: {MISTAKES[key]}"
            break
    fail(message)


# ------------------------------------------------------------------ errors

def check_value_error(call: Callable[[], object], what: str, why: str, must_mention: Sequence[float],
                      mention_what: str) -> None:
    """``call()`` must raise a ``ValueError`` whose message writes every number of ``must_mention``."""
    error = expect_value_error(call, lambda value: f"{what} returned {describe(value)}; it should raise a ValueError "
                                                   f"({why}).",
                               lambda error: f"{what} should raise a ValueError ({why}); instead {error}")
    missing = missing_numbers(error.detail, must_mention)
    if missing:
        fail(f"{what} raised a ValueError, good, but its message should {mention_what}; it does not "
             f"mention {', '.join(f'{n:g}' for n in missing)}." + student_words(" Its message was", error.detail))


# ------------------------------------------------------------------ nearest rows

CHECK_BLOCK = 256   # vectors whose distances to every row are held at once


def _squared_distances(residual: np.ndarray, table: np.ndarray) -> np.ndarray:
    r, t = residual.astype(np.float64), table.astype(np.float64)
    return np.maximum((r * r).sum(1)[:, None] - 2.0 * (r @ t.T) + (t * t).sum(1)[None, :], 0.0)


def _allowed(residual: np.ndarray, table: np.ndarray, delta: np.ndarray | float) -> np.ndarray:
    r_norm = np.sqrt((residual.astype(np.float64) ** 2).sum(1))
    e_max = float(np.sqrt((table.astype(np.float64) ** 2).sum(1).max()))
    return RTOL * (r_norm ** 2 + e_max ** 2) + 4 * delta * (r_norm + e_max) + 4 * np.square(delta)


def not_nearest(table: np.ndarray, residual: np.ndarray, index: np.ndarray,
                delta: np.ndarray | float = 0.0) -> np.ndarray:
    """Mask of the vectors whose chosen row is not a nearest row. In blocks of vectors: the
    grader's memory stays small (20000 x 1024 distances in float64 would be 160 MB)."""
    bad = np.zeros(len(index), dtype=bool)
    delta = np.broadcast_to(np.asarray(delta, dtype=np.float64), (len(index),))
    for start in range(0, len(index), CHECK_BLOCK):
        block = slice(start, start + CHECK_BLOCK)
        distances = _squared_distances(residual[block], table)
        chosen = distances[np.arange(distances.shape[0]), index[block]]
        bad[block] = chosen - distances.min(1) > _allowed(residual[block], table, delta[block])
    return bad


def _is_min(scores: np.ndarray, index: np.ndarray, rtol: float = 1e-6) -> np.ndarray:
    """Whether ``index`` picks a minimum of each row of ``scores`` (with a small tolerance)."""
    chosen = scores[np.arange(len(index)), index]
    low = scores.min(1)
    return chosen - low <= rtol * (np.abs(scores).max(1) + 1e-30)


def diagnose_metric(table: np.ndarray, residual: np.ndarray, index: np.ndarray) -> str | None:
    """Which classic wrong distance ``index`` follows, judged on (the first few hundred of) the
    vectors it gets wrong."""
    residual, index = residual[:CHECK_BLOCK], index[:CHECK_BLOCK]
    r, t = residual.astype(np.float64), table.astype(np.float64)
    dots = r @ t.T
    norms2 = (t * t).sum(1)[None, :]
    candidates = [
        ("dot", -dots),
        ("no_factor_2", norms2 - dots),
        ("cosine", -dots / np.sqrt(norms2 + 1e-30)),
        ("l1", np.abs(r[:, None, :] - t[None, :, :]).sum(2) if r.shape[0] * t.size <= 5e7 else None),
        ("farthest", -_squared_distances(residual, table)),
    ]
    for key, scores in candidates:
        if scores is not None and _is_min(scores, index).mean() >= 0.9:
            return MISTAKES[key]
    return None


def _describe_choice(table: np.ndarray, vector: np.ndarray, got: int) -> str:
    distances = _squared_distances(vector[None, :], table)[0]
    best = int(np.argmin(distances))
    return (f"row {got} is at squared distance {distances[got]:.6g}, but row {best} is nearer "
            f"({distances[best]:.6g})")


def _expect_codes(value: object, what: str, shape: tuple, sizes: Sequence[int]) -> np.ndarray:
    """Integer codes of ``shape``, row ``q`` in ``0..sizes[q] - 1``."""
    got = expect_tensor(value, what, kind="i")
    if got.shape != tuple(shape):
        message = f"{what} should have shape {tuple(shape)}; got {got.shape}."
        if len(shape) == 2 and got.shape == tuple(shape)[::-1]:
            message += " It looks transposed: one row per codebook, one column per vector."
        fail(message)
    rows = got.reshape(1, -1) if got.ndim == 1 else got
    for q, (row, size) in enumerate(zip(rows, sizes)):
        if row.size and (int(row.min()) < 0 or int(row.max()) >= size):
            where = "" if got.ndim == 1 else f" row {q} holds"
            fail(f"{what}: codes must be in 0..{size - 1};{where} values {int(row.min())}..{int(row.max())}.")
    return got.astype(np.int64)


def check_quantize(value: object, table: np.ndarray, vectors: np.ndarray, what: str = "quantize(embed, vectors)") -> None:
    n = vectors.shape[0]
    got = expect_tensor(value, what, kind="i")
    if got.shape != (n,):
        message = f"{what} should have shape ({n},), one index per vector; got {got.shape}."
        if got.shape == (table.shape[0],):
            message += " That is one value per row of embed: take the nearest row for each vector."
        fail(message)
    got = _expect_codes(value, what, (n,), [table.shape[0]])
    bad = not_nearest(table, vectors, got)
    if not bad.any():
        expect_long(value, what)
        return
    first = int(np.argmax(bad))
    message = (f"{what}: {int(bad.sum())} of {n} vectors do not get a nearest row of embed (Euclidean). "
               f"First, vector {first}: {_describe_choice(table, vectors[first], int(got[first]))}.")
    cause = diagnose_metric(table, vectors[bad], got[bad])
    fail(f"{message}\nLikely cause: {cause}" if cause else message)


def first_non_greedy(tables: Sequence[np.ndarray], vectors: np.ndarray, codes: np.ndarray, *,
                     drift: bool) -> tuple | None:
    """Replay the path ``codes`` (float32 residuals, as the reference computes them); the first
    step that does not take a nearest row: ``(q, mask of bad vectors, residual)``.

    ``drift``: allow for a residual computed otherwise (float64, another order of sums): its
    uncertainty grows with the rows taken. Without, ``DELTA * |v|`` only (another machine's rounding
    of the vectors themselves).
    """
    residual = vectors.astype(np.float32).copy()
    delta = DELTA * np.sqrt((vectors.astype(np.float64) ** 2).sum(1))
    for q, (table, row) in enumerate(zip(tables, codes)):
        bad = not_nearest(table, residual, row, delta)
        if bad.any():
            return q, bad, residual
        chosen = table[row]
        if drift:
            delta = delta + DELTA * np.sqrt((chosen.astype(np.float64) ** 2).sum(1))
        residual = residual - chosen
    return None


def diagnose_path(tables: Sequence[np.ndarray], vectors: np.ndarray, codes: np.ndarray, q: int,
                  bad: np.ndarray, residual: np.ndarray) -> str | None:
    """Why step ``q`` of the path is not greedy, when a classic mistake explains it."""
    if q >= 1:
        own = not_nearest(tables[q], vectors[bad], codes[q][bad], 0.0)
        if (~own).mean() >= 0.9:
            return MISTAKES["residual_not_subtracted"]
        added = vectors[bad].astype(np.float32) + sum(t[c] for t, c in zip(tables[:q], codes[:q]))[bad]
        plus = not_nearest(tables[q], added, codes[q][bad], 0.0)
        if (~plus).mean() >= 0.9:
            return MISTAKES["residual_added"]
    return diagnose_metric(tables[q], residual[bad], codes[q][bad])


def check_rvq_codes(value: object, tables: Sequence[np.ndarray], vectors: np.ndarray, what: str) -> None:
    """``value`` must be a greedy path for ``vectors``: every step a nearest row to the residual left
    by the student's own previous choices."""
    shape = (len(tables), vectors.shape[0])
    got = _expect_codes(value, what, shape, [t.shape[0] for t in tables])
    found = first_non_greedy(tables, vectors, got, drift=True)
    if found is None:
        expect_long(value, what)
        return
    q, bad, residual = found
    n = int(np.argmax(bad))
    choice = _describe_choice(tables[q], residual[n], int(got[q, n]))
    message = (f"{what}: the path is not greedy at codebook {q} for {int(bad.sum())} of {shape[1]} vectors. "
               f"First, vector {n}: after your code{'s' * (q > 1)} {got[:q, n].tolist()} for codebook"
               f"{f's 0..{q - 1}' if q > 1 else ' 0'}, the residual's nearest row of codebook {q} is not your "
               f"code {int(got[q, n])}: {choice}." if q else
               f"{what}: codebook 0 does not take a nearest row for {int(bad.sum())} of {shape[1]} vectors. "
               f"First, vector {n}: {choice}.")
    cause = diagnose_path(tables, vectors, got, q, bad, residual)
    fail(f"{message}\nLikely cause: {cause}" if cause else message)


def check_encode_codes(value: object, case: dict, expected: np.ndarray, embeddings: np.ndarray,
                       tables: Sequence[np.ndarray]) -> None:
    """Codes of ``encode``: the reference's, or (float rounding of another machine) another greedy
    path on the reference's encoder output."""
    what = f"encode(model, feature_extractor, audio, {case['sampling_rate']}, {case['bandwidth']!r})"
    got = expect_tensor(value, what, kind="i")
    n_q, frames = expected.shape
    if got.shape != expected.shape:
        message = f"{what} should have shape ({n_q}, {frames}): {n_q} codebooks at {case['bandwidth']} kbps, " \
                  f"{frames} frames (ceil({case['samples']} / {case['hop_length']})); got {got.shape}."
        if got.ndim == 4 and got.shape[2:] == expected.shape:
            message += " Return audio_codes[0, 0]: one chunk, one example."
        elif got.ndim == 2 and got.shape[1] == frames and got.shape[0] == case["layers"] != n_q:
            message += f"\nLikely cause: {MISTAKES['all_layers']}"
        elif got.ndim == 2 and got.shape[0] == n_q and got.shape[1] == case["samples"] // case["hop_length"]:
            message += f"\nLikely cause: {MISTAKES['whole_frames']}"
        elif got.ndim == 2 and got.shape[1] == frames:
            message += f" At {case['bandwidth']} kbps the model uses num_quantizers = {n_q} codebooks."
        fail(message)
    got = _expect_codes(value, what, expected.shape, [case["codebook_size"]] * n_q)
    found = None if np.array_equal(got, expected) else first_non_greedy(tables[:n_q], embeddings, got, drift=False)
    if found is None:   # the expected codes, or another greedy path: float near-ties (another machine's rounding)
        expect_long(value, what)
        return
    q, bad, _ = found
    frame = int(np.argmax(bad))
    differ = np.flatnonzero((got != expected).any(0))
    fail(f"{what}: the codes differ from the expected ones in {len(differ)} of {frames} frames; first in "
         f"frame {int(differ[0])}: expected {expected[:, differ[0]].tolist()}, got "
         f"{got[:, differ[0]].tolist()}. They are not the model's codes for this audio: at frame {frame}, "
         f"codebook {q} is not the nearest row to the residual of the encoder's output. Use the feature "
         f"extractor and model.encode (float32 audio, at the model's rate, bandwidth={case['bandwidth']!r}).")


# ------------------------------------------------------------------ arrays

def _scaled(expected: np.ndarray, fraction: float) -> float:
    peak = float(np.abs(expected).max()) if expected.size else 0.0
    return fraction * max(peak, 1e-12)


def check_rvq_decode(value: object, expected: np.ndarray, count: int, dtype: str = "float32") -> None:
    got = expect_tensor(value, "rvq_decode(codebooks, codes)", shape=expected.shape, kind="f")

    def mean(got_: np.ndarray, expected_: np.ndarray) -> str | None:
        if count > 1 and np.allclose(got_.astype(np.float64) * count, expected_, rtol=1e-4,
                                     atol=_scaled(expected_, 1e-5)):
            return MISTAKES["mean"]
        return None

    assert_close(got, expected, "rvq_decode(codebooks, codes)", rtol=1e-5, atol=_scaled(expected, 1e-6),
                 hints=[mean])
    if value.dtype != f"torch.{dtype}":
        fail(f"rvq_decode(codebooks, codes): the values are right, but the codebooks are torch.{dtype} and the "
             f"result is {value.dtype}: the result has the codebooks' dtype (torch.zeros(N, D) is float32 unless "
             f"given dtype=).")


def _curves_without_subtraction(tables: Sequence[np.ndarray], vector: np.ndarray) -> list[np.ndarray]:
    """The curves of the residual never updated: each codebook's nearest row to the vector itself,
    then either the distance to that row or to the sum of those rows."""
    v = vector.astype(np.float64)[None]
    rows = [table[int(np.argmin(_squared_distances(v, table)[0]))].astype(np.float64) for table in tables]
    return [np.array([np.linalg.norm(v[0] - row) for row in rows]),
            np.linalg.norm(v[0] - np.cumsum(rows, axis=0), axis=1)]


def check_distance_curve(value: object, expected: np.ndarray, vector: np.ndarray, what: str,
                         tables: Sequence[np.ndarray] = ()) -> None:
    got = expect_tensor(value, what, kind="f")
    if got.shape == (expected.shape[0] + 1,):
        fail(f"{what} should have shape {expected.shape}; got {got.shape}.\nLikely cause: {MISTAKES['curve_k0']}")
    got = expect_tensor(value, what, shape=expected.shape, kind="f")

    def squared(got_: np.ndarray, expected_: np.ndarray) -> str | None:
        if np.allclose(got_, expected_.astype(np.float64) ** 2, rtol=1e-4, atol=1e-8):
            return MISTAKES["squared"]
        return None

    norm = float(np.linalg.norm(vector.astype(np.float64)))

    def not_subtracted(got_: np.ndarray, expected_: np.ndarray) -> str | None:
        if tables and any(np.allclose(got_, curve, rtol=1e-4, atol=1e-5 * max(norm, 1e-12))
                          for curve in _curves_without_subtraction(tables, vector)):
            return MISTAKES["residual_not_subtracted"]
        return None

    assert_close(got, expected, what, rtol=1e-4, atol=1e-5 * max(norm, 1e-12), hints=[squared, not_subtracted])


def check_pre_quantize(value: object, case: dict, expected: np.ndarray, unmasked: np.ndarray | None) -> None:
    what = "pre_quantize(model, input_values, padding_mask)"
    got = expect_tensor(value, what, shape=expected.shape, kind="f")
    if np.isnan(got).any() and not np.isnan(expected).any():
        message = f"{what} holds NaN where the expected output has none ({int(np.isnan(got).sum())} values)."
        if case.get("fill") == "nan":
            message += f"\nLikely cause: {MISTAKES['nan_multiplied']}"
        fail(message)
    tolerance = _scaled(expected, 1e-4)

    def not_masked(got_: np.ndarray, expected_: np.ndarray) -> str | None:
        if unmasked is not None and np.allclose(got_, unmasked, rtol=1e-4, atol=tolerance):
            return MISTAKES["padding_not_masked"]
        return None

    assert_close(got, expected, what, rtol=1e-4, atol=tolerance, hints=[not_masked])
    expect_no_grad(value, what, "model.encoder")


def check_decode(value: object, expected: np.ndarray, case: dict) -> None:
    what = f"decode(model, codes) for codes of shape {tuple(case['codes_shape'])}"
    got = expect_tensor(value, what, kind="f")
    if got.shape != expected.shape:
        message = f"{what} should have shape {expected.shape} (frames * hop_length samples); got {got.shape}."
        if got.ndim == 3 and got.shape[-1] == expected.shape[0]:
            message += " Return audio_values[0, 0]: the one channel of the one example."
        fail(message)
    assert_close(got, expected, what, rtol=1e-3, atol=_scaled(expected, 1e-4))
    expect_no_grad(value, what, "model.decode")


def check_codebooks(value: object, case: dict, tables: Sequence[np.ndarray] | None) -> None:
    what = f"codebooks(model, {case['bandwidth']!r})"
    if not isinstance(value, (list, tuple)):
        fail(f"{what} should return a list of tensors; got {describe(value)}.")
    expected = case["expected_count"]
    if len(value) != expected:
        message = (f"{what} returned {len(value)} tables; expected {expected} (num_quantizers at "
                   f"{case['bandwidth']} kbps is {case['num_quantizers']}; the model has {case['layers']}).")
        if len(value) == case["layers"]:
            message += f"\nLikely cause: {MISTAKES['all_layers']}"
        fail(message)
    for q, item in enumerate(value):
        if tables is None:   # a model on the meta device: its tensors have no values, and come back without
            if not (isinstance(item, Opaque) and item.type_name == "torch.Tensor" and "meta" in item.reason):
                fail(f"{what}[{q}] should be the model's codebook {q} (model.quantizer.layers[{q}].codebook.embed), "
                     f"a tensor on the meta device for this model (built without values); got {describe(item)}.")
            continue
        array = expect_tensor(item, f"{what}[{q}]", shape=tables[q].shape, kind="f")
        if not np.array_equal(array.astype(np.float32), tables[q]):
            fail(f"{what}[{q}] is not the model's codebook {q} (model.quantizer.layers[{q}].codebook.embed): "
                 f"{int((array != tables[q]).sum())} of {array.size} values differ.")


# ------------------------------------------------------------------ running a case

def _models(case: dict):
    """The fixture set that holds a case's model files (checkpoints are public; a few configs hidden)."""
    from ...engine import fixtures
    return fixtures.load("encodec_rvq", case.get("models", "public"))


def call(student, function: str, *args, hint: Callable[[object], str | None] | None = None, **kwargs):
    """``student.call``; an exception that ``hint(error)`` explains (a classic mistake) says so."""
    from ...engine.client import StudentCodeError
    try:
        return student.call(function, *args, **kwargs)
    except StudentCodeError as error:
        cause = hint(error) if hint is not None and error.kind == "exception" else None
        if cause:
            raise StudentCodeError(error.kind, f"{error.message}\nLikely cause: {cause}", error.output,
                                   error.exception, error.detail) from None
        raise


@contextlib.contextmanager
def _prefixed(prefix: str):
    """Failures (verdicts and student code's errors, their kind kept) inside say ``prefix`` first."""
    from ...engine.client import StudentCodeError
    try:
        yield
    except StudentCodeError as error:
        raise StudentCodeError(error.kind, prefix + error.message, error.output, error.exception,
                               error.detail) from None
    except pytest.fail.Exception as failure:
        fail(prefix + str(failure.msg))


def run_downsampling_factor(student, case: dict) -> None:
    check_downsampling_factor(student.call("downsampling_factor", model_arg(_models(case), case["id"])), case)


def run_num_quantizers(student, case: dict) -> None:
    config = config_arg(_models(case), case["model"])
    for bandwidth, expected in zip(case["bandwidths"], case["expected"]):
        check_num_quantizers(student.call("num_quantizers", config, bandwidth), bandwidth, expected, case)


def _encode_args(case: dict, fixture_set) -> tuple:
    models = _models(case)
    return (model_arg(models, case["model"]), feature_extractor_arg(models, case["model"]),
            fixture_set.read_array(case["audio"]))


def run_encode(student, fixture_set, case: dict) -> None:
    model, feature_extractor, audio = _encode_args(case, fixture_set)

    def hint(error) -> str | None:
        if isinstance(case["bandwidth"], int) and error.exception == "ValueError":
            return MISTAKES["int_bandwidth"]
        return MISTAKES["short_audio"] if len(audio) < case["hop_length"] else None

    got = call(student, "encode", model, feature_extractor, audio, case["sampling_rate"], case["bandwidth"],
               hint=hint)
    expected = fixture_set.read_array(case["expected"]).astype(np.int64)
    check_encode_codes(got, case, expected, fixture_set.read_array(case["embeddings"]),
                       model_tables(_models(case), case["model"], expected.shape[0]))


def _accepts_valid_arguments(student, model, feature_extractor, audio, rate, bandwidth) -> None:
    """No points for raising whatever the arguments: with the model's rate and a target bandwidth, the
    same audio must be encoded (the value is graded by test_encode)."""
    from ...engine.client import StudentCodeError
    try:
        student.call("encode", model, feature_extractor, audio, rate, bandwidth)
    except StudentCodeError as error:
        if error.kind != "exception":
            raise
        fail(f"encode(...) at the model's own rate ({rate} Hz) and one of its target bandwidths ({bandwidth!r} "
             f"kbps) raised {error.exception}. These checks need encode to work with valid arguments first; its "
             f"ValueErrors are for a wrong rate or bandwidth only." + student_words("\nIts message", error.detail))


def run_wrong_rate(student, fixture_set, case: dict) -> None:
    model, feature_extractor, audio = _encode_args(case, fixture_set)
    rate, model_rate = case["sampling_rate"], case["model_rate"]
    _accepts_valid_arguments(student, model, feature_extractor, audio, model_rate, case["bandwidth"])
    check_value_error(lambda: student.call("encode", model, feature_extractor, audio, rate, case["bandwidth"]),
                      f"encode(...) with sampling_rate={rate} for a {model_rate} Hz model",
                      f"the audio is at {rate} Hz, the model works at {model_rate} Hz",
                      [rate, model_rate], "give both rates")


def run_wrong_bandwidth(student, fixture_set, case: dict) -> None:
    model, feature_extractor, audio = _encode_args(case, fixture_set)
    targets = case["targets"]
    _accepts_valid_arguments(student, model, feature_extractor, audio, case["sampling_rate"], targets[0])
    check_value_error(lambda: student.call("encode", model, feature_extractor, audio, case["sampling_rate"],
                                           case["bandwidth"]),
                      f"encode(..., bandwidth={case['bandwidth']!r})",
                      f"{case['bandwidth']} kbps is not one of the model's target bandwidths {targets}",
                      targets, "list the target bandwidths")


def _returned_array(value: object) -> np.ndarray | None:
    """What student code returned, as an array, if it is a float tensor (for pictures only)."""
    if isinstance(value, Tensor) and value.array.dtype.kind == "f":
        return value.array
    return None


def run_decode(student, fixture_set, case: dict, artifacts=None) -> None:
    codes = fixture_set.read_array(case["codes"]).astype(np.int64)
    got = student.call("decode", model_arg(_models(case), case["model"]), tensor(codes))
    expected = fixture_set.read_array(case["expected"])
    yours = _returned_array(got)
    if artifacts is not None and yours is not None and yours.ndim == 1:
        rate = json.loads(_models(case).read_bytes(f"models/{case['model']}/config.json"))["sampling_rate"]
        artifacts.audio("decoded audio: expected", expected, rate)
        artifacts.audio("decoded audio: yours", yours, rate)
    check_decode(got, expected, case)


def run_compression_ratio(student, case: dict) -> None:
    codes = random_codes(case["seed"], case["codes_shape"], case["codebook_size"])
    if case.get("default_bits"):   # the signature's default, 16 bits
        got = student.call("compression_ratio", case["num_samples"], tensor(codes), case["codebook_size"])
    else:
        got = student.call("compression_ratio", case["num_samples"], tensor(codes), case["codebook_size"],
                           bits_per_sample=case["bits_per_sample"])
    check_ratio(got, case)


def run_pre_quantize(student, fixture_set, case: dict) -> None:
    values = fixture_set.read_array(case["input_values"])
    mask = fixture_set.read_array(case["padding_mask"]).astype(case["mask_dtype"])

    def hint(error) -> str | None:
        if case["mask_dtype"] != "bool" and "bool" in error.detail.lower():
            return MISTAKES["mask_dtype"].format(dtype=f"torch.{case['mask_dtype']}")
        return None

    got = call(student, "pre_quantize", model_arg(_models(case), case["model"]), tensor(values), tensor(mask),
               hint=hint)
    unmasked = fixture_set.read_array(case["unmasked"]) if "unmasked" in case else None
    check_pre_quantize(got, case, fixture_set.read_array(case["expected"]), unmasked)


def run_codebooks(student, case: dict) -> None:
    models = _models(case)

    def hint(error) -> str | None:
        capped = case["num_quantizers"] > case["layers"]
        return MISTAKES["capped_index"] if capped and error.exception == "IndexError" else None

    got = call(student, "codebooks", model_arg(models, case["model"]), case["bandwidth"], hint=hint)
    tables = None if case["meta"] else model_tables(models, case["model"], case["expected_count"])
    check_codebooks(got, case, tables)


def _tables_and_vectors(fixture_set, case: dict) -> tuple[list[np.ndarray], np.ndarray | None]:
    if "generated" in case:
        tables, vectors = generated(case["generated"])
    elif "tables" in case:
        tables, vectors = [np.array(t, dtype=np.float32) for t in case["tables"]], None
    elif "table_files" in case:
        tables, vectors = [fixture_set.read_array(name) for name in case["table_files"]], None
    else:
        tables, vectors = model_tables(_models(case), case["model"], case.get("count")), None
    if vectors is None and isinstance(case.get("vectors"), str):
        vectors = fixture_set.read_array(case["vectors"])
    elif vectors is None and isinstance(case.get("vectors"), list):
        vectors = np.array(case["vectors"], dtype=np.float32)
    return tables, vectors


def run_quantize(student, fixture_set, case: dict) -> None:
    if "generated" in case:
        tables, vectors = generated(case["generated"])
        table = tables[0]
    else:
        table, vectors = fixture_set.read_array(case["embed"]), fixture_set.read_array(case["vectors"])

    def hint(error) -> str | None:
        return MISTAKES["empty_vectors"] if len(vectors) == 0 else None

    check_quantize(call(student, "quantize", tensor(table), tensor(vectors), hint=hint), table, vectors)


def run_rvq_encode(student, fixture_set, case: dict) -> None:
    tables, vectors = _tables_and_vectors(fixture_set, case)

    def hint(error) -> str | None:
        if not tables:
            return MISTAKES["no_codebooks"]
        if len({t.shape[0] for t in tables}) > 1 and error.exception == "RuntimeError" \
                and "size" in error.detail.lower():
            return MISTAKES["stacked"]
        return None

    got = call(student, "rvq_encode", [tensor(t) for t in tables], tensor(vectors), hint=hint)
    check_rvq_codes(got, tables, vectors, f"rvq_encode({len(tables)} codebooks, {len(vectors)} vectors)")


def run_rvq_decode(student, fixture_set, case: dict) -> None:
    tables, _ = _tables_and_vectors(fixture_set, case)
    dtype = case.get("dtype", "float32")
    codes = fixture_set.read_array(case["codes"]).astype(np.int64)

    def hint(error) -> str | None:
        if codes.shape[0] == 0:
            return MISTAKES["no_rows"]
        return MISTAKES["fewer_rows"] if codes.shape[0] < len(tables) and error.exception == "IndexError" else None

    got = call(student, "rvq_decode", [tensor(t, dtype) for t in tables], tensor(codes), hint=hint)
    check_rvq_decode(got, fixture_set.read_array(case["expected"]), codes.shape[0], dtype)


def run_distance_curve(student, fixture_set, case: dict, artifacts=None) -> None:
    tables, vectors = _tables_and_vectors(fixture_set, case)
    if "vector_values" in case:
        vectors = np.array([case["vector_values"]], dtype=np.float32)
        expected = np.array([case["expected_values"]], dtype=np.float32)
    else:
        expected = fixture_set.read_array(case["expected"])
    sent = [tensor(t) for t in tables]
    for index, vector in enumerate(vectors):
        got = student.call("distance_curve", sent, tensor(vector))
        yours = _returned_array(got)
        if artifacts is not None and index == 0 and yours is not None and yours.ndim == 1:
            artifacts.curves("distance to the vector after q codebooks", "codebooks q", "distance",
                             expected=expected[index], yours=yours)
        check_distance_curve(got, expected[index], vector,
                             f"distance_curve({len(tables)} codebooks, vector {index} of this case)", tables)


RUNNERS: dict[str, Callable] = {
    "downsampling_factor": lambda student, fixture_set, case, artifacts=None: run_downsampling_factor(student, case),
    "num_quantizers": lambda student, fixture_set, case, artifacts=None: run_num_quantizers(student, case),
    "encode": lambda student, fixture_set, case, artifacts=None: run_encode(student, fixture_set, case),
    "wrong_rate": lambda student, fixture_set, case, artifacts=None: run_wrong_rate(student, fixture_set, case),
    "wrong_bandwidth": lambda student, fixture_set, case, artifacts=None: run_wrong_bandwidth(student, fixture_set,
                                                                                              case),
    "decode": run_decode,
    "compression_ratio": lambda student, fixture_set, case, artifacts=None: run_compression_ratio(student, case),
    "pre_quantize": lambda student, fixture_set, case, artifacts=None: run_pre_quantize(student, fixture_set, case),
    "codebooks": lambda student, fixture_set, case, artifacts=None: run_codebooks(student, case),
    "quantize": lambda student, fixture_set, case, artifacts=None: run_quantize(student, fixture_set, case),
    "rvq_encode": lambda student, fixture_set, case, artifacts=None: run_rvq_encode(student, fixture_set, case),
    "rvq_decode": lambda student, fixture_set, case, artifacts=None: run_rvq_decode(student, fixture_set, case),
    "distance_curve": run_distance_curve,
}


def run_case(student, fixture_set, case: dict, artifacts=None) -> None:
    """A case of its group's check, then its follow-up calls (``then``: the same case with other
    arguments, such as no vectors at all): each must be right, so that an edge case alone (an empty
    result) never earns a point."""
    runner = RUNNERS[case["group"]]
    runner(student, fixture_set, case, artifacts)
    for follow_up in case.get("then", []):
        with _prefixed(f"The first call was right; then, {follow_up['what']}: "):
            runner(student, fixture_set, {**case, **follow_up, "then": []})


def _step_case(fixture_set, step: dict) -> dict:
    """A sequence's step: a case of another check, named by group and id, or written out."""
    if "case" in step:
        return {"group": step["group"], **step["case"]}
    found = [c for c in fixture_set.cases(step["group"]) if c["id"] == step["id"]]
    if len(found) != 1:
        raise LookupError(f"sequence step {step}: no single case {step['id']} in group {step['group']}")
    return found[0]


def run_sequence(student, fixture_set, case: dict) -> None:
    """The steps' checks, in order, in ONE worker, as the notebook calls the functions: a result that
    depends on an earlier call (a cache keyed without the bandwidth or the table, a changed global)
    fails here. A failing step is run again alone, in a fresh worker, to tell such state apart."""
    from ...engine.client import StudentCodeError

    steps = [_step_case(fixture_set, step) for step in case["steps"]]
    labels = [f"{step['group']}[{step['id']}]" for step in steps]
    for number, (step, label) in enumerate(zip(steps, labels), 1):
        earlier = ", ".join(labels[:number - 1]) or "nothing else in this check"
        try:
            with _prefixed(f"Call {number} of {len(steps)} in one worker, {label}, after {earlier}: "):
                run_case(student, fixture_set, step)
        except (StudentCodeError, pytest.fail.Exception) as failure:
            if isinstance(failure, StudentCodeError) and not is_wrong_answer(failure):
                raise
            if not passes_alone(student, lambda: run_case(student, fixture_set, step)):
                raise failure from None   # wrong alone too: test_<group> says so as well
            if isinstance(failure, StudentCodeError):
                raise StudentCodeError(failure.kind, f"{failure.message}\nLikely cause: {MISTAKES['state']}",
                                       failure.output, failure.exception, failure.detail) from None
            fail(f"{failure.msg}\nLikely cause: {MISTAKES['state']}")


# ------------------------------------------------------------------ big workloads

SPEED_FACTOR = 10.0     # the student's median time may be up to this many times the reference's
SPEED_REPEATS = 3
SAMPLE_CHECKED = 500    # vectors of a big run whose result is checked, drawn at random (the check is slower
                        # than the work; a partial answer still fails: which vectors, the worker cannot know)
VECTORISE = ("It must be vectorised: no Python loop over vectors (nor over rows), and no [N, K, D] tensor of "
             "differences either; one matrix product gives every |v|^2 - 2 v.e + |e|^2 (|v|^2 can even be "
             "left out), then one argmin.")
_MEMORY_LIMIT = re.compile(r"the worker's [\d.]+ [KMGT]?i?B memory limit")
_PROCESS_LIMIT = re.compile(r"the worker's limit of \d+ processes and threads")


def spaced(number: int) -> str:
    """``20000`` as ``20 000`` (``1024`` stays ``1024``)."""
    return f"{number:,}".replace(",", " ") if number >= 10_000 else str(number)


def fail_for_limit(student, function: str, doing: str, error) -> None:
    """Fail, naming the limit and the likely cause, when student code ran out of memory or processes
    while ``doing`` (``"timing 20 000 vectors, ..."``); never a bare allocator error. Returns for any
    other error (the caller re-raises it). A worker that reached a limit is closed: its heap, near the
    limit, would make later checks fail too, or not, by chance."""
    if error.kind in ("memory", "processes"):
        student.fresh()
    if error.kind == "memory":
        found = _MEMORY_LIMIT.search(error.message)
        fail(f"{function} ran out of {found.group(0) if found else 'the worker memory limit'} while {doing}: "
             f"perhaps a loop that builds per-vector tensors, or an [N, K, D] difference tensor. {VECTORISE}")
    if error.kind == "processes":
        found = _PROCESS_LIMIT.search(error.message)
        fail(f"{function} ran into {found.group(0) if found else 'the worker limit of processes'} while {doing}: "
             f"perhaps threads or processes started at each call and never ended. {VECTORISE}")


# The big runs' vectors and the rows checked of their results are drawn from this secret, made when
# the grader starts: seeds in shipped code would let a submission recognise its input and answer only
# the rows that will be checked. A verdict does not depend on the draw: right code passes every draw,
# a known mistake fails every one (a run checks 500 vectors).
GRADING_SECRET = int.from_bytes(os.urandom(16), "little")


def secret_rng(*key: int) -> np.random.Generator:
    """A generator for ``key``, seeded by ``GRADING_SECRET`` (unknown to the worker)."""
    return np.random.default_rng((GRADING_SECRET, *key))


def check_sample(function: str, value: object, tables: Sequence[np.ndarray], vectors: np.ndarray, key,
                 what: str) -> None:
    """The result of a big run, checked on ``SAMPLE_CHECKED`` of its vectors drawn at random (from the
    grading secret and ``key``)."""
    n = len(vectors)
    shape = (n,) if function == "quantize" else (len(tables), n)
    got = expect_tensor(value, what, shape=shape, kind="i")
    rows = np.sort(secret_rng(*key).choice(n, min(SAMPLE_CHECKED, n), replace=False))
    part = Tensor(np.ascontiguousarray(got[rows] if function == "quantize" else got[:, rows]), value.dtype)
    what = f"{what} (checked on {len(rows)} of its vectors drawn at random; 'vector i' counts those)"
    if function == "quantize":
        check_quantize(part, tables[0], vectors[rows], what)
    else:
        check_rvq_codes(part, tables, vectors[rows], what)


@dataclass(frozen=True)
class Workload:
    """A big input for ``quantize`` or ``rvq_encode``: fixed tables (seeded), and vectors drawn afresh
    for every run from the grading secret, so that no run can be answered from an earlier one nor
    recognised."""
    function: str
    tables: tuple
    count: int
    seed: int

    @property
    def label(self) -> str:
        rows, dim = self.tables[0].shape
        tables = f", {len(self.tables)} codebooks" if self.function == "rvq_encode" else ""
        return f"{spaced(self.count)} vectors, {spaced(rows)} rows of {dim} dimensions{tables}"

    def vectors(self, draw: int, count: int | None = None) -> np.ndarray:
        generator = secret_rng(self.seed, draw)
        return generator.standard_normal((count or self.count, self.tables[0].shape[1]), dtype=np.float32)

    def args(self, vectors: np.ndarray) -> tuple:
        if self.function == "quantize":
            return tensor(self.tables[0]), tensor(vectors)
        return [tensor(t) for t in self.tables], tensor(vectors)

    def check(self, value: object, vectors: np.ndarray, draw: int) -> None:
        check_sample(self.function, value, self.tables, vectors, (self.seed, draw, 1),
                     f"{self.function} on {self.label}")


def run_at_scale(student, case: dict) -> None:
    """One call on the docstring's size (tables seeded, vectors drawn from the grading secret), checked on
    a sample of its vectors;
    running out of memory, processes or time is named as such."""
    from ...engine.client import StudentCodeError

    spec = case["generated"]
    tables, _ = generated({key: value for key, value in spec.items() if key != "vectors"})
    workload = Workload(case["function"], tuple(tables), spec["vectors"], spec["seed"])
    vectors = workload.vectors(1)
    student.fresh()   # in a fresh worker, as when it is timed: what earlier checks left in memory plays no part
    try:
        value = student.call(workload.function, *workload.args(vectors), timeout=case.get("timeout"))
    except StudentCodeError as error:
        fail_for_limit(student, workload.function, f"running on {workload.label}", error)
        if error.kind == "timeout":
            fail(f"{workload.function} on {workload.label}: {error.message} {VECTORISE}")
        raise
    workload.check(value, vectors, 1)


def speed_workloads(function: str) -> list[Workload]:
    """The workloads timing ``quantize`` or ``rvq_encode``.

    Two: the spec's (20000 vectors, 1024 rows of 128 dimensions), where the matrix product
    dominates, and many vectors against small tables (64 rows of 8 dimensions, the tiny models'
    size), where a Python loop over vectors cannot hide its per-vector cost: at the spec's size such
    a loop, each step itself vectorised over the rows, is only a few times slower than a matrix
    product on one thread. Only the tables are held; each run's vectors are drawn when it starts.
    """
    workloads = []
    for rows, dim, count, seed in [(1024, 128, 1, 61), (64, 8, 4, 63)]:
        if function == "quantize":
            tables = random_tables(seed, 1, rows, dim, 1.0)
        else:
            tables = random_tables(seed, 2 * count, rows, dim, 0.8)
        workloads.append(Workload(function, tuple(tables), 20_000, seed))
    return workloads


WARM_VECTORS = 64


def _reference_times(reference, workloads: list[Workload], runs: list[int]) -> list[list[float]]:
    """Seconds of ``runs[i]`` calls of the reference on workload ``i``, in one fresh worker that is
    closed after: never alongside the student's, as two workers holding a workload would double
    the memory (Gradescope's container has 768 MiB for everything)."""
    reference.fresh()
    times = []
    for workload, count in zip(workloads, runs):
        if count:   # warms the module and the kernels on a few vectors
            reference.call(workload.function, *workload.args(workload.vectors(0, WARM_VECTORS)))
        times.append([reference.timed(workload.function, *workload.args(workload.vectors(1000 + run)),
                                      timeout=120.0)[1] for run in range(count)])
    reference.fresh()
    return times


def check_speed(student, reference, function: str, factor: float = SPEED_FACTOR,
                repeats: int = SPEED_REPEATS) -> None:
    """``function`` is timed against the reference in the same sandbox on each workload: the
    reference in a fresh worker, then the student in a fresh worker, one after the other. It passes
    when the median of its times is at most ``factor`` times the reference's median. A workload
    whose result is borderline is timed again, the reference both before and after the student,
    so that a change of the machine's load hits both.

    Every timed run gets vectors the worker has not seen (a fresh draw), and its result is checked
    on a random sample of them: fast and wrong, or answered from a cache of earlier runs, earns
    nothing. One workload's vectors are held at a time (memory)."""
    import statistics
    from ...engine.client import StudentCodeError

    workloads = speed_workloads(function)
    student.fresh()   # closed while the reference runs
    theirs = _reference_times(reference, workloads, [1] * len(workloads))
    mine: list[list[float]] = []
    for workload, ref_times in zip(workloads, theirs):
        label = workload.label
        student.call(function, *workload.args(workload.vectors(0, WARM_VECTORS)))   # errors propagate
        times: list[float] = []
        for run in range(1, repeats + 1):
            limit = max(30.0, 4 * factor * min(ref_times))   # slow but vectorised: measured, not cut
            vectors = workload.vectors(run)
            try:
                value, seconds = student.timed(function, *workload.args(vectors), timeout=limit)
            except StudentCodeError as error:
                fail_for_limit(student, function, f"timing {label}", error)
                if error.kind != "timeout":
                    raise
                fail(f"{function} on {label} did not finish within {limit:.1f} s; the reference takes "
                     f"{min(ref_times):.3f} s in the same sandbox. {VECTORISE}")
            workload.check(value, vectors, run)   # every run that counts
            del value, vectors
            times.append(seconds)
            if max(times) < factor / 3 * min(ref_times):
                break   # clearly fast enough, even comparing its slowest run with the reference's fastest
            if run == 1 and times[0] > 3 * factor * ref_times[0]:
                break   # clearly too slow: spare the submission's time budget
        mine.append(times)
    student.fresh()   # its memory is freed before the reference runs again
    more = [len(times) - 1 for times in mine]
    if any(more):
        for ref_times, again in zip(theirs, _reference_times(reference, workloads, more)):
            ref_times += again
    for workload, times, ref_times in zip(workloads, mine, theirs):
        ours, ref = statistics.median(times), statistics.median(ref_times)
        if ours > factor * ref:
            runs = f"median of {len(times)} runs" if len(times) > 1 else "one run"
            fail(f"{function} on {workload.label} took {ours:.3f} s ({runs}); the reference takes "
                 f"{ref:.3f} s in the same sandbox: {ours / ref:.1f} times as long, more than the {factor:g}x "
                 f"allowed. {VECTORISE}")
