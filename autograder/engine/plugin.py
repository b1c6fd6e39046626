"""The pytest plug-in that turns grader tests into scored result lines.

Graders are ordinary pytest tests in ``autograder/handsons/<module>/test_public.py``
and ``test_hidden.py``::

    @pytest.mark.points(2)
    @pytest.mark.parametrize("case", CASES, ids=str)
    def test_edge_cases(student, case):
        \"\"\"midi_to_tokens on a purpose-built file\"\"\"
        got = student.call("midi_to_tokens", ...)

- ``points(n)``: what the test (each parametrized case) is worth.
- visibility comes from the file name (``test_hidden.py`` never ships to students).
- the module tag comes from the plug-in folder the file is in.
- the ``student`` fixture calls the submission's module in the sandbox.
- the first docstring line names the result line; the case id is appended.

A failure caused by student code (:class:`StudentCodeError`) or by a grader's
verdict (``assert``/``fail``) costs the test's points with its message. Any
other exception is a *grader error*: it is reported as such, so that a broken
grader is never mistaken for a wrong submission. What a submission printed or raised is
quoted under a label in every message, in full for public checks and cut to the start of its
message for hidden ones (``display.present``): it can neither pose as the grader nor carry a
hidden check's inputs out.
"""
from __future__ import annotations

import sys
import time
import traceback
from pathlib import Path

import pytest

from . import fixtures, handsons
from .artifacts import Artifacts
from .client import StudentCode, StudentCodeError
from .diagnoses import diagnose
from .display import present
from .results import clean_text

VISIBILITY_GRADESCOPE = {"public": "visible", "hidden": "after_published"}


class ModuleCaller:
    """What a grader sees as ``student``: the submission's module of this hands-on."""

    def __init__(self, code: StudentCode, module: str):
        self.code, self.module = code, module
        # function -> library functions its docstring asks students to write themselves (the
        # hands-on package's OFF_LIMITS): any call of them during the function fails the check
        self.off_limits = handsons.get(module).off_limits if module in handsons.names() else {}

    def call(self, function: str, *args, **kwargs):
        """``function(*args, **kwargs)`` in the sandbox; its decoded return value."""
        return self.code.call(self.module, function, *args, off_limits=self.off_limits.get(function, ()), **kwargs)

    def timed(self, function: str, *args, **kwargs) -> tuple[object, float]:
        """Like :meth:`call`, also giving the wall time in seconds, measured here."""
        return self.code.timed_call(self.module, function, *args, off_limits=self.off_limits.get(function, ()),
                                    **kwargs)

    def address_space_peak(self, what: str = "the call") -> tuple[int, int] | None:
        """(the most address space the current worker has held since it started, the worker's limit
        of it), in bytes: the kernel's count, read by the worker's warden, right after ``what``
        answered. None where no sandbox measures it (in-process benchmarks)."""
        measure = getattr(self.code, "address_space_peak", None)
        return (measure(what), self.code.limits.memory_bytes) if measure is not None else None

    def fresh(self) -> None:
        """The next call runs in a fresh worker: for timing on equal terms with the
        reference's own fresh worker, without what earlier checks left in memory."""
        self.code.close()


def handson_of(path: Path) -> str:
    """``autograder/handsons/<module>/test_x.py`` -> ``<module>``."""
    return Path(path).parent.name


def visibility_of(path: Path) -> str:
    return "hidden" if Path(path).name.startswith("test_hidden") else "public"


def title(item: pytest.Item) -> str:
    doc = (getattr(item, "function", None).__doc__ or "").strip() if hasattr(item, "function") else ""
    title = doc.splitlines()[0].strip() if doc else item.originalname.replace("test_", "").replace("_", " ")
    callspec = getattr(item, "callspec", None)
    return f"{title} [{callspec.id}]" if callspec else title


def points_of(item: pytest.Item) -> float:
    marker = item.get_closest_marker("points")
    return float(marker.args[0]) if marker and marker.args else 0.0


class GradingPlugin:
    """Runs inside one pytest session that grades one submission."""

    def __init__(self, code: StudentCode | None, on_result=None, artifacts_dir: Path | None = None):
        self.code, self.on_result, self.artifacts_dir = code, on_result, artifacts_dir
        self._artifacts: dict[str, Artifacts] = {}
        self._reference: StudentCode | None = None
        self.results: list[dict] = []
        self._started: dict[str, float] = {}

    # ---------------------------------------------------------- configuration
    def pytest_configure(self, config: pytest.Config) -> None:
        config.addinivalue_line("markers", "points(n): what a grader test is worth")
        config.addinivalue_line("markers", "rules(*ids): the docstring rules every case of the test exercises "
                                           "(see engine/rules.py)")

    @pytest.fixture
    def student(self, request: pytest.FixtureRequest) -> ModuleCaller:
        if self.code is None:
            pytest.fail("no submission to grade (run graders through `autograder grade`)", pytrace=False)
        return ModuleCaller(self.code, handson_of(request.node.path))

    @pytest.fixture
    def reference(self, request: pytest.FixtureRequest) -> ModuleCaller:
        """The reference solution, run in its own sandboxed worker from the same zygote,
        under the same limits: for timing a student's code against it. Hidden graders only
        (the student release has no solutions); student code can never reach it."""
        if self.code is None:
            pytest.fail("no sandbox: run graders through `autograder grade`", pytrace=False)
        if self._reference is None:
            files = {path.name: path.read_bytes() for path in sorted(handsons.SOLUTIONS_DIR.glob("*.py"))}
            self._reference = self.code.with_files(files)
        return ModuleCaller(self._reference, handson_of(request.node.path))

    @pytest.fixture
    def artifacts(self, request: pytest.FixtureRequest) -> Artifacts:
        """Pictures and sounds for the HTML report (kept for public checks, with --html)."""
        kept = Artifacts(self.artifacts_dir is not None and visibility_of(request.node.path) == "public")
        self._artifacts[request.node.nodeid] = kept
        return kept

    def pytest_runtest_teardown(self, item: pytest.Item, nextitem: pytest.Item | None) -> None:
        # The reference's worker lives only as long as consecutive checks need it (memory).
        if self._reference is not None and (nextitem is None or "reference" not in nextitem.fixturenames):
            self._reference.close()
            self._reference = None

    def pytest_sessionfinish(self, session) -> None:
        if self._reference is not None:
            self._reference.close()

    @pytest.hookimpl(tryfirst=True)
    def pytest_pyfunc_call(self, pyfuncitem: pytest.Function) -> None:
        """A check runs on the case of its id in the submission's grading variant."""
        if "case" in pyfuncitem.funcargs:
            pyfuncitem.funcargs["case"] = fixtures.in_current_variant(
                handson_of(pyfuncitem.path), visibility_of(pyfuncitem.path), pyfuncitem.funcargs["case"])

    # ---------------------------------------------------------- reporting
    def pytest_runtest_logstart(self, nodeid: str, location) -> None:
        self._started[nodeid] = time.monotonic()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        outcome = yield
        report = outcome.get_result()
        if call.when == "call" or (call.when == "setup" and report.outcome != "passed"):
            self._record(item, call, report)

    def _record(self, item: pytest.Item, call: pytest.CallInfo, report) -> None:
        max_score = points_of(item)
        entry = {
            "name": f"{handson_of(item.path)}: {title(item)}",
            "score": max_score if report.passed else 0.0,
            "max_score": max_score,
            "status": "passed" if report.passed else "failed",
            "output": "",
            "visibility": VISIBILITY_GRADESCOPE[visibility_of(item.path)],
            "tags": [handson_of(item.path)],
            "extra_data": {"nodeid": item.nodeid, "kind": "passed" if report.passed else "failed"},
        }
        if report.skipped:
            entry["output"] = "grader error: this check was skipped, which graders never do"
            entry["extra_data"]["kind"] = "grader_error"
        elif not report.passed:
            entry["output"], entry["extra_data"]["kind"] = _failure_message(call)
            if entry["extra_data"]["kind"] == "grader_error" and call.excinfo \
                    and item.config.getoption("tbstyle", "auto") == "line":   # grading.log, for whoever fixes it
                print(f"grader error in {item.nodeid}:\n" + "".join(traceback.format_exception(call.excinfo.value)),
                      file=sys.stderr, flush=True)
        entry["output"] = _stored_text(present(entry["output"], hidden=visibility_of(item.path) == "hidden"))
        if visibility_of(item.path) == "public" and fixtures.load(handson_of(item.path), "public").number:
            entry["output"] = (f"The same check as your public check `{item.originalname}`, on other inputs "
                               f"(grading uses other inputs of the same checks).\n" + entry["output"]).rstrip("\n")
        if entry["status"] == "failed":   # the known mistakes its feedback names, for the class report
            entry["extra_data"]["diagnoses"] = diagnose(handson_of(item.path), entry["output"])
        entry["extra_data"]["seconds"] = round(time.monotonic() - self._started.get(item.nodeid, time.monotonic()), 4)
        kept = self._artifacts.pop(item.nodeid, None)
        if kept is not None and kept.items:
            entry["extra_data"]["artifacts"] = kept.save(self.artifacts_dir, f"check-{len(self.results)}")
        self.results.append(entry)
        if self.on_result:
            self.on_result(entry)


MAX_MESSAGE_CHARS = 20_000


def _stored_text(text: str) -> str:
    """A message as it is stored (after ``display.present``): valid UTF-8 (values from student
    code may hold lone surrogates) and of bounded length (a message may quote what student code
    returned)."""
    if len(text) > MAX_MESSAGE_CHARS:
        text = text[:MAX_MESSAGE_CHARS] + f"\n[... {len(text) - MAX_MESSAGE_CHARS} more characters]"
    return clean_text(text, MAX_MESSAGE_CHARS + 100)


def _failure_message(call: pytest.CallInfo) -> tuple[str, str]:
    """(student-facing message, kind) for a failed test."""
    error = call.excinfo.value if call.excinfo else None
    if isinstance(error, StudentCodeError):
        # Only the grader's own failures are grader errors, whatever student code claims.
        return str(error), error.kind if error.kind != "grader_error" else "internal"
    if call.excinfo and call.excinfo.errisinstance(pytest.fail.Exception):
        return str(error.msg), "wrong"
    if isinstance(error, AssertionError):
        text = str(error).strip() or "a check failed"
        return text.split("\nassert ")[0] if text.startswith("\n") is False else text, "wrong"
    flaky = flaky_verdict(error)
    if flaky is not None:
        return flaky
    where = "setting up the check" if call.when == "setup" else "checking the result"
    detail = call.excinfo.exconly() if call.excinfo else "unknown"
    return (f"grader error while {where} (not a verdict on your code; the instructors are told): "
            f"{detail[:1500]}", "grader_error")


def flaky_verdict(error: BaseException | None) -> tuple[str, str] | None:
    """A property-based check (hypothesis) runs a failing example again before it reports
    it; when student code then behaves differently (its answers vary, it ran out of time),
    hypothesis says the test is flaky. That is a verdict on the student's code, not a
    grader error, when what failed was a verdict (or student code) every time."""
    try:
        from hypothesis.errors import FlakyFailure
    except ImportError:
        return None
    if not isinstance(error, FlakyFailure):
        return None
    # hypothesis wraps BaseExceptions (pytest.fail's) in a carrier whose cause is the original
    inner = [e.__cause__ if type(e).__name__ == "_WrappedBaseException" and e.__cause__ else e
             for e in error.exceptions]
    verdicts = (pytest.fail.Exception, AssertionError, StudentCodeError)
    if not inner or not all(isinstance(e, verdicts) for e in inner):
        return None
    first = inner[0]
    text = str(first.msg) if isinstance(first, pytest.fail.Exception) else (str(first).strip() or "a check failed")
    return (f"{text}\nRun again on the same input, your code did not fail the same way: its results vary "
            f"from run to run (or it ran out of time).", "wrong")
