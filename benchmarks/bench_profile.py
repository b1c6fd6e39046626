"""Where one full grading's time goes: a profile of grading the reference (all hands-ons).

    .venv/bin/python benchmarks/bench_profile.py [--repeat 3] [--cprofile 25] [--whole 3] [--without-preload]

As ``autograder grade`` does it: one sandbox, the graders imported in this process, and
each grading in a forked grader (cold fixture caches, warm imports). Each grading's time
is split (medians over ``--repeat`` gradings, seconds):

- per hands-on: the checks' own time (grader side: pytest, fixtures, comparisons), the
  workers' time, and within it the student code, the reference's timing runs (its own
  workers, ``check_speed``), building arguments in the worker (arrays; models and other
  plug-in values by kind), fingerprinting arguments (what a call changed), encoding
  results, importing the student module, and what is left: starting workers (fork,
  confine) and moving frames;
- grader side: encoding arguments and decoding answers, spawning workers.

The workers report their own stages in each answer (``phases``): student code could forge
them, and nothing grades by them; they are only read here. ``--cprofile N`` also prints the
grader side's N costliest functions (cumulative) in one more grading; ``--whole N`` the
median of N whole ``autograder grade`` processes (start-up included) with their
``execution_time`` and peak memory (the sum of the process tree's PSS), taking turns with
the checkout ``--against`` names (main's, for before/after figures) when given.
``--without-preload`` also grades in a second sandbox whose zygote preloads no checkpoint
(each worker loads its own, as before issue 23), taking turns with the first.
"""
from __future__ import annotations

import argparse
import collections
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from autograder.engine import client, handsons  # noqa: E402
from autograder.engine import sandbox as sandbox_module  # noqa: E402
from autograder.engine.options import Options  # noqa: E402
from autograder.engine.sandbox import Sandbox  # noqa: E402
from autograder.engine.session import grade_one, grader_files, import_graders  # noqa: E402
from autograder.engine.submission import load_submission  # noqa: E402
from autograder.worker import wire  # noqa: E402


class Recorder:
    """Wraps the grader's side of the protocol and adds up where the time goes."""

    def __init__(self):
        self.totals: dict[tuple[str, str], float] = collections.defaultdict(float)
        self.counts: dict[tuple[str, str], int] = collections.defaultdict(int)
        self.main_code: client.StudentCode | None = None

    def add(self, module: str, what: str, seconds: float) -> None:
        self.totals[(module, what)] += seconds
        self.counts[(module, what)] += 1

    def install(self) -> None:
        recorder = self
        exchange, spawn = client.StudentCode._exchange, client.StudentCode._worker
        encode_args, decode = wire.encode_args, wire.decode
        init = client.StudentCode.__init__

        def new_init(code, *args, **kwargs):
            init(code, *args, **kwargs)
            if recorder.main_code is None:
                recorder.main_code = code   # grade_one's; the others are the reference's (timing)

        def timed_exchange(code, what, header, blobs, limit):
            module = header.get("module", "?")
            started = time.perf_counter()
            try:
                answer, out_blobs, elapsed = exchange(code, what, header, blobs, limit)
            finally:
                wall = time.perf_counter() - started
                recorder.add(module, "workers (all)", wall)
            phases = answer.get("phases") if isinstance(answer.get("phases"), dict) else {}
            own = 0.0
            for name, seconds in phases.items():
                if isinstance(seconds, (int, float)):
                    recorder.add(module, f"worker: {name}", float(seconds))
                    own += float(seconds) if not name.startswith("ext:") else 0.0
            call = answer.get("seconds") if isinstance(answer.get("seconds"), (int, float)) else 0.0
            who = "student code" if code is recorder.main_code else "reference's timing runs"
            recorder.add(module, f"worker: {who}", call)
            recorder.add(module, "worker start, frames, waiting", wall - own - call)
            return answer, out_blobs, elapsed

        def timed_spawn(code):
            started = time.perf_counter()
            fresh = code.worker is None
            worker = spawn(code)
            if fresh:
                recorder.add("grader", "spawning workers", time.perf_counter() - started)
            return worker

        def timed(name, function):
            def wrapper(*args, **kwargs):
                started = time.perf_counter()
                try:
                    return function(*args, **kwargs)
                finally:
                    recorder.add("grader", name, time.perf_counter() - started)
            return wrapper

        client.StudentCode.__init__ = new_init
        client.StudentCode._exchange = timed_exchange
        client.StudentCode._worker = timed_spawn
        wire.encode_args = timed("encoding arguments", encode_args)
        wire.decode = timed("decoding answers", decode)


def profile_once(sandbox: Sandbox, solutions: Path, cprofile: int = 0) -> dict:
    """One grading in a forked grader: its results' figures and the recorder's totals."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)   # pytest's progress
        try:
            recorder = Recorder()
            recorder.install()
            options = Options()
            submission = load_submission(solutions, options.modules)
            profiler = None
            if cprofile:
                import cProfile
                profiler = cProfile.Profile()
                profiler.enable()
            started = time.perf_counter()
            results = grade_one(sandbox, submission, options)
            wall = time.perf_counter() - started
            text = ""
            if profiler is not None:
                import io
                import pstats
                profiler.disable()
                buffer = io.StringIO()
                pstats.Stats(profiler, stream=buffer).sort_stats("cumulative").print_stats(cprofile)
                text = buffer.getvalue()
            per_module = collections.defaultdict(float)
            for test in results["tests"]:
                per_module[(test.get("tags") or ["?"])[0]] += float(test.get("extra_data", {}).get("seconds", 0.0))
            out = {"wall": wall, "score": results["score"], "max": sum(t["max_score"] for t in results["tests"]),
                   "tests": dict(per_module), "totals": [[m, w, s] for (m, w), s in recorder.totals.items()],
                   "counts": [[m, w, n] for (m, w), n in recorder.counts.items()], "cprofile": text}
            os.write(write, json.dumps(out).encode())
        finally:
            os._exit(0)
    os.close(write)
    chunks = []
    while chunk := os.read(read, 1 << 20):
        chunks.append(chunk)
    os.close(read)
    os.waitpid(pid, 0)
    return json.loads(b"".join(chunks))


def whole_process(roots: list[Path], repeat: int) -> dict[Path, list[tuple[float, float, float]]]:
    """(wall s, execution_time s, peak tree PSS MiB) of ``repeat`` whole ``autograder grade`` processes of
    the reference for each checkout in ``roots``, run in turn (drift hits them alike), with this Python."""
    import shutil
    import subprocess
    from bench_engine import tree_pss_kib
    found: dict[Path, list] = {root: [] for root in roots}
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp:
        out = Path(tmp) / "out"
        for _ in range(repeat):
            for root in roots:
                shutil.rmtree(out, ignore_errors=True)
                command = [sys.executable, "-m", "autograder", "grade", str(root / "solutions"), "--out", str(out),
                           "--jobs", "1"]
                started = time.monotonic()
                process = subprocess.Popen(command, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                peak = 0
                while process.poll() is None:
                    peak = max(peak, tree_pss_kib(process.pid))
                    time.sleep(0.1)
                wall = time.monotonic() - started
                inside = json.loads((out / "solutions" / "results.json").read_text())["execution_time"]
                found[root].append((wall, inside, peak / 1024))
    return found


def sandbox_without_preload(modules: list[str]) -> Sandbox:
    """A sandbox whose zygote preloads no checkpoint: each worker builds its models itself."""
    preload_dirs = sandbox_module._preload_dirs
    sandbox_module._preload_dirs = lambda modules: {}
    try:
        return Sandbox(modules, wait=False)
    finally:
        sandbox_module._preload_dirs = preload_dirs


def model_seconds(run: dict) -> float:
    """Seconds the workers spent building Encodec model arguments in one grading."""
    return sum(s for _, what, s in run["totals"] if what == "worker: ext:encodec_model")


def profile(arguments) -> None:
    solutions = ROOT / "solutions"
    options = Options()
    started = time.perf_counter()
    bare = sandbox_without_preload(options.modules) if arguments.without_preload else None
    with Sandbox(options.modules, wait=False) as sandbox, bare or contextlib.nullcontext():
        import_graders(grader_files(options.modules, options.visibilities))
        imported = time.perf_counter() - started
        sandbox.wait_ready()
        ready = time.perf_counter() - started
        runs, bare_runs = [], []
        for _ in range(arguments.repeat):   # in turn, so the machine's load drifts on both alike
            runs.append(profile_once(sandbox, solutions))
            if bare is not None:
                bare.wait_ready()
                bare_runs.append(profile_once(bare, solutions))
        extra = profile_once(sandbox, solutions, arguments.cprofile) if arguments.cprofile else None
    print(f"start-up: graders imported in {imported:.2f} s, sandbox ready after {ready:.2f} s")
    if bare_runs:
        for label, group in (("with the preload", runs), ("without it", bare_runs)):
            print(f"{label}: grading the reference {statistics.median(r['wall'] for r in group):.2f} s (runs "
                  + ", ".join(f"{r['wall']:.2f}" for r in group) + f"), Encodec model arguments "
                  f"{statistics.median(model_seconds(r) for r in group):.2f} s, score {group[0]['score']:g}")
        print(f"ratio of the medians: {statistics.median(r['wall'] for r in runs) / statistics.median(r['wall'] for r in bare_runs):.2f}x; "
              f"load average at the end {os.getloadavg()[0]:.1f}")
    walls = ", ".join(f"{r['wall']:.2f}" for r in runs)
    print(f"grading the reference: {statistics.median(r['wall'] for r in runs):.2f} s "
          f"(runs {walls}), score {runs[0]['score']:g} / {runs[0]['max']:g}")
    keys = sorted({(m, w) for r in runs for m, w, _ in r["totals"]})
    median = {key: statistics.median(next((s for m, w, s in r["totals"] if (m, w) == key), 0.0) for r in runs)
              for key in keys}
    count = {key: next((n for m, w, n in runs[0]["counts"] if (m, w) == key), 0) for key in keys}
    modules = sorted({m for m, _ in keys} - {"grader"})
    for module in modules:
        checks = statistics.median(r["tests"].get(module, 0.0) for r in runs)
        workers = median.get((module, "workers (all)"), 0.0)
        print(f"\n{module}: its checks {checks:.2f} s, of which waiting for workers {workers:.2f} s "
              f"({count.get((module, 'workers (all)'), 0)} requests), grader side {checks - workers:.2f} s")
        for (m, what), seconds in sorted(median.items(), key=lambda kv: -kv[1]):
            if m == module and what != "workers (all)":
                print(f"    {what:40s} {seconds:7.3f} s  ({count[(m, what)]})")
    print("\ngrader side, all hands-ons:")
    for (m, what), seconds in sorted(median.items(), key=lambda kv: -kv[1]):
        if m == "grader":
            print(f"    {what:40s} {seconds:7.3f} s  ({count[(m, what)]})")
    if extra:
        print("\n" + extra["cprofile"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="profiled gradings (0: none, --whole only)")
    parser.add_argument("--cprofile", type=int, default=0, help="print the grader's N costliest functions")
    parser.add_argument("--whole", type=int, default=0, help="also time N whole autograder grade processes")
    parser.add_argument("--without-preload", action="store_true",
                        help="also grade, in turn, in a sandbox that preloads no checkpoint")
    parser.add_argument("--against", help="another checkout (main's) whose whole processes run in turn with these")
    arguments = parser.parse_args()
    if arguments.repeat > 0:
        profile(arguments)
    if arguments.whole:
        roots = [Path(arguments.against).resolve(), ROOT] if arguments.against else [ROOT]
        for root, runs in whole_process(roots, arguments.whole).items():
            walls, inside, peaks = zip(*runs)
            print(f"{root}: whole `autograder grade` of the reference (medians of {len(runs)}, in turn): "
                  f"{statistics.median(walls):.1f} s, its execution_time {statistics.median(inside):.2f} s, "
                  f"peak tree PSS {statistics.median(peaks):.0f} MiB (runs: "
                  + ", ".join(f"{w:.1f}/{i:.2f}/{p:.0f}" for w, i, p in runs) + ")")

if __name__ == "__main__":
    main()
