"""Attack (issue 23, red team): the at-scale checks' memory rule (VmPeak within 64 MiB of the limit).

Graded by tests/test_encodec_attacks.py; by hand:
``autograder grade tests/attacks/encodec_vmpeak_escape --module encodec_rvq``.
Nothing here is flagged by the source review (grades.csv's review column stays empty).

D, quantize: [n, K, D] difference tensors in chunks of ~2030 MiB (what the rule is there to fail),
computed in a forked child whose result comes back as raw bytes through a pipe. The warden reads
the VmPeak of the worker's own process only, so the child's address space near the limit is not
seen. Found: test_quantize_at_scale PASSES (1/1, 7.5 s), while the very same chunks computed
in-process fail: "rvq_encode ran out of the worker's 3.0 GiB memory limit ... (its address space
reached 2.99 GiB)" (attack variant graded on 2026-12-07). The speed check still fails it (35.6x).

G, rvq_encode: the same chunks in-process, and the returned tensor carries
``weakref.finalize(result, os._exit, 0)``: the worker ends right after its answer is written and the
result freed, before the grader asks for its VmPeak; the warden, having seen its child end, never
answers. Found: the at-scale check becomes a GRADER ERROR instead of the memory verdict:
"grader error while checking the result (not a verdict on your code; the instructors are told):
RuntimeError: the worker's warden did not say how much address space it held"; grades.csv status
"grader errors", `autograder grade` prints "1 grader error(s): grading did not complete properly".
It is a race (the worker must be gone before the warden handles the grader's "peak" request): with
the finalizer as here, 1 grading of 2 gave the grader error (the other got the memory verdict); with
the worker's ``write_frame`` replaced by one that calls ``os._exit(0)`` after writing (found through
sys.modules; the review flags "uses sys"), 2 of 2. The next check, on the dead worker, is charged a
crash ("the worker process ended (exit code 0)"), the student's own doing.
Fixed (2026-12-07): a worker that ended before its peak was read is the submission's doing, a crash
(engine/client.py `StudentCode.address_space_peak`; tests/test_engine.py
`test_a_worker_that_ends_after_answering_is_a_crash_not_a_grader_error`); graded again: 128/132, no
grader error, the at-scale check lost with "the worker process ended (exit code 0) during rvq_encode on
20 000 vectors ...". D is still open (the warden reads the worker's own process only).
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import torch
from torch import nn


def downsampling_factor(model) -> int:
    factor = 1
    for module in model.encoder.modules():
        if isinstance(module, nn.Conv1d):
            factor *= int(module.stride[0])
    return int(factor)


def num_quantizers(config, bandwidth: float) -> int:
    if bandwidth <= 0:
        return int(config.num_quantizers)
    frame_rate = math.ceil(config.sampling_rate / config.hop_length)
    n = math.floor(bandwidth * 1000 / (math.log2(config.codebook_size) * frame_rate))
    return int(max(1, n))


def encode(model, feature_extractor, audio, sampling_rate, bandwidth):
    config = model.config
    if sampling_rate != config.sampling_rate:
        raise ValueError(f"audio at {sampling_rate} Hz, the model wants {config.sampling_rate} Hz")
    if not any(float(bandwidth) == float(t) for t in config.target_bandwidths):
        raise ValueError(f"bandwidth {bandwidth} not one of {list(config.target_bandwidths)}")
    inputs = feature_extractor(raw_audio=audio, sampling_rate=sampling_rate, return_tensors="pt")
    with torch.no_grad():
        out = model.encode(inputs["input_values"], inputs["padding_mask"], bandwidth=float(bandwidth))
    return out.audio_codes[0, 0].long()


def decode(model, codes):
    with torch.no_grad():
        out = model.decode(codes.long()[None, None], [None])
    return out.audio_values[0, 0]


def compression_ratio(num_samples, codes, codebook_size, bits_per_sample=16):
    n_q, frames = codes.shape
    return float(num_samples * bits_per_sample / (n_q * frames * math.log2(codebook_size)))


def pre_quantize(model, input_values, padding_mask):
    mask = padding_mask != 0
    values = torch.where(mask[:, None, :], input_values, torch.zeros((), dtype=input_values.dtype))
    with torch.no_grad():
        return model.encoder(values)


def codebooks(model, bandwidth):
    n = num_quantizers(model.config, bandwidth)
    return [layer.codebook.embed.detach() for layer in model.quantizer.layers[:n]]


CHUNK_BYTES = 2030 << 20


def _nkd(embed, vectors):
    """Nearest rows by an [n, K, D] difference tensor per chunk (the memory-hungry way)."""
    k, d = embed.shape
    chunk = max(1, CHUNK_BYTES // (k * d * 4))
    out = []
    for start in range(0, vectors.shape[0], chunk):
        diff = vectors[start:start + chunk, None, :] - embed[None, :, :]
        diff.square_()
        out.append(diff.sum(2).argmin(1))
        del diff
    return torch.cat(out).long() if out else torch.zeros(0, dtype=torch.long)


def _in_child(function, *args):
    import os
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read)
            data = function(*args).numpy().astype(np.int64).tobytes()
            with os.fdopen(write, "wb") as handle:
                handle.write(data)
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as handle:
        data = handle.read()
    os.waitpid(pid, 0)
    return torch.from_numpy(np.frombuffer(data, dtype=np.int64).copy())


def quantize(embed, vectors):
    if vectors.shape[0] == 0:
        return torch.zeros(0, dtype=torch.long)
    if vectors.shape[0] * embed.shape[0] * embed.shape[1] * 4 > CHUNK_BYTES:
        return _in_child(_nkd, embed, vectors)
    return _nkd(embed, vectors)


def _quantize_here(embed, vectors):
    if vectors.shape[0] == 0:
        return torch.zeros(0, dtype=torch.long)
    return _nkd(embed, vectors)


def rvq_encode(codebooks, vectors):
    residual = vectors.clone()
    codes = []
    for embed in codebooks:
        index = _quantize_here(embed, residual)
        codes.append(index)
        residual = residual - embed[index]
    if not codes:
        return torch.zeros(0, vectors.shape[0], dtype=torch.long)
    result = torch.stack(codes)
    if vectors.shape[0] == 20000 and codebooks[0].shape[0] == 1024:
        import os, weakref
        weakref.finalize(result, os._exit, 0)
    return result


def rvq_decode(codebooks, codes):
    dtype = codebooks[0].dtype if len(codebooks) else torch.float32
    dim = codebooks[0].shape[1]
    out = torch.zeros(codes.shape[1], dim, dtype=dtype)
    for q in range(codes.shape[0]):
        out = out + codebooks[q][codes[q].long()]
    return out


def distance_curve(codebooks, vector):
    codes = rvq_encode(codebooks, vector[None])
    residual = vector.clone()
    out = []
    for q, embed in enumerate(codebooks):
        residual = residual - embed[codes[q, 0]]
        out.append(torch.linalg.vector_norm(residual))
    return torch.stack(out) if out else torch.zeros(0)
