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
from functools import reduce
import operator


def downsampling_factor(model) -> int:
    # the downsampling blocks have the ratios of config.upsampling_ratios, all other convs stride 1
    return int(reduce(operator.mul, [int(r) for r in model.config.upsampling_ratios], 1))


def num_quantizers(config, bandwidth: float) -> int:
    n_max = config.num_quantizers
    if not bandwidth > 0.0:
        return int(n_max)
    frame_rate = math.ceil(config.sampling_rate / config.hop_length)
    bits = math.log2(config.codebook_size)
    n = math.floor(bandwidth * 1000 / (bits * frame_rate))
    return int(n) if n >= 1 else 1


def encode(model, feature_extractor, audio, sampling_rate, bandwidth):
    cfg = model.config
    if int(sampling_rate) != int(cfg.sampling_rate):
        raise ValueError(
            f"sampling_rate {sampling_rate} Hz does not match the model's {cfg.sampling_rate} Hz; "
            f"use librosa.resample")
    if bandwidth not in cfg.target_bandwidths:
        raise ValueError(f"unsupported bandwidth {bandwidth}; choose one of {cfg.target_bandwidths}")
    feats = feature_extractor(raw_audio=np.asarray(audio), sampling_rate=sampling_rate, return_tensors="pt")
    with torch.inference_mode():
        enc = model.encode(feats.input_values, feats.padding_mask, bandwidth=bandwidth, return_dict=True)
    chunks = enc.audio_codes
    return chunks.squeeze(0).squeeze(0).long().clone()


def decode(model, codes):
    audio_codes = codes.long().unsqueeze(0).unsqueeze(0)
    with torch.inference_mode():
        values = model.decode(audio_codes, [None], return_dict=True).audio_values
    return values[0, 0].clone()


def compression_ratio(num_samples, codes, codebook_size, bits_per_sample=16):
    code_bits = codes.numel() * np.log2(codebook_size)
    return float(np.float64(num_samples) * bits_per_sample / code_bits)


def pre_quantize(model, input_values, padding_mask):
    keep = (padding_mask != 0).unsqueeze(1)
    clean = input_values.masked_fill(~keep, 0.0)
    with torch.no_grad():
        return model.encoder(clean)


def codebooks(model, bandwidth):
    layers = model.quantizer.layers
    n = num_quantizers(model.config, bandwidth)
    return [layer.codebook.embed.detach() for layer in layers[:n]]


def quantize(embed, vectors):
    if vectors.shape[0] == 0:
        return torch.empty(0, dtype=torch.long)
    d = torch.cdist(vectors.float(), embed.float(), compute_mode="use_mm_for_euclid_dist")
    return torch.argmin(d, dim=1).long()


def rvq_encode(codebooks, vectors):
    n = vectors.shape[0]
    codes = torch.empty((len(codebooks), n), dtype=torch.long)
    residual = vectors
    for q, embed in enumerate(codebooks):
        codes[q] = quantize(embed, residual)
        residual = residual - torch.index_select(embed, 0, codes[q])
    return codes


def rvq_decode(codebooks, codes):
    dtype = codebooks[0].dtype
    n, d = codes.shape[1], codebooks[0].shape[1]
    total = torch.zeros(n, d, dtype=dtype)
    for q in range(codes.shape[0]):
        onehot = torch.nn.functional.one_hot(codes[q].long(), codebooks[q].shape[0]).to(dtype)
        total += torch.einsum("nk,kd->nd", onehot, codebooks[q])
    return total


def distance_curve(codebooks, vector):
    codes = rvq_encode(codebooks, vector.reshape(1, -1))
    chosen = torch.stack([cb[c] for cb, c in zip(codebooks, codes[:, 0])]) if len(codebooks) else vector.new_zeros(0, vector.shape[0])
    recon = torch.cumsum(chosen, dim=0)
    return torch.linalg.norm(vector[None, :] - recon, dim=1)
