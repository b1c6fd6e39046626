"""The grader's handle on one submission's code, running in sandboxed workers.

``StudentCode.call(module, function, *args)`` returns the decoded value or
raises :class:`StudentCodeError` with a message meant for the student. Any
failure of the worker (crash, hang, exit, flood, forged frame) kills it; the
next call gets a fresh one, so one broken function never costs another
function its points.
"""
from __future__ import annotations

import builtins
import fcntl
import json
import os
import re
import select
import signal
import time
from dataclasses import dataclass, field

import numpy as np

from ..worker import wire
from ..worker.offlimits import SWITCHED_OFF, UNWATCHED_THREAD
from .display import student_words
from .results import clean_text
from .sandbox import Limits, Sandbox, WorkerPipes

F_SETPIPE_SZ = 1031
# Said of a call stopped at its limit when the machine's load kept its worker waiting for a CPU: a
# clause that depends on the load, so comparisons of messages across runs take it out (LOAD_CLAUSE).
LOAD_NOTE = ", not counting {waited:.1f} s it waited for a CPU (the machine was busy)"
LOAD_CLAUSE = re.compile(re.escape(LOAD_NOTE).replace(r"\{waited:\.1f\}", r"\d+(?:\.\d+)?"))
SIGNAL_NAMES = {signal.SIGSEGV: "SIGSEGV, a segmentation fault", signal.SIGKILL: "SIGKILL",
                signal.SIGABRT: "SIGABRT, an abort", signal.SIGBUS: "SIGBUS, a bus error",
                signal.SIGFPE: "SIGFPE, an arithmetic fault", signal.SIGXCPU: "SIGXCPU, the CPU-time limit",
                signal.SIGXFSZ: "SIGXFSZ, the file-size limit", signal.SIGILL: "SIGILL"}


class StudentCodeError(Exception):
    """Student code did not produce a value; ``str()`` is the student-facing message."""

    def __init__(self, kind: str, message: str, output: str = "", exception: str = "", detail: str = ""):
        super().__init__(message)
        self.kind, self.message, self.output = kind, message, output
        self.exception = exception   # the exception type student code raised, if it raised one
        self.detail = detail         # that exception's own message

    def __str__(self) -> str:
        # What it printed: a public check quotes it; a hidden one leaves it out (see display.present).
        return self.message + student_words("\nYour code printed", self.output, "") if self.output else self.message


@dataclass
class TimePolicy:
    """Time limits: per call ``max(floor, factor * reference time)``, per module import
    ``import_seconds``, and a budget for the whole submission.

    They count the time a call takes minus the time its worker was ready to run but waited
    for a CPU (the warden reports it): on a busy machine (another batch, the other job slot)
    a worker is not charged for the machine's load, but it is for its own processes' load
    (see :class:`CallClock`). A call is stopped in any case after
    ``backstop_factor`` times its limit of plain wall-clock time."""
    floor_seconds: float = 10.0
    factor: float = 20.0
    import_seconds: float = 30.0
    budget_seconds: float = 240.0
    backstop_factor: float = 4.0
    reference_seconds: dict[str, float] = field(default_factory=dict)  # "module.function" -> s
    grading_seconds: float | None = None   # a submission's whole grading; None: from the budget

    def grading_limit(self) -> float:
        """How long grading one submission may take in all, graders included: the
        student's budget, as much again for the reference's worker, and the graders'
        own time. Past it the grading is stopped (a backstop: a value that makes a
        grader slow must not hold the batch forever)."""
        return self.grading_seconds or (2 * self.budget_seconds + self.import_seconds + 300.0)

    def call_limit(self, module: str, function: str) -> float:
        reference = self.reference_seconds.get(f"{module}.{function}", 0.0)
        return max(self.floor_seconds, self.factor * reference)


class _Output:
    """What the worker printed during the current call, capped."""

    def __init__(self, cap: int):
        self.cap, self.kept, self.dropped = cap, bytearray(), 0

    def add(self, data: bytes) -> None:
        room = self.cap - len(self.kept)
        self.kept += data[:max(room, 0)]
        self.dropped += max(len(data) - max(room, 0), 0)

    def text(self, lines: int = 20, chars: int = 2000) -> str:
        """The end of what was printed: at most ``lines`` lines and ``chars`` characters."""
        text = self.kept.decode("utf-8", errors="replace").rstrip()
        tail = "\n".join(text.splitlines()[-lines:])
        if len(tail) > chars:
            tail = "[...]" + tail[-chars:]
        if self.dropped:
            tail += f"\n[... {self.dropped} more bytes of output not kept]"
        return tail


def own_runqueue_wait() -> float:
    """Seconds this thread has spent runnable but waiting for a CPU (0 where the kernel keeps no
    schedstats)."""
    try:
        with open("/proc/thread-self/schedstat", "rb") as handle:
            return int(handle.read().split()[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return 0.0


class CallClock:
    """The time a call has used: wall time minus what its worker waited for a CPU (its warden
    says) and what this grader waited for one while it read the answer: on a busy machine neither
    is the student's doing. (The two rarely overlap: one of them is blocked on the pipe.)

    Waiting is excused only as far as the worker's own processes leave it unexplained: the call is
    charged at least the CPU time they used (up to the wall time), so threads or processes of the
    submission that keep its worker waiting count against it, not as the machine's load."""

    GRACE = 0.3   # seconds to wait, at the limit, for the warden's latest report (sent every 0.25 s)

    def __init__(self, worker: "Worker", limit: float, backstop_factor: float):
        self.worker, self.limit = worker, limit
        self.started = time.monotonic()
        self.backstop = self.started + backstop_factor * limit
        self.waited_before = worker.waited
        self.cpu_before = worker.cpu
        self.own_before = own_runqueue_wait()
        self._own = (self.started, self.own_before)   # (when read, value): read at most every 0.1 s
        self._expired: float | None = None
        self._stopped: float | None = None

    def __enter__(self) -> "CallClock":
        return self

    def __exit__(self, *exc) -> None:
        """The call is over (answered or failed): the figures stay as they are now."""
        self._own = (0.0, own_runqueue_wait())
        self._waited = self.waited()
        self._stopped = time.monotonic()

    def waited(self) -> float:
        """Seconds of the call's wall time it is not charged for (waiting for a CPU, see above)."""
        if self._stopped is not None:
            return self._waited
        now = time.monotonic()
        if now - self._own[0] >= 0.1:
            self._own = (now, own_runqueue_wait())
        own = self._own[1] - self.own_before
        waited = max(0.0, self.worker.waited - self.waited_before) + max(0.0, own)
        wall = now - self.started
        cpu = min(max(0.0, self.worker.cpu - self.cpu_before), wall)
        return max(0.0, min(waited, wall - cpu))

    def used(self) -> float:
        return max(0.0, (self._stopped or time.monotonic()) - self.started - self.waited())

    def remaining(self) -> float:
        now = time.monotonic()
        if now >= self.backstop:
            return 0.0
        left = self.limit - self.used()
        if left > 0:
            self._expired = None
            return min(left, self.backstop - now)
        if self._expired is None:
            self._expired = now
        return self._expired + self.GRACE - now


class Worker:
    """One live worker process."""

    def __init__(self, pipes: WorkerPipes, output_cap: int, result_cap: int | None = None):
        self.pipes = pipes
        self.output = _Output(output_cap)
        self.waited = 0.0            # seconds the worker waited for a CPU, as its warden last said
        self.cpu = 0.0               # CPU seconds the worker's processes used, as its warden last said
        self.lifeline = b""          # what the warden sent besides waiting reports (how the worker ended)
        self.peak_reports: list = []  # the warden's answers to address_space_peak(), in order
        self.lifeline_open = True
        self.open_outputs = [pipes.stdout, pipes.stderr]
        for fd in self.open_outputs:
            fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)
            try:
                fcntl.fcntl(fd, F_SETPIPE_SZ, 1 << 20)   # fewer wake-ups when a worker floods
            except OSError:
                pass
        # Requests are written against the call's deadline: a worker that stops reading
        # them (student code can patch its own request loop) must not block the grader.
        fcntl.fcntl(pipes.requests, fcntl.F_SETFL, fcntl.fcntl(pipes.requests, fcntl.F_GETFL) | os.O_NONBLOCK)
        pipes.lifeline.setblocking(False)
        self.reader = wire.FrameReader(pipes.responses, pipes.token, self._watched(), self._read_output,
                                       max_bytes=result_cap)

    def _watched(self) -> tuple[int, ...]:
        return tuple(self.open_outputs) + ((self.pipes.lifeline.fileno(),) if self.lifeline_open else ())

    def _read_lifeline(self) -> None:
        """The warden's reports: ``{"waited": s}`` lines while the worker lives, then how it ended."""
        try:
            chunk = self.pipes.lifeline.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            chunk = b""
        if not chunk:   # the warden is gone: stop watching
            self.lifeline_open = False
            self.reader.watch = self._watched()
            return
        self.lifeline += chunk
        *lines, self.lifeline = self.lifeline.split(b"\n")
        kept = []
        for line in lines:
            try:
                report = json.loads(line)
            except ValueError:
                report = None
            if isinstance(report, dict) and set(report) in ({"waited"}, {"waited", "cpu"}) and all(
                    isinstance(value, (int, float)) for value in report.values()):
                self.waited = max(self.waited, float(report["waited"]))
                self.cpu = max(self.cpu, float(report.get("cpu", 0.0)))
            elif isinstance(report, dict) and set(report) == {"peak_vm"} and (
                    report["peak_vm"] is None or isinstance(report["peak_vm"], int)):
                self.peak_reports.append(report["peak_vm"])
            else:
                kept.append(line)
        if kept:   # the end report: keep it for end_report()
            self.lifeline = b"\n".join(kept) + b"\n" + self.lifeline

    def _read_output(self, fd: int) -> None:
        if fd == self.pipes.lifeline.fileno():
            self._read_lifeline()
            return
        for _ in range(16):  # bounded, so a flood cannot starve the answer
            try:
                chunk = os.read(fd, 1 << 20)
            except OSError:   # BlockingIOError: nothing more for now
                return
            if not chunk:     # closed: stop watching it
                self.open_outputs.remove(fd)
                self.reader.watch = self._watched()
                return
            self.output.add(chunk)

    def drain(self) -> None:
        for fd in list(self.open_outputs):
            self._read_output(fd)

    def _unrequested(self) -> bool:
        """Whether the worker sent something since its last answer (nothing may come unasked);
        raises ``ChannelClosed`` if it is gone."""
        if not self.reader.buffer and select.select([self.pipes.responses], [], [], 0)[0]:
            chunk = os.read(self.pipes.responses, 65536)
            if not chunk:
                raise wire.ChannelClosed("the channel was closed")
            self.reader.buffer += chunk
        return bool(self.reader.buffer)

    def request(self, header: dict, blobs: list[bytes], clock: CallClock) -> tuple[dict, list[bytes]]:
        """Send one request and read its answer. Every request carries a fresh random id, drawn here
        and learnt by the worker only with the request; an answer must echo it. Student code runs in
        the worker and can write frames with the worker's token, but an answer written ahead of its
        question cannot carry that question's id: it, and any frame nobody asked for, is a protocol
        violation (``wire.ProtocolError``), never an answer."""
        self.drain()
        if self._unrequested():
            raise wire.ProtocolError("a frame the grader did not ask for, sent after the last answer")
        request_id = os.urandom(16).hex()
        wire.write_frame(self.pipes.requests, self.pipes.token, {**header, "id": request_id}, blobs,
                         deadline=clock.backstop)
        answer, out_blobs = self.reader.read(deadline=clock.remaining)
        if answer.get("id") != request_id:
            raise wire.ProtocolError("an answer that does not carry its request's id (written ahead of "
                                     "the request, or for another one)")
        if self.reader.buffer:
            raise wire.ProtocolError("more than one answer to one request")
        self.drain()
        return answer, out_blobs

    def address_space_peak(self, wait: float = 10.0) -> int | None:
        """The most address space the worker's process has held since it started, in bytes, as its
        warden reads it from the kernel (VmPeak: the worker can neither forge nor lower it); None
        if the warden could not tell."""
        asked = len(self.peak_reports)
        try:
            self.pipes.lifeline.send(b"peak\n")
        except OSError:
            return None
        give_up = time.monotonic() + wait
        while len(self.peak_reports) == asked and self.lifeline_open:
            left = give_up - time.monotonic()
            if left <= 0 or not select.select([self.pipes.lifeline], [], [], left)[0]:
                break
            self._read_lifeline()
        return self.peak_reports[asked] if len(self.peak_reports) > asked else None

    def has_ended(self, wait: float = 0.0) -> bool:
        """Whether the warden has said how the worker ended (or is gone itself), waiting for it
        at most ``wait`` seconds."""
        give_up = time.monotonic() + wait
        while self.lifeline_open and not self.lifeline.endswith(b"\n"):
            ready = select.select([self.pipes.lifeline], [], [], max(0.0, give_up - time.monotonic()))[0]
            if ready:
                self._read_lifeline()
            if not ready or time.monotonic() >= give_up:   # bounded: waiting reports keep coming while it lives
                break
        return not self.lifeline_open or self.lifeline.endswith(b"\n")

    def end_report(self, wait: float = 2.0) -> str:
        """How the worker ended, from its warden: ``"exit code N"`` / ``"signal NAME"``."""
        self.has_ended(wait)
        data = self.lifeline
        try:
            report = json.loads(data.decode().splitlines()[-1]) if data.strip() else {}
        except (ValueError, IndexError):
            return data.decode(errors="replace").strip()[:300]
        if report.get("reason") == "memory":
            return "memory limit"
        if "signal" in report:
            number = int(report["signal"])
            return f"signal {SIGNAL_NAMES.get(number, signal.Signals(number).name if number in signal.Signals._value2member_map_ else number)}"
        if "exit" in report:
            return f"exit code {report['exit']}"
        return "unknown"

    def close(self) -> None:
        self.pipes.close()


class StudentCode:
    """One submission's modules, reached through fresh sandboxed workers."""

    def __init__(self, sandbox: Sandbox, files: dict[str, bytes], limits: Limits | None = None,
                 time_policy: TimePolicy | None = None, slot: int = 0):
        self.sandbox, self.files, self.slot = sandbox, files, slot
        self.limits = limits or Limits()
        self.time = time_policy or TimePolicy()
        self.worker: Worker | None = None
        self.imported: set[str] = set()
        self.import_failures: dict[str, StudentCodeError] = {}
        self.spent = 0.0             # seconds its calls used (what the budget counts)
        self.waited = 0.0            # seconds its workers waited for a CPU meanwhile (the machine's load)
        self.restarts = 0
        self.calls: list[tuple[str, float]] = []   # ("module.function", seconds) for calibration

    def with_files(self, files: dict[str, bytes]) -> "StudentCode":
        """Other code (the reference, for timing) under the same sandbox, limits and slot."""
        return StudentCode(self.sandbox, files, self.limits, self.time, self.slot)

    # -------------------------------------------------------------- workers
    def _worker(self) -> Worker:
        if self.worker is None:
            self.worker = Worker(self.sandbox.spawn(self.files, self.limits, self.slot), self.limits.output_bytes,
                                 self.limits.result_bytes)
            self.imported = set()
        return self.worker

    def _kill(self) -> None:
        if self.worker is not None:
            self.worker.close()
            self.worker = None
            self.restarts += 1

    def close(self) -> None:
        if self.worker is not None:
            self.worker.close()
            self.worker = None

    def _ended(self, worker: Worker, what: str, note: str = "") -> StudentCodeError:
        """The error for a worker that ended during (or right after) ``what``: a crash, or the memory
        limit its warden stopped it at; the worker is let go."""
        output, ended = worker.output.text(), worker.end_report()
        self._kill()
        kind = "memory" if ended == "memory limit" else "crash"
        return StudentCodeError(kind, _crash_message(what, ended, self.limits) + note, output)

    def address_space_peak(self, what: str = "the call") -> int:
        """The most address space the live worker's process has held since it started (its
        warden's reading of the kernel's count, see :meth:`Worker.address_space_peak`), asked
        right after ``what`` answered."""
        worker = self.worker
        peak = worker.address_space_peak() if worker is not None else None
        if peak is None and worker is not None and worker.has_ended(wait=1.0):
            # Student code can end its worker right after answering: the peak is then unreadable,
            # and that is the submission's doing (a crash), never a grader error it could cause at will.
            raise self._ended(worker, what, " It ended after answering, before its memory could be measured.")
        if peak is None:   # the sandbox's fault, never the submission's: no verdict without it
            raise RuntimeError("the worker's warden did not say how much address space it held")
        return peak

    def _exchange(self, what: str, header: dict, blobs: list[bytes], limit: float) -> tuple[dict, list[bytes], float]:
        remaining = self.time.budget_seconds - self.spent
        if remaining <= 0:
            raise StudentCodeError("budget", f"not run: this submission used up its time budget "
                                             f"({self.time.budget_seconds:.0f} s of calls) on earlier tests")
        cut_by_budget = limit > remaining
        limit = min(limit, remaining)
        worker = self._worker()
        worker.output = _Output(self.limits.output_bytes)
        clock = CallClock(worker, limit, self.time.backstop_factor)
        try:
            with clock:
                header, blobs = worker.request(header, blobs, clock)
        except wire.Timeout:
            output = worker.output.text()
            self._kill()
            budget_note = " (what was left of the submission's time budget)" if cut_by_budget else ""
            waited = clock.waited()
            load_note = LOAD_NOTE.format(waited=waited) if waited >= 0.5 else ""
            raise StudentCodeError("timeout", f"{what} did not finish within {limit:.1f} s{budget_note}"
                                              f"{load_note}; it was stopped. Look for an infinite loop or very "
                                              f"slow code.", output) from None
        except wire.TooLarge as error:
            output = worker.output.text()
            self._kill()
            raise StudentCodeError("too_large", f"{what} returned more than {size_text(error.limit)} of data "
                                                f"(the most the grader reads); it was not checked.", output) from None
        except (wire.ChannelClosed, BrokenPipeError, ConnectionError):
            worker.drain()
            raise self._ended(worker, what) from None
        except wire.ProtocolError as error:
            output = worker.output.text()
            self._kill()
            raise StudentCodeError("protocol", f"{what}: the worker's answer was not readable ({error}); "
                                               f"student code must not write to the grader's channel.", output) from None
        finally:   # the budget counts what the call used, not what it waited for a CPU
            self.spent += clock.used()
            self.waited += clock.waited()
        elapsed = clock.used()
        return header, blobs, elapsed

    # -------------------------------------------------------------- calls
    def ensure_imported(self, module: str) -> None:
        if module in self.import_failures:
            # Without its old traceback: re-raising one exception object would grow its
            # traceback at every check (quadratic time and a log of megabytes).
            raise self.import_failures[module].with_traceback(None)
        if self.worker is not None and module in self.imported:
            return
        try:
            header, _, _ = self._exchange(f"importing {module}.py", {"op": "import", "module": module}, [],
                                          self.time.import_seconds)
        except StudentCodeError as error:
            if error.kind in ("timeout", "crash", "memory"):
                error = StudentCodeError("import", f"{error.message} (while importing {module}.py)", error.output)
                self.import_failures[module] = error
            raise error
        if header.get("status") != "ok":
            failure = _error_from(header, module, None, self.worker.output.text() if self.worker else "",
                                  self.limits)
            if failure.kind in ("import", "missing_module"):
                self.import_failures[module] = failure
            raise failure
        self.imported.add(module)

    def call(self, module: str, function: str, *args, timeout: float | None = None,
             ext_encoders: list = (), off_limits: tuple[str, ...] = (), projection=None, **kwargs):
        """Call ``module.function(*args, **kwargs)`` in the worker; return its value
        decoded for the grader (JSON values, ``np.ndarray``, ``wire.Tensor``,
        ``wire.Ext``, ``wire.Opaque``). ``off_limits``: library functions
        (``"package.module:Class.method"``) that must not run during the call
        (see ``worker/offlimits.py``). ``projection`` (an array of the result's size): the
        call returns ``(value, products)``, ``products`` the projection's vector-Jacobian products
        with respect to the tensor arguments sent with requires_grad (arrays), None if there are none."""
        self.ensure_imported(module)
        tree, blobs = wire.encode_args(args, kwargs, list(ext_encoders))
        limit = timeout if timeout is not None else self.time.call_limit(module, function)
        request = {"op": "call", "module": module, "function": function, "args": tree}
        if off_limits:
            request["off_limits"] = list(off_limits)
        if projection is not None:
            request["vjp"] = wire.encode(np.asarray(projection, dtype=np.float64), blobs)["blob"]
        header, out_blobs, elapsed = self._exchange(f"{function}()", request, blobs, limit)
        output = self.worker.output.text() if self.worker else ""
        if header.get("status") == "error" and header.get("kind") == "off_limits" and off_limits:
            raise _off_limits_error(function, header.get("called"), off_limits, output)
        if header.get("status") != "ok":
            error = _error_from(header, module, function, output, self.limits)
            if error.kind in ("memory", "processes"):
                # A worker that ran into a limit may hold what it allocated or started: the next
                # call gets a fresh one, so that what follows does not depend on how far it got.
                self._kill()
            raise error
        self.calls.append((f"{module}.{function}", elapsed))
        changed = _changed_arguments(header.get("changed"))
        if changed:
            raise StudentCodeError("changed_argument", f"{function}() changed {changed} in place (its values, shape, "
                                   f"dtype, or a model's train/eval mode or weights): a function must not modify the "
                                   f"arguments it is given, the caller still uses them (in the notebook, later cells "
                                   f"would get the changed values). "
                                   f"{_in_place_advice([*args, *kwargs.values()])}", output)
        try:
            value = wire.decode(header.get("value"), out_blobs)
            if projection is None:
                return value
            products = wire.decode(header["vjp"], out_blobs) if "vjp" in header else None   # no graph
            products = [p for p in products if isinstance(p, np.ndarray)] if isinstance(products, list) else None
            return value, products
        except wire.ProtocolError as error:
            raise StudentCodeError("bad_return", f"{function}() returned a value the grader cannot read: {error}",
                                   output) from None

    def timed_call(self, module: str, function: str, *args, **kwargs) -> tuple[object, float]:
        """Like :meth:`call`, also giving the wall time the grader measured (s)."""
        started = time.monotonic()
        value = self.call(module, function, *args, **kwargs)
        return value, time.monotonic() - started


def _changed_arguments(names: object) -> str:
    """The arguments a worker says a call changed, in words ("" for none). Names come from the
    submission's signature: only identifiers (or ``#n``) are shown."""
    if not isinstance(names, list):
        return ""
    shown = [name for name in names[:8] if isinstance(name, str) and len(name) <= 40 and name.isascii()
             and (name.isidentifier() or name[:1] == "#" and name[1:].isdigit())]
    if not shown:
        return ""
    return ("its argument " if len(shown) == 1 else "its arguments ") + ", ".join(f"`{name}`" for name in shown)


def _in_place_advice(values: list) -> str:
    """How to work on new values instead, for the kinds of arguments the call was given."""
    arrays = any(isinstance(v, wire.Tensor) or hasattr(v, "shape") for v in values)   # tensors, numpy arrays
    lists = any(isinstance(v, (list, dict)) for v in values)
    tensor = "Work on new tensors: x = x - y rather than x -= y, x.clone() before an in-place operation."
    listed = ("Work on new lists: items = items + [x] or sorted(items) rather than items.append(x) or "
              "items.sort(); or copy first: items = list(items).")
    models = any(isinstance(v, wire.Ext) for v in values)
    model = ("Use a model as it is given: its train/eval mode and its weights stay as they were (no .eval(), "
             ".train() or in-place change of its parameters).")
    return " ".join(advice for advice, given in ((tensor, arrays), (listed, lists), (model, models))
                    if given) or tensor


def size_text(n: int) -> str:
    """Bytes as the limits' messages say them: ``3.0 GiB``, ``768 MiB``."""
    return f"{n / (1 << 30):.1f} GiB" if n >= 1 << 30 else f"{n / (1 << 20):.0f} MiB"


def _off_limits_error(function: str, called: object, off_limits: tuple[str, ...], output: str) -> StudentCodeError:
    """The worker saw forbidden library functions run during the call. Only names the grader asked
    about are shown (the worker's words could be anything)."""
    called = called if isinstance(called, list) else []
    names = [f"{name.partition(':')[2]} (from {name.partition(':')[0]})" for name in off_limits if name in called]
    if UNWATCHED_THREAD in called:
        names.append(f"library code, for all the grader can tell, from {UNWATCHED_THREAD}")
    if SWITCHED_OFF in called or not names:
        names.append(f"something that switched off {SWITCHED_OFF}")
    return StudentCodeError("off_limits", f"{function}() called {', '.join(names)} while it ran: the docstring asks "
                                          f"you to write this yourself, without the library's implementation, so "
                                          f"its result does not count.", output)


def _crash_message(what: str, ended: str, limits: Limits) -> str:
    if ended == "memory limit":
        return (f"the worker process was stopped during {what}: its processes together used more than "
                f"the worker's {size_text(limits.memory_bytes)} memory limit.")
    if ended.startswith("exit code"):
        return (f"the worker process ended ({ended}) during {what}: student code must not exit the "
                f"process (os._exit, os.kill...).")
    if "SIGKILL" in ended:
        return (f"the worker process was killed (SIGKILL) during {what}: usually the memory limit "
                f"or too many processes.")
    return f"the worker process crashed ({ended}) during {what}."


# What a worker may say went wrong. Student code can forge any answer (it runs in the
# worker's process), so nothing else is believed: a forged "grader_error" would
# otherwise pass for a bug of the grader.
WORKER_KINDS = {"exception", "missing_module", "missing_function", "import", "exit", "bad_return", "internal"}


# How running out of the worker's limits shows in an exception's message (torch's allocator raises
# RuntimeError, threads and forks fail with "can't start new thread" or EAGAIN).
_OUT_OF_MEMORY = re.compile(r"can't allocate memory|not enough memory|out of memory|bad_alloc|"
                            r"Unable to allocate|Cannot allocate memory", re.IGNORECASE)
_OUT_OF_PROCESSES = re.compile(r"can't start new thread|Resource temporarily unavailable|fork: retry",
                               re.IGNORECASE)


def _limit_reached(exception: str, message: str, limits: Limits) -> tuple[str, str] | None:
    """``(kind, words)`` when an exception says student code ran into one of the worker's limits."""
    if exception.endswith("MemoryError") or _OUT_OF_MEMORY.search(message):
        return "memory", f"ran out of the worker's {size_text(limits.memory_bytes)} memory limit"
    if exception in ("BlockingIOError", "RuntimeError", "OSError") and _OUT_OF_PROCESSES.search(message):
        return "processes", f"ran into the worker's limit of {limits.processes} processes and threads"
    return None


# The names a worker may report for an exception (``serve._builtin_kind``: a built-in exception);
# another name is the submission's own words, so it is never shown as the grader's.
BUILTIN_EXCEPTIONS = frozenset(name for name, value in vars(builtins).items()
                               if isinstance(value, type) and issubclass(value, BaseException))


def _error_from(header: dict, module: str, function: str | None, output: str,
                limits: Limits | None = None) -> StudentCodeError:
    """The error a worker reported, in the grader's words; whatever the worker sent (its message,
    traceback, exception name) is quoted as the submission's words (see ``display.student_words``)."""
    kind = str(header.get("kind", "internal"))
    kind = kind if kind in WORKER_KINDS else "internal"
    message = clean_text(header.get("message", "unknown error"), 2000)
    trace = clean_text(header.get("traceback", ""), 4000)
    named = clean_text(header.get("exception", ""), 200)
    exception = named if named in BUILTIN_EXCEPTIONS else "Exception"
    if kind == "exception" and exception == "NotImplementedError":
        return StudentCodeError("not_implemented", f"{function}() is not implemented yet "
                                                   f"(it raised NotImplementedError).", output)
    if kind == "exception":
        # "<class name>: <its message>" (the class may be the student's own subclass of ``exception``)
        raised, colon, rest = message.partition(": ")
        detail = rest if colon and raised.isidentifier() else ""
        quoted = student_words(" Your code raised", trace or message, detail)
        text = f"{function}() raised {exception}.{quoted}"
        reached = _limit_reached(exception, message, limits or Limits())
        if reached is not None:   # named as such, whatever the allocator's own words
            kind, words = reached
            text = f"{function}() {words} ({exception}).{quoted}"
        return StudentCodeError(kind, text, output, exception, detail)
    if kind == "missing_module":
        return StudentCodeError(kind, f"Not graded: the submission has no {module}.py.", output)
    if kind == "missing_function":
        return StudentCodeError(kind, f"Not graded: {module}.py has no function {function}().", output)
    what = {"import": f"importing {module}.py failed.", "exit": f"{function}() called sys.exit().",
            "bad_return": f"{function}() returned a value that could not be sent to the grader.",
            "internal": f"the worker could not run {function}()."}[kind]
    if kind == "import":
        short = message.removeprefix(f"importing {module}.py failed: ")
        return StudentCodeError(kind, what + student_words(" Your code raised", trace or message, short), output)
    return StudentCodeError(kind, what + student_words(" The worker said", f"{message}\n{trace}".strip()), output)
