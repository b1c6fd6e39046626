"""What the sandbox costs: start-up, per call, and against calling in-process.

    .venv/bin/python benchmarks/bench_engine.py [--module midi_tokens] [--repeat 15]

Prints medians (the machine is shared: compare ratios, not absolute times):

- zygote start-up (bubblewrap + pre-loading the module's libraries), once per batch;
- worker start-up (fork from the zygote, confine, import the student module);
- one trivial call on a live worker (the protocol's round trip);
- the reference's functions on every public fixture: sandboxed vs in-process;
- one whole submission graded by ``autograder grade`` (wall time, and the peak
  memory of the whole process tree, as the sum of the processes' PSS).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder.engine import fixtures, handsons  # noqa: E402
from autograder.engine.client import StudentCode  # noqa: E402
from autograder.engine.sandbox import Sandbox, detect_mode  # noqa: E402


def median_ms(values: list[float]) -> str:
    return f"{1000 * statistics.median(values):8.1f} ms"


def tree_pss_kib(root_pid: int) -> int:
    """Sum of PSS over ``root_pid`` and its descendants (shared pages counted once overall)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
            except (OSError, ValueError, IndexError):
                pass
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        stack.extend(children.get(pid, []))
        try:
            with open(f"/proc/{pid}/smaps_rollup") as handle:
                for line in handle:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            pass
    return total


def grade_whole(paths: list[str], module: str | None, jobs: int = 1, sample: bool = False) -> tuple[float, int]:
    """Wall seconds of one ``autograder grade`` process, and (``sample``) the peak PSS
    (KiB) of its process tree, sampled every 0.1 s (sampling slows the run: time it apart)."""
    with tempfile.TemporaryDirectory() as out:
        command = [sys.executable, "-m", "autograder", "grade", *paths, "--out", out, "--jobs", str(jobs)]
        if module:
            command += ["--module", module]
        started = time.monotonic()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
        peak = 0
        while sample and process.poll() is None:
            peak = max(peak, tree_pss_kib(process.pid))
            time.sleep(0.1)
        process.wait()
        return time.monotonic() - started, peak


def calls_of(module: str) -> list[tuple[str, tuple]]:
    """(function, arguments) of the public midi fixtures; other plug-ins add theirs here."""
    if module != "midi_tokens":
        return []
    from autograder.handsons.midi_tokens.grading import midi_arg
    public = fixtures.load(module, "public")
    calls = [("midi_to_tokens", (midi_arg(public.read_bytes(c["midi"])),)) for c in public.cases("midi_to_tokens")]
    calls += [("tokens_to_midi", (public.read_json(c["tokens"]),)) for c in public.cases("tokens_to_midi")]
    return calls


def in_process(reference, function: str, args: tuple):
    import io

    import mido
    from autograder.worker.wire import Ext
    real = [mido.MidiFile(file=io.BytesIO(a.blobs[0])) if isinstance(a, Ext) else a for a in args]
    return getattr(reference, function)(*real)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module", default="midi_tokens")
    parser.add_argument("--repeat", type=int, default=15)
    options = parser.parse_args()
    module, repeat = options.module, options.repeat
    print(f"sandbox mode: {detect_mode()}; module {module}; {repeat} repetitions; medians")

    zygote = []
    for _ in range(3):
        started = time.monotonic()
        Sandbox([module]).close()
        zygote.append(time.monotonic() - started)
    print(f"zygote start-up (once per batch)        {median_ms(zygote)}")

    reference_files = {f"{module}.py": handsons.get(module).reference_path.read_bytes()}
    with Sandbox([module]) as sandbox:
        spawn, trivial = [], []
        for _ in range(repeat):
            code = StudentCode(sandbox, {**reference_files, "bench_probe.py": b"def ping():\n    return 1\n"})
            started = time.monotonic()
            code.call("bench_probe", "ping")
            spawn.append(time.monotonic() - started)
            started = time.monotonic()
            code.call("bench_probe", "ping")
            trivial.append(time.monotonic() - started)
            code.close()
        print(f"worker start-up (fork, confine, import)  {median_ms(spawn)}")
        print(f"one trivial call on a live worker        {median_ms(trivial)}")

        calls = calls_of(module)
        if calls:
            reference = fixtures.load_reference(module)
            code = StudentCode(sandbox, reference_files)
            code.call(module, calls[0][0], *calls[0][1])   # warm: worker started, module imported
            sandboxed, local = [], []
            for _ in range(repeat):   # interleaved, so drift hits both alike
                started = time.monotonic()
                for function, args in calls:
                    code.call(module, function, *args)
                sandboxed.append(time.monotonic() - started)
                started = time.monotonic()
                for function, args in calls:
                    in_process(reference, function, args)
                local.append(time.monotonic() - started)
            code.close()
            ratio = statistics.median(s / l for s, l in zip(sandboxed, local))
            print(f"{len(calls)} public calls, sandboxed           {median_ms(sandboxed)}")
            print(f"{len(calls)} public calls, in-process          {median_ms(local)}")
            print(f"sandbox / in-process (pairwise median)   {ratio:8.2f} x")

    walls = [grade_whole([str(handsons.SOLUTIONS_DIR)], module)[0] for _ in range(3)]
    peaks = [grade_whole([str(handsons.SOLUTIONS_DIR)], module, sample=True)[1] for _ in range(3)]
    print(f"`autograder grade` one submission, whole process: wall {statistics.median(walls):.2f} s, "
          f"peak tree PSS {statistics.median(peaks) / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
