"""Cheat: RVQ delegated to transformers' own quantizer, the worker's watch of library calls replaced
at import (found among the loaded modules by what it holds), so that it sees nothing. Nothing in the
worker's process can stop code that rewrites the worker: it earned 42 points of 132 here (66 with the
other functions of undo_the_observation.py), and the source scan (engine/tamper.py) flags it for the
instructor's review.

The model-using functions are not written (a cheat file, not a solution)."""
from __future__ import annotations

import sys
import types
from typing import Sequence

import torch
import transformers.models.encodec.modeling_encodec as library

_BOOK = library.EncodecEuclideanCodebook


def _holder(embed: torch.Tensor):
    return types.SimpleNamespace(embed=embed.float())


def downsampling_factor(model) -> int:
    raise NotImplementedError("downsampling_factor: write this function")


def num_quantizers(config, bandwidth: float) -> int:
    raise NotImplementedError("num_quantizers: write this function")


def encode(model, feature_extractor, audio, sampling_rate: int, bandwidth: float) -> torch.LongTensor:
    raise NotImplementedError("encode: write this function")


def decode(model, codes: torch.LongTensor) -> torch.Tensor:
    raise NotImplementedError("decode: write this function")


def compression_ratio(num_samples: int, codes: torch.LongTensor, codebook_size: int,
                      bits_per_sample: int = 16) -> float:
    raise NotImplementedError("compression_ratio: write this function")


def pre_quantize(model, input_values: torch.Tensor, padding_mask: torch.Tensor) -> torch.Tensor:
    raise NotImplementedError("pre_quantize: write this function")


def codebooks(model, bandwidth: float) -> list[torch.Tensor]:
    raise NotImplementedError("codebooks: write this function")


# At import, before any call: the worker's watch sees nothing from now on (found by what it holds).
for _module in list(sys.modules.values()):
    if hasattr(_module, "Watch") and hasattr(_module, "SWITCHED_OFF"):
        _module.Watch._hook = lambda self, frame, event, arg: None




def quantize(embed: torch.Tensor, vectors: torch.Tensor) -> torch.LongTensor:
    if len(vectors) == 0:
        return torch.zeros(0, dtype=torch.long)
    return _BOOK.quantize(_holder(embed), vectors.float()).long()


def rvq_encode(codebooks: Sequence[torch.Tensor], vectors: torch.Tensor) -> torch.LongTensor:
    codes, residual = [], vectors.float()
    for table in codebooks:
        index = _BOOK.quantize(_holder(table), residual) if len(residual) else torch.zeros(0, dtype=torch.long)
        residual = residual - table.float()[index]
        codes.append(index.long())
    return torch.stack(codes) if codes else torch.zeros(0, len(vectors), dtype=torch.long)


def rvq_decode(codebooks: Sequence[torch.Tensor], codes: torch.LongTensor) -> torch.Tensor:
    total = torch.zeros(codes.shape[1], codebooks[0].shape[1])
    for table, row in zip(codebooks, codes):
        total = total + _BOOK.decode(_holder(table), row.long())
    return total.to(codebooks[0].dtype)


def distance_curve(codebooks: Sequence[torch.Tensor], vector: torch.Tensor) -> torch.Tensor:
    codes = rvq_encode(codebooks, vector[None])
    out, total = [], torch.zeros_like(vector)
    for table, code in zip(codebooks, codes[:, 0]):
        total = total + table[code]
        out.append(torch.linalg.vector_norm(vector - total))
    return torch.stack(out) if out else torch.zeros(0)
