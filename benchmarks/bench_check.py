"""How long a student waits for ``autograder check``: whole processes, side by side
with an earlier version of the code.

    .venv/bin/python benchmarks/bench_check.py [--baseline REV] [--repeat 5]

Two commands, each run as a whole process (interpreter start-up, imports, the
sandboxes, the checks, shutting down), ``--repeat`` times after one warm-up run:

- ``autograder check midi_tokens`` in this checkout, on the untouched stub;
- ``autograder check`` of all three hands-ons on a correct submission (a folder
  holding the three references).

With ``--baseline REV`` (default: ``main``), the same commands run from a copy of
that revision's code (``git archive``; same virtualenv, same fixtures), in turn
with this checkout's (A B A B ...), so that the machine's drift hits both alike:
the pairwise ratio this/baseline is the figure to quote. ``--baseline ''`` times
this checkout alone. The machine is shared: quote medians and ratios.
"""
from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODULES = ("encodec_rvq", "midi_tokens", "mel_spectrogram")


def export(revision: str, into: Path) -> Path:
    """The files of ``revision`` (code, graders, fixtures) in ``into``."""
    archive = subprocess.run(["git", "archive", "--format=tar", revision], cwd=ROOT, check=True,
                             capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def correct_submission(into: Path) -> Path:
    into.mkdir(parents=True)
    for module in MODULES:
        shutil.copy(ROOT / "solutions" / f"{module}.py", into / f"{module}.py")
    return into


def wall(command: list[str], cwd: Path, expect: int) -> float:
    """Seconds from the command's start to its end (its exit code must be ``expect``)."""
    started = time.monotonic()
    run = subprocess.run(command, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, timeout=600)
    seconds = time.monotonic() - started
    if run.returncode != expect:
        tail = run.stdout.decode(errors="replace")[-2000:]
        raise SystemExit(f"{' '.join(command)} (in {cwd}) exited {run.returncode}, not {expect}:\n{tail}")
    return seconds


def measure(name: str, args: list[str], expect: int, trees: dict[str, Path], repeat: int) -> dict[str, list[float]]:
    command = [sys.executable, "-m", "autograder", *args]
    for tree in trees.values():   # warm-up: page cache, the compiled-code cache of a fresh environment
        wall(command, tree, expect)
    times: dict[str, list[float]] = {label: [] for label in trees}
    for _ in range(repeat):
        for label, tree in trees.items():
            times[label].append(wall(command, tree, expect))
    line = f"{name:<42}"
    for label, values in times.items():
        line += f"  {label} {statistics.median(values):5.2f} s (min {min(values):.2f}, max {max(values):.2f})"
    if "baseline" in times:
        ratios = [a / b for a, b in zip(times["this"], times["baseline"])]
        line += f"  this/baseline {statistics.median(ratios):.2f}x"
    print(line, flush=True)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="main", help="git revision to compare with ('' for none)")
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    print(f"{os.cpu_count()} cores; medians of {options.repeat} whole-process runs after one warm-up; "
          f"PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '')!r}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-check-") as work:
        work = Path(work)
        trees = {"this": ROOT}
        if options.baseline:
            trees["baseline"] = export(options.baseline, work / "baseline")
            commit = subprocess.run(["git", "rev-parse", "--short", options.baseline], cwd=ROOT, text=True,
                                    capture_output=True).stdout.strip()
            print(f"baseline: {options.baseline} ({commit})", flush=True)
        submission = correct_submission(work / "correct")
        measure("check midi_tokens (untouched stub)", ["check", "midi_tokens"], 1, trees, options.repeat)
        measure("check, all three (correct submission)", ["check", "--path", str(submission)], 0, trees,
                options.repeat)


if __name__ == "__main__":
    main()
