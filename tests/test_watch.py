"""``autograder check --watch``: each save of a hands-on's file re-runs its checks and
reports only what changed; Ctrl-C ends it cleanly, leaving no process behind."""
import json
import queue
import signal
import threading
import time

from autograder.engine import handsons
from autograder.engine.checks import changes_between, saved_modules, summary_line
from .helpers import kill_group, public_checks, start_cli

MODULE = "midi_tokens"
WAIT = 600.0   # generous: the first run may build the JIT cache of a fresh environment


def line(name, status):
    return {"name": name, "status": status, "score": 1.0 if status == "passed" else 0.0, "max_score": 1.0,
            "tags": [MODULE]}


def test_changes_are_newly_passing_and_newly_failing_checks():
    before = [line("a", "passed"), line("b", "failed"), line("c", "failed"), line("d", "passed")]
    after = [line("a", "passed"), line("b", "passed"), line("c", "failed"), line("d", "failed"),
             line("new ok", "passed"), line("new bad", "failed")]
    passing, failing = changes_between(before, after)
    assert [r["name"] for r in passing] == ["b", "new ok"]
    assert [r["name"] for r in failing] == ["d", "new bad"]
    assert summary_line(MODULE, after, 2, 2) == \
        f"{MODULE}: 3/6 checks pass, 3/6 points (2 newly passing, 2 newly failing)"
    assert "no change" in summary_line(MODULE, after, 0, 0)


def test_a_saved_module_is_checked_again_and_a_helper_file_checks_every_one(tmp_path):
    modules = ["encodec_rvq", "midi_tokens"]
    assert saved_modules({(2, str(tmp_path / "midi_tokens.py"))}, tmp_path, modules) == ["midi_tokens"]
    assert saved_modules({(2, str(tmp_path / "helpers.py"))}, tmp_path, modules) == modules
    assert saved_modules(set(), tmp_path, modules) == []


class Lines:
    """The command's output, line by line, as it comes."""

    def __init__(self, stream):
        self.seen: list[str] = []
        self._queue: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream):
        for text in stream:
            self._queue.put(text.rstrip("\n"))
        self._queue.put(None)

    def rest(self) -> list[str]:
        """Every line, once the command has closed its output."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                text = self._queue.get(timeout=1.0)
            except queue.Empty:
                continue
            if text is None:
                break
            self.seen.append(text)
        return self.seen

    def until(self, predicate, what: str) -> list[str]:
        """The lines up to and including the first one that satisfies ``predicate``."""
        got, deadline = [], time.monotonic() + WAIT
        while time.monotonic() < deadline:
            try:
                text = self._queue.get(timeout=1.0)
            except queue.Empty:
                continue
            assert text is not None, f"the command ended before {what}:\n" + "\n".join(self.seen)
            self.seen.append(text)
            got.append(text)
            if predicate(text):
                return got
        raise AssertionError(f"no {what} within {WAIT} s:\n" + "\n".join(self.seen))


def is_report(text: str) -> bool:
    return text.startswith(f"{MODULE}: ") and "checks pass" in text


def test_watch_reports_each_save_with_what_changed_and_stops_on_ctrl_c(tmp_path):
    stub = handsons.get(MODULE).stub_path.read_text()
    reference = handsons.get(MODULE).reference_path.read_text()
    folder = tmp_path / "assignments"
    folder.mkdir()
    target = folder / f"{MODULE}.py"
    target.write_text(stub)
    report = tmp_path / "run.json"
    process = start_cli(["check", "--watch", MODULE, "--path", str(folder)], report,
                        env={"PYTHONUNBUFFERED": "1"}, grace=10.0)
    try:
        out = Lines(process.stdout)
        first = out.until(is_report, "first run")
        checks, points = public_checks(MODULE)
        assert sum(t.startswith("FAIL") for t in first) == checks and "(first run)" in first[-1]
        out.until(lambda t: t.startswith("Watching"), "the watching notice")

        target.write_text(reference)   # save 1: every check now passes
        one = out.until(is_report, "a report after the first save")
        assert sum(t.startswith("NOW PASSING") for t in one) == checks, "\n".join(one)
        assert not any(t.startswith(("PASS", "FAIL", "NOW FAILING")) for t in one), "\n".join(one)
        assert one[-1] == (f"{MODULE}: {checks}/{checks} checks pass, {points:g}/{points:g} points ({checks} newly "
                           f"passing, 0 newly failing)")

        broken = reference.replace("def tokens_to_midi(", "def _gone(", 1)
        target.write_text(broken)      # save 2: the tokens_to_midi checks fail again
        two = out.until(is_report, "a report after the second save")
        failing = [t for t in two if t.startswith("NOW FAILING")]
        # What needs tokens_to_midi fails again; midi_to_tokens' own checks still pass.
        assert failing and not any("midi_tokens: midi_to_tokens [" in t for t in failing), "\n".join(two)
        assert any("has no function tokens_to_midi()" in t for t in two), "\n".join(two)
        assert not any(t.startswith(("NOW PASSING", "PASS")) for t in two), "\n".join(two)
        assert f"0 newly passing, {len(failing)} newly failing" in two[-1]
    finally:
        kill_group(report, signal.SIGINT)   # Ctrl-C
        try:
            process.wait(timeout=120)
        finally:
            if process.poll() is None:
                kill_group(report)
                process.wait(timeout=60)
    text = "\n".join(out.rest()) + process.stderr.read()
    result = json.loads(report.read_text())
    assert result["returncode"] in (0, 130), text[-3000:]
    assert "Traceback" not in text and "KeyboardInterrupt" not in text, text[-3000:]
    assert "Stopped watching." in text
    assert not result["leftovers"], result["leftovers"]


def _kill_zygote(sandbox) -> None:
    import os
    os.killpg(sandbox.process.pid, signal.SIGKILL)
    sandbox.process.wait(timeout=60)


def test_a_dead_sandbox_is_reported_then_started_anew():
    """What keeps a long watch session going: a zygote that dies (before or after it was
    ready) costs one run a clear error at most, and the next run gets a fresh one."""
    from autograder.engine.checks import Checker
    from autograder.engine.sandbox import SandboxError
    files = {f"{MODULE}.py": handsons.get(MODULE).reference_path.read_bytes()}
    with Checker([MODULE]) as checker:
        _kill_zygote(checker.sandboxes[MODULE])   # dies while it starts, or just after it said it was ready
        assert list(checker.in_ready_order([MODULE])) == [MODULE]
        try:
            broken = checker.run(MODULE, files)
        except SandboxError as error:
            assert "did not start" in str(error)
        else:   # it had said "ready": every check says the sandbox is gone, none passes
            assert broken and all(r["status"] == "failed" and "sandbox is gone" in r["output"] for r in broken)
        results = checker.run(MODULE, files)     # started anew
        assert len(results) == public_checks(MODULE)[0] and all(r["status"] == "passed" for r in results)
        _kill_zygote(checker.sandboxes[MODULE])   # dies after it was ready
        assert list(checker.in_ready_order([MODULE])) == [MODULE]
        results = checker.run(MODULE, files)
        assert len(results) == public_checks(MODULE)[0] and all(r["status"] == "passed" for r in results)
