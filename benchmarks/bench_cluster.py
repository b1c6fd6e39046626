"""Grading on a Dask cluster against grading locally, on this one machine.

    .venv/bin/python benchmarks/bench_cluster.py [--repeat 3]

Starts a real ``dask scheduler`` and two single-threaded ``dask worker`` processes on
127.0.0.1, then prints medians over ``--repeat`` rounds (the machine is shared: the
ratios are the figures to quote):

- 8 full submissions (all hands-ons) graded by whole ``autograder grade`` processes:
  locally with ``--jobs 1``, and with ``--scheduler`` through the two workers, run in
  turn. The first cluster batch meets fresh workers (each starts its zygote then);
  later ones find them warm, as a cluster that stays up does;
- what the scheduler costs per task: the round trip of a task that does nothing, and
  of one that carries a full submission there and brings back an answer as large as a
  full grading's (results.json and grading.log) without grading anything.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_batch import grade, submissions  # noqa: E402

from autograder.engine.options import Options  # noqa: E402
from autograder.engine.submission import load_submission  # noqa: E402
from tests.helpers import DaskCluster  # noqa: E402


def nothing() -> str:
    return ""


def carry(submission, size: int) -> str:
    """Receives a submission, answers ``size`` characters: a grading's traffic, without the grading."""
    return "x" * size


def round_trip_ms(client, function, *args, count: int = 40) -> float:
    """Median milliseconds from submitting a task to holding its result, one task at a time."""
    times = []
    for _ in range(count):
        started = time.perf_counter()
        client.submit(function, *args, pure=False).result()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    repeat = parser.parse_args().repeat
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp:
        tmp = Path(tmp)
        batch = submissions(tmp / "batch", 8)
        cluster = DaskCluster(tmp / "cluster", workers=2)
        try:
            remote = ["--scheduler", cluster.address]
            cold = grade(batch, 1, tmp / "cold", extra=remote)[0]
            local, warm = [], []
            for _ in range(repeat):   # in turn, so that drift hits both alike
                local.append(grade(batch, 1, tmp / "local")[0])
                warm.append(grade(batch, 1, tmp / "warm", extra=remote)[0])
            for name in (p.name for p in batch):   # the cluster graded them all, fully
                assert json.loads((tmp / "warm" / name / "results.json").read_text())["score"] == 263, name
            ratio = statistics.median(w / a for a, w in zip(local, warm))
            print(f"8 full submissions: --jobs 1 {statistics.median(local):.1f} s; 2 single-threaded Dask workers "
                  f"{statistics.median(warm):.1f} s warm (ratio {ratio:.2f}), {cold:.1f} s on fresh workers "
                  f"(ratio {cold / statistics.median(local):.2f})")

            answer = sum((tmp / "warm" / batch[0].name / name).stat().st_size for name in ("results.json", "grading.log"))
            submission = load_submission(batch[0], Options().modules)
            with cluster.client() as client:
                empty = round_trip_ms(client, nothing)
                loaded = round_trip_ms(client, carry, submission, answer)
            print(f"scheduler round trip per task: {empty:.1f} ms for a task that does nothing; {loaded:.1f} ms "
                  f"carrying a full submission ({sum(map(len, submission.files.values())) / 1024:.0f} KiB) and "
                  f"an answer of a full grading's size ({answer / 1024:.0f} KiB)")
        finally:
            left = cluster.close()
            shutil.rmtree(tmp / "cluster", ignore_errors=True)
        if left:
            print(f"processes outlived the cluster (killed): {left}")


if __name__ == "__main__":
    main()
