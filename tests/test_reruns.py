"""engine/reruns.py: which failures of student code are wrong answers (one rule for every hands-on),
and a failing check run again in a fresh worker to tell state kept between calls apart. A stand-in
for the sandboxed worker: a module whose state lives until ``fresh()``."""
import pytest

from autograder.engine.client import StudentCodeError
from autograder.engine.compare import fail
from autograder.engine.reruns import failure_of, is_wrong_answer, message_of, passes_alone


class Code:
    """A submission's code (``student.code`` is the plug-in's handle on it, per submission)."""


class Student:
    """One submission's calls: ``calls`` made in the current worker, ``fresh()`` starts another."""

    def __init__(self):
        self.code = Code()
        self.calls = 0
        self.freshes = 0

    def fresh(self):
        self.calls = 0
        self.freshes += 1

    def call(self):
        self.calls += 1
        return self.calls


def right_when_first(student):
    """A check whose call is right only as the first one in its worker (a cache keyed too loosely)."""
    if student.call() != 1:
        fail("wrong after other calls")


@pytest.mark.parametrize("kind, answer", [("exception", True), ("bad_return", True), ("timeout", False),
                                          ("memory", False), ("processes", False), ("crash", False),
                                          ("not_implemented", False), ("missing_function", False),
                                          ("changed_argument", False)])
def test_a_wrong_answer_is_an_exception_or_an_unreadable_value_and_nothing_else(kind, answer):
    assert is_wrong_answer(StudentCodeError(kind, "message")) is answer


def test_failure_of_returns_verdicts_and_wrong_answers_and_lets_limits_through():
    assert failure_of(lambda: None) is None
    verdict = failure_of(lambda: fail("expected 3, got 4"))
    assert message_of(verdict) == "expected 3, got 4"

    def raises(kind):
        raise StudentCodeError(kind, f"{kind} happened", exception="ValueError")

    for kind in ("exception", "bad_return"):
        assert message_of(failure_of(lambda: raises(kind))) == f"{kind} happened"
    with pytest.raises(StudentCodeError, match="timeout happened"):
        failure_of(lambda: raises("timeout"))


def test_a_check_right_alone_passes_in_a_fresh_worker_closed_after():
    student = Student()
    student.call()
    assert failure_of(lambda: right_when_first(student)) is not None
    assert passes_alone(student, lambda: right_when_first(student))
    assert student.freshes == 2 and student.calls == 0   # a fresh worker for the run, closed after


def test_a_check_wrong_alone_too_or_stopped_by_a_limit_does_not_pass_alone():
    student = Student()
    assert not passes_alone(student, lambda: fail("always wrong"))

    def times_out():
        raise StudentCodeError("timeout", "too slow")

    assert not passes_alone(student, times_out)   # the first failure stays the verdict


def test_after_failures_alone_too_a_submission_is_not_run_again_when_asked_to_give_up():
    student, other = Student(), Student()
    for _ in range(2):
        assert not passes_alone(student, lambda: fail("wrong"), give_up_after=2)
    freshes = student.freshes
    assert not passes_alone(student, lambda: right_when_first(student), give_up_after=2)
    assert student.freshes == freshes   # not run again: its failures are taken as its own
    assert passes_alone(other, lambda: right_when_first(other), give_up_after=2)   # per submission
    assert passes_alone(student, lambda: right_when_first(student))   # a check that does not give up
