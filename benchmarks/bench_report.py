"""What a picture of student data costs in the HTML report: a piano roll of 10 000 notes (what a
``midi_to_tokens`` may return), drawn as the report draws it now (one collection, at most
``report.MAX_NOTES`` notes) and as it drew before (one ``broken_barh`` per note, every note).

    .venv/bin/python benchmarks/bench_report.py [--notes 10000] [--repeat 3]

Prints medians (the machine is shared: compare the two, side by side, not absolute times).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder.engine import report  # noqa: E402


def every_note(notes: np.ndarray) -> str:
    """The report's piano roll before it was bounded: a bar per note, however many."""
    figure, axes = report._figure(2)
    for axis, rolled in zip(axes[0], (notes[:10], notes)):
        for onset, duration, pitch, instrument, velocity in rolled:
            axis.broken_barh([(onset / 100, max(duration, 1) / 100)], (pitch - 0.4, 0.8),
                             color="#1f77b4" if instrument != 128 else "#ff7f0e")
    return report._png(figure)


def bounded(notes: np.ndarray) -> str:
    return report.render_artifact("piano_roll", "notes", {"expected": notes[:10], "yours": notes}, {})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--notes", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    notes = np.array([[i * 5, 20, 30 + i % 70, i % 16, 90] for i in range(args.notes)])
    bounded(notes[:10])   # matplotlib imported and warmed up
    for name, draw in (("bounded (now)", bounded), ("every note (before)", every_note)):
        times, sizes = [], []
        for _ in range(args.repeat):
            started = time.perf_counter()
            sizes.append(len(draw(notes)))
            times.append(time.perf_counter() - started)
        print(f"{name:22} {statistics.median(times):7.2f} s  {max(sizes) / 1024:7.0f} KiB of HTML")


if __name__ == "__main__":
    main()
