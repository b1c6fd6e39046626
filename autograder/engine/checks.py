"""``autograder check``: the public checks on a student's own folder, in-process.

Same graders, same sandbox as the instructors' grading; only the hidden checks
are left out. A line per check as it finishes, then a summary per hands-on.
"""
from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .client import StudentCode
from .plugin import GradingPlugin
from .results import clean_text, module_scores
from .runner import SILENT, grader_files, run_graders
from .sandbox import Sandbox, detect_mode, weak_reason
from .submission import SubmissionError, load_submission


def run_checks(path: Path, modules: list[str], console: Console) -> int:
    """Exit code: 0 when every public check passed, 1 otherwise."""
    try:
        submission = load_submission(path, modules)
    except SubmissionError as error:
        console.print(f"[red]{error}[/]")
        return 1
    if detect_mode() == "weak":
        console.print(f"[yellow]Note: running without the strong sandbox ({weak_reason()}); "
                      f"fine for checking your own code.[/]")
    files = grader_files(modules, ("public",))
    with console.status("starting the sandbox (loading libraries)...") as status:
        with Sandbox(modules) as sandbox:
            code = StudentCode(sandbox, submission.files)
            done = [0]

            def show(entry: dict) -> None:
                done[0] += 1
                passed = entry["status"] == "passed"
                mark = "[green]PASS[/]" if passed else "[red]FAIL[/]"
                console.print(f"{mark} {entry['score']:g}/{entry['max_score']:g}  {escape(entry['name'])}",
                              highlight=False)
                if not passed and entry["output"]:
                    console.print("      " + entry["output"].replace("\n", "\n      "), highlight=False,
                                  markup=False)
                status.update(f"checking... {done[0]} done")

            status.update("checking...")
            plugin = GradingPlugin(code, on_result=show)
            results, exit_code = run_graders(code, files, output=SILENT, plugin=plugin)
            code.close()
    if exit_code not in (0, 1):
        console.print(f"[red]The checks could not run (pytest exit code {exit_code}).[/] Are the public "
                      f"fixtures in place? (TAs: autograder fixtures regen)")
        return 1
    table = Table(title="Public checks")
    for column in ("hands-on", "passed", "points"):
        table.add_column(column)
    for module, (score, maximum) in module_scores(results).items():
        passed = sum(1 for r in results if r["tags"][0] == module and r["status"] == "passed")
        total = sum(1 for r in results if r["tags"][0] == module)
        table.add_row(module, f"{passed}/{total}", f"{score:g}/{maximum:g}")
    console.print(table)
    for note in submission.notes:   # file names may hold markup or undecodable bytes
        console.print(f"[yellow]{escape(clean_text(note, 2000))}[/]", highlight=False)
    console.print("Hidden checks run when your submission is graded; passing these is a good sign, "
                  "not a guarantee.")
    return 0 if results and all(r["status"] == "passed" for r in results) else 1


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
        with Sandbox([module]) as sandbox:
            code = StudentCode(sandbox, submission.files)
            results, exit_code = run_graders(code, grader_files([module], ("public",)), output=SILENT)
            code.close()
        if exit_code not in (0, 1):
            raise RuntimeError(f"the public checks of {module} could not run (pytest exit code {exit_code})")
        _RESULTS[key] = {r["extra_data"]["nodeid"].split("::", 1)[1]: r for r in results}
    return _RESULTS[key]


def public_check(module: str, test: str) -> None:
    """One public check, as an assertion (what the notebook's ``grader.check`` runs)."""
    result = public_results(module)[test]
    assert result["status"] == "passed", result["output"]
