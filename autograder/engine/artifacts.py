"""What a grader shows besides its message: pictures and sounds for the HTML report.

Graders describe, the report draws: a grader adds arrays under a *kind*
(``heatmaps``, ``curves``, ``piano_roll``, ``audio``) and the report renders
each kind the same way for every hands-on. Only public checks keep artifacts
(hidden inputs and expected values stay out of a report a student may see),
and only when the grading asked for an HTML report.
"""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np

MAX_BYTES = 4 << 20   # per check: a report stays small enough to open


class Artifacts:
    """The ``artifacts`` fixture: ``artifacts.heatmaps("mel", expected=e, got=g)``..."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.items: list[dict] = []
        self.size = 0

    def _add(self, kind: str, title: str, arrays: dict, meta: dict | None = None) -> None:
        if not self.enabled:
            return
        arrays = {k: np.asarray(v) for k, v in arrays.items() if v is not None}
        size = sum(a.nbytes for a in arrays.values())
        if self.size + size > MAX_BYTES or any(a.dtype.hasobject for a in arrays.values()):
            return
        self.size += size
        self.items.append({"kind": kind, "title": title, "arrays": arrays, "meta": meta or {}})

    def heatmaps(self, title: str, **arrays: np.ndarray) -> None:
        """2-D arrays side by side (e.g. expected, got and their difference)."""
        self._add("heatmaps", title, arrays)

    def curves(self, title: str, x_label: str = "", y_label: str = "", **series: np.ndarray) -> None:
        """1-D series on one plot (x = 1, 2, ...)."""
        self._add("curves", title, series, {"x_label": x_label, "y_label": y_label})

    def piano_roll(self, title: str, **notes: np.ndarray) -> None:
        """``[N, 5]`` notes (onset, duration in hundredths of a second, pitch, instrument,
        velocity), one roll each."""
        self._add("piano_roll", title, notes)

    def audio(self, title: str, samples: np.ndarray, rate: int) -> None:
        """A player for ``samples`` (1-D, float) at ``rate`` Hz."""
        self._add("audio", title, {"samples": np.asarray(samples, dtype=np.float32).ravel()}, {"rate": int(rate)})

    def save(self, folder: Path, stem: str) -> list[dict]:
        """Write the arrays as ``.npz`` (no pickle); their descriptions for results.json."""
        saved = []
        for index, item in enumerate(self.items):
            name = f"{stem}-{index}.npz"
            folder.mkdir(parents=True, exist_ok=True)
            buffer = io.BytesIO()
            np.savez_compressed(buffer, **item["arrays"])
            (folder / name).write_bytes(buffer.getvalue())
            saved.append({"kind": item["kind"], "title": item["title"], "file": name, "meta": item["meta"]})
        return saved


def load(folder: Path, description: dict) -> dict[str, np.ndarray]:
    with np.load(Path(folder) / description["file"], allow_pickle=False) as data:
        return {key: data[key] for key in data.files}

