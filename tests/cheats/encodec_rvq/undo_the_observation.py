"""Cheat: RVQ delegated to transformers' own quantizer, with the worker's observation of library
calls undone from inside the worker's process (where student code runs), one way per function:
the profile hook switched off and put back, the library called from a ``_thread`` thread that ends
before the call returns, and the library's code objects renamed. Each earned its points before (with
the watch replaced, replace_the_watch.py, 66/132 in all); the watch now sees the switch and the raw
thread as they happen and a renamed copy by its bytecode, and the source scan flags the file too.

The model-using functions are not written (a cheat file, not a solution)."""
# loses: test_quantize, test_rvq_encode, test_rvq_decode, test_distance_curve, test_quantize_at_scale, test_rvq_encode_at_scale
from __future__ import annotations

import _thread
import sys
import time
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


def quantize(embed: torch.Tensor, vectors: torch.Tensor) -> torch.LongTensor:
    if len(vectors) == 0:
        return torch.zeros(0, dtype=torch.long)
    hook = sys.getprofile()
    sys.setprofile(None)   # unseen while the library runs, put back before returning
    try:
        return _BOOK.quantize(_holder(embed), vectors.float()).long()
    finally:
        sys.setprofile(hook)


def rvq_encode(codebooks: Sequence[torch.Tensor], vectors: torch.Tensor) -> torch.LongTensor:   # plainly
    codes, residual = [], vectors.float()
    for table in codebooks:
        index = _BOOK.quantize(_holder(table), residual) if len(residual) else torch.zeros(0, dtype=torch.long)
        residual = residual - table.float()[index]
        codes.append(index.long())
    return torch.stack(codes) if codes else torch.zeros(0, len(vectors), dtype=torch.long)


def rvq_decode(codebooks: Sequence[torch.Tensor], codes: torch.LongTensor) -> torch.Tensor:
    parts: list[torch.Tensor] = []

    def work():   # a raw thread, ended before the call returns
        for table, row in zip(codebooks, codes):
            parts.append(_BOOK.decode(_holder(table), row.long()))

    _thread.start_new_thread(work, ())
    while len(parts) < len(codebooks):
        time.sleep(0.001)
    time.sleep(0.05)
    total = torch.zeros(codes.shape[1], codebooks[0].shape[1])
    for part in parts:
        total = total + part
    return total.to(codebooks[0].dtype)


def _renamed(function):
    """The library's function under another name and file: what the watch recognises is gone."""
    code = function.__code__.replace(co_name="nearest", co_qualname="nearest", co_filename="mine.py")
    return types.FunctionType(code, function.__globals__, "nearest", function.__defaults__, function.__closure__)


_NEAREST = _renamed(_BOOK.quantize)


def distance_curve(codebooks: Sequence[torch.Tensor], vector: torch.Tensor) -> torch.Tensor:
    out, total, residual = [], torch.zeros_like(vector), vector[None].float()
    for table in codebooks:
        code = _NEAREST(_holder(table), residual)
        residual = residual - table.float()[code]
        total = total + table[code[0]]
        out.append(torch.linalg.vector_norm(vector - total))
    return torch.stack(out) if out else torch.zeros(0)
