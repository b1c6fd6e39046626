"""Hands-on 1's checks: each untrusted returned value judged, with the classic mistake named when it is one.

``check_<what>`` fails with a message for the student; ``diagnose_<what>`` names the likely mistake. No
sandbox calls here (those are ``runs.py``'s); nearest rows are judged by distance (``nearest.py``).
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np

from ...engine.compare import assert_close, describe, expect_int, expect_number, expect_tensor, fail
from ...engine.display import student_words
from ...engine.errors import expect_value_error, missing_numbers
from ...worker.wire import Opaque, Tensor
from .grading import MISTAKES
from .nearest import CHECK_BLOCK, first_non_greedy, is_min, not_nearest, squared_distances


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
        ("farthest", -squared_distances(residual, table)),
    ]
    for key, scores in candidates:
        if scores is not None and is_min(scores, index).mean() >= 0.9:
            return MISTAKES[key]
    return None


def _describe_choice(table: np.ndarray, vector: np.ndarray, got: int) -> str:
    distances = squared_distances(vector[None, :], table)[0]
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
    rows = [table[int(np.argmin(squared_distances(v, table)[0]))].astype(np.float64) for table in tables]
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
