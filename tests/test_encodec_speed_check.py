"""Hands-on 1's speed checks (``scale.check_speed``), with stand-ins for the sandboxed workers and
simulated times, so that what is tested does not depend on the machine's load: every timed run
gets vectors the worker has not seen, every run that counts is checked, so neither answers cached
from earlier runs nor fast wrong ones earn the points; a resource limit is named with its cause."""
import numpy as np
import pytest

from autograder.engine.client import StudentCodeError
from autograder.handsons.encodec_rvq import scale
from autograder.worker.wire import Tensor

REFERENCE_SECONDS = 1.0


def nearest(table: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    return ((table * table).sum(1)[None, :] - 2 * vectors @ table.T).argmin(1)


def right_answer(function: str, args: tuple) -> Tensor:
    if function == "quantize":
        table, vectors = args
        return Tensor(nearest(table.array, vectors.array).astype(np.int64), "torch.int64")
    tables, vectors = args
    residual, codes = vectors.array.copy(), []
    for table in tables:
        codes.append(nearest(table.array, residual))
        residual = residual - table.array[codes[-1]]
    return Tensor(np.stack(codes).astype(np.int64), "torch.int64")


class Worker:
    """Stands in for ``student`` or ``reference``: right answers, and ``seconds(seen, call)`` as the
    time of a timed call (``seen``: its vectors came in an earlier call of this worker)."""

    def __init__(self, seconds, answer=right_answer):
        self.seconds, self.answer = seconds, answer
        self.seen: set[bytes] = set()
        self.timed_inputs: list[bytes] = []

    def fresh(self) -> None:
        self.seen = set()

    def call(self, function, *args, timeout=None):
        return self.answer(function, args) if self.answer else None

    def timed(self, function, *args, timeout=None):
        key = args[-1].array.tobytes()
        seen = key in self.seen
        self.seen.add(key)
        self.timed_inputs.append(key)
        return self.call(function, *args), self.seconds(seen, len(self.timed_inputs))


def reference() -> Worker:
    return Worker(lambda seen, call: REFERENCE_SECONDS, answer=None)


@pytest.mark.parametrize("function", ["quantize", "rvq_encode"])
def test_a_fast_right_implementation_passes(function):
    scale.check_speed(Worker(lambda seen, call: 2 * REFERENCE_SECONDS), reference(), function)


@pytest.mark.parametrize("function", ["quantize", "rvq_encode"])
def test_answers_cached_from_earlier_runs_earn_nothing(function):
    """15 times slower on a new input, instantaneous on one it has seen: it would pass if the timed
    runs repeated an input (the median of 15, 0.01 and 0.01 s is 0.01 s)."""
    student = Worker(lambda seen, call: 0.01 if seen else 15 * REFERENCE_SECONDS)
    with pytest.raises(pytest.fail.Exception, match="times as long"):
        scale.check_speed(student, reference(), function)
    assert len(student.timed_inputs) >= 3
    assert len(set(student.timed_inputs)) == len(student.timed_inputs), "a timed run saw an input again"


def test_every_run_that_counts_is_checked():
    """Right at its first timed run, then fast and wrong."""
    def answer(function, args, calls=[0]):
        calls[0] += 1
        value = right_answer(function, args)
        return value if calls[0] <= 2 else Tensor(np.zeros_like(value.array), value.dtype)   # warm-up, first run

    student = Worker(lambda seen, call: 5 * REFERENCE_SECONDS, answer)
    with pytest.raises(pytest.fail.Exception, match="do not get a nearest row"):
        scale.check_speed(student, reference(), "quantize")


@pytest.mark.parametrize("kind, message, says", [
    ("memory", "quantize() ran out of the worker's 3.0 GiB memory limit (RuntimeError: [enforce fail at "
               "alloc_cpu.cpp:127] DefaultCPUAllocator: can't allocate memory: you tried to allocate 524288 bytes)",
     "quantize ran out of the worker's 3.0 GiB memory limit while timing 20 000 vectors, 1024 rows of 128 "
     "dimensions: perhaps a loop that builds per-vector tensors, or an [N, K, D] difference tensor."),
    ("memory", "the worker process was stopped during quantize(): its processes together used more than the "
               "worker's 768 MiB memory limit.", "ran out of the worker's 768 MiB memory limit while timing"),
    ("processes", "quantize() ran into the worker's limit of 64 processes and threads (RuntimeError: can't start "
                  "new thread)", "ran into the worker's limit of 64 processes and threads while timing 20 000"),
])
def test_a_limit_reached_while_timing_is_named_with_its_likely_cause(kind, message, says):
    class OutOfMemory(Worker):
        def timed(self, function, *args, timeout=None):
            raise StudentCodeError(kind, message, exception="RuntimeError")

    with pytest.raises(pytest.fail.Exception) as failure:
        scale.check_speed(OutOfMemory(lambda seen, call: 0.0), reference(), "quantize")
    assert says in str(failure.value.msg)
    assert "allocate" not in str(failure.value.msg) and scale.VECTORISE in str(failure.value.msg)


def _answers_only_the_seeded_sample(function, args):
    """tests/cheats/encodec_rvq/seeded_sample.py's idea: the vectors recognised as a seeded draw of the
    shipped code, ``default_rng((seed, draw))``, answered on the rows ``default_rng((seed, draw, 1))`` picks."""
    vectors = args[-1].array
    right = right_answer(function, args)
    if len(vectors) <= scale.SAMPLE_CHECKED:   # the warm-up call
        return right
    for seed in (61, 63, 71, 73):
        for draw in (0, 1, 2, 3, 1000, 1001):
            first = np.random.default_rng((seed, draw)).standard_normal((1, vectors.shape[1]), dtype=np.float32)
            if np.array_equal(first[0], vectors[0]):
                rows = np.random.default_rng((seed, draw, 1)).choice(len(vectors), scale.SAMPLE_CHECKED,
                                                                     replace=False)
                codes = np.zeros_like(right.array)
                codes[..., rows] = right.array[..., rows]
                return Tensor(codes, right.dtype)
    return Tensor(np.zeros_like(right.array), right.dtype)


@pytest.mark.parametrize("function", ["quantize", "rvq_encode"])
def test_timed_inputs_and_checked_rows_come_from_the_grading_secret(function, monkeypatch):
    """No seed in shipped code tells the worker which vectors it gets nor which rows are checked: a
    submission answering only the rows a seeded sample would check fails; with the shipped seeds
    alone (no secret), the same submission would have passed."""
    student = Worker(lambda seen, call: 2 * REFERENCE_SECONDS, _answers_only_the_seeded_sample)
    with pytest.raises(pytest.fail.Exception, match="drawn at random"):
        scale.check_speed(student, reference(), function)
    monkeypatch.setattr(scale, "secret_rng", lambda *key: np.random.default_rng(key))   # seeds only
    scale.check_speed(Worker(lambda seen, call: 2 * REFERENCE_SECONDS, _answers_only_the_seeded_sample),
                        reference(), function)


def test_the_grading_secret_changes_the_draws(monkeypatch):
    workload = scale.speed_workloads("quantize")[0]
    first = workload.vectors(1, 8)
    monkeypatch.setattr(scale, "GRADING_SECRET", scale.GRADING_SECRET + 1)
    assert not np.array_equal(first, workload.vectors(1, 8))
    assert not np.array_equal(first, np.random.default_rng((workload.seed, 1)).standard_normal(first.shape,
                                                                                                dtype=np.float32))


@pytest.mark.parametrize("peak, says", [
    ((3 << 30) - (1 << 20), "quantize ran out of the worker's 3.0 GiB memory limit while running on 20 000 vectors"),
    (1 << 30, None),
])
def test_a_call_at_scale_that_filled_the_address_space_fails_even_if_it_got_by(peak, says):
    """The per-vector loop can fill the worker's address space and still finish, as the allocator makes do
    with the heap's holes (how often depends on the heap the worker started with): the warden's reading
    of its peak decides (scale.run_at_scale), a right answer does not save it."""
    class Measured(Worker):
        def address_space_peak(self, what="the call"):
            return peak, 3 << 30

    case = {"function": "quantize", "timeout": 30.0,
            "generated": dict(seed=71, count=1, rows=1024, dim=128, decay=1.0, vectors=20_000)}
    if says is None:
        scale.run_at_scale(Measured(None), case)
        return
    with pytest.raises(pytest.fail.Exception) as failure:
        scale.run_at_scale(Measured(None), case)
    assert says in str(failure.value.msg) and scale.VECTORISE in str(failure.value.msg)
