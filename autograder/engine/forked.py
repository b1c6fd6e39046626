"""Run a grader in a forked process: the one way the engine forks one.

``grade --jobs`` forks a grader per submission (``local_pool``), ``check`` forks one to share
a hands-on's checks with (``checks``); both through :class:`ForkedGrader`. The fork shares the
parent's imported graders and libraries (the garbage collector's objects are frozen first, so
that they stay shared pages instead of being copied), dies with its parent, and says what it
made as JSON lines in an unnamed file, read as they come: nothing of it is unpickled.
"""
from __future__ import annotations

import contextlib
import gc
import json
import os
import signal
import tempfile
import time
from typing import Callable

from ..worker.jail import die_with_parent

FAILED = 70   # the exit status of a grader whose work raised (its reason: the ``error`` line)


class ForkedGrader:
    """``work(write)`` run at once in a forked process; its exit status is what ``work``
    returns. ``write(entry)`` sends the parent a JSON line; an exception in ``work`` sends
    ``{"error": ...}`` (see :attr:`failure`). ``interruptible``: Ctrl-C stops it too (a batch's
    graders); otherwise only the parent, which then stops it."""

    def __init__(self, work: Callable[[Callable[[dict], None]], int], interruptible: bool = False):
        self._lines = tempfile.TemporaryFile(prefix="ag-grader-")
        self._read = 0
        self.failure: str | None = None   # what it said went wrong, if it failed
        self.started = time.monotonic()
        gc.freeze()   # the child shares this process's pages instead of copying them
        self.pid = os.fork()
        if self.pid == 0:
            status = FAILED
            try:
                if not interruptible:
                    signal.signal(signal.SIGINT, signal.SIG_IGN)
                die_with_parent()   # a stopped parent leaves no grader behind to write stale results
                status = work(self.write)
            except BaseException as error:   # noqa: BLE001 (said by the parent, which reads it)
                with contextlib.suppress(Exception):
                    self.write({"error": f"{type(error).__name__}: {error}"})
            finally:
                os._exit(status)

    def write(self, entry: dict) -> None:
        """In the child: one line for the parent."""
        os.write(self._lines.fileno(), (json.dumps(entry) + "\n").encode())

    def new_lines(self) -> list[dict]:
        """The lines written since the last call, but ``error`` lines, which set :attr:`failure`
        (``pread``: the file offset is the child's)."""
        data = b""
        while chunk := os.pread(self._lines.fileno(), 1 << 20, self._read + len(data)):
            data += chunk
        whole = data[:data.rfind(b"\n") + 1]
        self._read += len(whole)
        lines = [json.loads(line) for line in whole.splitlines() if line.strip()]
        self.failure = self.failure or next((line["error"] for line in lines if "error" in line), None)
        return [line for line in lines if "error" not in line]

    def poll(self) -> int | None:
        """Its wait status once it has ended (then it is reaped: ``pid`` is 0), else None."""
        ended, status = os.waitpid(self.pid, os.WNOHANG)
        if not ended:
            return None
        self.pid = 0
        return status

    def kill(self) -> int:
        """Stop it now; its wait status. Its workers die with it (their lifelines close)."""
        os.kill(self.pid, signal.SIGKILL)
        _, status = os.waitpid(self.pid, 0)
        self.pid = 0
        return status

    def wait(self, limit: float, every: float = 0.005) -> int | None:
        """Its wait status once it has ended, or None when it ran past ``limit`` seconds
        from its start (then it is stopped)."""
        while (status := self.poll()) is None:
            if time.monotonic() - self.started > limit:
                self.kill()
                return None
            time.sleep(every)
        return status

    def stop(self) -> None:
        """Stop it if it still runs, and close its lines."""
        if self.pid:
            with contextlib.suppress(OSError):
                self.kill()
            self.pid = 0
        self._lines.close()


def wait_any(graders: list[ForkedGrader], limit: float) -> tuple[ForkedGrader, int, bool]:
    """(grader, wait status, stopped) of the first of ``graders`` to end; one that runs past
    ``limit`` seconds from its start is stopped (``stopped``)."""
    while True:
        for grader in graders:
            status = grader.poll()
            if status is not None:
                return grader, status, False
            if time.monotonic() - grader.started > limit:
                return grader, grader.kill(), True
        time.sleep(0.05)


def status_text(status: int) -> str:
    """A wait status in words: ``killed by signal SIGKILL``, ``exit status 1``."""
    if os.WIFSIGNALED(status):
        return f"killed by signal {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exit status {os.WEXITSTATUS(status)}"
