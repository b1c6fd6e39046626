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

from transformers.models.encodec.modeling_encodec import EncodecConv1d


def downsampling_factor(model) -> int:
    factor = 1
    for layer in model.encoder.layers:
        if isinstance(layer, EncodecConv1d):
            factor *= layer.conv.stride[0]   # the nn.Conv1d's tuple, works on meta too
    return int(factor)


def num_quantizers(config, bandwidth: float) -> int:
    if bandwidth <= 0:
        return config.num_quantizers
    per_codebook = math.log2(config.codebook_size) * config.frame_rate
    return max(1, int(bandwidth * 1000 / per_codebook // 1))


def _check(model, sampling_rate, bandwidth):
    if sampling_rate != model.config.sampling_rate:
        raise ValueError("wrong sampling rate: got %d Hz, model needs %d Hz" % (sampling_rate, model.config.sampling_rate))
    if float(bandwidth) not in [float(b) for b in model.config.target_bandwidths]:
        raise ValueError("bandwidth must be one of %s, got %s" % (list(model.config.target_bandwidths), bandwidth))


def encode(model, feature_extractor, audio, sampling_rate, bandwidth):
    _check(model, sampling_rate, bandwidth)
    batch = feature_extractor(raw_audio=audio, sampling_rate=sampling_rate, return_tensors="pt")
    with torch.no_grad():
        codes, _scales, _pad = model.encode(batch["input_values"], batch["padding_mask"],
                                            bandwidth=bandwidth, return_dict=False)
    return codes[0][0].long()


def decode(model, codes):
    with torch.no_grad():
        (audio,) = model.decode(codes.long()[None, None], [None], return_dict=False)
    return audio[0][0]


def compression_ratio(num_samples, codes, codebook_size, bits_per_sample=16):
    return (num_samples * bits_per_sample) / (codes.shape[0] * codes.shape[1] * math.log2(codebook_size))


def pre_quantize(model, input_values, padding_mask):
    real = padding_mask.to(torch.bool)[:, None, :].expand_as(input_values)
    x = input_values.clone()
    x[~real] = 0
    with torch.no_grad():
        return model.encoder(x)


def codebooks(model, bandwidth):
    out = []
    for q, layer in enumerate(model.quantizer.layers):
        if q >= num_quantizers(model.config, bandwidth):
            break
        out.append(layer.codebook.embed.detach())
    return out


class _Table:
    """A codebook with its squared row norms precomputed."""

    def __init__(self, embed):
        self.embed = embed
        self.norms = (embed ** 2).sum(-1)

    def nearest(self, x):
        if x.shape[0] == 0:
            return torch.zeros(0, dtype=torch.long)
        # addmm: norms - 2 x e^T
        scores = torch.addmm(self.norms[None, :], x, self.embed.T, beta=1.0, alpha=-2.0)
        return scores.argmin(-1)


def quantize(embed, vectors):
    return _Table(embed).nearest(vectors).long()


def rvq_encode(codebooks, vectors):
    tables = [_Table(e) for e in codebooks]
    residual = vectors
    codes = []
    for t in tables:
        k = t.nearest(residual)
        codes.append(k)
        residual = residual - t.embed[k]
    return torch.stack(codes).long() if codes else torch.empty(0, vectors.shape[0], dtype=torch.long)


def rvq_decode(codebooks, codes):
    base = codebooks[0]
    out = base.new_zeros(codes.shape[1], base.shape[1])
    for q, row in enumerate(codes):
        out += torch.nn.functional.embedding(row.long(), codebooks[q])
    return out


def distance_curve(codebooks, vector):
    residual = vector[None, :]
    out = []
    for t in map(_Table, codebooks):
        residual = residual - t.embed[t.nearest(residual)]
        out.append(residual.norm(dim=-1)[0])
    return torch.stack(out) if out else vector.new_zeros(0)
