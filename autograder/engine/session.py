"""Run the graders' pytest sessions: collect them, the rubric, and grade one submission.

The pytest side of grading, in whichever process runs it (a forked grader of a batch,
``check``'s graders, a Dask worker's grader): pytest's arguments and plug-ins, sharing one
session's tests between graders, collecting the graders (the rubric and maxima come from
there) and :func:`grade_one`, which makes one submission's results.json content.
"""
from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path
from typing import Callable

import pytest
from threadpoolctl import threadpool_limits

from . import handsons, tamper, variants
from .client import StudentCode
from .options import Options
from .plugin import GradingPlugin, handson_of, points_of, title, visibility_of
from .results import build_results, failed_results, weigh_public
from .sandbox import Sandbox
from .submission import Submission

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
                plugin: GradingPlugin | None = None, shared: Shared | None = None,
                on_result: Callable[[dict], None] | None = None) -> tuple[list[dict], int]:
    """Run the grader files in this process against ``code``; (result lines, pytest exit code).
    ``shared``: only the tests this process takes (see :class:`Shared`); ``on_result`` gets
    each result line as it is made (unless a ``plugin`` is given, which has its own)."""
    plugin = plugin or GradingPlugin(code, on_result=on_result)
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


def collect(files: list[Path]) -> list[pytest.Item]:
    """The tests of ``files``, collected (and so imported) in this process, nothing printed."""
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
    collect(files)


def public_items(module: str) -> list[tuple[str, str, float]]:
    """(test id, result-line title, points) of every public check of ``module``."""
    return [(item.nodeid.split("::", 1)[1], title(item), points_of(item))
            for item in collect(grader_files([module], ("public",)))]


def rubric(modules: list[str] | None = None, visibilities=("public", "hidden")) -> list[dict]:
    """Every result line the graders can produce: module, visibility, test, cases, points."""
    rows: dict[tuple, dict] = {}
    for item in collect(grader_files(modules or handsons.names(), visibilities)):
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
