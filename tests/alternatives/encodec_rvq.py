"""Hands-on 1, a second correct solution, written unlike the reference.

It exists to keep the graders honest: everything the spec leaves free is done
differently here, and the graders must still give it full marks.

- downsampling_factor reads the strides of the ``EncodecConv1d`` wrappers'
  inner convolutions, layer by layer, instead of walking ``modules()``;
- encode never calls the feature extractor nor ``model.encode``: it builds the
  input tensor itself and runs ``model.encoder`` then ``model.quantizer.encode``;
  decode runs ``model.quantizer.decode`` then ``model.decoder``;
- pre_quantize uses ``masked_fill``;
- quantize uses ``torch.cdist`` and, where rows tie, takes the LAST nearest row;
- rvq_encode computes full squared distances ``|r|^2 - 2 r.e + |e|^2``, takes
  the last minimiser too, and forms each residual as the vector minus the sum
  of the rows chosen so far (not by subtracting one row at a time);
- rvq_decode gathers all the rows at once and sums a stacked tensor;
- distance_curve uses cumulative sums of the chosen rows.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import torch

CHUNK = 4096


def downsampling_factor(model) -> int:
    factor = 1
    for layer in model.encoder.layers:
        conv = getattr(layer, "conv", None)
        if isinstance(conv, torch.nn.Conv1d):
            factor *= conv.stride[0]
    return int(factor)


def num_quantizers(config, bandwidth: float) -> int:
    if bandwidth <= 0:
        return config.num_quantizers
    bits_per_second_per_codebook = math.log2(config.codebook_size) * config.frame_rate
    return max(1, int(bandwidth * 1000 / bits_per_second_per_codebook))


def encode(model, feature_extractor, audio: np.ndarray, sampling_rate: int, bandwidth: float) -> torch.LongTensor:
    cfg = model.config
    if int(sampling_rate) != int(cfg.sampling_rate):
        raise ValueError(f"expected audio sampled at {cfg.sampling_rate} Hz, got {sampling_rate} Hz")
    if not any(math.isclose(bandwidth, b) for b in cfg.target_bandwidths):
        raise ValueError(f"bandwidth {bandwidth} not supported; choose from {list(cfg.target_bandwidths)}")
    values = torch.as_tensor(np.asarray(audio, dtype=np.float32)).reshape(1, 1, -1)
    with torch.no_grad():
        embeddings = model.encoder(values)
        codes = model.quantizer.encode(embeddings, float(bandwidth))
    return codes[:, 0, :].long()


def decode(model, codes: torch.LongTensor) -> torch.Tensor:
    with torch.no_grad():
        embeddings = model.quantizer.decode(codes.long().unsqueeze(1))
        audio = model.decoder(embeddings)
    return audio.squeeze(0).squeeze(0)


def compression_ratio(num_samples: int, codes: torch.LongTensor, codebook_size: int,
                      bits_per_sample: int = 16) -> float:
    pcm_bits = num_samples * bits_per_sample
    return pcm_bits / (codes.numel() * math.log2(codebook_size))


def pre_quantize(model, input_values: torch.Tensor, padding_mask: torch.Tensor) -> torch.Tensor:
    padded = ~padding_mask.bool().unsqueeze(1)
    with torch.no_grad():
        return model.encoder(input_values.masked_fill(padded, 0.0))


def codebooks(model, bandwidth: float) -> list[torch.Tensor]:
    wanted = num_quantizers(model.config, bandwidth)
    tables = []
    for layer in model.quantizer.layers:
        if len(tables) == wanted:
            break
        tables.append(layer.codebook.embed)
    return tables


def _last_argmin(distances: torch.Tensor) -> torch.Tensor:
    """The index of the LAST minimum of each row."""
    return distances.shape[1] - 1 - distances.flip(1).argmin(dim=1)


def quantize(embed: torch.Tensor, vectors: torch.Tensor) -> torch.LongTensor:
    out = torch.empty(len(vectors), dtype=torch.long)
    with torch.no_grad():
        for start in range(0, len(vectors), CHUNK):
            out[start:start + CHUNK] = _last_argmin(torch.cdist(vectors[start:start + CHUNK], embed))
    return out


def rvq_encode(codebooks: Sequence[torch.Tensor], vectors: torch.Tensor) -> torch.LongTensor:
    codebooks = list(codebooks)
    out = torch.zeros(len(codebooks), len(vectors), dtype=torch.long)
    squared_norms = [(table * table).sum(1) for table in codebooks]
    with torch.no_grad():
        for start in range(0, len(vectors), CHUNK):
            block = vectors[start:start + CHUNK]
            reconstruction = torch.zeros_like(block)
            for q, table in enumerate(codebooks):
                residual = block - reconstruction
                distances = (residual * residual).sum(1, keepdim=True) - 2 * residual @ table.T + squared_norms[q]
                chosen = _last_argmin(distances)
                out[q, start:start + CHUNK] = chosen
                reconstruction = reconstruction + table[chosen]
    return out


def rvq_decode(codebooks: Sequence[torch.Tensor], codes: torch.LongTensor) -> torch.Tensor:
    rows = [table[row] for table, row in zip(codebooks, codes.long())]
    if not rows:
        return torch.zeros(codes.shape[1], codebooks[0].shape[1], dtype=codebooks[0].dtype)
    return torch.stack(rows).sum(dim=0)


def distance_curve(codebooks: Sequence[torch.Tensor], vector: torch.Tensor) -> torch.Tensor:
    codes = rvq_encode(codebooks, vector.reshape(1, -1))[:, 0]
    rows = torch.stack([table[code] for table, code in zip(codebooks, codes)])
    reconstructions = rows.cumsum(dim=0)
    return torch.linalg.vector_norm(vector.reshape(1, -1) - reconstructions, dim=1)
