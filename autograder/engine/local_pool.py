"""Grade submissions on this machine: one zygote, a forked grader per submission, ``--jobs`` at a time.

The parent has started the sandbox (its zygote pre-loads the heavy libraries once) and
imported pytest and the graders' dependencies once; each submission is then graded by a
:class:`~.forked.ForkedGrader` with a worker of its own. A Dask worker grades its tasks
with :func:`grade_forked` too (``cluster``).
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import time
import traceback
from pathlib import Path
from typing import Iterator

from .forked import ForkedGrader, status_text, wait_any
from .options import Options
from .output import (EX_OUTPUT, PARTIAL, Graded, OutputError, clear_target, output_errors, partial_lines,
                     read_results, unfinished_results, with_free_space)
from .results import write_results
from .sandbox import Sandbox
from .session import engine_info, grade_one
from .submission import Submission


class LocalPool:
    """Grades on this machine. The cluster's pool (``cluster.ClusterPool``) has the same three
    methods; the batch keeps the books for both."""

    def __init__(self, options: Options):
        self.options, self.sandbox = options, None

    def start(self, hidden: list[Path]) -> None:
        """Start the zygote (it imports its libraries while the caller goes on)."""
        self.sandbox = Sandbox(self.options.modules, mode=self.options.mode, hidden_paths=hidden, wait=False)

    def grade(self, subs: list[Submission], out_dir: Path) -> Iterator[Graded]:
        """Each submission graded, in the order they finish, its results.json written."""
        self.sandbox.wait_ready()
        return grade_forked(self.sandbox, subs, out_dir, self.options)

    def close(self) -> None:
        if self.sandbox is not None:
            self.sandbox.close()


def grade_forked(sandbox: Sandbox, subs: list[Submission], out_dir: Path, options: Options,
                 slots: list[int] | None = None) -> Iterator[Graded]:
    """Grade ``subs`` in forked graders, one per free job slot (``slots``; default one
    per ``options.jobs``); yield each as it ends, its results.json written."""
    pending = list(subs)
    running: dict[ForkedGrader, tuple[Submission, int]] = {}
    free_slots = list(slots) if slots is not None else list(range(max(1, options.jobs)))
    limit = options.time_policy.grading_limit()
    try:
        while pending or running:
            while pending and free_slots:
                sub, slot = pending.pop(0), free_slots.pop(0)
                target = clear_target(out_dir, sub.name)
                grader = ForkedGrader(lambda write, sub=sub, slot=slot, target=target:
                                      _grade_into(sandbox, sub, options, slot, target, write), interruptible=True)
                running[grader] = (sub, slot)
            grader, status, stopped = wait_any(list(running), limit)
            sub, slot = running.pop(grader)
            free_slots.append(slot)
            grader.new_lines()
            why = grader.failure
            grader.stop()
            target = out_dir / sub.name
            if os.WIFEXITED(status) and os.WEXITSTATUS(status) == EX_OUTPUT:
                raise OutputError(f"cannot write the results of {sub.name} in {target}: "
                                  f"{with_free_space(why or 'unknown reason', out_dir)}")
            results = None
            if not stopped and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
                results = read_results(target / "results.json", sub)
            if results is None:
                # The grader did not finish: keep the lines it made, say why, and never
                # let this pass for a complete grading (not in the gradebook; exit code 4).
                reason = (f"grading stopped after {limit:.0f} s, the most one submission's grading may take"
                          if stopped else f"grading crashed ({status_text(status)})")
                results = unfinished_results(sub, partial_lines(target / PARTIAL), time.monotonic() - grader.started,
                                             reason, engine_info(sandbox))
                with output_errors(out_dir):
                    write_results(target / "results.json", results)
            with contextlib.suppress(OSError):
                (target / PARTIAL).unlink(missing_ok=True)
            yield Graded(sub.name, sub.source, results, sub.digest)
    finally:
        for grader in running:   # the batch stopped early: no grader outlives it
            grader.stop()


def _return_freed_memory() -> None:
    """Blocks of 4 MiB and more get mappings of their own, returned to the system when freed.
    glibc otherwise raises this threshold after the first big block is freed, and the heap keeps
    what a grader's big workloads used (~20 MiB of the peak; 1 MiB costs more system time for
    no less memory). Elsewhere than glibc: nothing."""
    import ctypes
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).mallopt(-3, 4 << 20)   # M_MMAP_THRESHOLD


def _grade_into(sandbox: Sandbox, sub: Submission, options: Options, slot: int, target: Path, write) -> int:
    """In the forked grader: grade ``sub`` into ``target``; exit status 0, or ``EX_OUTPUT`` with
    the system's reason (``No space left on device``...) sent as the ``error`` line: the parent
    cannot find it out afterwards (a probe of a few bytes may well fit where a results.json did not)."""
    code = 1

    def cannot_write(error: OSError) -> int:
        with contextlib.suppress(Exception):
            write({"error": (error.strerror or str(error)).encode()[:1000].decode(errors="replace")})
        return EX_OUTPUT

    try:
        _return_freed_memory()
        try:
            log = os.open(target / "grading.log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            partial = os.open(target / PARTIAL, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o644)
        except OSError as error:
            code = cannot_write(error)
            raise
        os.dup2(log, 1)
        os.dup2(log, 2)

        def keep(entry: dict) -> None:
            try:
                os.write(partial, (json.dumps(entry) + "\n").encode())
            except (OSError, ValueError, TypeError):
                pass   # only a fallback if grading does not finish

        artifacts = target / "artifacts"
        shutil.rmtree(artifacts, ignore_errors=True)
        results = grade_one(sandbox, sub, options, slot, artifacts if options.html else None, on_result=keep)
        try:
            write_results(target / "results.json", results)
        except OSError as error:
            code = cannot_write(error)
            raise
        code = 0
    except BaseException:
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
    return code
