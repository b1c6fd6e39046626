"""A plausible student submission for Hands-on 1, with two classic mistakes
left in on purpose (the demo shows how they are graded):

- pre_quantize multiplies the input by the padding mask instead of replacing
  the padded samples, so padding that holds NaN leaks into the output;
- rvq_decode averages the chosen rows instead of summing them.
"""
import math

import torch


def downsampling_factor(model):
    factor = 1
    for module in model.encoder.modules():
        if isinstance(module, torch.nn.Conv1d):
            factor *= module.stride[0]
    return factor


def num_quantizers(config, bandwidth):
    if bandwidth <= 0:
        return config.num_quantizers
    bits_per_codebook = math.log2(config.codebook_size) * config.frame_rate
    return max(1, math.floor(bandwidth * 1000 / bits_per_codebook))


def encode(model, feature_extractor, audio, sampling_rate, bandwidth):
    if sampling_rate != model.config.sampling_rate:
        raise ValueError(f"audio is {sampling_rate} Hz, the model needs {model.config.sampling_rate} Hz")
    if bandwidth not in model.config.target_bandwidths:
        raise ValueError(f"bandwidth must be one of {model.config.target_bandwidths}")
    inputs = feature_extractor(raw_audio=audio, sampling_rate=sampling_rate, return_tensors="pt")
    with torch.no_grad():
        out = model.encode(inputs["input_values"], inputs["padding_mask"], bandwidth=bandwidth)
    return out.audio_codes[0][0]


def decode(model, codes):
    with torch.no_grad():
        out = model.decode(codes[None, None], [None])
    return out.audio_values[0][0]


def compression_ratio(num_samples, codes, codebook_size, bits_per_sample=16):
    n_q, frames = codes.shape
    return num_samples * bits_per_sample / (n_q * frames * math.log2(codebook_size))


def pre_quantize(model, input_values, padding_mask):
    with torch.no_grad():
        return model.encoder(input_values * padding_mask[:, None, :])   # mistake: NaN * 0 is NaN


def codebooks(model, bandwidth):
    n = min(num_quantizers(model.config, bandwidth), len(model.quantizer.layers))
    return [model.quantizer.layers[i].codebook.embed for i in range(n)]


def quantize(embed, vectors):
    dist = (vectors ** 2).sum(1, keepdim=True) - 2 * vectors @ embed.T + (embed ** 2).sum(1)
    return dist.argmin(1)


def rvq_encode(codebooks, vectors):
    residual = vectors.clone()
    codes = []
    for table in codebooks:
        idx = quantize(table, residual)
        codes.append(idx)
        residual = residual - table[idx]
    if not codes:
        return torch.zeros(0, len(vectors), dtype=torch.long)
    return torch.stack(codes)


def rvq_decode(codebooks, codes):
    rows = [codebooks[q][codes[q]] for q in range(codes.shape[0])]
    return torch.stack(rows).mean(0)                                     # mistake: the rows add up


def distance_curve(codebooks, vector):
    codes = rvq_encode(codebooks, vector[None])[:, 0]
    residual = vector.clone()
    out = []
    for table, code in zip(codebooks, codes):
        residual = residual - table[code]
        out.append(torch.linalg.norm(residual))
    return torch.stack(out)
