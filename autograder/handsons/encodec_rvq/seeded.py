"""Seeded tables, vectors and codes: the cases too big to store, made again by the graders from their seeds.

The recipe writes the seeds into the cases (``"generated"``); the graders and the recipe draw the same
values from them here (numpy Generators: the same on every CPU).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np


def random_tables(seed: int, count: int, rows: int, dim: int, decay: float) -> list[np.ndarray]:
    """Seeded normal tables whose scale shrinks from one codebook to the next, like trained ones."""
    generator = np.random.default_rng(seed)
    return [generator.standard_normal((rows, dim), dtype=np.float32) * np.float32(decay ** q)
            for q in range(count)]


def random_vectors(seed: int, count: int, dim: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((count, dim), dtype=np.float32)


def random_codes(seed: int, shape: Sequence[int], size: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, size, tuple(shape), dtype=np.int64)


def generated(spec: dict) -> tuple[list[np.ndarray], np.ndarray | None]:
    """Seeded tables and vectors of a case (``"generated"``: too big to store, cheap to make).
    With ``copies``, a tenth of the vectors are copies of rows (distance 0: exact ties where rows repeat)."""
    tables = random_tables(spec["seed"], spec["count"], spec["rows"], spec["dim"], spec["decay"])
    if "vectors" not in spec:
        return tables, None
    vectors = random_vectors(spec["seed"] + 1, spec["vectors"], spec["dim"])
    if spec.get("copies"):
        rows = tables[0][np.random.default_rng(spec["seed"] + 2).integers(0, spec["rows"], spec["vectors"] // 10)]
        vectors = np.concatenate([vectors[: spec["vectors"] - len(rows)], rows])
    return tables, vectors
