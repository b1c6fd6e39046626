"""Telling state kept between calls from a plain mistake: a failing check run again in a fresh worker.

A worker serves a submission's calls one after the other, so an answer may depend on what earlier
calls left in the module (a cache keyed without a parameter, a changed global). When a check fails,
:func:`passes_alone` runs it again in a fresh worker: if it passes there, the verdict stands (that
answer was wrong) and the feedback can say the cause is state kept between calls.

Which failures are wrong answers (:func:`is_wrong_answer`), one rule for every hands-on: a verdict
(``fail``), or student code that raised an exception or returned a value the grader cannot read.
Its other failures (not implemented, a time or memory limit, a crash, a missing function...) say
nothing about the answer: they propagate as they are, never run again.
"""
from __future__ import annotations

import weakref
from typing import Callable

import pytest

from .client import StudentCodeError

# The kinds of StudentCodeError that are the submission's answer to the call (see client.WORKER_KINDS).
WRONG_ANSWERS = frozenset({"exception", "bad_return"})

Failure = "StudentCodeError | pytest.fail.Exception"


def is_wrong_answer(error: StudentCodeError) -> bool:
    """Whether student code's error is its answer to the call (run again, judged), not a limit or crash."""
    return error.kind in WRONG_ANSWERS


def failure_of(check: Callable[[], object]) -> Failure | None:
    """What ``check()`` (calls and their verdicts) fails with, or None when it passes: a verdict or a
    wrong answer (:func:`is_wrong_answer`); student code's other errors propagate."""
    try:
        check()
    except StudentCodeError as error:
        if not is_wrong_answer(error):
            raise
        return error
    except pytest.fail.Exception as error:
        return error
    return None


def message_of(failure: Failure) -> str:
    """The student-facing message of a failure :func:`failure_of` returned."""
    return str(failure) if isinstance(failure, StudentCodeError) else str(failure.msg)


# Per submission (its ``student.code``), how many failing checks that give up were run again alone and
# failed there too (see ``give_up_after``).
_FAILED_ALONE_TOO: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def passes_alone(student, check: Callable[[], object], *, give_up_after: int | None = None) -> bool:
    """Whether ``check()``, which failed, passes in a worker of its own (its calls the first ones there).

    The worker is closed after, as before: what follows never sees the run again. Anything but a pass
    there (a wrong answer, a limit, a crash) is False: the first failure is the verdict to report.
    ``give_up_after``: once that many failures of a submission's checks that give this failed alone too,
    its failures are taken as its own and not run again (False): running every failing check twice
    costs time.
    """
    failed_too = _FAILED_ALONE_TOO.setdefault(student.code, [0]) if give_up_after is not None else [0]
    if give_up_after is not None and failed_too[0] >= give_up_after:
        return False
    student.fresh()
    try:
        check()
    except (StudentCodeError, pytest.fail.Exception):
        failed_too[0] += 1
        return False
    finally:
        student.fresh()
    return True
