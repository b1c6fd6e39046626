"""The course notebook's nearest-row loop: for each vector, its distances to every row, then argmin.

Right on every input, but one vector at a time (and rvq_encode calls it for each codebook): it
must lose the vectorisation points, and the public checks on 20000 vectors, with a message
that says it is too slow or names the memory limit it ran into (its list of per-vector tensors
fragments the heap until the worker's address space is full), never a bare allocator error. The
rest is the notebook alternative.
"""
# loses: test_quantize_is_vectorised, test_rvq_encode_is_vectorised, test_quantize_at_scale, test_rvq_encode_at_scale
# says: It must be vectorised
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
    codes = []
    for v in vectors:
        distances = torch.sqrt(((embed - v) ** 2).sum(dim=1))
        codes.append(torch.argmin(distances))
    if not codes:
        return torch.zeros(0, dtype=torch.long)
    return torch.stack(codes)


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
