"""``autograder check`` on two cores: a hands-on's checks shared by this process and a forked
grader, each with its own worker. The verdicts, messages and order are those of one grader
alone; a grader that dies or fails says so instead of being waited for."""
import os
import signal

import pytest

from autograder.engine import checks, handsons
from autograder.engine.checks import Checker
from autograder.engine.forked import FAILED, ForkedGrader
from .helpers import public_checks

MODULE = "midi_tokens"
REFERENCE = handsons.get(MODULE).reference_path.read_text()
# Deterministic per call (never by call count: which grader makes which call is left open):
# tokens_to_midi crashes its worker at one bpm, raises at another, is right otherwise.
CRASHING = REFERENCE + '''

_right_tokens_to_midi = tokens_to_midi


def tokens_to_midi(tokens, bpm=120):
    if bpm == 90:
        import os
        os._exit(3)
    if bpm == 96:
        raise RuntimeError("no 96 here")
    return _right_tokens_to_midi(tokens, bpm)
'''


def _verdicts(results):
    return [(r["name"], r["status"], r["score"], r["output"]) for r in results]


@pytest.fixture
def two_cores(monkeypatch):
    monkeypatch.setattr(checks, "cores", lambda: 2)


@pytest.mark.parametrize("source", [REFERENCE, CRASHING, handsons.get(MODULE).stub_path.read_text()],
                         ids=["reference", "crashing_and_raising", "untouched_stub"])
def test_shared_checks_give_the_verdicts_of_one_grader_in_its_order(source, two_cores, monkeypatch):
    files = {f"{MODULE}.py": source.encode()}
    with Checker([MODULE], parts=1) as alone:
        expected = alone.run(MODULE, files)
    from_forked = []
    real_new_lines = ForkedGrader.new_lines

    def counting(self):
        lines = real_new_lines(self)
        from_forked.extend(lines)
        return lines

    monkeypatch.setattr(ForkedGrader, "new_lines", counting)
    printed = []
    with Checker([MODULE], parts=2) as shared:
        got = shared.run(MODULE, files, printed.append)
    assert len(expected) == public_checks(MODULE)[0]
    assert _verdicts(got) == _verdicts(expected) and printed == got
    assert 0 < len(from_forked) < len(got), "both graders ran checks"
    if source is CRASHING:
        messages = [r["output"] for r in got if r["status"] == "failed"]
        assert any("no 96 here" in m for m in messages) and any("exit" in m or "crash" in m for m in messages)


def test_a_forked_grader_that_is_killed_or_fails_is_reported():
    killed = ForkedGrader(lambda keep: os.kill(os.getpid(), signal.SIGKILL))
    status = killed.wait(limit=60)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    killed.stop()
    failing = ForkedGrader(lambda keep: (keep({"a": 1}), 1 / 0))
    assert os.WEXITSTATUS(failing.wait(limit=60)) == FAILED
    assert failing.new_lines() == [{"a": 1}] and "ZeroDivisionError" in failing.failure
    failing.stop()
    stuck = ForkedGrader(lambda keep: (signal.pause(), 0))
    assert stuck.wait(limit=1) is None and stuck.pid == 0   # stopped
    stuck.stop()
    done = ForkedGrader(lambda keep: 3)
    assert os.WEXITSTATUS(done.wait(limit=60)) == 3
    done.stop()


@pytest.mark.parametrize("work, message", [(lambda keep: os.kill(os.getpid(), signal.SIGKILL), "killed by signal 9"),
                                           (lambda keep: (signal.pause(), 0), "did not end in time")],
                         ids=["killed", "stuck"])
def test_a_check_run_says_when_its_forked_grader_was_killed_or_stuck(work, message, monkeypatch):
    monkeypatch.setattr(checks, "TimePolicy", lambda: type("Policy", (), {"grading_limit": lambda self: 1})())
    grader = ForkedGrader(work)
    with pytest.raises(RuntimeError, match=f"the checks could not all run: a grader .*{message}"):
        checks.grader_exit_code(grader)
    grader.stop()


def test_checks_are_not_shared_while_other_sandboxes_load_or_on_one_core(monkeypatch):
    made = []
    real_init = ForkedGrader.__init__

    def spy(self, session):
        made.append(1)
        real_init(self, session)

    monkeypatch.setattr(ForkedGrader, "__init__", spy)
    files = {f"{MODULE}.py": REFERENCE.encode()}
    monkeypatch.setattr(checks, "cores", lambda: 1)
    with Checker([MODULE], parts=2) as checker:
        assert all(r["status"] == "passed" for r in checker.run(MODULE, files))
    assert made == []
    monkeypatch.setattr(checks, "cores", lambda: 2)
    with Checker([MODULE, "mel_spectrogram"], parts=2) as checker:
        checker.sandbox("mel_spectrogram")
        checker.sandbox(MODULE)
        assert checker._starting() == 0
        monkeypatch.setattr(Checker, "_starting", lambda self: 1)   # as while mel's libraries load
        assert all(r["status"] == "passed" for r in checker.run(MODULE, files))
        assert made == []


def test_a_forked_grader_that_fails_fails_the_run_with_its_reason(two_cores, monkeypatch):
    real_session = checks._session

    def failing_in_the_fork(sandbox, module, files, on_result, shared, slot=0):
        if slot:
            raise ValueError("no fixtures here")
        return real_session(sandbox, module, files, on_result, shared, slot)

    monkeypatch.setattr(checks, "_session", failing_in_the_fork)
    with Checker([MODULE], parts=2) as checker:
        with pytest.raises(RuntimeError, match=r"a grader failed \(ValueError: no fixtures here\)"):
            checker.run(MODULE, {f"{MODULE}.py": REFERENCE.encode()})
