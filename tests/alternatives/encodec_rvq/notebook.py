"""Hands-on 1 as the course notebook writes it, pasted into the stub: must get full marks.

Short, direct code in the notebook's style, unlike both the reference and the other alternative:

- downsampling_factor is the notebook's stride loop over ``model.encoder.layers``, reading each
  ``EncodecConv1d``'s ``stride`` buffer with ``.item()`` (on the full-size model built on the meta
  device too);
- encode compares ``float(bandwidth)`` with the targets; decode passes the codes as they come;
- pre_quantize uses ``masked_fill`` on ``padding_mask == 0``;
- quantize writes out ``|v|^2 - 2 v.e + |e|^2`` in one expression; rvq_encode calls it once per
  codebook on the whole residual and indexes the rows with ``embed[codes]``;
- rvq_decode and distance_curve accumulate in Python loops over the codebooks.
"""
import math

import numpy as np
import torch


def downsampling_factor(model) -> int:
    factor = 1
    for layer in model.encoder.layers:
        if hasattr(layer, "stride"):
            factor *= layer.stride.item()
    return factor


def num_quantizers(config, bandwidth: float) -> int:
    if bandwidth <= 0:
        return config.num_quantizers
    bits_per_second = math.log2(config.codebook_size) * config.frame_rate
    return max(1, math.floor(bandwidth * 1000 / bits_per_second))


def encode(model, feature_extractor, audio: np.ndarray, sampling_rate: int, bandwidth: float) -> torch.LongTensor:
    if sampling_rate != model.config.sampling_rate:
        raise ValueError(f"the model expects {model.config.sampling_rate} Hz audio, not {sampling_rate} Hz")
    if float(bandwidth) not in [float(b) for b in model.config.target_bandwidths]:
        raise ValueError(f"bandwidth must be one of {model.config.target_bandwidths}, got {bandwidth}")
    inputs = feature_extractor(raw_audio=audio, sampling_rate=sampling_rate, return_tensors="pt")
    with torch.no_grad():
        encoded = model.encode(inputs["input_values"], inputs["padding_mask"], bandwidth=bandwidth)
    return encoded.audio_codes[0, 0]


def decode(model, codes: torch.LongTensor) -> torch.Tensor:
    with torch.no_grad():
        audio = model.decode(codes[None, None], [None]).audio_values
    return audio[0, 0]


def compression_ratio(num_samples: int, codes: torch.LongTensor, codebook_size: int,
                      bits_per_sample: int = 16) -> float:
    n_q, frames = codes.shape
    return num_samples * bits_per_sample / (n_q * frames * math.log2(codebook_size))


def pre_quantize(model, input_values: torch.Tensor, padding_mask: torch.Tensor) -> torch.Tensor:
    clean = input_values.masked_fill(padding_mask[:, None, :] == 0, 0.0)
    with torch.no_grad():
        return model.encoder(clean)


def codebooks(model, bandwidth: float) -> list[torch.Tensor]:
    n_q = num_quantizers(model.config, bandwidth)
    return [layer.codebook.embed for layer in model.quantizer.layers[:n_q]]


def quantize(embed: torch.Tensor, vectors: torch.Tensor) -> torch.LongTensor:
    distances = (vectors ** 2).sum(1, keepdim=True) - 2 * vectors @ embed.T + (embed ** 2).sum(1)
    return distances.argmin(dim=1)


def rvq_encode(codebooks, vectors: torch.Tensor) -> torch.LongTensor:
    residual = vectors.clone()
    all_codes = []
    for embed in codebooks:
        codes = quantize(embed, residual)
        all_codes.append(codes)
        residual = residual - embed[codes]
    if not all_codes:
        return torch.zeros(0, vectors.shape[0], dtype=torch.long)
    return torch.stack(all_codes)


def rvq_decode(codebooks, codes: torch.LongTensor) -> torch.Tensor:
    out = torch.zeros(codes.shape[1], codebooks[0].shape[1], dtype=codebooks[0].dtype)
    for q in range(codes.shape[0]):
        out = out + codebooks[q][codes[q]]
    return out


def distance_curve(codebooks, vector: torch.Tensor) -> torch.Tensor:
    codes = rvq_encode(codebooks, vector[None])[:, 0]
    reconstruction = torch.zeros_like(vector)
    distances = []
    for q, code in enumerate(codes):
        reconstruction = reconstruction + codebooks[q][code]
        distances.append(torch.linalg.norm(vector - reconstruction))
    return torch.stack(distances)
