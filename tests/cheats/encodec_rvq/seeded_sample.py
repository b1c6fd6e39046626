"""Cheat: the big runs (20 000 vectors) recognised from the seeds in the shipped graders, answered only on
the rows the grader's seeded sample would check, zeros elsewhere (97.5 % of the answers wrong, 40 times
less work).

What it tries: the public grader draws a big run's vectors as ``default_rng((seed, draw))`` and checks
the rows ``default_rng((seed, draw, 1)).choice(n, 500)``; the seeds (71 and 73 in the public cases, 61
and 63 in the timing workloads) are in shipped code. Unrecognised big inputs get zeros; small inputs
are not answered (a cheat file, not a solution)."""
# loses: test_quantize_at_scale, test_rvq_encode_at_scale
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

SEEDS = (71, 73, 61, 63)
DRAWS = (1, 0, 2, 3, 4, 1000, 1001, 1002, 1003)
SAMPLE = 500


def _recognise(vectors: np.ndarray):
    """(seed, draw) whose vectors these are, or None."""
    for seed in SEEDS:
        for draw in DRAWS:
            first = np.random.default_rng((seed, draw)).standard_normal((1, vectors.shape[1]), dtype=np.float32)
            if np.array_equal(first[0], vectors[0]):
                return seed, draw
    return None


def _rows_checked(vectors: np.ndarray) -> np.ndarray | None:
    found = _recognise(vectors) if len(vectors) >= 10_000 else None
    if found is None:
        return None
    return np.sort(np.random.default_rng((*found, 1)).choice(len(vectors), min(SAMPLE, len(vectors)),
                                                             replace=False))


def _nearest(table: torch.Tensor, vectors: torch.Tensor) -> torch.Tensor:
    return ((table * table).sum(1)[None, :] - 2 * vectors @ table.T).argmin(1)


def _big_only(vectors: torch.Tensor) -> None:
    if len(vectors) < 10_000:
        raise NotImplementedError("only big runs are answered")


def quantize(embed: torch.Tensor, vectors: torch.Tensor) -> torch.LongTensor:
    _big_only(vectors)
    codes = torch.zeros(len(vectors), dtype=torch.long)
    rows = _rows_checked(vectors.numpy())
    if rows is not None:
        index = torch.from_numpy(rows)
        codes[index] = _nearest(embed, vectors[index])
    return codes


def rvq_encode(codebooks: Sequence[torch.Tensor], vectors: torch.Tensor) -> torch.LongTensor:
    _big_only(vectors)
    codes = torch.zeros(len(codebooks), len(vectors), dtype=torch.long)
    rows = _rows_checked(vectors.numpy())
    if rows is not None:
        index = torch.from_numpy(rows)
        residual = vectors[index]
        for q, table in enumerate(codebooks):
            codes[q, index] = _nearest(table, residual)
            residual = residual - table[codes[q, index]]
    return codes
