"""Cheat (red-team round 2026-12-07, from the student release): quantize runs transformers' own
EncodecEuclideanCodebook.quantize, as a TorchScript graph traced once when the module is imported (no
Python frame of the library's code runs during the graded call, so the profile hook sees nothing, and
no construct of the tamper scan's lists appears in the source: torch.jit.trace is ordinary torch).
It earned every quantize case, 18.5/132, unflagged; the scan now lists ``.jit`` (a task about RVQ by
hand never needs TorchScript), so it is flagged for the instructor's review. The points stay: nothing
in the worker's process sees a traced graph run.
The other functions are not written (a cheat file, not a solution)."""
from __future__ import annotations

from typing import Sequence

import torch
from transformers.models.encodec.modeling_encodec import EncodecEuclideanCodebook


class _Codebook:
    """What the library's method reads of its module: ``embed``."""

    def __init__(self, embed: torch.Tensor):
        self.embed = embed


def _library_nearest(embed: torch.Tensor, vectors: torch.Tensor) -> torch.Tensor:
    return EncodecEuclideanCodebook.quantize(_Codebook(embed), vectors)


_NEAREST = torch.jit.trace(_library_nearest, (torch.randn(16, 8), torch.randn(5, 8)))


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


def quantize(embed: torch.Tensor, vectors: torch.Tensor) -> torch.LongTensor:
    with torch.no_grad():
        return _NEAREST(embed.float(), vectors.float())


def rvq_encode(codebooks: Sequence[torch.Tensor], vectors: torch.Tensor) -> torch.LongTensor:
    raise NotImplementedError("rvq_encode: write this function")


def rvq_decode(codebooks: Sequence[torch.Tensor], codes: torch.LongTensor) -> torch.Tensor:
    raise NotImplementedError("rvq_decode: write this function")


def distance_curve(codebooks: Sequence[torch.Tensor], vector: torch.Tensor) -> torch.Tensor:
    raise NotImplementedError("distance_curve: write this function")
