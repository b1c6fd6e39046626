# mistake: quantize loops over the vectors one at a time in Python, which the docstring says is far too slow (20000 vectors).
# loses: test_quantize_is_vectorised, test_rvq_encode_is_vectorised
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
    """Product of the strides of the encoder's nn.Conv1d layers."""
    factor = 1
    for module in model.encoder.modules():
        if isinstance(module, nn.Conv1d):
            factor *= int(module.stride[0])
    return int(factor)


def num_quantizers(config, bandwidth: float) -> int:
    """Codebooks that fit in the bandwidth (at least one; <= 0 means all)."""
    if bandwidth <= 0:
        return int(config.num_quantizers)
    bw_per_q = math.log2(config.codebook_size) * config.frame_rate
    return int(max(1, math.floor(bandwidth * 1000 / bw_per_q)))


def encode(model, feature_extractor, audio: np.ndarray, sampling_rate: int, bandwidth: float) -> torch.LongTensor:
    """Codes [n_q, frames] of mono audio."""
    rate = model.config.sampling_rate
    if sampling_rate != rate:
        raise ValueError(f"audio is at {sampling_rate} Hz but the model wants {rate} Hz: resample first")
    targets = list(model.config.target_bandwidths)
    if not any(float(bandwidth) == float(t) for t in targets):
        raise ValueError(f"bandwidth {bandwidth} is not one of the model's target bandwidths {targets}")
    inputs = feature_extractor(raw_audio=audio, sampling_rate=sampling_rate, return_tensors="pt")
    with torch.no_grad():
        out = model.encode(inputs["input_values"], inputs["padding_mask"], bandwidth=float(bandwidth))
    codes = out.audio_codes if hasattr(out, "audio_codes") else out[0]
    return codes[0, 0].to(torch.long)


def decode(model, codes: torch.LongTensor) -> torch.Tensor:
    """Audio [frames * hop_length] of codes [n_q, frames]."""
    codes = torch.as_tensor(codes).to(torch.long)
    with torch.no_grad():
        out = model.decode(codes[None, None], [None])
    audio = out.audio_values if hasattr(out, "audio_values") else out[0]
    return audio[0, 0]


def compression_ratio(num_samples: int, codes: torch.LongTensor, codebook_size: int,
                      bits_per_sample: int = 16) -> float:
    n_q, frames = codes.shape
    pcm_bits = num_samples * bits_per_sample
    code_bits = n_q * frames * math.log2(codebook_size)
    return float(pcm_bits / code_bits)


def pre_quantize(model, input_values: torch.Tensor, padding_mask: torch.Tensor) -> torch.Tensor:
    mask = padding_mask.bool().reshape(padding_mask.shape[0], 1, padding_mask.shape[-1])
    x = torch.where(mask, input_values, torch.zeros((), dtype=input_values.dtype))
    with torch.no_grad():
        return model.encoder(x)


def codebooks(model, bandwidth: float) -> list[torch.Tensor]:
    n = min(num_quantizers(model.config, bandwidth), len(model.quantizer.layers))
    return [model.quantizer.layers[q].codebook.embed.detach() for q in range(n)]


def quantize(embed: torch.Tensor, vectors: torch.Tensor) -> torch.LongTensor:
    out = torch.zeros(vectors.shape[0], dtype=torch.long)
    for n in range(vectors.shape[0]):
        d = ((vectors[n][None, :] - embed) ** 2).sum(dim=1)
        out[n] = int(torch.argmin(d))
    return out


def rvq_encode(codebooks: Sequence[torch.Tensor], vectors: torch.Tensor) -> torch.LongTensor:
    residual = vectors.clone()
    rows = []
    for embed in codebooks:
        idx = quantize(embed, residual)
        residual = residual - embed[idx]
        rows.append(idx)
    if not rows:
        return torch.zeros((0, vectors.shape[0]), dtype=torch.long)
    return torch.stack(rows).to(torch.long)


def rvq_decode(codebooks: Sequence[torch.Tensor], codes: torch.LongTensor) -> torch.Tensor:
    Q, N = codes.shape
    D = codebooks[0].shape[1]
    out = torch.zeros((N, D), dtype=codebooks[0].dtype)
    for q in range(Q):
        out = out + codebooks[q][codes[q].long()]
    return out


def distance_curve(codebooks: Sequence[torch.Tensor], vector: torch.Tensor) -> torch.Tensor:
    residual = vector.clone()
    dists = []
    for embed in codebooks:
        idx = quantize(embed, residual[None])[0]
        residual = residual - embed[idx]
        dists.append(torch.linalg.vector_norm(residual))
    if not dists:
        return torch.zeros(0, dtype=vector.dtype)
    return torch.stack(dists)
