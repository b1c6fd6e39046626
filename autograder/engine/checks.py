"""Run the public checks on a student's own folder: ``autograder check``, ``--watch``, the notebook.

Same graders, same sandbox as the instructors' grading; only the hidden checks
are left out. Each hands-on gets a sandbox of its own, all started at once, and
its checks run as soon as its sandbox has pre-loaded its libraries: the MIDI
checks (no torch) are done while the audio hands-ons' libraries still load.
Meanwhile this process imports pytest and the graders. A line per check as it
finishes, then a summary per hands-on.

On Linux with two cores or more, once no other sandbox is still loading, a hands-on's
checks are shared by two graders, this process and a forked one (as ``grade --jobs``
forks them, through ``forked.ForkedGrader``), each with a worker of its own from the same sandbox: whichever is free
takes the next check (see ``session.Shared``), and the lines are printed in the checks'
order. Encodec's 50 checks: 2.3 s -> 1.5 s.

``--watch`` keeps the sandboxes and runs a hands-on's checks again whenever its
file is saved, showing only what changed since the last run.
"""
from __future__ import annotations

import contextlib
import gc
import os
import select
import signal
import sys
import threading
from pathlib import Path

from rich.console import Console

from .client import StudentCode, TimePolicy
from .display import console_name, console_text, visible
from .forked import ForkedGrader
from .results import clean_text, module_scores
from .sandbox import Sandbox, SandboxError, detect_mode, weak_reason
from .submission import SubmissionError, load_submission

START_SECONDS = 180.0   # a sandbox that has not pre-loaded its libraries by then has failed


def _pytest_side():
    """The graders' pytest side (``session``), imported once the sandboxes are starting: it
    imports pytest and the plug-in, which the zygotes' start need not wait for."""
    from . import session
    return session


class Interrupted(Exception):
    """Ctrl-C during the checks (pytest catches KeyboardInterrupt; this survives it)."""


@contextlib.contextmanager
def _interruptible():
    """Ctrl-C stops the checks even inside pytest, which catches KeyboardInterrupt and returns."""
    # Signals go to the main thread only; a Ctrl-C that whoever started us ignores stays ignored.
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        yield
        return
    interrupted: list[bool] = []

    def on_interrupt(signum, frame):
        interrupted.append(True)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if interrupted:
        raise Interrupted()


class Checker:
    """One sandbox per hands-on, started together, kept for the re-runs of watch mode."""

    def __init__(self, modules: list[str], parts: int = 1):
        """``parts``: how many graders share each hands-on's checks (this process and forked
        ones); 1 in a notebook's kernel, whose threads a fork would not take along."""
        self.modules = list(modules)
        self.parts = max(1, parts)
        self.sandboxes: dict[str, Sandbox] = {}
        self.ready: set[str] = set()    # modules whose sandbox said it is ready
        self.stale: set[str] = set()    # modules whose sandbox failed to start: started anew when needed
        try:
            for module in self.modules:
                self.sandboxes[module] = Sandbox([module], wait=False, start_timeout=START_SECONDS)
            # While the zygotes import their libraries: pytest, the graders and what they import,
            # without the garbage collector (see the zygote), then frozen: pytest collects
            # garbage at the end of each session, and the graders' heap needs no walking.
            session = _pytest_side()
            gc.disable()
            try:
                with _interruptible():
                    session.import_graders(session.grader_files(self.modules, ("public",)))
            finally:
                gc.freeze()
                gc.enable()
        except BaseException:
            self.close()
            raise

    def in_ready_order(self, modules: list[str]):
        """``modules``, each as soon as its sandbox has started (or failed to)."""
        pending = list(modules)
        while pending:
            now = [m for m in pending if m in self.ready or m in self.stale]
            starting = {self.sandboxes[m].process.stdout: m for m in pending if m not in now}
            if not now:
                readable, _, _ = select.select(list(starting), [], [], START_SECONDS)
                # none in time: the first one's wait_ready says what went wrong
                now = [starting[stream] for stream in readable] or [pending[0]]
            for module in sorted(now, key=pending.index):
                pending.remove(module)
                yield module

    def _starting(self) -> int:
        """How many sandboxes are still loading their libraries."""
        waiting = [self.sandboxes[m].process.stdout for m in self.modules if m not in self.ready | self.stale]
        readable = select.select(waiting, [], [], 0)[0] if waiting else []
        return len(waiting) - len(readable)

    def sandbox(self, module: str) -> Sandbox:
        """The module's sandbox, ready; started again if its zygote died after it was ready
        (watch mode). One that failed to start raises :class:`SandboxError`, saying why."""
        sandbox = self.sandboxes[module]
        if module in self.stale or (module in self.ready and sandbox.process.poll() is not None):
            sandbox.close()
            self.ready.discard(module)
            sandbox = self.sandboxes[module] = Sandbox([module], start_timeout=START_SECONDS)
            self.stale.discard(module)
        try:
            sandbox.wait_ready()
        except SandboxError:
            self.stale.add(module)   # closed: the next run starts it anew
            raise
        self.ready.add(module)
        return sandbox

    def run(self, module: str, files: dict[str, bytes], on_result=None) -> list[dict]:
        """The public checks of ``module`` on ``files``: their result lines, in the graders' order
        (``on_result`` gets each in that order too, as soon as those before it are done).
        Raises :class:`SandboxError` or :class:`RuntimeError` when they could not run."""
        sandbox = self.sandbox(module)
        # Shared only when a core is free for it: not while other sandboxes still load their
        # libraries (then a second grader slows them, and the checks no less).
        parts = max(1, min(self.parts, cores() - self._starting()))
        shared = _pytest_side().Shared() if parts > 1 else None
        in_order = _InOrder(shared, on_result)
        forked = [ForkedGrader(lambda keep, slot=slot: _session(sandbox, module, files, keep, shared, slot)[1])
                  for slot in range(1, parts)]
        try:
            _, exit_code = _session(sandbox, module, files, lambda entry: in_order.add(entry, forked), shared)
            for grader in forked:
                exit_code = max(exit_code, grader_exit_code(grader))
            in_order.add(None, forked)
            for grader in forked:
                if grader.failure:
                    raise RuntimeError(f"the checks could not all run: a grader failed ({grader.failure})")
        finally:
            for grader in forked:
                grader.stop()
            if shared:
                shared.close()
        if exit_code not in (0, 1):
            raise RuntimeError(f"the checks of {module} could not run (pytest exit code {exit_code}). Are the "
                               f"public fixtures in place? (TAs: autograder fixtures regen)")
        return in_order.complete()

    def close(self) -> None:
        for sandbox in self.sandboxes.values():
            sandbox.close()

    def __enter__(self) -> "Checker":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _session(sandbox: Sandbox, module: str, files: dict[str, bytes], on_result, shared, slot: int = 0):
    """One pytest session of ``module``'s public checks in this process (those it takes of
    ``shared``), against a worker of its own (``slot``): (result lines, pytest exit code)."""
    session = _pytest_side()
    code = StudentCode(sandbox, files, slot=slot)
    try:
        with _interruptible():
            return session.run_graders(code, session.grader_files([module], ("public",)), output=session.SILENT,
                                       shared=shared, on_result=on_result)
    finally:
        code.close()


def grader_exit_code(grader: ForkedGrader) -> int:
    """A forked grader's pytest exit code once it has ended, within a whole grading's limit."""
    with _interruptible():
        status = grader.wait(TimePolicy().grading_limit())
    if status is None:
        raise RuntimeError("the checks could not all run: a grader did not end in time (stopped)")
    if not os.WIFEXITED(status):
        raise RuntimeError(f"the checks could not all run: a grader was killed by signal {os.WTERMSIG(status)}")
    return os.WEXITSTATUS(status)


class _InOrder:
    """The result lines of graders that share a session, passed on in the session's order."""

    def __init__(self, shared, on_result):
        self.shared, self.on_result = shared, on_result
        self.lines: dict[str, dict] = {}
        self.done: list[dict] = []

    def add(self, entry: dict | None, forked: list[ForkedGrader]) -> None:
        """One line of this process (or ``None``), and whatever the forked graders have made."""
        for line in ([entry] if entry else []) + [line for grader in forked for line in grader.new_lines()]:
            if not self.shared:
                self._pass(line)
            else:
                self.lines[line["extra_data"]["nodeid"]] = line
        while self.shared and len(self.done) < len(self.shared.order) \
                and self.shared.order[len(self.done)] in self.lines:
            self._pass(self.lines.pop(self.shared.order[len(self.done)]))

    def _pass(self, line: dict) -> None:
        self.done.append(line)
        if self.on_result:
            self.on_result(line)

    def complete(self) -> list[dict]:
        if self.shared and len(self.done) < len(self.shared.order):
            missing = self.shared.order[len(self.done)]
            raise RuntimeError(f"the checks could not all run: no result for {missing.split('::', 1)[-1]}")
        return self.done


def cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def default_parts() -> int:
    """Two graders share a hands-on's checks on a Linux machine with two cores or more (elsewhere,
    macOS, forking a process that has loaded system libraries is not safe: one grader)."""
    return 2 if sys.platform.startswith("linux") and cores() >= 2 else 1


def print_result(console: Console, entry: dict, mark: str | None = None) -> None:
    """One check: PASS/FAIL, points and its whole name on one line; what went wrong under it."""
    passed = entry["status"] == "passed"
    mark = mark or ("[green]PASS[/]" if passed else "[red]FAIL[/]")
    console.print(f"{mark} {entry['score']:g}/{entry['max_score']:g}  {console_name(entry['name'])}",
                  highlight=False, soft_wrap=True)
    if not passed and entry["output"]:
        console.print("      " + visible(entry["output"]).replace("\n", "\n      "), highlight=False, markup=False)


def print_summary(console: Console, results: list[dict], modules: list[str]) -> None:
    from .tables import Column, print_named_rows
    rows = []
    for module in modules:
        mine = [r for r in results if r["tags"][0] == module]
        if mine:
            score, maximum = module_scores(mine)[module]
            passed = sum(1 for r in mine if r["status"] == "passed")
            rows.append((module, [f"{passed}/{len(mine)}", f"{score:g}/{maximum:g}"]))
    print_named_rows(console, "Public checks", "hands-on", [Column("passed"), Column("points")], rows)


def _weak_note(console: Console) -> None:
    if detect_mode() == "weak":
        console.print(f"[yellow]Note: running without the strong sandbox ({weak_reason()}); "
                      f"fine for checking your own code.[/]")


def _run_all(checker: Checker, modules: list[str], files: dict[str, bytes], console: Console,
             on_result=None) -> tuple[dict[str, list[dict]], bool]:
    """Every module's checks, each as soon as its sandbox is ready: (results per module, all ran)."""
    by_module: dict[str, list[dict]] = {}
    complete = True
    with console.status("starting the sandbox (loading libraries)...") as status:
        for module in checker.in_ready_order(modules):
            status.update(f"checking {module}...")
            try:
                by_module[module] = checker.run(module, files, on_result)
            except (SandboxError, RuntimeError) as error:
                console.print(f"[red]{console_text(error)}[/]", highlight=False)
                complete = False
            status.update("waiting for the sandbox (loading libraries)...")
    return by_module, complete


def run_checks(path: Path, modules: list[str], console: Console) -> int:
    """Exit code: 0 when every public check passed, 1 otherwise, 130 on Ctrl-C."""
    try:
        submission = load_submission(path, modules)
    except SubmissionError as error:
        console.print(f"[red]{console_text(error)}[/]")
        return 1
    _weak_note(console)
    try:
        with Checker(modules, default_parts()) as checker:
            by_module, complete = _run_all(checker, modules, submission.files, console,
                                           lambda entry: print_result(console, entry))
    except (KeyboardInterrupt, Interrupted):
        console.print("[yellow]Stopped (Ctrl-C).[/]")
        return 130
    results = [r for module in modules for r in by_module.get(module, [])]
    print_summary(console, results, modules)
    for note in submission.notes:   # file names may hold markup, escapes or undecodable bytes
        console.print(f"[yellow]{console_text(clean_text(note, 2000))}[/]", highlight=False)
    console.print("Grading uses other inputs of the same checks (your own variant of them), and hidden "
                  "checks too; passing these is a good sign, not a guarantee.")
    return 0 if complete and results and all(r["status"] == "passed" for r in results) else 1


# ------------------------------------------------------------------ watch mode

def changes_between(before: list[dict], after: list[dict]) -> tuple[list[dict], list[dict]]:
    """(newly passing, newly failing) result lines of ``after``; a check that is new counts
    as newly passing or failing, as it came out."""
    earlier = {r["name"]: r["status"] for r in before}
    passing = [r for r in after if r["status"] == "passed" and earlier.get(r["name"]) != "passed"]
    failing = [r for r in after if r["status"] != "passed" and earlier.get(r["name"], "passed") == "passed"]
    return passing, failing


def summary_line(module: str, results: list[dict], passing: int, failing: int, first: bool = False) -> str:
    passed = sum(1 for r in results if r["status"] == "passed")
    score, maximum = module_scores(results).get(module, (0.0, 0.0))
    change = ("first run" if first else f"{passing} newly passing, {failing} newly failing" if passing or failing
              else "no change since the last run")
    return f"{module}: {passed}/{len(results)} checks pass, {score:g}/{maximum:g} points ({change})"


def saved_modules(changes, folder: Path, modules: list[str]) -> list[str]:
    """The hands-ons to check again: those whose file was saved; every one when another
    Python file of the folder changed (a helper module the student imports)."""
    names = {Path(path).name for _, path in changes}
    saved = [m for m in modules if f"{m}.py" in names]
    return saved or (modules if names else [])


def watch_checks(path: Path, modules: list[str], console: Console, stop_event=None) -> int:
    """Check, then check a hands-on again whenever its file in ``path`` is saved, printing
    what changed; until Ctrl-C (exit code 0) or ``stop_event`` is set."""
    import watchfiles
    path = Path(path)
    if not path.is_dir():
        console.print(f"[red]{console_text(path)} is not a folder[/]: --watch needs the folder with your modules.")
        return 1
    _weak_note(console)
    last: dict[str, list[dict]] = {}
    checked: dict[str, bytes | None] = {}   # module -> the file's content its last run checked

    def current(names: list[str]):
        try:
            return load_submission(path, names)
        except SubmissionError as error:
            console.print(f"[red]{console_text(error)}[/]")
            return None

    def check(names: list[str], full: bool) -> None:
        submission = current(names)
        if submission is None:
            return
        present = [m for m in names if m in submission.modules] or names
        checked.update({m: submission.files.get(f"{m}.py") for m in present})
        by_module, _ = _run_all(checker, present, submission.files, console,
                                (lambda entry: print_result(console, entry)) if full else None)
        for module in present:
            if module not in by_module:
                continue
            results = by_module[module]
            passing, failing = changes_between(last.get(module, []), results) if not full else ([], [])
            for entry in passing:
                print_result(console, entry, "[green]NOW PASSING[/]")
            for entry in failing:
                print_result(console, entry, "[red]NOW FAILING[/]")
            console.print(summary_line(module, results, len(passing), len(failing), first=full),
                          highlight=False, soft_wrap=True)
            last[module] = results

    try:
        with Checker(modules, default_parts()) as checker:
            check(modules, full=True)
            watching = False
            # An empty set every half second: the first says the watcher is in place (a file saved
            # after the notice is seen); the others let Ctrl-C and stop_event through promptly.
            for changes in watchfiles.watch(path, watch_filter=watchfiles.PythonFilter(), stop_event=stop_event,
                                            raise_interrupt=True, debounce=1000, step=100, rust_timeout=500,
                                            yield_on_timeout=True):
                saved = saved_modules(changes, path, modules)
                if not watching:
                    watching = True
                    now = current(modules)   # saved while the first run ran, before the watcher was there
                    saved += [m for m in modules if now and m not in saved
                              and now.files.get(f"{m}.py") != checked.get(m)]
                    files = ", ".join(f"{m}.py" for m in modules)
                    console.print(f"Watching {console_text(path)} ({files}): save a file to check it again; "
                                  f"Ctrl-C to stop.", highlight=False, soft_wrap=True)
                if saved:
                    console.rule(f"{', '.join(f'{m}.py' for m in saved)} saved", style="dim")
                    check([m for m in modules if m in saved], full=False)
    except (KeyboardInterrupt, Interrupted):
        pass
    with contextlib.suppress(Exception):
        console.print("Stopped watching.")
    return 0


# ------------------------------------------------------------------ from a notebook

_RESULTS: dict[tuple[str, str], dict[str, dict]] = {}   # (module, content hash) -> test -> result line


def _student_folder(module: str) -> Path:
    """Where the student's ``<module>.py`` is: ./assignments from the repository, or here."""
    for folder in (Path("assignments"), Path(".")):
        if (folder / f"{module}.py").is_file():
            return folder
    raise FileNotFoundError(f"no {module}.py in ./assignments or in the current folder")


def public_results(module: str, folder: Path | None = None) -> dict[str, dict]:
    """Every public check of ``module`` on the student's file, run once per version of
    the file: ``{"test_name[case]": result line}``."""
    submission = load_submission(folder or _student_folder(module), [module])
    key = (module, submission.digest)
    if key not in _RESULTS:
        with Checker([module]) as checker:
            results = checker.run(module, submission.files)
        _RESULTS[key] = {r["extra_data"]["nodeid"].split("::", 1)[1]: r for r in results}
    return _RESULTS[key]


def public_check(module: str, test: str) -> None:
    """One public check, as an assertion (what the notebook's ``grader.check`` runs)."""
    result = public_results(module)[test]
    assert result["status"] == "passed", result["output"]
