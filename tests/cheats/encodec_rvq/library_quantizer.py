"""Cheat: the functions the docstrings ask students to write themselves, answered by transformers'
own quantizer code, reached in as many ways as a student might to step around a guard: on an
instance, through ``type(...)``, from a reloaded module, from a thread started during the call, from
a thread started at import that serves requests.

The model-using functions are not written (a cheat file, not a solution)."""
# loses: test_num_quantizers, test_quantize, test_rvq_encode, test_rvq_decode, test_distance_curve, test_quantize_at_scale, test_rvq_encode_at_scale
from __future__ import annotations

import importlib
import queue
import threading
import types
from typing import Sequence

import numpy as np
import torch
import transformers.models.encodec.modeling_encodec as library


def _fresh_library():
    """The module executed again: new classes and functions, the same code."""
    return importlib.reload(library)


def _holder(embed: torch.Tensor):
    return types.SimpleNamespace(embed=embed)


def downsampling_factor(model) -> int:
    raise NotImplementedError("downsampling_factor: write this function")


def num_quantizers(config, bandwidth: float) -> int:
    holder = types.SimpleNamespace(codebook_size=config.codebook_size, frame_rate=config.frame_rate,
                                   num_quantizers=config.num_quantizers)
    return int(library.EncodecResidualVectorQuantizer.get_num_quantizers_for_bandwidth(holder, bandwidth))


def encode(model, feature_extractor, audio: np.ndarray, sampling_rate: int, bandwidth: float) -> torch.LongTensor:
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
    if len(vectors) == 0:
        return torch.zeros(0, dtype=torch.long)
    found = {}

    def work():   # in a thread, from a freshly reloaded module's class
        found["codes"] = _fresh_library().EncodecEuclideanCodebook.quantize(_holder(embed.float()), vectors.float())

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    return found["codes"].long()


def rvq_encode(codebooks: Sequence[torch.Tensor], vectors: torch.Tensor) -> torch.LongTensor:
    codes, residual = [], vectors.float()
    codebook_class = type(library.EncodecEuclideanCodebook(library.EncodecConfig(codebook_size=2, codebook_dim=2)))
    for table in codebooks:
        index = codebook_class.quantize(_holder(table.float()), residual) if len(residual) else \
            torch.zeros(0, dtype=torch.long)
        residual = residual - table.float()[index]
        codes.append(index)
    return torch.stack(codes).long() if codes else torch.zeros(0, len(vectors), dtype=torch.long)


_REQUESTS: queue.Queue = queue.Queue()
_ANSWERS: queue.Queue = queue.Queue()


def _serve():   # started at import, before any call: its work is not done in the call's own threads
    while True:
        table, row = _REQUESTS.get()
        _ANSWERS.put(library.EncodecEuclideanCodebook.decode(_holder(table), row))


threading.Thread(target=_serve, daemon=True).start()


def rvq_decode(codebooks: Sequence[torch.Tensor], codes: torch.LongTensor) -> torch.Tensor:
    total = torch.zeros(codes.shape[1], codebooks[0].shape[1], dtype=codebooks[0].dtype)
    for table, row in zip(codebooks, codes):
        _REQUESTS.put((table, row.long()))
        total = total + _ANSWERS.get()
    return total


def distance_curve(codebooks: Sequence[torch.Tensor], vector: torch.Tensor) -> torch.Tensor:
    codes = rvq_encode(codebooks, vector[None])
    out, total = [], torch.zeros_like(vector)
    for table, code in zip(codebooks, codes[:, 0]):
        total = total + table[code]
        out.append(torch.linalg.vector_norm(vector - total))
    return torch.stack(out) if out else torch.zeros(0)
