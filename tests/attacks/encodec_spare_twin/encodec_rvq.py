"""Attack (issue 23, red team): changes to a shared spare model that reach later calls.

Graded by tests/test_encodec_attacks.py; by hand:
``autograder grade tests/attacks/encodec_spare_twin --module encodec_rvq``.

A: the model functions are correct, but the first model call reaches the codec's bookkeeping through
the call stack (the Server's decoders -> the closure of ``_model`` -> its module globals) and adds 1
to codebook 0 of each public checkpoint's SPARE and of its TWIN, in lockstep (not the pristine load).
The survey compares the spare with the twin, so it hands the changed spare out again. Found: state
survives into later calls. The log (compression_ratio raises it) shows the same model object (id
...94032) handed out again with codebook[0][0, 0] = 2.3985 instead of 1.3985, and correct code then
fails checks the baseline passes: codebooks [stereo48-6kbps], [stereo48-12kbps], [mono16-10kbps]
("512 of 512 values differ"), encode [mono24-1.5kbps] (twice), [mono16-2kbps]. Impact: the
submission's own later calls only (the grader's expected values are its own, the reference and
reruns get fresh workers); the source review flags the frame walk (._getframe, .f_locals, .__globals__).
The spare's promise ("handed out again only while unchanged") holds for honest code, not hostile code.
A related probe (not kept): a detached alias of a spare's codebook (``embed.detach()``, a new tensor
object sharing its storage) kept in a module global across calls changes no reference count the
survey reads: the same spare kept being handed out (14 calls) while student code held a writable
view of its weights.

E: quantize is a per-vector Python loop (each step vectorised over the rows); rvq_encode uses it.
Found: both at-scale checks pass (1.09 s and 1.80 s; test_quantize_at_scale is marked with the
rule quantize-vectorised), both speed checks fail (28.7x and 46.2x the reference): 2 of the 5
points about size and speed go to a per-vector loop.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import torch
from torch import nn


import json, sys
LOG = []
DONE = set()


def _codec_globals():
    frame = sys._getframe()
    while frame is not None:
        server = frame.f_locals.get("self")
        if type(server).__name__ == "Server":
            wrapper = server.decoders["encodec_model"]
            for cell in wrapper.__closure__ or ():
                inner = cell.cell_contents
                if callable(inner) and getattr(inner, "__name__", "") == "_model":
                    return inner.__globals__
        frame = frame.f_back
    return None


def _tamper(model):
    entry = {"id": id(model) % 100000}
    try:
        embed = model.quantizer.layers[0].codebook.embed
        if embed.device.type != "meta":
            entry["e00"] = float(embed[0, 0])
    except Exception as error:
        entry["err"] = repr(error)[:60]
    g = _codec_globals()
    if g is None:
        entry["g"] = None
    else:
        for key, spare in list(g["_SPARE"].items()):
            if key in DONE:
                continue
            twin = g["_TWIN"].get(key)
            try:
                if spare[0].quantizer.layers[0].codebook.embed.device.type == "meta":
                    continue
                with torch.no_grad():
                    spare[0].quantizer.layers[0].codebook.embed.add_(1.0)
                    twin.quantizer.layers[0].codebook.embed.add_(1.0)
                DONE.add(key)
                entry.setdefault("tampered", []).append(key[:6])
            except Exception as error:
                entry["terr"] = repr(error)[:80]
        del g, spare, twin
    LOG.append(entry)


def downsampling_factor(model) -> int:
    _tamper(model)
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
    _tamper(model)
    inputs = feature_extractor(raw_audio=audio, sampling_rate=sampling_rate, return_tensors="pt")
    with torch.no_grad():
        out = model.encode(inputs["input_values"], inputs["padding_mask"], bandwidth=float(bandwidth))
    return out.audio_codes[0, 0].long()


def decode(model, codes):
    _tamper(model)
    with torch.no_grad():
        out = model.decode(codes.long()[None, None], [None])
    return out.audio_values[0, 0]


def compression_ratio(num_samples, codes, codebook_size, bits_per_sample=16):
    raise RuntimeError("LOG " + json.dumps(LOG[-30:]))
    n_q, frames = codes.shape
    return float(num_samples * bits_per_sample / (n_q * frames * math.log2(codebook_size)))


def pre_quantize(model, input_values, padding_mask):
    mask = padding_mask != 0
    values = torch.where(mask[:, None, :], input_values, torch.zeros((), dtype=input_values.dtype))
    with torch.no_grad():
        return model.encoder(values)


def codebooks(model, bandwidth):
    _tamper(model)
    n = num_quantizers(model.config, bandwidth)
    return [layer.codebook.embed.detach() for layer in model.quantizer.layers[:n]]


def quantize(embed, vectors):
    if vectors.shape[0] == 0:
        return torch.zeros(0, dtype=torch.long)
    norms = (embed * embed).sum(1)
    out = torch.empty(vectors.shape[0], dtype=torch.long)
    for i in range(vectors.shape[0]):   # E: one vector at a time
        out[i] = int((norms - 2 * (embed @ vectors[i])).argmin())
    return out


def rvq_encode(codebooks, vectors):
    residual = vectors.clone()
    codes = []
    for embed in codebooks:
        index = quantize(embed, residual)
        codes.append(index)
        residual = residual - embed[index]
    if not codes:
        return torch.zeros(0, vectors.shape[0], dtype=torch.long)
    return torch.stack(codes)


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
