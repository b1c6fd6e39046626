"""Grade submissions: one pytest session per submission, in a forked process.

The parent starts the sandbox (its zygote pre-loads the heavy libraries once)
and imports pytest and the graders' dependencies once; each submission is then
graded by a fork of the parent with a fresh worker, ``jobs`` at a time.
"""
from __future__ import annotations

import contextlib
import gc
import json
import os
import re
import shutil
import signal
import sqlite3
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import pytest
from threadpoolctl import threadpool_limits

from . import handsons, tamper, variants
from ..worker.jail import die_with_parent
from .client import StudentCode, TimePolicy
from .gradebook import Gradebook
from .plugin import GradingPlugin, points_of
from .results import (build_results, clean_text, failed_results, grades_csv, valid_results, weigh_public,
                      write_atomic, write_results)
from .sandbox import Limits, Sandbox
from .submission import Submission, SubmissionError, load_submission

# Only the plug-ins graders use: an entry-point plug-in is loaded *and* its whole package is
# assertion-rewritten at every start (hypothesis: 1.7 s instead of 0.15 s without a bytecode
# cache), and a stray plug-in installed in the environment must not change how grading runs.
PYTEST_ARGS = ["-p", "no:cacheprovider", "--disable-plugin-autoload", "-p", "_hypothesis_pytestplugin",
               "-o", "addopts=", "-W", "ignore", "--rootdir", str(handsons.REPO_ROOT)]
# Grading: pytest's report goes to grading.log, a line per failed check (its verdict is in
# results.json; a grader error's whole traceback is written there too, see the plugin).
# Pytest's long tracebacks re-parse the grader file for every frame: grading the untouched
# stubs took 15.3 s instead of 10 s.
QUIET = ["-q", "--no-header", "--tb=line"]
SILENT = ["-p", "no:terminal", "-s"]          # checks: our own lines only, printed as they come


class _NoTracebacks:
    """Checks show our own lines only, never pytest's traceback; building one anyway re-parses
    the grader file for every frame (2.9 s of the untouched MIDI stub's 3.6 s check)."""

    def pytest_configure(self, config: pytest.Config) -> None:
        config.option.tbstyle = "no"   # --tb belongs to the terminal plugin, off in checks


@dataclass
class Options:
    modules: list[str] = field(default_factory=handsons.names)
    visibilities: tuple[str, ...] = ("public", "hidden")
    jobs: int = 1
    limits: Limits = field(default_factory=Limits)
    time_policy: TimePolicy = field(default_factory=TimePolicy)
    mode: str | None = None      # sandbox mode; None = the strongest available
    regrade: bool = False        # grade again even what the gradebook already has
    html: bool = False           # keep the public checks' pictures and write HTML reports
    roster: dict[str, str] = field(default_factory=dict)   # submission name -> student id
    public_weight: float = 1.0   # what public checks' points count (0: grade on hidden checks only)
    scheduler: str | None = None   # a Dask scheduler's address: grade on that cluster, not here
    allow_weak: bool = False       # cluster workers without the strong sandbox may grade (weakly)
    course_secret: Path | None = None   # its file; None: variants.secret_path() (made if missing)
    variant: int | None = None     # grade every submission on this variant, not each student's own

    @property
    def scope(self) -> str:
        """What decides a grade besides the code: graded parts, weights and time limits."""
        scope = {"modules": self.modules, "visibilities": list(self.visibilities),
                 "floor": self.time_policy.floor_seconds, "budget": self.time_policy.budget_seconds}
        if self.public_weight != 1:
            scope["public_weight"] = self.public_weight
        return json.dumps(scope)


def grader_files(modules: list[str], visibilities: tuple[str, ...]) -> list[Path]:
    files = []
    for name in modules:
        for visibility in visibilities:
            path = handsons.get(name).grader_path(visibility)
            if path.exists():
                files.append(path)
    return files


class Shared:
    """Hands a session's tests out one at a time, in file order, to the graders that share it
    (this process and forked ones, made after this): whichever is free takes the next, so all
    end about together whatever each test costs. The tests' numbers are tokens in a pipe;
    reads of one 4-byte token are atomic between processes."""

    TOKENS = 8192   # 32 KiB, within a pipe's buffer; a session of more tests stops with a usage error

    def __init__(self):
        self._tokens, write = os.pipe()
        os.write(write, b"".join(i.to_bytes(4, "little") for i in range(self.TOKENS)))
        os.close(write)
        os.set_blocking(self._tokens, False)
        self._taken = -1
        self._index: dict[int, int] = {}
        self.order: list[str] = []   # node ids, in the session's order

    def pytest_collection_modifyitems(self, session, config: pytest.Config, items: list[pytest.Item]) -> None:
        self.order = [item.nodeid for item in items]
        self._index = {id(item): number for number, item in enumerate(items)}
        if len(items) > self.TOKENS:
            raise pytest.UsageError(f"{len(items)} tests: too many to share between graders")

    def _take(self) -> float:
        try:
            token = os.read(self._tokens, 4)
        except BlockingIOError:
            token = b""
        return int.from_bytes(token, "little") if len(token) == 4 else float("inf")

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None):
        number = self._index[id(item)]
        while self._taken < number:
            self._taken = self._take()
        return None if self._taken == number else True   # True: another grader runs it

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self._tokens)


def run_graders(code: StudentCode | None, files: list[Path], output: list[str] = QUIET,
                plugin: GradingPlugin | None = None, shared: Shared | None = None) -> tuple[list[dict], int]:
    """Run the grader files in this process against ``code``; (result lines, pytest exit code).
    ``shared``: only the tests this process takes (see :class:`Shared`)."""
    plugin = plugin or GradingPlugin(code)
    extra = [_NoTracebacks()] if output is SILENT else []
    # One BLAS thread: idle OpenBLAS threads spin, on the core the student's worker (or, with
    # --jobs 2, the other grader) needs. 8 submissions at --jobs 2: 31.5 -> 26.7 s.
    with threadpool_limits(1):
        exit_code = pytest.main([*PYTEST_ARGS, *output, *map(str, files)],
                                plugins=[plugin, *extra, *([shared] if shared else [])])
    return plugin.results, int(exit_code)


class _Collector:
    def __init__(self):
        self.items: list[pytest.Item] = []

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.items = list(session.items)


def _collect(files: list[Path]) -> list[pytest.Item]:
    collector = _Collector()
    with open(os.devnull, "w") as sink:
        saved = sys.stdout
        sys.stdout = sink
        try:
            pytest.main([*PYTEST_ARGS, *QUIET, "--collect-only", *map(str, files)],
                        plugins=[collector, GradingPlugin(None)])
        finally:
            sys.stdout = saved
    return collector.items


def import_graders(files: list[Path]) -> None:
    """Import grader files and what they import, as pytest does (assertion rewriting
    included), ahead of running them: later sessions in this process reuse the modules."""
    _collect(files)


def public_items(module: str) -> list[tuple[str, str, float]]:
    """(test id, result-line title, points) of every public check of ``module``."""
    from .plugin import _title
    return [(item.nodeid.split("::", 1)[1], _title(item), points_of(item))
            for item in _collect(grader_files([module], ("public",)))]


def rubric(modules: list[str] | None = None, visibilities=("public", "hidden")) -> list[dict]:
    """Every result line the graders can produce: module, visibility, test, cases, points."""
    rows: dict[tuple, dict] = {}
    for item in _collect(grader_files(modules or handsons.names(), visibilities)):
        from .plugin import handson_of, visibility_of
        key = (handson_of(item.path), visibility_of(item.path), item.originalname)
        row = rows.setdefault(key, {"module": key[0], "visibility": key[1], "test": key[2],
                                    "cases": 0, "points": 0.0})
        row["cases"] += 1
        row["points"] += points_of(item)
    return list(rows.values())


def rubric_markdown() -> str:
    """The rubric as the README shows it: one row per test group, totals per hands-on."""
    rows = rubric()
    lines = ["| hands-on | check | visibility | cases | points |", "| --- | --- | --- | ---: | ---: |"]
    for handson in handsons.all_handsons():
        mine = [r for r in rows if r["module"] == handson.name]
        for row in mine:
            lines.append(f"| {handson.name} | `{row['test']}` | {row['visibility']} | {row['cases']} | "
                         f"{row['points']:g} |")
        lines.append(f"| **{handson.name}** | **Hands-on {handson.number}: {handson.title}** | | | "
                     f"**{sum(r['points'] for r in mine):g}** |")
    lines.append(f"| **total** | | | | **{sum(r['points'] for r in rows):g}** |")
    return "\n".join(lines) + "\n"


def maxima(modules: list[str], visibilities=("public", "hidden"), public_weight: float = 1.0) -> dict[str, float]:
    out = {m: 0.0 for m in modules}
    for row in rubric(modules, visibilities):
        out[row["module"]] += row["points"] * (public_weight if row["visibility"] == "public" else 1.0)
    return out


def assign_variants(subs: list[Submission], options: Options) -> None:
    """Each submission's grading variant, from its student id (the roster's, else its name), the
    course secret and the term (see engine/variants.py)."""
    if options.variant is not None:   # the same for all (comparing variants): no secret needed
        for sub in subs:
            sub.variant = options.variant
        return
    path = variants.secret_path(options.course_secret)
    if not path.exists():
        variants.make_secret(path)
    secret, term = variants.read_secret(path), variants.read_term()
    for sub in subs:
        sub.variant = variants.variant_of(options.roster.get(sub.name, sub.name), secret, term)


def variant_info(submission: Submission) -> dict:
    """What results.json records of the inputs a submission was graded on."""
    return {"variant": submission.variant, "term": variants.read_term().name}


def engine_info(sandbox: Sandbox) -> dict:
    return {"sandbox": sandbox.mode, "python": sys.version.split()[0]}


def grade_one(sandbox: Sandbox, submission: Submission, options: Options, slot: int = 0,
              artifacts_dir: Path | None = None, on_result: Callable[[dict], None] | None = None) -> dict:
    """Grade one submission in this process; its results.json content (pictures for the
    HTML report go to ``artifacts_dir``; ``on_result`` gets each result line as it is made)."""
    started = time.monotonic()
    code = StudentCode(sandbox, submission.files, options.limits, options.time_policy, slot)
    notes = list(submission.notes)
    missing = [m for m in options.modules if m not in submission.modules]
    if missing:
        notes.append("not in the submission: " + ", ".join(f"{m}.py" for m in missing))
    if sandbox.mode == "weak":
        notes.append("graded WITHOUT the strong sandbox (weak mode): scores are not protected")
    variants.use(submission.variant)
    try:
        plugin = GradingPlugin(code, on_result=on_result, artifacts_dir=artifacts_dir)
        tests, exit_code = run_graders(code, grader_files(options.modules, options.visibilities), plugin=plugin)
    finally:
        code.close()
    tests = weigh_public(tests, options.public_weight)
    extra = {**engine_info(sandbox), **variant_info(submission), "content_sha256": submission.digest,
             "worker_restarts": code.restarts, "pytest_exit": exit_code,
             "calls_seconds": round(code.spent, 3), "waited_seconds": round(code.waited, 3)}
    if exit_code not in (0, 1):
        return failed_results(submission.name, f"grading failed (pytest exit code {exit_code}); "
                                               f"the instructors are told", time.monotonic() - started,
                              {**extra, "incomplete": True})
    results = build_results(submission.name, tests, time.monotonic() - started, notes, extra)
    results["extra_data"]["review"] += tamper.review_flags(submission.files)   # for the instructor, not a score
    return results


class OutputError(RuntimeError):
    """The output folder cannot be written (read-only, full, not a folder...). The batch
    stops: each results.json written so far is complete, the gradebook holds only
    complete gradings, and no grades.csv is written."""


EX_OUTPUT = 74       # a grader's exit status when it could not write into the output folder
PARTIAL = ".partial.jsonl"   # result lines as they are made: kept if grading does not finish
# Files of the batch itself in the output folder: no submission may be named like them.
RESERVED_NAMES = {"grades.csv", "gradebook.sqlite", "gradebook.sqlite-wal", "gradebook.sqlite-shm",
                  "gradebook.sqlite-journal", "index.html", "class_report.html", "class_report.json",
                  "mistakes.csv", "regrade_impact.json"}


@contextlib.contextmanager
def _output_errors(out_dir: Path):
    try:
        yield
    except (OSError, sqlite3.Error) as error:
        reason = _with_free_space(getattr(error, "strerror", None) or str(error), out_dir)
        raise OutputError(f"cannot write the results in {out_dir}: {reason}") from None


def _with_free_space(reason: str, out_dir: Path) -> str:
    """SQLite reports a full disk as a "disk I/O error" when even its journal cannot be written:
    say that the disk is full when next to nothing is free."""
    try:
        free = shutil.disk_usage(out_dir).free
    except OSError:
        return reason
    if free < 1 << 20 and "No space left" not in reason and "full" not in reason:
        return f"{reason} (the disk is full: {free // 1024} KiB free)"
    return reason


def _check_writable(out_dir: Path) -> None:
    probe = out_dir / ".write-test"
    write_atomic(probe, b"ok\n")
    probe.unlink()


def is_incomplete(results: dict) -> bool:
    """Results of a grading that did not finish (the grader crashed or ran out of time):
    never kept in the gradebook, so the next run grades the submission again."""
    return bool(results.get("extra_data", {}).get("incomplete"))


def output_name(name: str) -> str:
    """A submission's folder name in the output: one path component, valid UTF-8, not
    hidden and not one of the batch's own files."""
    name = re.sub(r"[\x00-\x1f\x7f/\\]", "_", clean_text(name, 200)).strip()
    if not name or name.startswith(".") or name.lower() in RESERVED_NAMES:
        name = "_" + name
    return name


@dataclass
class Graded:
    name: str
    source: str
    results: dict
    digest: str = ""
    student: str = ""
    skipped: bool = False      # taken from the gradebook: unchanged since it was graded


def _unique(name: str, seen: set[str]) -> str:
    base = candidate = output_name(name)
    number = 1
    while candidate in seen:
        number += 1
        candidate = f"{base}-{number}"
    seen.add(candidate)
    return candidate


def grade_batch(paths: list[str], out_dir: Path, options: Options,
                on_done: Callable[[Graded], None] | None = None) -> list[Graded]:
    """Grade every path into ``out_dir/<name>/results.json``, ``out_dir/grades.csv``
    and the gradebook ``out_dir/gradebook.sqlite``. Raises :class:`OutputError` when
    the output folder cannot be written; grades.csv is then not written."""
    out_dir = Path(out_dir)
    with _output_errors(out_dir):
        out_dir.mkdir(parents=True, exist_ok=True)
        _check_writable(out_dir)
        # Until this batch completes, no table: a killed or failed run must not leave an
        # earlier run's grades.csv to pass for this one's.
        (out_dir / "grades.csv").unlink(missing_ok=True)
    graded: list[Graded] = []

    def done(item: Graded) -> None:
        graded.append(item)
        if on_done:
            on_done(item)

    subs: list[Submission] = []
    order: dict[str, int] = {}
    seen: set[str] = set()
    for index, path in enumerate(paths):
        try:
            sub = load_submission(path, options.modules)
        except SubmissionError as error:
            name = _unique(Path(path).stem if Path(path).suffix == ".zip" else Path(path).name, seen)
            order[name] = index
            results = failed_results(name, f"not graded: {error}", 0.0, {})
            with _output_errors(out_dir):
                write_results(out_dir / name / "results.json", results)
            done(Graded(name, str(path), results, student=options.roster.get(name, name)))
            continue
        sub.name = _unique(sub.name, seen)
        order[sub.name] = index
        subs.append(sub)
    assign_variants(subs, options)
    with _output_errors(out_dir):
        book = Gradebook(out_dir / "gradebook.sqlite", options.scope)
        book.start_run(len(paths))
    pending = []
    for sub in subs:
        earlier = None if options.regrade else book.lookup(sub.name, sub.digest, sub.variant)
        if earlier is None:
            pending.append(sub)
            continue
        target = out_dir / sub.name / "results.json"
        with _output_errors(out_dir):
            if not target.exists() or json.loads(target.read_text()) != earlier:
                write_results(target, earlier)
        done(Graded(sub.name, sub.source, earlier, sub.digest, options.roster.get(sub.name, sub.name), True))
    if pending:
        hidden = [Path(p).resolve() for p in paths] + [out_dir.resolve()]
        with contextlib.closing(_pool(options)) as pool:
            pool.start(hidden)
            # Collecting the graders here imports them (and hypothesis, fixtures...) in the
            # parent while the zygote imports its own: every forked grader starts with them.
            points = maxima(options.modules, options.visibilities, options.public_weight)
            # Closing the pool on any error stops the gradings still running.
            with contextlib.closing(pool.grade(pending, out_dir)) as items:
                for item in items:
                    item.student = options.roster.get(item.name, item.name)
                    if not is_incomplete(item.results):
                        with _output_errors(out_dir):
                            book.record(item.name, item.student, item.digest, item.results)
                    done(item)
    if not pending:
        points = maxima(options.modules, options.visibilities, options.public_weight)
    graded.sort(key=lambda g: order.get(g.name, len(order)))   # the table in the order given
    with _output_errors(out_dir):
        book.finish_run(graded=len(pending), skipped=len(subs) - len(pending))
        book.close()
        write_atomic(out_dir / "grades.csv", grades_csv(
            [{"name": g.name, "student": g.student, "results": g.results, "digest": g.digest} for g in graded],
            points))
        if options.html:   # after grades.csv: pictures of student data never delay it
            from .report import write_reports
            write_reports(out_dir, graded, points)
    return graded


class LocalPool:
    """Grades on this machine: one zygote, and a forked grader per submission,
    ``options.jobs`` at a time. The cluster's pool (``cluster.ClusterPool``) has the
    same three methods; grade_batch keeps the books for both."""

    def __init__(self, options: Options):
        self.options, self.sandbox = options, None

    def start(self, hidden: list[Path]) -> None:
        """Start the zygote (it imports its libraries while the caller goes on)."""
        self.sandbox = Sandbox(self.options.modules, mode=self.options.mode, hidden_paths=hidden, wait=False)

    def grade(self, subs: list[Submission], out_dir: Path) -> Iterator[Graded]:
        """Each submission graded, in the order they finish, its results.json written."""
        self.sandbox.wait_ready()
        return _fork_pool(self.sandbox, subs, out_dir, self.options)

    def close(self) -> None:
        if self.sandbox is not None:
            self.sandbox.close()


def _pool(options: Options):
    if options.scheduler:
        from .cluster import ClusterPool   # Dask is an optional dependency: only imported here
        return ClusterPool(options)
    return LocalPool(options)


def clear_target(out_dir: Path, name: str) -> Path:
    """``out_dir/name``, made, without a previous run's results: never read as this run's."""
    target = out_dir / name
    with _output_errors(out_dir):
        target.mkdir(parents=True, exist_ok=True)
        (target / "results.json").unlink(missing_ok=True)
        (target / PARTIAL).unlink(missing_ok=True)
    return target


def unfinished_results(sub: Submission, tests: list[dict], seconds: float, reason: str, extra: dict) -> dict:
    """Results of a grading that did not finish: the lines it made, and why. Never kept
    in the gradebook (the next run grades it again) and the batch exits with code 4."""
    note = (f"{reason}: the checks after these were not run; the instructors are told "
            f"(see the grading.log beside this results.json).")
    return build_results(sub.name, tests, seconds, [*sub.notes, note],
                         {**extra, **variant_info(sub), "content_sha256": sub.digest, "error": reason,
                          "incomplete": True})


def read_results(path: Path, sub: Submission) -> dict | None:
    """The results.json a grader wrote for ``sub``, or None if it is missing or not one."""
    try:
        results = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return results if valid_results(results, sub.name, sub.digest) else None


def _wait_any(running: dict, limit: float) -> tuple[int, int, bool]:
    """(pid, status, stopped) of the first grader to end; one that runs past ``limit``
    seconds is killed (``stopped``)."""
    while True:
        for pid, (_, _, started, _) in list(running.items()):
            ended, status = os.waitpid(pid, os.WNOHANG)
            if ended:
                return pid, status, False
            if time.monotonic() - started > limit:
                os.kill(pid, signal.SIGKILL)   # its workers die with it (their lifelines close)
                _, status = os.waitpid(pid, 0)
                return pid, status, True
        time.sleep(0.05)


def _read_ready(fd: int) -> str:
    """What a pipe holds now (never waits: something the grader started may still hold it open); closes it."""
    os.set_blocking(fd, False)
    try:
        return os.read(fd, 1000).decode(errors="replace")
    except (BlockingIOError, OSError):
        return ""
    finally:
        os.close(fd)


def _status_text(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by signal {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exit status {os.WEXITSTATUS(status)}"


def _partial_lines(path: Path) -> list[dict]:
    lines = []
    try:
        for line in path.read_text(errors="replace").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue   # a line cut short when the grader was stopped
            if isinstance(entry, dict) and {"name", "score", "max_score", "status"} <= set(entry):
                lines.append(entry)
    except OSError:
        pass
    return lines


def _fork_pool(sandbox: Sandbox, subs: list[Submission], out_dir: Path, options: Options,
               slots: list[int] | None = None):
    """Grade ``subs`` in forked graders, one per free job slot (``slots``; default one
    per ``options.jobs``); yield each as it ends, its results.json written."""
    pending = list(subs)
    running: dict[int, tuple[Submission, int, float]] = {}
    free_slots = list(slots) if slots is not None else list(range(max(1, options.jobs)))
    limit = options.time_policy.grading_limit()
    try:
        while pending or running:
            while pending and free_slots:
                sub, slot = pending.pop(0), free_slots.pop(0)
                target = clear_target(out_dir, sub.name)
                gc.freeze()   # forked graders then share the parent's pages instead of copying them
                why_read, why_write = os.pipe()   # the grader says there why it could not write its results
                pid = os.fork()
                if pid == 0:
                    os.close(why_read)
                    _child(sandbox, sub, options, slot, target, why_write)
                os.close(why_write)
                running[pid] = (sub, slot, time.monotonic(), why_read)
            pid, status, stopped = _wait_any(running, limit)
            sub, slot, started, why_read = running.pop(pid)
            free_slots.append(slot)
            why = _read_ready(why_read)
            target = out_dir / sub.name
            if os.WIFEXITED(status) and os.WEXITSTATUS(status) == EX_OUTPUT:
                raise OutputError(f"cannot write the results of {sub.name} in {target}: "
                                  f"{_with_free_space(why or 'unknown reason', out_dir)}")
            results = None
            if not stopped and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
                results = read_results(target / "results.json", sub)
            if results is None:
                # The grader did not finish: keep the lines it made, say why, and never
                # let this pass for a complete grading (not in the gradebook; exit code 4).
                reason = (f"grading stopped after {limit:.0f} s, the most one submission's grading may take"
                          if stopped else f"grading crashed ({_status_text(status)})")
                results = unfinished_results(sub, _partial_lines(target / PARTIAL), time.monotonic() - started,
                                             reason, engine_info(sandbox))
                with _output_errors(out_dir):
                    write_results(target / "results.json", results)
            with contextlib.suppress(OSError):
                (target / PARTIAL).unlink(missing_ok=True)
            yield Graded(sub.name, sub.source, results, sub.digest)
    finally:
        for pid, (_, _, _, why_read) in running.items():   # the batch stopped early: no grader outlives it
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            with contextlib.suppress(OSError):
                os.close(why_read)


def _return_freed_memory() -> None:
    """Blocks of 4 MiB and more get mappings of their own, returned to the system when freed.
    glibc otherwise raises this threshold after the first big block is freed, and the heap keeps
    what a grader's big workloads used (~20 MiB of the peak; 1 MiB costs more system time for
    no less memory). Elsewhere than glibc: nothing."""
    import ctypes
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).mallopt(-3, 4 << 20)   # M_MMAP_THRESHOLD


def _child(sandbox: Sandbox, sub: Submission, options: Options, slot: int, target: Path, why: int) -> None:
    """Grade ``sub`` into ``target``; exit status 0, or ``EX_OUTPUT`` with the system's reason
    (``No space left on device``...) written to the pipe ``why``: the parent cannot find it out
    afterwards (a probe of a few bytes may well fit where a results.json did not)."""
    code = 1

    def cannot_write(error: OSError) -> int:
        with contextlib.suppress(OSError):
            os.write(why, (error.strerror or str(error)).encode()[:1000])
        return EX_OUTPUT

    try:
        die_with_parent()   # a killed batch leaves no grader behind to write stale results
        _return_freed_memory()
        try:
            log = os.open(target / "grading.log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            partial = os.open(target / PARTIAL, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o644)
        except OSError as error:
            code = cannot_write(error)
            raise
        os.dup2(log, 1)
        os.dup2(log, 2)

        def keep(entry: dict) -> None:
            try:
                os.write(partial, (json.dumps(entry) + "\n").encode())
            except (OSError, ValueError, TypeError):
                pass   # only a fallback if grading does not finish

        artifacts = target / "artifacts"
        shutil.rmtree(artifacts, ignore_errors=True)
        results = grade_one(sandbox, sub, options, slot, artifacts if options.html else None, on_result=keep)
        try:
            write_results(target / "results.json", results)
        except OSError as error:
            code = cannot_write(error)
            raise
        code = 0
    except BaseException:
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)
