"""Encodec hands-on, alternative implementation."""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import torch


def downsampling_factor(model) -> int:
    factor = 1
    for module in model.encoder.modules():
        if isinstance(module, torch.nn.Conv1d):
            stride = module.stride
            factor *= int(stride[0] if isinstance(stride, (tuple, list)) else stride)
    return int(factor)


def num_quantizers(config, bandwidth: float) -> int:
    if bandwidth <= 0:
        return int(config.num_quantizers)
    per_codebook = math.log2(config.codebook_size) * config.frame_rate
    return int(max(1, math.floor(bandwidth * 1000 / per_codebook)))


def encode(model, feature_extractor, audio: np.ndarray, sampling_rate: int, bandwidth: float) -> torch.LongTensor:
    rate = model.config.sampling_rate
    if sampling_rate != rate:
        raise ValueError(f"audio at {sampling_rate} Hz, but the model expects {rate} Hz: resample it first")
    targets = [float(b) for b in model.config.target_bandwidths]
    if float(bandwidth) not in targets:
        raise ValueError(f"bandwidth {bandwidth} is not one of the model's target bandwidths {targets}")
    inputs = feature_extractor(raw_audio=audio, sampling_rate=sampling_rate, return_tensors="pt")
    with torch.no_grad():
        out = model.encode(inputs["input_values"], inputs["padding_mask"], bandwidth=bandwidth)
    return out.audio_codes[0, 0].to(torch.long)


def decode(model, codes: torch.LongTensor) -> torch.Tensor:
    with torch.no_grad():
        out = model.decode(codes[None, None], [None])
    values = out.audio_values if hasattr(out, "audio_values") else out[0]
    return values[0, 0]


def compression_ratio(num_samples: int, codes: torch.LongTensor, codebook_size: int,
                      bits_per_sample: int = 16) -> float:
    n_q, frames = codes.shape
    return float(num_samples * bits_per_sample / (n_q * frames * math.log2(codebook_size)))


def pre_quantize(model, input_values: torch.Tensor, padding_mask: torch.Tensor) -> torch.Tensor:
    keep = padding_mask.to(torch.bool).unsqueeze(1)
    clean = torch.where(keep, input_values, torch.zeros((), dtype=input_values.dtype))
    with torch.no_grad():
        return model.encoder(clean)


def codebooks(model, bandwidth: float) -> list[torch.Tensor]:
    layers = model.quantizer.layers
    n = min(num_quantizers(model.config, bandwidth), len(layers))
    return [layers[q].codebook.embed.detach().clone() for q in range(n)]  # a copy: allowed


# ---- quantizer maths: expanded squared norms, addmm, precomputed |e|^2 ----------------------

def _nearest(embed: torch.Tensor, embed_sq: torch.Tensor, vectors: torch.Tensor) -> torch.LongTensor:
    # |v - e|^2 - |v|^2 = |e|^2 - 2 v.e ; argmin over rows
    scores = torch.addmm(embed_sq.unsqueeze(0), vectors, embed.t(), beta=1.0, alpha=-2.0)
    return scores.argmin(dim=1)


def _prepare(codebook: torch.Tensor, dtype) -> tuple[torch.Tensor, torch.Tensor]:
    table = codebook.detach().to(torch.float64)   # distances in float64
    return table, (table * table).sum(dim=1)


def quantize(embed: torch.Tensor, vectors: torch.Tensor) -> torch.LongTensor:
    dtype = torch.promote_types(embed.dtype, vectors.dtype)
    table, table_sq = _prepare(embed, dtype)
    v = vectors.detach().to(torch.float64)
    if v.shape[0] == 0:
        return torch.zeros(0, dtype=torch.long, device=v.device)
    return _nearest(table, table_sq, v).long()


def _greedy(codebooks, vectors):
    """Codes [Q, N] and the residual after every step, never writing into a tensor."""
    dtype = vectors.dtype
    for cb in codebooks:
        dtype = torch.promote_types(dtype, cb.dtype)
    prepared = [_prepare(cb, dtype) for cb in codebooks]
    residual = vectors.detach().to(torch.float64)
    codes, residuals = [], []
    for table, table_sq in prepared:
        if residual.shape[0]:
            idx = _nearest(table, table_sq, residual)
        else:
            idx = torch.zeros(0, dtype=torch.long, device=residual.device)
        residual = residual - table.index_select(0, idx)
        codes.append(idx)
        residuals.append(residual)
    return codes, residuals


def rvq_encode(codebooks: Sequence[torch.Tensor], vectors: torch.Tensor) -> torch.LongTensor:
    codes, _ = _greedy(list(codebooks), vectors)
    if not codes:
        return torch.zeros((0, vectors.shape[0]), dtype=torch.long, device=vectors.device)
    return torch.stack(codes).long()


def rvq_decode(codebooks: Sequence[torch.Tensor], codes: torch.LongTensor) -> torch.Tensor:
    codes = codes.long()
    q_count, n = codes.shape
    ref = codebooks[0] if len(codebooks) else torch.zeros(0, 0)
    if q_count == 0:
        return torch.zeros(n, ref.shape[1], dtype=ref.dtype, device=ref.device)
    tables = [codebooks[q].detach() for q in range(q_count)]
    if all(t.shape == tables[0].shape for t in tables):
        stacked = torch.stack(tables)                                   # [Q, K, D]
        picked = stacked[torch.arange(q_count, device=codes.device).unsqueeze(1), codes]  # [Q, N, D]
        return picked.sum(dim=0)
    return sum(torch.nn.functional.embedding(codes[q], tables[q]) for q in range(q_count))


def distance_curve(codebooks: Sequence[torch.Tensor], vector: torch.Tensor) -> torch.Tensor:
    _, residuals = _greedy(list(codebooks), vector.reshape(1, -1))
    if not residuals:
        return torch.zeros(0, dtype=vector.dtype, device=vector.device)
    return torch.cat(residuals).norm(dim=1).to(torch.promote_types(vector.dtype, codebooks[0].dtype))
