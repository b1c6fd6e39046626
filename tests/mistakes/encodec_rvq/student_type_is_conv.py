# mistake: downsampling_factor filters with type(m) is nn.Conv1d, which misses weight-normed (parametrized subclass) convs, so it returns 1 instead of the product of the nn.Conv1d strides (docstring: 'take the strides of the nn.Conv1d layers')
# loses: test_downsampling_factor
"""Hands-on 1: Encodec and residual vector quantization.

Encodec (Défossez et al., 2022) compresses audio into a few integers per
frame. Its encoder turns the waveform into one vector per frame (for
``facebook/encodec_24khz``: 128 dimensions, 75 frames a second, one frame
per 320 samples); a residual vector quantizer (RVQ) replaces each vector by
a code per codebook: the first codebook's nearest row, then the nearest row
of the second codebook to what is left (the residual), and so on; the
decoder turns the sum of the chosen rows back into audio. The more codebooks
(the higher the bandwidth, in kbps), the closer the reconstruction. You work
with ``transformers.EncodecModel`` and ``transformers.EncodecFeatureExtractor``
(https://huggingface.co/docs/transformers/model_doc/encodec): read their
source, ``transformers/models/encodec/modeling_encodec.py``, as you go.

What to do: write the bodies of the functions below (replace the
``raise NotImplementedError``). Keep the names and signatures; you may add
helper functions. Available: ``torch``, ``numpy``, ``transformers``,
``librosa`` and the standard library. The first functions use the model
(:func:`downsampling_factor` to :func:`codebooks`); the last ones rewrite its
quantizer yourself, on plain tensors (:func:`quantize` to
:func:`distance_curve`), and must be vectorised: no Python loop over vectors.

Loading a model (provided code, not graded)::

    from musicrep.encodec import load_encodec
    model, feature_extractor = load_encodec()        # facebook/encodec_24khz

loads the pretrained model from your Hugging Face cache; nothing is
downloaded, and if it is not there the error says how to fetch it. Tiny
models with the same code, made in seconds and fitted to real music, work
for every function here::

    from musicrep.tiny_encodec import write_tiny_checkpoint, held_out_audio
    model, feature_extractor = load_encodec(write_tiny_checkpoint("mono24", "tiny-mono24"))
    audio = held_out_audio(model.config.sampling_rate)   # 40 s of music, float32

How to check your work::

    autograder check encodec_rvq

runs the public graders on this file and tells you what passes. Quick tests
of your own: ``rvq_encode(codebooks(model, 6.0), vectors)`` should give the
codes of ``model.quantizer.encode`` (for ``[B, D, frames]`` embeddings), and
``distance_curve`` of a frame of music should fall as codebooks are added.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch


import math

from torch import nn


def downsampling_factor(model) -> int:
    strides = [m.stride for m in model.encoder.modules() if type(m) is nn.Conv1d]
    return int(np.prod([s[0] for s in strides], dtype=np.int64))


def num_quantizers(config, bandwidth: float) -> int:
    bandwidth = float(bandwidth)
    if bandwidth <= 0.0:
        return int(config.num_quantizers)
    denominator = np.log2(config.codebook_size) * config.frame_rate
    return int(max(1, int(np.floor(bandwidth * 1000 / denominator))))


def encode(model, feature_extractor, audio, sampling_rate, bandwidth):
    config = model.config
    if sampling_rate != config.sampling_rate:
        raise ValueError(f"expected audio at {config.sampling_rate} Hz, got {sampling_rate} Hz "
                         f"(resample with librosa.resample)")
    if not np.isclose(np.asarray(config.target_bandwidths, dtype=float), float(bandwidth), rtol=0, atol=1e-9).any():
        raise ValueError(f"bandwidth {bandwidth} kbps not supported; target bandwidths: {list(config.target_bandwidths)}")
    bw = [b for b in config.target_bandwidths if abs(float(b) - float(bandwidth)) < 1e-9][0]
    inputs = feature_extractor(raw_audio=audio.astype(np.float32), sampling_rate=sampling_rate, return_tensors="pt")
    with torch.no_grad():
        result = model.encode(**inputs, bandwidth=bw)
    return result["audio_codes"][0, 0].to(dtype=torch.long)


def decode(model, codes):
    with torch.no_grad():
        result = model.decode(audio_codes=codes.to(torch.long).reshape(1, 1, *codes.shape), audio_scales=[None])
    return result["audio_values"].reshape(-1)


def compression_ratio(num_samples, codes, codebook_size, bits_per_sample=16):
    n_q, frames = tuple(codes.shape)
    return float(np.float64(num_samples * bits_per_sample) / (n_q * frames * np.log2(float(codebook_size))))


def pre_quantize(model, input_values, padding_mask):
    mask = padding_mask.reshape(input_values.shape[0], 1, -1) != 0
    zeros = torch.zeros_like(input_values)
    with torch.no_grad():
        return model.encoder(torch.where(mask, input_values, zeros))


def codebooks(model, bandwidth):
    n = num_quantizers(model.config, bandwidth)
    n = min(n, model.config.num_quantizers)
    return [model.quantizer.layers[i].codebook.embed.detach() for i in range(n)]


def _sqdist(embed, vectors):
    # expanded squared norms, full distance (keeps |v|^2), clamp rounding below zero
    v2 = vectors.pow(2).sum(1, keepdim=True)
    e2 = embed.pow(2).sum(1)[None]
    return (v2 - 2 * torch.einsum("nd,kd->nk", vectors, embed) + e2).clamp_min_(0)


def quantize(embed, vectors):
    if len(vectors) == 0:
        return torch.zeros((0,), dtype=torch.long)
    return _sqdist(embed, vectors).min(dim=1).indices.to(torch.long)


def rvq_encode(codebooks, vectors):
    Q, N = len(codebooks), vectors.shape[0]
    out = torch.zeros((Q, N), dtype=torch.long)
    r = vectors.detach().clone()
    for q in range(Q):
        out[q] = quantize(codebooks[q], r)
        r -= codebooks[q][out[q]]
    return out


def rvq_decode(codebooks, codes):
    Q = codes.shape[0]
    if Q == 0:
        return torch.zeros((codes.shape[1], codebooks[0].shape[1]), dtype=codebooks[0].dtype)
    gathered = torch.stack([codebooks[q][codes[q].long()] for q in range(Q)])  # [Q, N, D]
    return gathered.sum(0)


def distance_curve(codebooks, vector):
    codes = rvq_encode(codebooks, vector[None])
    out = []
    recon = torch.zeros_like(vector)
    for q in range(len(codebooks)):
        recon = recon + codebooks[q][codes[q, 0]]
        out.append(torch.dist(vector, recon))
    return torch.stack(out) if out else torch.zeros(0, dtype=vector.dtype)
