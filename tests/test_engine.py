"""The sandboxed worker: isolation holds, every failure is reported, grading goes on.

Each case loads a small hostile or broken module as the submission's
``midi_tokens.py`` and calls it through the same client the graders use.
"""
from __future__ import annotations

import shutil
import socket
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from autograder.engine import handsons
from autograder.engine.client import StudentCode, StudentCodeError, TimePolicy
from autograder.engine.sandbox import Limits, Sandbox, detect_mode
from autograder.worker import wire

MODULE = "midi_tokens"


@pytest.fixture(scope="module")
def sandbox():
    assert detect_mode() == "root", "CI runs as root with bubblewrap: the strong sandbox must be used"
    with Sandbox([MODULE]) as box:
        yield box


def student(sandbox, source: str, **policy) -> StudentCode:
    files = {f"{MODULE}.py": textwrap.dedent(source).encode()}
    return StudentCode(sandbox, files, Limits(memory_bytes=2 << 30),
                       TimePolicy(**{"floor_seconds": 5.0, "import_seconds": 5.0, **policy}))


def failure(code: StudentCode, function: str, *args, **kwargs) -> StudentCodeError:
    with pytest.raises(StudentCodeError) as info:
        code.call(MODULE, function, *args, **kwargs)
    return info.value


FINE = "def fine(x):\n    return x + 1\n"


def test_values_cross_without_pickle(sandbox):
    # The MIDI sandbox pre-loads no torch: this module imports it itself (seconds on a loaded machine).
    code = student(sandbox, """
        import numpy as np, torch
        def echo(x): return x
        def rich(): return {"a": [1, 2.5, None, True, "s"], "t": (1, 2),
                            "arr": np.arange(6, dtype=np.int16).reshape(2, 3),
                            "ten": torch.ones(2, requires_grad=True) * 2, "nan": float("nan")}
        def objects(): return np.array([object()], dtype=object)
        def weird():
            class Liar(int):
                def __eq__(self, other): return True
            return [Liar(3)]
    """, import_seconds=60.0)
    assert code.call(MODULE, "echo", [1, "x", {"k": 2}]) == [1, "x", {"k": 2}]
    rich = code.call(MODULE, "rich")
    assert rich["a"] == [1, 2.5, None, True, "s"] and rich["t"] == (1, 2)
    assert rich["arr"].dtype == np.int16 and rich["arr"].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert isinstance(rich["ten"], wire.Tensor) and rich["ten"].requires_grad
    assert rich["ten"].array.tolist() == [2.0, 2.0] and np.isnan(rich["nan"])
    opaque = code.call(MODULE, "objects")
    assert isinstance(opaque, wire.Opaque) and "object" in opaque.reason
    liar = code.call(MODULE, "weird")[0]
    assert isinstance(liar, wire.Opaque)   # an int subclass is never trusted as an int
    tensor = code.call(MODULE, "echo", wire.Tensor(np.arange(3, dtype=np.float32)))
    assert isinstance(tensor, wire.Tensor) and tensor.dtype == "torch.float32"


@pytest.mark.parametrize("source, function, kind, words", [
    ("def f():\n    while True: pass\n", "f", "timeout", "did not finish within"),
    ("def f():\n    import ctypes; ctypes.string_at(0)\n", "f", "crash", "SIGSEGV"),
    ("def f():\n    import os; os._exit(0)\n", "f", "crash", "exit code 0"),
    ("def f():\n    raise SystemExit(3)\n", "f", "exit", "sys.exit(3)"),
    ("def f():\n    return bytearray(8 << 30)\n", "f", "memory", "ran out of the worker's 2.0 GiB memory limit (MemoryError"),
    ("def f():\n    import torch\n    return torch.empty(1 << 31)\n", "f", "memory",
     "ran out of the worker's 2.0 GiB memory limit (RuntimeError"),
    ("def f():\n    import threading, time\n    for _ in range(200):\n"
     "        threading.Thread(target=time.sleep, args=(5,), daemon=True).start()\n", "f", "processes",
     "ran into the worker's limit of 64 processes and threads"),
    ("def f():\n    raise NotImplementedError\n", "f", "not_implemented", "not implemented yet"),
    ("def f():\n    return 1 / 0\n", "f", "exception", "ZeroDivisionError"),
    ("import sys\nsys.exit(1)\n", "f", "import", "sys.exit(1) while being imported"),
    ("import time\ntime.sleep(60)\n", "f", "import", "did not finish within"),
    ("def f(:\n", "f", "import", "SyntaxError"),
    ("import no_such_package\n", "f", "import", "ModuleNotFoundError"),
    (FINE, "missing", "missing_function", "has no function missing()"),
])
def test_failures_are_reported_and_grading_goes_on(sandbox, source, function, kind, words):
    code = student(sandbox, source + ("\n" + FINE if "def fine" not in source else ""))
    started = time.monotonic()
    error = failure(code, function)
    assert error.kind == kind, str(error)
    assert words in str(error), str(error)
    # Bounded: what the worker used, not what a busy machine made it wait for a CPU.
    assert time.monotonic() - started - code.waited < 10
    if kind != "import":   # the worker is replaced and the next function still works
        assert code.call(MODULE, "fine", 41) == 42
    code.close()


def test_the_warden_reports_the_address_space_peak_the_worker_cannot_lower(sandbox):
    # The at-scale checks fail a call that filled the address space even if the allocator got by
    # (grading.run_at_scale): the peak comes from the kernel through the warden, never the worker.
    code = student(sandbox, """
        def fine(x):
            return x + 1
        def hold(n):
            block = bytearray(n)
            del block
            return 0
        def forget():   # what a process may reset of its memory counters (RSS high-water marks)
            try:
                with open("/proc/self/clear_refs", "w") as handle:
                    handle.write("5")
            except OSError:
                pass
            return 0
    """)
    code.call(MODULE, "fine", 1)
    before = code.address_space_peak()
    assert 0 < before < code.limits.memory_bytes - (1 << 30)
    code.call(MODULE, "hold", 1 << 30)
    after = code.address_space_peak()
    assert after >= before + (1 << 30)
    code.call(MODULE, "forget")
    assert code.address_space_peak() >= after
    code.close()
    code.call(MODULE, "fine", 1)   # a fresh worker: its own peak
    assert code.address_space_peak() < after
    code.close()


def test_a_worker_that_ends_after_answering_is_a_crash_not_a_grader_error(sandbox):
    # Found by a red team: student code that ends its worker right after its answer left the warden
    # nothing to read, and the missing peak was taken for the sandbox's fault (a grader error at will).
    code = student(sandbox, """
        import os, threading
        def answer_then_exit():
            threading.Timer(0.3, os._exit, (0,)).start()
            return 1
    """)
    assert code.call(MODULE, "answer_then_exit") == 1
    assert code.worker.has_ended(wait=10)
    with pytest.raises(StudentCodeError) as raised:
        code.address_space_peak("answer_then_exit")
    assert raised.value.kind == "crash" and "before its memory could be measured" in raised.value.message
    assert code.call(MODULE, "answer_then_exit") == 1   # the next call gets a fresh worker
    code.close()


def test_killing_everything_it_can_reach_harms_nobody_else(sandbox):
    code = student(sandbox, """
        import os, signal
        def kill_all():
            for target in (-1, 0, os.getppid(), os.getpid()):
                try:
                    os.kill(target, signal.SIGKILL)
                except OSError:
                    pass
            return "alive"
    """)
    try:
        code.call(MODULE, "kill_all")
    except StudentCodeError as error:
        assert error.kind == "crash"
    fresh = student(sandbox, FINE)   # the zygote, the grader and other workers are untouched
    assert fresh.call(MODULE, "fine", 1) == 2


def test_a_subclass_of_a_builtin_exception_counts_as_it(sandbox):
    code = student(sandbox, """
        class InvalidTokens(ValueError):
            pass
        def f():
            raise InvalidTokens("token 7 is bad")
    """)
    error = failure(code, "f")
    assert (error.kind, error.exception, error.detail) == ("exception", "ValueError", "token 7 is bad")
    assert "InvalidTokens: token 7 is bad" in error.message


def test_import_failure_is_remembered(sandbox):
    code = student(sandbox, "import time\ntime.sleep(60)\n")
    failure(code, "f")
    started = time.monotonic()
    assert "importing" in str(failure(code, "g"))
    assert time.monotonic() - started < 1   # not retried at 5 s per call


def test_missing_module(sandbox):
    code = StudentCode(sandbox, {"other.py": b"x = 1\n"})
    assert "has no midi_tokens.py" in str(failure(code, "f"))


def test_output_is_captured_capped_and_never_a_protocol_message(sandbox):
    code = student(sandbox, """
        import os, sys
        def chatty():
            print("hello from student code")
            return 5
        def flood():
            chunk = b"x" * (1 << 20)
            for _ in range(300):         # 300 MB on stdout and stderr
                os.write(1, chunk)
                os.write(2, chunk)
            return 1
        def forge():
            frame = b"AGW1" + b"0" * 16 + b'{"status": "ok", "value": {"t": "json", "v": 99}}'
            for fd in range(0, 64):
                try: os.write(fd, frame)
                except OSError: pass
            return 7
    """, floor_seconds=30.0)
    assert code.call(MODULE, "chatty") == 5
    assert code.call(MODULE, "flood") == 1
    result = None
    try:
        result = code.call(MODULE, "forge")
    except StudentCodeError as error:   # writing on the channel breaks it: the call fails, never 99
        assert error.kind == "protocol", str(error)
    assert result in (None, 7)
    assert code.call(MODULE, "chatty") == 5


def test_an_answer_written_before_its_request_is_a_protocol_violation(sandbox):
    """Every request carries a fresh random id: frames written ahead of the request (with the
    worker's token, at import or during an earlier call) never answer it."""
    source = """
        import sys
        def _server():
            frame = sys._getframe()
            while frame is not None:
                if hasattr(frame.f_locals.get("self"), "resp_fd"):
                    return frame.f_locals["self"]
                frame = frame.f_back
        def _ahead(server, ids):
            from agworker import wire
            for request_id in ids:
                wire.write_frame(server.resp_fd, server.token, {"status": "ok", "id": request_id,
                                 "value": {"t": "json", "v": 99}})
        def ahead():   # answers for the next requests, with this request's id and guessed ones
            server = _server()
            _ahead(server, [server.request_id, "0" * 32, ""])
            return 1
        def fine():
            return 7
    """
    code = student(sandbox, source)
    try:   # its own request's answer, forged: no more than returning 99 (the worker reads as it comes)
        first = code.call(MODULE, "ahead")
    except StudentCodeError as error:   # the frames after it were read with it
        assert error.kind == "protocol" and "student code must not write" in error.message, str(error)
        first = None
    if first is not None:   # the frames after it are read at the next request: they answer nothing
        assert first == 99
        error = failure(code, "fine")
        assert error.kind == "protocol" and ("did not ask for" in error.message or "id" in error.message), str(error)
    assert code.call(MODULE, "fine") == 7   # a fresh worker
    at_import = student(sandbox, textwrap.dedent(source) + "\n_ahead(_server(), ['0' * 32] * 5)\n")
    for _ in range(2):
        error = failure(at_import, "fine")
        assert error.kind == "protocol" and "id" in error.message, str(error)


def test_a_changed_argument_fails_the_call_and_is_named(sandbox):
    code = student(sandbox, """
        import numpy as np, torch
        def subtract(vectors, rows):
            vectors -= torch.as_tensor(rows[0])
            return 1
        def reshape(audio):
            audio.resize_(2, 2)
            return 1
        def append(tokens):
            tokens.append(0)
            return 1
        def copies(vectors, rows, tokens):
            vectors = vectors.clone(); vectors -= torch.as_tensor(rows[0]); tokens = tokens + [0]
            return 1
    """, import_seconds=60.0)
    vectors = wire.Tensor(np.arange(6, dtype=np.float32).reshape(2, 3))
    rows = np.ones((1, 3), dtype=np.float32)
    error = failure(code, "subtract", vectors, rows)
    assert error.kind == "changed_argument" and "changed its argument `vectors`" in error.message, str(error)
    error = failure(code, "reshape", wire.Tensor(np.arange(6, dtype=np.float64)))
    assert "changed its argument `audio`" in error.message, str(error)
    assert "changed its argument `tokens`" in failure(code, "append", tokens=[1, 2]).message
    assert code.call(MODULE, "copies", vectors, rows, [1]) == 1


def test_tensor_properties_are_read_through_the_base_class(sandbox):
    """A subclass's properties, or its __torch_function__, never speak for the tensor; a result is
    differentiable from its input when its autograd graph reaches the input."""
    code = student(sandbox, """
        import torch
        class Liar(torch.Tensor):
            @property
            def requires_grad(self): return True
            @property
            def dtype(self): return torch.float64
            @classmethod
            def __torch_function__(cls, func, types, args=(), kwargs=None):
                if getattr(func, "__name__", "") == "__get__":
                    return True
                return super().__torch_function__(func, types, args, kwargs or {})
        def lie(audio):
            with torch.no_grad():
                return (audio * 2).as_subclass(Liar)
        def fresh_leaf(audio):
            return (audio.detach() * 2).requires_grad_(True)
        def honest(audio):
            return audio * 2
    """, import_seconds=60.0)
    audio = wire.Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    lie = code.call(MODULE, "lie", audio)
    assert not lie.requires_grad and not lie.from_args and lie.dtype == "torch.float32"
    leaf = code.call(MODULE, "fresh_leaf", audio)
    assert leaf.requires_grad and not leaf.from_args
    honest = code.call(MODULE, "honest", audio)
    assert honest.requires_grad and honest.from_args and honest.array.tolist() == [2.0] * 3


def test_printed_output_reaches_the_message(sandbox):
    code = student(sandbox, "def f():\n    print('debug line 1')\n    raise ValueError('bad')\n")
    error = failure(code, "f")
    assert "ValueError: bad" in str(error) and "debug line 1" in str(error)


def test_no_network(sandbox):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    accepted = []
    threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True).start()
    code = student(sandbox, f"""
        import socket
        def connect():
            s = socket.socket(); s.settimeout(2)
            try:
                s.connect(("127.0.0.1", {port})); return "connected"
            except OSError as e:
                return type(e).__name__
    """)
    assert code.call(MODULE, "connect") != "connected"
    time.sleep(0.2)
    assert not accepted
    listener.close()


def test_answers_are_out_of_reach(sandbox):
    secrets = [handsons.SOLUTIONS_DIR, handsons.FIXTURES_DIR, handsons.PLUGINS_DIR, handsons.REPO_ROOT]
    code = student(sandbox, f"""
        import os, sys
        def probe():
            seen = {{}}
            for path in {[str(p) for p in secrets]!r}:
                try:
                    seen[path] = os.listdir(path)
                except OSError as e:
                    seen[path] = None
            for mod in ("solutions", "autograder", "autograder.handsons"):
                try:
                    __import__(mod); seen[mod] = "imported"
                except ImportError:
                    seen[mod] = None
            seen["procs"] = sorted(p for p in os.listdir("/proc") if p.isdigit())
            seen["uid"] = os.getuid()
            found = []
            for root, dirs, files in os.walk("/"):
                if root.startswith(("/proc", "/sys", "/dev")):
                    dirs[:] = []
                    continue
                found += [os.path.join(root, f) for f in files
                          if f in ("test_hidden.py", "cases.json") or "handsons" in root
                          or root.endswith("/solutions") or root.endswith("/fixtures")]
            seen["found"] = found[:20]
            return seen
    """)
    seen = code.call(MODULE, "probe", timeout=60)
    for path in secrets:
        assert seen[str(path)] in (None, [".venv"]), (path, seen[str(path)])
    assert seen["solutions"] is None and seen["autograder"] is None
    assert seen["procs"] == ["1"]          # only itself: no other process's folders
    assert seen["uid"] != 0
    assert seen["found"] == []


def test_cannot_write_outside_scratch(sandbox):
    code = student(sandbox, """
        import os, sys, site
        def write_everywhere():
            written = []
            targets = ["/submission/x.py", "/scratch/ok.txt", "/tmp/x"] + [
                os.path.join(p, "sitecustomize.py") for p in sys.path if p] + ["/etc/x", "/usr/x", "/root/x"]
            for path in targets:
                try:
                    with open(path, "w") as f:
                        f.write("import os")
                    written.append(path)
                except OSError:
                    pass
            return written
    """)
    assert code.call(MODULE, "write_everywhere") == ["/scratch/ok.txt"]


def test_processes_and_files_are_limited(sandbox):
    code = student(sandbox, """
        import os
        def fork_bomb():
            pids = []
            try:
                for _ in range(1000):
                    pid = os.fork()
                    if pid == 0:
                        import time; time.sleep(30); os._exit(0)
                    pids.append(pid)
            except OSError as e:
                return len(pids)
            return len(pids)
        def big_file():
            try:
                with open("/scratch/big", "wb") as f:
                    for _ in range(200):
                        f.write(b"x" * (1 << 20))
            except OSError as e:
                return "stopped"
            return "written"
    """)
    assert code.call(MODULE, "fork_bomb") < 100
    code.close()   # its namespace dies with it: no process is left behind
    code2 = student(sandbox, "def ok():\n    return 1\n")
    assert code2.call(MODULE, "ok") == 1
    error = None
    try:
        code2_result = student(sandbox, code.files[f"{MODULE}.py"].decode()).call(MODULE, "big_file")
    except StudentCodeError as caught:
        error = caught
    assert error is not None and "SIGXFSZ" in str(error) or code2_result == "stopped"


def test_multiprocessing_gets_a_private_bounded_dev_shm(sandbox):
    source = """
        import multiprocessing, os
        def square(x):
            return x * x
        def pool():
            with multiprocessing.get_context("fork").Pool(2) as workers:
                return workers.map(square, [1, 2, 3])
        def listing():
            return sorted(os.listdir("/dev/shm"))
        def mark():
            with open("/dev/shm/mark", "w") as f:
                f.write("x")
        def fill():
            try:
                for n in range(5):   # 100 MiB in files under the file size limit
                    with open(f"/dev/shm/part{n}", "wb") as f:
                        for _ in range(20):
                            f.write(b"x" * (1 << 20))
            except OSError:
                return "stopped"
            return "written"
    """
    code = student(sandbox, source)
    assert code.call(MODULE, "pool") == [1, 4, 9]   # multiprocessing's semaphores live in /dev/shm
    code.call(MODULE, "mark")
    assert code.call(MODULE, "listing") == ["mark"]
    assert code.call(MODULE, "fill") == "stopped"
    assert student(sandbox, source).call(MODULE, "listing") == [], "each worker has its own /dev/shm"


def test_budget_stops_a_submission_that_hangs_everywhere(sandbox):
    """Every call is stopped at its limit, and once the calls have used the budget the next one is
    not run. How many calls that takes depends on the machine's load (a call stopped by the backstop
    while it waited for a CPU used less of the budget), so the test calls until the budget says no."""
    code = student(sandbox, "def f():\n    while True: pass\n", floor_seconds=1.0, budget_seconds=2.5)
    kinds: list[str] = []
    while "budget" not in kinds and len(kinds) < 30:
        kinds.append(failure(code, "f").kind)
    assert kinds[:2] == ["timeout", "timeout"] and kinds[-1] == "budget", kinds
    assert set(kinds) == {"timeout", "budget"} and code.spent >= 2.5


@pytest.fixture
def one_busy_cpu():
    """This process and its children on CPU 0, with two busy loops there too: a worker gets about a
    third of a CPU, as on a machine grading other batches."""
    import os
    import subprocess
    import sys
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {0})
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        with Sandbox([MODULE]) as box:
            yield box
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
        os.sched_setaffinity(0, before)


def test_time_waiting_for_a_cpu_is_not_charged(one_busy_cpu):
    """Limits count what the worker did, not the machine's load: 1.5 s of CPU work passes a 2.5 s
    limit though it takes three times as long on a shared CPU; sleeping counts, and is stopped."""
    code = student(one_busy_cpu, """
        import time
        def work(seconds):
            end = time.process_time() + seconds
            while time.process_time() < end:
                pass
            return "done"
        def sleep(seconds):
            time.sleep(seconds)
    """, floor_seconds=2.5, budget_seconds=60.0, backstop_factor=40.0)   # the backstop is not what is tested
    code.call(MODULE, "work", 0.01)   # imported, warm
    started = time.monotonic()
    assert code.call(MODULE, "work", 1.5) == "done"
    wall = time.monotonic() - started
    assert wall > 2.5, f"the CPU was not shared as intended ({wall:.1f} s)"
    assert code.spent < 2.5 < wall
    error = failure(code, "sleep", 30)
    assert error.kind == "timeout" and "did not finish within 2.5 s" in error.message


def test_waiting_caused_by_its_own_threads_is_charged(monkeypatch):
    """The call clock excuses waiting for a CPU only as far as the worker's own CPU use leaves it
    unexplained: 10 s of wall time with 8 s waited is 2 s used when the worker used 2 s of CPU
    (the machine was busy), 10 s when its processes used 10 s or more (its own threads kept it waiting)."""
    from autograder.engine import client

    class FakeWorker:
        waited = cpu = 0.0
    now = [100.0]
    monkeypatch.setattr(client.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(client, "own_runqueue_wait", lambda: 0.0)
    for cpu, used in ((2.0, 2.0), (10.0, 10.0), (30.0, 10.0), (5.0, 5.0)):
        worker = FakeWorker()
        clock = client.CallClock(worker, limit=4.0, backstop_factor=4.0)
        now[0] += 10.0
        worker.waited, worker.cpu = 8.0, cpu
        assert clock.used() == pytest.approx(used), (cpu, clock.used())
        assert (clock.remaining() <= clock.GRACE + 1e-6) == (used >= 4.0)   # at the limit: only the grace left
        now[0] += 100.0


def test_busy_processes_of_its_own_do_not_stretch_the_limit(sandbox):
    """Processes of its own that keep the worker runnable are not the machine's load: a call that
    spins in 17 processes is stopped about when one spinning in a single process is (both are
    charged the CPU they got), not when its main process alone has had the limit's CPU (17 times
    later, if its processes share the CPUs it gets). Compared with the single process under the
    same load, so that the machine's load does not decide."""
    code = student(sandbox, """
        import os
        def spin(processes):
            for _ in range(processes - 1):   # processes: Python threads would take turns (the GIL)
                if os.fork() == 0:
                    break
            while True:
                pass
    """, floor_seconds=1.0, budget_seconds=120.0, backstop_factor=60.0)   # the backstop is not what is tested
    walls = {}
    for processes in (1, 17):
        started = time.monotonic()
        error = failure(code, "spin", processes)
        walls[processes] = time.monotonic() - started
        assert error.kind == "timeout", str(error)
    assert walls[17] < 2 * walls[1] + 1.0, f"a 1 s limit: {walls[1]:.1f} s alone, {walls[17]:.1f} s in 17 processes"


def test_weak_mode_still_grades(monkeypatch):
    """Where namespaces are unavailable (a student laptop), checks still run, unconfined,
    and leave nothing in the temporary folder."""
    # Workers run under another uid: the folder must be reachable by it (pytest's is not).
    base = Path(tempfile.mkdtemp(prefix="weak-mode-test-"))
    base.chmod(0o755)
    monkeypatch.setenv("TMPDIR", str(base))
    monkeypatch.setattr(tempfile, "tempdir", None)   # gettempdir() caches: look at TMPDIR again
    try:
        with Sandbox([MODULE], mode="weak") as weak:
            assert any(base.iterdir())   # the sandbox's folders are made here...
            code = student(weak, "def f(x):\n    return x * 2\ndef g():\n    while True: pass\n")
            assert code.call(MODULE, "f", 21) == 42
            assert failure(code, "g", timeout=1).kind == "timeout"
            assert code.call(MODULE, "f", 1) == 2
            code.close()
        time.sleep(0.5)
        assert not list(base.iterdir())   # ...and nothing is left behind
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_grading_log_has_a_line_per_failed_check_and_a_grader_errors_whole_traceback(tmp_path):
    """Grading's pytest report (grading.log) gives one line per failed check, whose verdict is in
    results.json; an error in the grader itself comes with its whole traceback, to be fixed."""
    import json
    import subprocess
    import sys
    graders = tmp_path / "midi_tokens"
    graders.mkdir()
    (graders / "test_hidden.py").write_text(textwrap.dedent('''
        import pytest

        def broken_helper(case):
            return case["missing"]

        def test_grader_bug():
            broken_helper({})

        def test_a_verdict():
            pytest.fail("expected 3, got 4", pytrace=False)
    '''))
    script = textwrap.dedent(f'''
        import json, sys
        from autograder.engine.session import QUIET, run_graders
        results, _ = run_graders(None, [sys.argv[1]], QUIET)
        print("RESULTS", json.dumps([(r["extra_data"]["kind"], r["output"]) for r in results]))
    ''')
    run = subprocess.run([sys.executable, "-c", script, str(graders / "test_hidden.py")], capture_output=True,
                         text=True, timeout=120, cwd=handsons.REPO_ROOT)
    kinds = json.loads(run.stdout.split("RESULTS ", 1)[1])
    assert [kind for kind, _ in kinds] == ["grader_error", "wrong"], run.stdout + run.stderr
    assert "KeyError: 'missing'" in kinds[0][1] and kinds[1][1] == "expected 3, got 4"
    log = run.stdout + run.stderr
    assert "grader error in" in log and "Traceback (most recent call last)" in log
    assert 'return case["missing"]' in log and "in broken_helper" in log   # the grader's own frames
    assert "expected 3, got 4" in log and "pytest.fail(" not in log          # a verdict: one line, no source


def test_a_property_check_failing_once_then_passing_is_a_verdict_not_a_grader_error():
    """No grader here draws inputs with hypothesis at grading time (MIDI's are stored fixtures), but a
    hands-on's may: when hypothesis runs a failing example again and student code then behaves
    otherwise, it says "flaky"; that is the student's varying code (a wrong answer), while a flaky
    grader's own error stays a grader error."""
    from hypothesis.errors import FlakyFailure

    from autograder.engine.plugin import flaky_verdict

    varying = FlakyFailure("flaky", [AssertionError("the notes differ"),
                                     StudentCodeError("exception", "ValueError: not twice")])
    text, kind = flaky_verdict(varying)
    assert kind == "wrong" and text.startswith("the notes differ") and "did not fail the same way" in text
    assert flaky_verdict(FlakyFailure("flaky", [RuntimeError("the grader broke")])) is None
    assert flaky_verdict(AssertionError("not flaky")) is None
