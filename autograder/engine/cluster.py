"""Grade on a Dask ``distributed`` cluster (``autograder grade --scheduler ADDRESS``): a pool.

The instructor's process reads and validates the submissions and keeps the books
(gradebook, results, grades.csv, report) through ``grade_batch``, exactly as a
local run; :class:`ClusterPool` only replaces the local fork pool. Each submission
is one task. On the worker, :func:`grade_on_worker` grades it as ``--jobs`` does
locally: a forked grader against the zygote that this worker process started once
(:class:`_WorkerHost`), under the same time limits. What comes back is a string of
JSON (the results.json the grader wrote, its grading.log, the report's pictures as
``.npz`` without pickle), validated here like a local grader's results.

Failures: a worker that dies is Dask's to handle (its tasks run again elsewhere);
a task that kills two workers (``allowed-failures`` 1) or fails on two is recorded
as a grader failure, never as a score. Dask itself is imported only here, and only
when a scheduler is given: it is the optional dependency group ``cluster``.
"""
from __future__ import annotations

import atexit
import base64
import contextlib
import dataclasses
import json
import queue
import re
import secrets
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Iterator

from .gradebook import fixtures_version, grader_version
from .local_pool import grade_forked
from .options import Options
from .output import Graded, clear_target, output_errors, unfinished_results
from .results import valid_results, write_atomic, write_results
from .sandbox import UID_BLOCK, Sandbox, detect_mode, weak_reason
from .session import maxima
from .submission import Submission

WORKERS_SECONDS = 120     # for a first worker to join it
ALLOWED_FAILURES = 1      # workers a task may kill before it is a grader failure: tried on two in all
LOG_BYTES = 4 << 20       # the end of a grading.log that comes back
ARTIFACT_BYTES = 64 << 20  # the report's pictures of one submission
ARTIFACT_NAME = re.compile(r"^check-\d+-\d+\.npz$")


class ClusterError(RuntimeError):
    """The cluster cannot be used (scheduler unreachable, no worker, Dask missing)."""


class SandboxRefused(RuntimeError):
    """A worker lacks the strong sandbox and the batch did not allow the weak one."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# ---------------------------------------------------------------- the instructor's side

class ClusterPool:
    """Grades on the cluster at ``options.scheduler``: one task per submission."""

    def __init__(self, options: Options):
        self.address = options.scheduler
        # What the worker needs of the options; never the roster (the students' names).
        self.options = dataclasses.replace(options, roster={}, jobs=1, scheduler=None)
        self.versions = {"graders": grader_version(), "fixtures": fixtures_version()}
        self.client = None

    def start(self, hidden: list[Path]) -> None:
        """Connect to the scheduler and wait for a first worker (``hidden`` concerns a
        local sandbox; the workers have nothing of this machine's)."""
        try:
            from distributed import Client
        except ImportError:
            raise ClusterError("Dask is not installed here: pip install -e '.[cluster]'") from None
        try:
            # Dask's configuration decides how long to try (distributed.comm.timeouts.connect,
            # 30 s) and, for tls://..., the certificates (distributed.comm.tls).
            self.client = Client(self.address, set_as_default=False)
        except Exception as error:   # noqa: BLE001: refused, timed out, bad address, TLS not set up...
            raise ClusterError(f"cannot reach the Dask scheduler at {self.address} "
                               f"({type(error).__name__}: {error})") from None

        def limit_failures(dask_scheduler=None) -> int:
            # Defined here, so that it travels by value: the scheduler need not have this project.
            dask_scheduler.allowed_failures = min(dask_scheduler.allowed_failures, ALLOWED_FAILURES)
            return dask_scheduler.allowed_failures

        with contextlib.suppress(Exception):   # a scheduler that runs no client code keeps its own setting
            self.client.run_on_scheduler(limit_failures)
        try:
            self.client.wait_for_workers(1, timeout=WORKERS_SECONDS)
        except (OSError, TimeoutError) as error:
            raise ClusterError(f"no Dask worker joined the scheduler at {self.address} within "
                               f"{WORKERS_SECONDS} s ({error or 'timed out'})") from None

    def _submit(self, sub: Submission, avoid: set[str] = frozenset()):
        """One task for ``sub``; on a worker not in ``avoid`` while there is one."""
        others = [w for w in self.client.scheduler_info(n_workers=-1)["workers"] if w not in avoid] if avoid else []
        where = {"workers": others, "allow_other_workers": True} if others else {}
        return self.client.submit(grade_on_worker, sub, self.options, self.versions, pure=False,
                                  key=f"grade-{sub.digest[:12]}-{secrets.token_hex(4)}", **where)

    def grade(self, subs: list[Submission], out_dir: Path) -> Iterator[Graded]:
        from distributed import as_completed
        from distributed.scheduler import KilledWorker
        futures, started, tried_on = {}, {}, {}
        try:
            for sub in subs:
                clear_target(out_dir, sub.name)
                futures[self._submit(sub)] = sub
                started[sub.name] = time.monotonic()
            finished = as_completed(list(futures), loop=self.client.loop)
            for future in finished:
                sub = futures.pop(future)
                try:
                    answer, error = _answer(future.result()), None
                except KilledWorker as failure:   # Dask gave up: every worker that ran it died
                    answer, error = None, (f"{failure.allowed_failures + 1} Dask workers died while grading it "
                                           f"(the last: {failure.last_worker.address})")
                except Exception as failure:   # noqa: BLE001: whatever failed, it is not the student's
                    answer, error = None, f"the task failed ({type(failure).__name__}: {failure})"
                if answer is not None and "refused" in answer:
                    raise SandboxRefused(f"{answer['refused']}, on the Dask worker {answer.get('worker', '?')}")
                if answer is not None and "error" in answer:
                    error = f"{answer['error']} (on the Dask worker {answer.get('worker', '?')})"
                    tried_on.setdefault(sub.name, []).append(str(answer.get("worker", "?")))
                    if len(tried_on[sub.name]) < 2:   # once more, on another worker
                        retry = self._submit(sub, avoid=set(tried_on[sub.name]))
                        futures[retry] = sub
                        finished.add(retry)
                        continue
                seconds = time.monotonic() - started[sub.name]
                results = None if error else _keep(answer, sub, out_dir / sub.name, out_dir)
                if results is None:
                    error = error or "the Dask worker's results were not valid results of this submission"
                    results = unfinished_results(sub, [], seconds, f"grading on the cluster failed: {error}",
                                                 {"cluster": self.address, "tried_on": tried_on.get(sub.name, [])})
                    with output_errors(out_dir):
                        write_results(out_dir / sub.name / "results.json", results)
                yield Graded(sub.name, sub.source, results, sub.digest)
        finally:
            if futures:   # the batch stopped early: what is still queued is not graded for nothing
                with contextlib.suppress(Exception):
                    self.client.cancel(list(futures))

    def close(self) -> None:
        if self.client is not None:
            with contextlib.suppress(Exception):
                self.client.close(timeout=10)


def _answer(text: object) -> dict | None:
    """A worker's answer: a JSON object in a string, nothing else."""
    if type(text) is not str:
        return None
    try:
        answer = json.loads(text)
    except ValueError:
        return None
    return answer if type(answer) is dict else None


def _keep(answer: dict, sub: Submission, target: Path, out_dir: Path) -> dict | None:
    """Write what the worker sent, as a local grader would have (grading.log, pictures,
    results.json last); the results, or None if they are not this submission's."""
    try:
        results = json.loads(answer["results"]) if type(answer.get("results")) is str else None
    except ValueError:
        results = None
    log, pictures = answer.get("log", ""), answer.get("artifacts", {})
    if not valid_results(results, sub.name, sub.digest) or type(log) is not str or type(pictures) is not dict:
        return None
    files = {}
    for name, data in pictures.items():
        if not ARTIFACT_NAME.match(name) or type(data) is not str:
            return None
        try:
            files[name] = base64.b64decode(data, validate=True)
        except ValueError:
            return None
    if sum(map(len, files.values())) > ARTIFACT_BYTES:
        return None
    with output_errors(out_dir):
        write_atomic(target / "grading.log", log.encode("utf-8", "replace"))
        shutil.rmtree(target / "artifacts", ignore_errors=True)
        for name, data in files.items():
            write_atomic(target / "artifacts" / name, data)
        write_results(target / "results.json", results)
    return results


# ---------------------------------------------------------------- the worker's side

def grade_on_worker(sub: Submission, options: Options, versions: dict) -> str:
    """A Dask task: grade ``sub`` in this worker process's sandbox; a JSON string with
    the results (or the error, or the refusal to grade without the strong sandbox)."""
    worker = _worker_address()
    try:
        if detect_mode() == "weak" and not options.allow_weak:
            return json.dumps({"refused": weak_reason(), "worker": worker})
        host = _WorkerHost.get()
        if host.versions != versions:
            return json.dumps({"error": f"this worker's graders or fixtures are not the instructor's "
                                        f"({host.versions} here, {versions} there): update its checkout",
                               "worker": worker})
        with host.slot() as slot, host.folder() as folder:
            sandbox = host.sandbox(options.modules, options.mode)
            for _ in grade_forked(sandbox, [sub], folder, options, slots=[slot]):
                pass
            return json.dumps({"results": (folder / sub.name / "results.json").read_text(),
                               "log": _tail(folder / sub.name / "grading.log"),
                               "artifacts": _pictures(folder / sub.name / "artifacts"), "worker": worker})
    except Exception as error:   # noqa: BLE001: reported to the instructor's process, which tries elsewhere
        return json.dumps({"error": f"{type(error).__name__}: {error}", "worker": worker})


def _worker_address() -> str:
    try:
        from distributed import get_worker
        return get_worker().address
    except (ImportError, ValueError):
        return "?"


def _tail(path: Path) -> str:
    try:
        with open(path, "rb") as handle:
            size = handle.seek(0, 2)
            handle.seek(max(0, size - LOG_BYTES))
            data = handle.read()
    except OSError:
        return ""
    cut = f"[... the first {size - LOG_BYTES} bytes are not kept]\n" if size > LOG_BYTES else ""
    return cut + data.decode("utf-8", "replace")


def _pictures(folder: Path) -> dict[str, str]:
    if not folder.is_dir():
        return {}
    return {path.name: base64.b64encode(path.read_bytes()).decode() for path in sorted(folder.glob("*.npz"))}


class _WorkerHost:
    """What one Dask worker process keeps across tasks: its zygotes (started once,
    for each set of hands-ons it grades), its job slots, its scratch folder.

    The zygotes are started from a thread of their own that lives as long as the
    process: bubblewrap's --die-with-parent follows the thread that started it, and
    Dask may retire the thread that ran a task."""

    _instance: "_WorkerHost | None" = None
    _instance_lock = threading.Lock()

    @classmethod
    def get(cls) -> "_WorkerHost":
        with cls._instance_lock:
            if cls._instance is None:
                cls._instance = cls()
            return cls._instance

    def __init__(self):
        self.versions = {"graders": grader_version(), "fixtures": fixtures_version()}
        self.root = Path(tempfile.mkdtemp(prefix="ag-dask-worker-"))
        self.lock = threading.Lock()
        self.sandboxes: dict[tuple, Sandbox] = {}
        self.free_slots = list(range(UID_BLOCK))   # each concurrent task its own uid
        self.calls: queue.Queue = queue.Queue()
        threading.Thread(target=self._serve, name="autograder-sandboxes", daemon=True).start()
        atexit.register(self.close)

    def _serve(self) -> None:
        while True:
            call, answer = self.calls.get()
            try:
                answer.put((call(), None))
            except BaseException as error:   # noqa: BLE001: handed to the task that asked
                answer.put((None, error))

    def _in_owner_thread(self, call):
        answer: queue.Queue = queue.Queue()
        self.calls.put((call, answer))
        value, error = answer.get()
        if error is not None:
            raise error
        return value

    def sandbox(self, modules: list[str], mode: str | None) -> Sandbox:
        """This process's zygote for ``modules``, started on first use (and again if it died)."""
        key = (tuple(modules), mode)
        with self.lock:
            box = self.sandboxes.get(key)
            if box is None or box.process.poll() is not None:
                if box is not None:
                    box.close()
                box = self._in_owner_thread(lambda: Sandbox(modules, mode=mode, hidden_paths=[self.root],
                                                            wait=False))
                try:
                    maxima(modules)   # imports the graders here, as grade_batch does, while the zygote starts
                    box.wait_ready()
                except BaseException:
                    box.close()
                    raise
                self.sandboxes[key] = box
            return box

    @contextlib.contextmanager
    def slot(self):
        with self.lock:
            slot = self.free_slots.pop(0)
        try:
            yield slot
        finally:
            with self.lock:
                self.free_slots.append(slot)

    @contextlib.contextmanager
    def folder(self):
        folder = Path(tempfile.mkdtemp(dir=self.root))
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def close(self) -> None:
        for box in self.sandboxes.values():
            box.close()
        shutil.rmtree(self.root, ignore_errors=True)
