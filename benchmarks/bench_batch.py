"""Batch grading: parallel speed-up, one submission's time and memory, the worst case,
and what the sandbox costs against running the same references in-process.

    .venv/bin/python benchmarks/bench_batch.py [--repeat 3]

Prints medians over ``--repeat`` runs of whole ``autograder grade`` processes
(the machine is shared: the ratios are the figures to quote):

- 8 full submissions (all hands-ons) at ``--jobs 2`` against ``--jobs 1``, run in turn;
- one full submission at ``--jobs 1``: the whole process (start-up included) and
  the submission's own grading time inside it;
- the peak memory of the whole process tree grading one submission (sum of PSS);
- a submission whose every function loops forever;
- the graders' time with student code sandboxed against the same graders calling
  the references in-process (no worker, no protocol);
- one full submission and the looping one inside a container like Gradescope's
  default (a cgroup: 768 MiB of memory, 0.5 of a CPU), page cache dropped first so
  that the libraries' pages are charged to it: the score, the time and the cgroup's
  peak usage (page cache included). Needs root and writable cgroups; said otherwise.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_engine import tree_pss_kib  # noqa: E402

from autograder.engine import handsons  # noqa: E402


def grade(paths: list[Path], jobs: int, out: Path, sample: bool = False, extra: list[str] = ()) -> tuple[float, int]:
    """Wall seconds of one ``autograder grade`` process (and its peak tree PSS in KiB)."""
    shutil.rmtree(out, ignore_errors=True)
    command = [sys.executable, "-m", "autograder", "grade", *map(str, paths), "--out", str(out),
               "--jobs", str(jobs), *extra]
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    while sample and process.poll() is None:
        peak = max(peak, tree_pss_kib(process.pid))
        time.sleep(0.1)
    process.wait()
    return time.monotonic() - started, peak


def submissions(root: Path, count: int) -> list[Path]:
    """``count`` full submissions: the references under different names."""
    paths = []
    for index in range(count):
        folder = root / f"student{index:02d}"
        folder.mkdir(parents=True)
        for module in handsons.names():
            shutil.copy(handsons.get(module).reference_path, folder / f"{module}.py")
        paths.append(folder)
    return paths


def looping_submission(root: Path) -> Path:
    """Every function of every hands-on loops forever."""
    import ast
    folder = root / "loops"
    folder.mkdir()
    for module in handsons.names():
        tree = ast.parse(handsons.get(module).stub_path.read_text())
        names = [node.name for node in tree.body if isinstance(node, ast.FunctionDef)]
        (folder / f"{module}.py").write_text("".join(f"def {n}(*args, **kwargs):\n    while True:\n        pass\n\n"
                                                     for n in names))
    return folder


class Container:
    """A cgroup (v2, or v1's memory and cpu controllers) with a memory limit and a CPU quota."""

    def __init__(self, memory_mib: int, cpus: float):
        self.folders: list[Path] = []
        try:
            self._make(memory_mib, cpus)
        except OSError:
            self.close()   # what was made before the failure
            raise

    def _make(self, memory_mib: int, cpus: float) -> None:
        name = f"ag-bench-{os.getpid()}"
        period = 100_000
        v2 = Path("/sys/fs/cgroup/cgroup.controllers")
        if v2.exists() and "memory" in v2.read_text():
            folder = Path("/sys/fs/cgroup") / name
            folder.mkdir()
            self.folders = [folder]
            (folder / "memory.max").write_text(str(memory_mib << 20))
            (folder / "memory.swap.max").write_text("0")
            (folder / "cpu.max").write_text(f"{int(cpus * period)} {period}")
            self.peak_file, self.events_file = folder / "memory.peak", folder / "memory.events"
        else:
            memory, cpu = Path("/sys/fs/cgroup/memory") / name, Path("/sys/fs/cgroup/cpu") / name
            memory.mkdir()
            self.folders.append(memory)
            cpu.mkdir()
            self.folders.append(cpu)
            (memory / "memory.limit_in_bytes").write_text(str(memory_mib << 20))
            (cpu / "cpu.cfs_period_us").write_text(str(period))
            (cpu / "cpu.cfs_quota_us").write_text(str(int(cpus * period)))
            self.peak_file, self.events_file = memory / "memory.max_usage_in_bytes", memory / "memory.oom_control"

    def enter(self) -> None:
        """In the child, before exec: join every controller."""
        for folder in self.folders:
            (folder / "cgroup.procs").write_text(str(os.getpid()))

    def peak_mib(self) -> float:
        return int(self.peak_file.read_text()) / (1 << 20)

    def oom_kills(self) -> int:
        """Processes the kernel killed for want of memory in the container."""
        for line in self.events_file.read_text().splitlines():
            if line.startswith("oom_kill "):
                return int(line.split()[1])
        return 0

    def close(self) -> None:
        for folder in self.folders:
            folder.rmdir()
        self.folders = []


def in_container(paths: list[Path], out: Path) -> tuple[float, float, float, int] | str:
    """(wall seconds, score, peak MiB, processes killed for memory) of grading ``paths`` in a Gradescope-like container,
    or why it could not be measured."""
    try:
        container = Container(768, 0.5)
    except OSError as error:
        return f"no writable cgroup ({error.strerror})"
    try:
        subprocess.run(["sync"], check=False)
        try:
            Path("/proc/sys/vm/drop_caches").write_text("3")
        except OSError:
            pass   # warm page cache: the peak then counts less of the libraries
        shutil.rmtree(out, ignore_errors=True)
        command = [sys.executable, "-m", "autograder", "grade", *map(str, paths), "--out", str(out), "--jobs", "1"]
        started = time.monotonic()
        subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       preexec_fn=container.enter)
        wall = time.monotonic() - started
        score = sum(json.loads((out / p.name / "results.json").read_text())["score"] for p in paths)
        return wall, score, container.peak_mib(), container.oom_kills()
    finally:
        container.close()


def in_process_ratio(paths: list[Path], repeat: int) -> float:
    """Graders' time, sandboxed / in-process (pairwise median)."""
    from autograder.engine.options import Options
    from autograder.engine.session import grade_one
    from autograder.engine.sandbox import Sandbox
    from autograder.engine.submission import load_submission
    from in_process import InProcessCode, grade_in_process

    options = Options()
    submission = load_submission(paths[0], options.modules)
    ratios = []
    with Sandbox(options.modules) as sandbox:
        grade_one(sandbox, submission, options)                       # warm: graders imported
        grade_in_process(InProcessCode(submission.files), options)
        for _ in range(repeat):
            started = time.monotonic()
            grade_one(sandbox, submission, options)
            sandboxed = time.monotonic() - started
            started = time.monotonic()
            grade_in_process(InProcessCode(submission.files), options)
            ratios.append(sandboxed / (time.monotonic() - started))
    return statistics.median(ratios)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    repeat = parser.parse_args().repeat
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        tmp = Path(tmp)
        batch = submissions(tmp / "batch", 8)
        one_job, two_jobs = [], []
        for _ in range(repeat):   # in turn, so that drift hits both alike
            one_job.append(grade(batch, 1, tmp / "out1")[0])
            two_jobs.append(grade(batch, 2, tmp / "out2")[0])
        ratio = statistics.median(b / a for a, b in zip(one_job, two_jobs))
        print(f"8 full submissions: --jobs 1 {statistics.median(one_job):.1f} s, --jobs 2 "
              f"{statistics.median(two_jobs):.1f} s: ratio {ratio:.2f}")

        walls, inside, peaks = [], [], []
        for _ in range(repeat):
            walls.append(grade(batch[:1], 1, tmp / "one")[0])
            inside.append(json.loads((tmp / "one" / batch[0].name / "results.json").read_text())["execution_time"])
            peaks.append(grade(batch[:1], 1, tmp / "one", sample=True)[1])
        print(f"one full submission, --jobs 1: whole process {statistics.median(walls):.1f} s "
              f"(its own grading {statistics.median(inside):.1f} s); peak tree PSS "
              f"{statistics.median(peaks) / 1024:.0f} MiB")

        loops = looping_submission(tmp)
        wall, _ = grade([loops], 1, tmp / "loops-out")
        score = json.loads((tmp / "loops-out" / "loops" / "results.json").read_text())["score"]
        print(f"every function loops forever: graded in {wall:.0f} s (score {score:g}), "
              f"default limits (10 s per call, 240 s budget)")

        print(f"graders with sandboxed workers / in-process references: {in_process_ratio(batch, repeat):.2f}x")

        for label, paths in (("one full submission", batch[:1]), ("every function looping", [loops])):
            found = in_container(paths, tmp / "container")
            if isinstance(found, str):
                print(f"{label} in a 768 MiB, 0.5-CPU container: not measured, {found}")
                continue
            wall, score, peak, killed = found
            print(f"{label} in a 768 MiB, 0.5-CPU container (page cache dropped first): score {score:g}, "
                  f"whole process {wall:.1f} s, cgroup peak {peak:.0f} MiB (page cache included), "
                  f"{killed} process(es) killed for memory")


if __name__ == "__main__":
    main()
