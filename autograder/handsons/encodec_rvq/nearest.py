"""Nearest rows and greedy paths, in float64 with a stated tolerance: the maths the graders and the recipe share.

Nearest rows are checked by distance, never by index: where rows tie (duplicate
rows, symmetric points) any minimiser is right. Distances are computed here in
float64; a choice passes when its squared distance exceeds the minimum by at
most ``RTOL * (|r|^2 + max_k |e_k|^2)`` (float32 rounding of ``|r|^2 - 2 r.e +
|e|^2``, the usual way to compute them) plus what an uncertainty ``delta`` on
the residual ``r`` can change: ``4 delta (|r| + max_k |e_k|) + 4 delta^2``.

- ``quantize``: ``delta = 0`` (the vectors are exactly what was sent).
- ``rvq_encode``: the student's own path is replayed, residual minus chosen row
  in float32 (as the reference computes it), and every step must take a
  nearest row to that residual. A student who computes the residual otherwise
  (float64, the vector minus the sum of the rows) holds a residual that
  differs by float rounding, growing with the path:
  ``delta = DELTA * (|v| + sum of the rows taken so far)``.
- ``encode``: the same replay on the reference's encoder output for the clip.
  On the machine that made the fixtures the codes are identical; on another
  CPU the convolutions may round otherwise (``DELTA * |v|`` is generous), and
  late codebooks, whose residuals are at float32 noise level on these tiny
  models, then pick other rows: any such path passes, a path that is not
  greedy on the model's own embeddings does not.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

RTOL = 1e-5     # float32 rounding of squared distances, relative to |r|^2 + max |e|^2
DELTA = 1e-5    # residual uncertainty, relative to the vector's norm (and the rows taken so far)

CHECK_BLOCK = 256   # vectors whose distances to every row are held at once


def squared_distances(residual: np.ndarray, table: np.ndarray) -> np.ndarray:
    r, t = residual.astype(np.float64), table.astype(np.float64)
    return np.maximum((r * r).sum(1)[:, None] - 2.0 * (r @ t.T) + (t * t).sum(1)[None, :], 0.0)


def _allowed(residual: np.ndarray, table: np.ndarray, delta: np.ndarray | float) -> np.ndarray:
    r_norm = np.sqrt((residual.astype(np.float64) ** 2).sum(1))
    e_max = float(np.sqrt((table.astype(np.float64) ** 2).sum(1).max()))
    return RTOL * (r_norm ** 2 + e_max ** 2) + 4 * delta * (r_norm + e_max) + 4 * np.square(delta)


def not_nearest(table: np.ndarray, residual: np.ndarray, index: np.ndarray,
                delta: np.ndarray | float = 0.0) -> np.ndarray:
    """Mask of the vectors whose chosen row is not a nearest row. In blocks of vectors: the
    grader's memory stays small (20000 x 1024 distances in float64 would be 160 MB)."""
    bad = np.zeros(len(index), dtype=bool)
    delta = np.broadcast_to(np.asarray(delta, dtype=np.float64), (len(index),))
    for start in range(0, len(index), CHECK_BLOCK):
        block = slice(start, start + CHECK_BLOCK)
        distances = squared_distances(residual[block], table)
        chosen = distances[np.arange(distances.shape[0]), index[block]]
        bad[block] = chosen - distances.min(1) > _allowed(residual[block], table, delta[block])
    return bad


def is_min(scores: np.ndarray, index: np.ndarray, rtol: float = 1e-6) -> np.ndarray:
    """Whether ``index`` picks a minimum of each row of ``scores`` (with a small tolerance)."""
    chosen = scores[np.arange(len(index)), index]
    low = scores.min(1)
    return chosen - low <= rtol * (np.abs(scores).max(1) + 1e-30)


def first_non_greedy(tables: Sequence[np.ndarray], vectors: np.ndarray, codes: np.ndarray, *,
                     drift: bool) -> tuple | None:
    """Replay the path ``codes`` (float32 residuals, as the reference computes them); the first
    step that does not take a nearest row: ``(q, mask of bad vectors, residual)``.

    ``drift``: allow for a residual computed otherwise (float64, another order of sums): its
    uncertainty grows with the rows taken. Without, ``DELTA * |v|`` only (another machine's rounding
    of the vectors themselves).
    """
    residual = vectors.astype(np.float32).copy()
    delta = DELTA * np.sqrt((vectors.astype(np.float64) ** 2).sum(1))
    for q, (table, row) in enumerate(zip(tables, codes)):
        bad = not_nearest(table, residual, row, delta)
        if bad.any():
            return q, bad, residual
        chosen = table[row]
        if drift:
            delta = delta + DELTA * np.sqrt((chosen.astype(np.float64) ** 2).sum(1))
        residual = residual - chosen
    return None
