"""Hands-on 1 at the docstring's sizes: one run at scale, and the speed of quantize and rvq_encode timed
against the reference in the same sandbox; each run gets fresh vectors and its result is checked.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ...engine.compare import expect_tensor, fail
from ...worker.wire import Tensor
from .checks import check_quantize, check_rvq_codes
from .runs import tensor
from .seeded import generated, random_tables

SPEED_FACTOR = 10.0     # the student's median time may be up to this many times the reference's
SPEED_REPEATS = 3
SAMPLE_CHECKED = 500    # vectors of a big run whose result is checked, drawn at random (the check is slower
                        # than the work; a partial answer still fails: which vectors, the worker cannot know)
VECTORISE = ("It must be vectorised: no Python loop over vectors (nor over rows), and no [N, K, D] tensor of "
             "differences either; one matrix product gives every |v|^2 - 2 v.e + |e|^2 (|v|^2 can even be "
             "left out), then one argmin.")
LIMIT_MARGIN = 64 << 20  # a peak address space this close to the worker's limit: it ran into the limit
_MEMORY_LIMIT = re.compile(r"the worker's [\d.]+ [KMGT]?i?B memory limit")
_PROCESS_LIMIT = re.compile(r"the worker's limit of \d+ processes and threads")


def spaced(number: int) -> str:
    """``20000`` as ``20 000`` (``1024`` stays ``1024``)."""
    return f"{number:,}".replace(",", " ") if number >= 10_000 else str(number)


def fail_out_of_memory(function: str, limit: str, doing: str) -> None:
    fail(f"{function} ran out of {limit} while {doing}: perhaps a loop that builds per-vector tensors, "
         f"or an [N, K, D] difference tensor. {VECTORISE}")


def fail_for_limit(student, function: str, doing: str, error) -> None:
    """Fail, naming the limit and the likely cause, when student code ran out of memory or processes
    while ``doing`` (``"timing 20 000 vectors, ..."``); never a bare allocator error. Returns for any
    other error (the caller re-raises it). A worker that reached a limit is closed: its heap, near the
    limit, would make later checks fail too, or not, by chance."""
    if error.kind in ("memory", "processes"):
        student.fresh()
    if error.kind == "memory":
        found = _MEMORY_LIMIT.search(error.message)
        fail_out_of_memory(function, found.group(0) if found else "the worker memory limit", doing)
    if error.kind == "processes":
        found = _PROCESS_LIMIT.search(error.message)
        fail(f"{function} ran into {found.group(0) if found else 'the worker limit of processes'} while {doing}: "
             f"perhaps threads or processes started at each call and never ended. {VECTORISE}")


# The big runs' vectors and the rows checked of their results are drawn from this secret, made when
# the grader starts: seeds in shipped code would let a submission recognise its input and answer only
# the rows that will be checked. A verdict does not depend on the draw: right code passes every draw,
# a known mistake fails every one (a run checks 500 vectors).
GRADING_SECRET = int.from_bytes(os.urandom(16), "little")


def secret_rng(*key: int) -> np.random.Generator:
    """A generator for ``key``, seeded by ``GRADING_SECRET`` (unknown to the worker)."""
    return np.random.default_rng((GRADING_SECRET, *key))


def check_sample(function: str, value: object, tables: Sequence[np.ndarray], vectors: np.ndarray, key,
                 what: str) -> None:
    """The result of a big run, checked on ``SAMPLE_CHECKED`` of its vectors drawn at random (from the
    grading secret and ``key``)."""
    n = len(vectors)
    shape = (n,) if function == "quantize" else (len(tables), n)
    got = expect_tensor(value, what, shape=shape, kind="i")
    rows = np.sort(secret_rng(*key).choice(n, min(SAMPLE_CHECKED, n), replace=False))
    part = Tensor(np.ascontiguousarray(got[rows] if function == "quantize" else got[:, rows]), value.dtype)
    what = f"{what} (checked on {len(rows)} of its vectors drawn at random; 'vector i' counts those)"
    if function == "quantize":
        check_quantize(part, tables[0], vectors[rows], what)
    else:
        check_rvq_codes(part, tables, vectors[rows], what)


@dataclass(frozen=True)
class Workload:
    """A big input for ``quantize`` or ``rvq_encode``: fixed tables (seeded), and vectors drawn afresh
    for every run from the grading secret, so that no run can be answered from an earlier one nor
    recognised."""
    function: str
    tables: tuple
    count: int
    seed: int

    @property
    def label(self) -> str:
        rows, dim = self.tables[0].shape
        tables = f", {len(self.tables)} codebooks" if self.function == "rvq_encode" else ""
        return f"{spaced(self.count)} vectors, {spaced(rows)} rows of {dim} dimensions{tables}"

    def vectors(self, draw: int, count: int | None = None) -> np.ndarray:
        generator = secret_rng(self.seed, draw)
        return generator.standard_normal((count or self.count, self.tables[0].shape[1]), dtype=np.float32)

    def args(self, vectors: np.ndarray) -> tuple:
        if self.function == "quantize":
            return tensor(self.tables[0]), tensor(vectors)
        return [tensor(t) for t in self.tables], tensor(vectors)

    def check(self, value: object, vectors: np.ndarray, draw: int) -> None:
        check_sample(self.function, value, self.tables, vectors, (self.seed, draw, 1),
                     f"{self.function} on {self.label}")


def run_at_scale(student, case: dict) -> None:
    """One call on the docstring's size (tables seeded, vectors drawn from the grading secret), checked on
    a sample of its vectors;
    running out of memory, processes or time is named as such."""
    from ...engine.client import StudentCodeError, size_text

    spec = case["generated"]
    tables, _ = generated({key: value for key, value in spec.items() if key != "vectors"})
    workload = Workload(case["function"], tuple(tables), spec["vectors"], spec["seed"])
    vectors = workload.vectors(1)
    student.fresh()   # in a fresh worker, as when it is timed: what earlier checks left in memory plays no part
    try:
        value = student.call(workload.function, *workload.args(vectors), timeout=case.get("timeout"))
    except StudentCodeError as error:
        fail_for_limit(student, workload.function, f"running on {workload.label}", error)
        if error.kind == "timeout":
            fail(f"{workload.function} on {workload.label}: {error.message} {VECTORISE}")
        raise
    # A call that filled the worker's address space ran out of memory even when the allocator then got
    # by on what it already held (whether it does depends on the heap the worker started with, e.g. the
    # models preloaded in it): the kernel's peak, not the call's luck, decides.
    try:
        measured = student.address_space_peak(f"{workload.function} on {workload.label}")
    except StudentCodeError as error:   # its worker ended (or was stopped) right after answering
        fail_for_limit(student, workload.function, f"running on {workload.label}", error)
        raise
    if measured is not None and measured[0] >= measured[1] - LIMIT_MARGIN:
        student.fresh()
        fail_out_of_memory(workload.function, f"the worker's {size_text(measured[1])} memory limit",
                           f"running on {workload.label} (its address space reached {measured[0] / 2**30:.2f} GiB)")
    workload.check(value, vectors, 1)


def speed_workloads(function: str) -> list[Workload]:
    """The workloads timing ``quantize`` or ``rvq_encode``.

    Two: the spec's (20000 vectors, 1024 rows of 128 dimensions), where the matrix product
    dominates, and many vectors against small tables (64 rows of 8 dimensions, the tiny models'
    size), where a Python loop over vectors cannot hide its per-vector cost: at the spec's size such
    a loop, each step itself vectorised over the rows, is only a few times slower than a matrix
    product on one thread. Only the tables are held; each run's vectors are drawn when it starts.
    """
    workloads = []
    for rows, dim, count, seed in [(1024, 128, 1, 61), (64, 8, 4, 63)]:
        if function == "quantize":
            tables = random_tables(seed, 1, rows, dim, 1.0)
        else:
            tables = random_tables(seed, 2 * count, rows, dim, 0.8)
        workloads.append(Workload(function, tuple(tables), 20_000, seed))
    return workloads


WARM_VECTORS = 64


def _reference_times(reference, workloads: list[Workload], runs: list[int]) -> list[list[float]]:
    """Seconds of ``runs[i]`` calls of the reference on workload ``i``, in one fresh worker that is
    closed after: never alongside the student's, as two workers holding a workload would double
    the memory (Gradescope's container has 768 MiB for everything)."""
    reference.fresh()
    times = []
    for workload, count in zip(workloads, runs):
        if count:   # warms the module and the kernels on a few vectors
            reference.call(workload.function, *workload.args(workload.vectors(0, WARM_VECTORS)))
        times.append([reference.timed(workload.function, *workload.args(workload.vectors(1000 + run)),
                                      timeout=120.0)[1] for run in range(count)])
    reference.fresh()
    return times


def check_speed(student, reference, function: str, factor: float = SPEED_FACTOR,
                repeats: int = SPEED_REPEATS) -> None:
    """``function`` is timed against the reference in the same sandbox on each workload: the
    reference in a fresh worker, then the student in a fresh worker, one after the other. It passes
    when the median of its times is at most ``factor`` times the reference's median. A workload
    whose result is borderline is timed again, the reference both before and after the student,
    so that a change of the machine's load hits both.

    Every timed run gets vectors the worker has not seen (a fresh draw), and its result is checked
    on a random sample of them: fast and wrong, or answered from a cache of earlier runs, earns
    nothing. One workload's vectors are held at a time (memory)."""
    import statistics
    from ...engine.client import StudentCodeError

    workloads = speed_workloads(function)
    student.fresh()   # closed while the reference runs
    theirs = _reference_times(reference, workloads, [1] * len(workloads))
    mine: list[list[float]] = []
    for workload, ref_times in zip(workloads, theirs):
        label = workload.label
        student.call(function, *workload.args(workload.vectors(0, WARM_VECTORS)))   # errors propagate
        times: list[float] = []
        for run in range(1, repeats + 1):
            limit = max(30.0, 4 * factor * min(ref_times))   # slow but vectorised: measured, not cut
            vectors = workload.vectors(run)
            try:
                value, seconds = student.timed(function, *workload.args(vectors), timeout=limit)
            except StudentCodeError as error:
                fail_for_limit(student, function, f"timing {label}", error)
                if error.kind != "timeout":
                    raise
                fail(f"{function} on {label} did not finish within {limit:.1f} s; the reference takes "
                     f"{min(ref_times):.3f} s in the same sandbox. {VECTORISE}")
            workload.check(value, vectors, run)   # every run that counts
            del value, vectors
            times.append(seconds)
            if max(times) < factor / 3 * min(ref_times):
                break   # clearly fast enough, even comparing its slowest run with the reference's fastest
            if run == 1 and times[0] > 3 * factor * ref_times[0]:
                break   # clearly too slow: spare the submission's time budget
        mine.append(times)
    student.fresh()   # its memory is freed before the reference runs again
    more = [len(times) - 1 for times in mine]
    if any(more):
        for ref_times, again in zip(theirs, _reference_times(reference, workloads, more)):
            ref_times += again
    for workload, times, ref_times in zip(workloads, mine, theirs):
        ours, ref = statistics.median(times), statistics.median(ref_times)
        if ours > factor * ref:
            runs = f"median of {len(times)} runs" if len(times) > 1 else "one run"
            fail(f"{function} on {workload.label} took {ours:.3f} s ({runs}); the reference takes "
                 f"{ref:.3f} s in the same sandbox: {ours / ref:.1f} times as long, more than the {factor:g}x "
                 f"allowed. {VECTORISE}")
