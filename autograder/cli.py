"""``autograder``: grade, check, demo, fixtures, rubric (SPEC section 6)."""
from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console

from .engine import handsons
from .engine.display import console_name, console_text

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Auto-grader for the hands-ons of 'Representation learning for music'.")
fixtures_app = typer.Typer(no_args_is_help=True, help="TA side: make and verify the fixtures.")
# Instructor and TA commands need the references; the student release has none.
INSTRUCTOR = handsons.SOLUTIONS_DIR.is_dir()
instructor_command = app.command if INSTRUCTOR else (lambda *a, **k: (lambda f: f))
if INSTRUCTOR:
    app.add_typer(fixtures_app, name="fixtures")
console = Console()
GRADESCOPE_ROOT = Path(os.environ.get("AG_GRADESCOPE_ROOT", "/autograder"))   # overridable for tests


def _modules(module: Optional[str]) -> list[str]:
    if module is None:
        return handsons.names()
    if module not in handsons.names():
        console.print(f"[red]Unknown module {module!r}[/]; choose one of: {', '.join(handsons.names())}")
        raise typer.Exit(2)
    return [module]


def print_scores(out: Console, rows, modules: list[str], maxima: dict[str, float], title: str) -> None:
    """The score table; every submission's name whole on one line, at any width (see engine/tables)."""
    from .engine.results import module_scores
    from .engine.tables import Column, print_named_rows
    columns = [*(Column(m, justify="right") for m in modules), Column("total", justify="right", style="bold"),
               Column("note", free_text=True)]
    table_rows = []
    for row in rows:
        scores = module_scores(row.results.get("tests", []))
        cells = [f"{scores.get(m, (0.0, 0.0))[0]:g} / {maxima[m]:g}" for m in modules]
        extra = row.results.get("extra_data", {})
        note = extra.get("error") or (f"{extra['grader_errors']} grader errors" if extra.get("grader_errors") else "")
        table_rows.append((row.name, [*cells, f"{row.results['score']:g} / {sum(maxima.values()):g}",
                                      console_text(str(note))]))
    print_named_rows(out, title, "submission", columns, table_rows)


@instructor_command()
def grade(paths: List[Path] = typer.Argument(None, help="Submission folders or .zip files."),
          out: Path = typer.Option(Path("out"), "--out", help="Where results go."),
          jobs: int = typer.Option(1, "--jobs", min=1, max=256, help="Submissions graded in parallel (locally)."),
          scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Grade on the Dask cluster of this "
                                                  "scheduler (tcp://HOST:PORT, or tls://HOST:PORT with the "
                                                  "certificates in Dask's configuration) instead of locally."),
          module: Optional[str] = typer.Option(None, "--module", help="Grade only this hands-on."),
          gradescope: bool = typer.Option(False, "--gradescope", help="Read /autograder/submission, "
                                          "write /autograder/results/results.json."),
          allow_weak_sandbox: bool = typer.Option(False, "--allow-weak-sandbox",
                                                  help="Grade even where the strong sandbox is unavailable."),
          regrade: bool = typer.Option(False, "--regrade", help="Grade again what the gradebook already has, and "
                                       "show whose scores change and why (OUT/regrade_impact.json); the gradebook "
                                       "keeps the earlier grading too."),
          dry_run: bool = typer.Option(False, "--dry-run", help="Regrade in a temporary folder and show whose "
                                       "scores would change, by how much, on which checks and why, against the "
                                       "gradebook in OUT; write nothing."),
          call_floor: float = typer.Option(10.0, "--call-timeout-floor", min=0.1,
                                           help="Seconds a call may take at least (more where the reference "
                                                "is slow)."),
          budget: float = typer.Option(240.0, "--budget", min=1.0,
                                       help="Seconds of calls one submission may use in all."),
          roster: Optional[Path] = typer.Option(None, "--roster", help="CSV with columns submission,student."),
          html: bool = typer.Option(False, "--html", help="Also write OUT/index.html and OUT/<name>/report.html "
                                    "(pictures and audio for the public checks)."),
          public_weight: float = typer.Option(1.0, "--public-weight", min=0.0,
                                              help="What the public checks' points count: 0 grades on the hidden "
                                                   "checks only (students could see the public ones)."),
          course_secret: Optional[Path] = typer.Option(None, "--course-secret", help="The file of the course "
                                                       "secret that assigns grading variants (default: "
                                                       "$AUTOGRADER_COURSE_SECRET_FILE, else .course-secret)."),
          variant: Optional[int] = typer.Option(None, "--variant", min=0, help="Grade every submission on this "
                                                "variant of the fixtures (0: the shipped ones) instead of each "
                                                "student's own: for comparing variants, not for grades.")):
    """Grade submissions: OUT/<name>/results.json and OUT/grades.csv. Exit 0 when grading completed."""
    from .engine.cluster import ClusterError, SandboxRefused
    from .engine.batch import grade_batch
    from .engine.options import Options
    from .engine.output import OutputError, is_incomplete
    from .engine.session import maxima
    from .engine.sandbox import SandboxError, detect_mode, weak_reason
    if dry_run and gradescope:
        console.print("[red]--dry-run compares with a batch's gradebook[/]: it takes no --gradescope.")
        raise typer.Exit(2)
    if gradescope and scheduler:
        console.print("[red]--gradescope grades here[/]: it takes no --scheduler.")
        raise typer.Exit(2)
    # On a cluster, student code runs on the workers: each of them makes this check.
    if not scheduler and detect_mode() == "weak" and not allow_weak_sandbox:
        _refuse_weak(weak_reason())
    if not scheduler and detect_mode() == "weak":
        console.print(f"[yellow]Grading WITHOUT the strong sandbox ({weak_reason()}): student code runs "
                      f"unconfined; every results.json says so.[/]")
    if gradescope:
        paths, out = [GRADESCOPE_ROOT / "submission"], Path(tempfile.mkdtemp(prefix="ag-gradescope-"))
    if not paths:
        console.print("[red]Nothing to grade[/]: give submission folders or zips.")
        raise typer.Exit(2)
    from .engine.gradebook import read_roster
    from .engine.client import TimePolicy
    from .engine import impact, variants
    students = read_roster(roster)
    if gradescope:
        students = {"submission": gradescope_student(GRADESCOPE_ROOT / "submission_metadata.json")}
    if variant is not None and variant > variants.read_term().count:
        console.print(f"[red]No variant {variant}[/]: this term has {variants.read_term().count}.")
        raise typer.Exit(2)
    options = Options(modules=_modules(module), jobs=jobs, regrade=regrade or dry_run, roster=students,
                      html=html and not dry_run,
                      time_policy=TimePolicy(floor_seconds=call_floor, budget_seconds=budget),
                      public_weight=public_weight, scheduler=scheduler, allow_weak=allow_weak_sandbox,
                      course_secret=None if variant is not None else _course_secret(course_secret),
                      variant=variant)
    previous = impact.previous_results(out / "gradebook.sqlite", options.scope) if options.regrade else {}
    published = out
    if dry_run:   # graded in a folder of its own, removed however the command ends
        import atexit
        import shutil
        out = Path(tempfile.mkdtemp(prefix="ag-dry-run-"))
        atexit.register(shutil.rmtree, out, True)
    started = time.monotonic()

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, \
        TimeRemainingColumn
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("ETA"), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("grading", total=len(paths))

        def progress(done) -> None:
            note = " (unchanged: from the gradebook)" if done.skipped else ""
            bar.console.print(f"  {console_name(done.name)}: {done.results['score']:g}{note}", highlight=False,
                              soft_wrap=True)
            bar.advance(task)

        try:
            graded = grade_batch([str(p) for p in paths], out, options, on_done=progress)
        except OutputError as error:
            if html and (out / "grades.csv").exists():   # only the HTML report could not be written
                console.print(f"[red]The HTML report could not be written: {console_text(error)}.[/] grades.csv "
                              f"is complete. Make room or choose another --out, then run the same command "
                              f"again.", highlight=False)
                raise typer.Exit(5)
            console.print(f"[red]Grading stopped: {console_text(error)}.[/] No grades.csv was written: the "
                          f"batch is incomplete. Make room or choose another --out, then run the same "
                          f"command again (what was graded is kept in the gradebook).", highlight=False)
            raise typer.Exit(5)
        except SandboxError as error:
            console.print(f"[red]The sandbox could not start[/]: {console_text(str(error))}", highlight=False)
            raise typer.Exit(3)
        except SandboxRefused as error:
            _refuse_weak(error.reason)
        except ClusterError as error:
            console.print(f"[red]Grading stopped: {console_text(str(error))}.[/] No grades.csv was written: the batch "
                          f"is incomplete. Start the scheduler and its workers (see the README), then run the "
                          f"same command again (what was graded is kept in the gradebook).", highlight=False)
            raise typer.Exit(6)
    if options.regrade:
        changes = impact.compare(previous, {g.name: g.results for g in graded}, {g.name: g.student for g in graded})
        impact.print_impact(console, changes, dry_run)
        if dry_run:
            console.print(f"Dry run: nothing written in {published}.")
            if any(g.results.get("extra_data", {}).get("grader_errors") or is_incomplete(g.results) for g in graded):
                raise typer.Exit(4)
            return
        impact.write(out / "regrade_impact.json", changes)
    if gradescope:
        from .engine.results import write_atomic
        write_atomic(GRADESCOPE_ROOT / "results" / "results.json",
                     (out / graded[0].name / "results.json").read_bytes())
    print_scores(console, graded, options.modules, maxima(options.modules, public_weight=public_weight), "Scores")
    flagged = [g for g in graded if g.results.get("extra_data", {}).get("review")]
    if flagged:
        from .engine.results import review_text
        console.print(f"[yellow]{len(flagged)} submission(s) to review[/] (the review column of grades.csv):")
        for g in flagged:
            console.print(f"  {console_name(g.name)}: {console_text(review_text(g.results))}", highlight=False)
    console.print(f"{len(graded)} submission(s) in {time.monotonic() - started:.1f} s; "
                  f"results in {out}/<name>/results.json and {out}/grades.csv"
                  + (f"; HTML report: {out}/index.html" if html else ""))
    errors = sum(g.results.get("extra_data", {}).get("grader_errors", 0) for g in graded)
    incomplete = [g.name for g in graded if is_incomplete(g.results)]
    if incomplete:
        console.print(f"[red]{len(incomplete)} submission(s) not graded completely[/] (the grader crashed or "
                      f"ran out of time: {', '.join(map(console_name, incomplete[:10]))}); their results say why, and "
                      f"running the command again grades them again.", highlight=False)
    if errors:
        console.print(f"[red]{errors} grader error(s)[/]: grading did not complete properly; see the results.")
    if errors or incomplete:
        raise typer.Exit(4)


def gradescope_student(path: Path) -> str:
    """The student id Gradescope gives a submission: its users' ids (a group's, sorted)."""
    import json
    try:
        users = json.loads(path.read_text()).get("users") or []
        ids = sorted(str(user["id"]) for user in users if user.get("id") is not None)
    except (OSError, ValueError, AttributeError, TypeError, KeyError):
        ids = []
    if not ids:
        console.print(f"[red]No student id in {path}[/]: cannot choose the grading variant.")
        raise typer.Exit(2)
    return ",".join(ids)


def _course_secret(given: Optional[Path]) -> Path:
    """The course secret's file, made (with a message) the first time."""
    from .engine import variants
    path = variants.secret_path(given)
    if not path.exists():
        variants.make_secret(path)
        console.print(f"Made the course secret {console_text(str(path))}: it decides which variant of the fixtures "
                      f"each student is graded on. Keep it (regrades need it) and never publish it.",
                      highlight=False)
    return path


@instructor_command("secret")
def secret_command(path: Optional[Path] = typer.Option(None, "--path", help="Where (default: "
                                                       "$AUTOGRADER_COURSE_SECRET_FILE, else .course-secret)."),
          variant: Optional[int] = typer.Option(None, "--variant", min=0, help="Grade every submission on this "
                                                "variant of the fixtures (0: the shipped ones) instead of each "
                                                "student's own: for comparing variants, not for grades.")):
    """Make the course secret that assigns each student a grading variant (kept, never overwritten)."""
    from .engine import variants
    target = variants.secret_path(path)
    if target.exists():
        console.print(f"The course secret {console_text(str(target))} exists; kept as it is (a new one would move "
                      f"every student to another variant).", highlight=False)
        return
    _course_secret(target)


def _refuse_weak(reason: str) -> None:
    console.print(f"[red]Refusing to grade: the strong sandbox is not available ({console_text(reason)}).[/] "
                  f"Student code would run unconfined. Use --allow-weak-sandbox to grade anyway "
                  f"(the results will say so).", highlight=False)
    raise typer.Exit(3)


@app.command()
def check(module: Optional[str] = typer.Argument(None, help="One hands-on (default: all)."),
          path: Path = typer.Option(Path("assignments"), "--path", help="Folder with your modules."),
          watch: bool = typer.Option(False, "--watch", help="Keep running: check a hands-on again each time "
                                     "its file is saved, showing what changed. Ctrl-C stops.")):
    """Student side: run the public checks on your code in ./assignments."""
    from .engine.checks import run_checks, watch_checks
    raise typer.Exit((watch_checks if watch else run_checks)(path, _modules(module), console))


@instructor_command()
def demo(out: Path = typer.Option(Path("out/demo"), "--out")):
    """Grade the bundled examples (reference, partial, untouched) and print the table."""
    from .engine.batch import grade_batch
    from .engine.options import Options
    from .engine.session import maxima
    from .engine.sandbox import detect_mode, weak_reason
    examples = [handsons.SOLUTIONS_DIR, handsons.REPO_ROOT / "examples" / "partial", handsons.STUBS_DIR]
    if detect_mode() == "weak":
        console.print(f"[yellow]Note: no strong sandbox here ({weak_reason()}); the demo runs unconfined.[/]")
    options = Options()
    names = {str(handsons.SOLUTIONS_DIR): "reference (solutions/)",
             str(handsons.REPO_ROOT / "examples" / "partial"): "partial (examples/partial/)",
             str(handsons.STUBS_DIR): "untouched stubs (assignments/)"}
    started = time.monotonic()
    graded = grade_batch([str(p) for p in examples], out, options)
    for g in graded:
        g.name = names.get(g.source, g.name)
    print_scores(console, graded, options.modules, maxima(options.modules), "Demo: the bundled submissions")
    console.print(f"Graded in {time.monotonic() - started:.1f} s; per-test feedback in {out}/<name>/results.json")


@instructor_command("report")
def report_command(results_dir: Path = typer.Argument(..., help="A batch's output folder (autograder grade --out)."),
                   html: bool = typer.Option(False, "--html", help="Also write RESULTS_DIR/class_report.html.")):
    """What the class got wrong: per hands-on, each check's pass rate, the known mistakes (how many
    students, which checks), what hidden checks caught, unrecognised failures, review flags.
    Writes RESULTS_DIR/class_report.json and mistakes.csv (schema: docs/instructors.md)."""
    from .engine import class_report
    if not any(Path(results_dir).glob("*/results.json")):
        console.print(f"[red]No results in {console_text(str(results_dir))}[/]: give the --out folder of a batch.")
        raise typer.Exit(2)
    report = class_report.write(results_dir, html=html)
    for module, part in report["handsons"].items():
        console.print(f"[bold]{module}[/]: {part['students']} student(s), mean {part['mean_score']:g} / "
                      f"{part['max_score']:g}")
        for check in part["checks"]:
            console.print(f"  {console_text(check['check'])} ({check['visibility']}): {check['pass_rate']:.0%} passed, "
                          f"mean {check['mean_points']:g} / {check['max_points']:g}", highlight=False)
        for mistake in part["mistakes"]:
            console.print(f"  {console_text(mistake['id'])}: {mistake['students']} student(s), cost "
                          f"{console_text(', '.join(mistake['checks']))}"
                          + (f"; {mistake['hidden_only']} caught by hidden checks only" if mistake["hidden_only"]
                             else ""), highlight=False)
        for group in part["unrecognised"]:
            console.print(f"  unrecognised: {console_text(group['check'])} ({group['visibility']}, "
                          f"{console_text(group['kind'])}): {group['students']} student(s)", highlight=False)
        for flag in part["review"]:
            console.print(f"  [yellow]review[/] {console_name(flag['submission'])}: {console_text(flag['message'])}",
                          highlight=False)
    written = "class_report.json, mistakes.csv" + (", class_report.html" if html else "")
    console.print(f"wrote {written} in {console_text(str(results_dir))}", highlight=False)


@app.command("rubric")
def rubric_command(markdown: bool = typer.Option(False, "--markdown", help="A Markdown table (for the README).")):
    """Points per hands-on and per test group."""
    from rich.table import Table
    from .engine.session import rubric, rubric_markdown
    if markdown:
        typer.echo(rubric_markdown(), nl=False)
        return
    table = Table(title="Rubric")
    for column in ("hands-on", "visibility", "test", "cases", "points"):
        table.add_column(column)
    total = 0.0
    for row in rubric():
        table.add_row(row["module"], row["visibility"], row["test"], str(row["cases"]), f"{row['points']:g}")
        total += row["points"]
    console.print(table)
    console.print(f"total: {total:g} points")


@instructor_command("rules")
def rules_command(write: bool = typer.Option(False, "--write", help="Write autograder/handsons/<name>/RULES.md.")):
    """Each docstring rule and the public and hidden checks that exercise it."""
    from .engine.rules import problems, table_markdown, write_tables
    if write:
        for path in write_tables():
            console.print(f"wrote {path.relative_to(handsons.REPO_ROOT)}")
    else:
        for name in handsons.names():
            typer.echo(table_markdown(name))
    found = [line for name in handsons.names() for line in problems(name)]
    for line in found:
        console.print(f"[red]{console_text(line)}[/]", highlight=False)
    if found:
        raise typer.Exit(1)


@instructor_command("similarity")
def similarity(paths: List[Path] = typer.Argument(..., help="Submission folders or .zip files."),
               out: Path = typer.Option(Path("similarity.html"), "--out", help="The HTML report."),
               threshold: float = typer.Option(0.33, "--threshold", help="Show pairs above this similarity.")):
    """Code similarity across submissions (module against module, the stub's code excluded)."""
    from rich.table import Table
    from .similarity import similarity_report
    pairs, problems = similarity_report([str(p) for p in paths], out, threshold)
    for line in problems:
        console.print(f"[yellow]skipped[/] {console_text(line)}")
    table = Table(title=f"Most similar pairs (above {threshold:g})")
    for column in ("file", "other file", "share of file copied", "share of other"):
        table.add_column(column)
    for a, b, first, second in pairs[:20]:
        table.add_row(console_name(first), console_name(second), f"{a:.0%}", f"{b:.0%}")
    console.print(table)
    console.print(f"{len(pairs)} pair(s) above the threshold; report: {out}")


@instructor_command("otter-tests")
def otter_tests():
    """Regenerate the notebook's otter checks (assignments/checks/) from the public checks."""
    from .engine.otter import write_otter_tests
    for path in write_otter_tests():
        console.print(f"wrote {path.relative_to(handsons.REPO_ROOT)}")


@instructor_command("release")
def release(outdir: Path = typer.Argument(..., help="An empty or new folder.")):
    """Build the student release: stubs, provided code, public checks and fixtures, notebook, README."""
    from .packaging import build_release
    try:
        names = build_release(outdir)
    except (RuntimeError, FileExistsError) as error:
        console.print(f"[red]Release not written:[/] {console_text(str(error))}")
        raise typer.Exit(1)
    console.print(f"wrote {len(names)} files to {outdir}; checked: no reference, hidden check or hidden "
                  f"fixture in it (by name and by content)")


@instructor_command("gradescope")
def gradescope_zip(output: Path = typer.Argument(..., help="The zip to write, e.g. autograder.zip."),
                   course_secret: Optional[Path] = typer.Option(None, "--course-secret",
                                                                help="The course secret's file (see `grade`).")):
    """Build the Gradescope autograder zip (setup.sh, run_autograder, the grader's sources, every
    grading variant of the fixtures and the course secret that assigns them)."""
    from .packaging import build_gradescope_zip
    names = build_gradescope_zip(output, _course_secret(course_secret))
    console.print(f"wrote {output} ({len(names)} files, {output.stat().st_size / 1e6:.1f} MB): upload it as "
                  f"a Gradescope programming assignment's autograder (Ubuntu base image).")


@fixtures_app.command("regen")
def fixtures_regen(module: Optional[str] = typer.Argument(None),
                   term: Optional[str] = typer.Option(None, "--term", help="A new term's name: fresh grading "
                                                      "variants (new seeds and inputs), so nothing of an earlier "
                                                      "term's is worth anything. Regenerates every hands-on."),
                   count: Optional[int] = typer.Option(None, "--variants", min=1, max=64,
                                                       help="How many grading variants (K; default: the term's).")):
    """Regenerate the fixtures of every hands-on (or one) from its recipe and the reference:
    the shipped ones and every grading variant (fixtures/<module>/variants/<k>/)."""
    from .engine import variants
    from .engine.fixtures import RecipeError, regenerate
    stored = variants.read_term()
    chosen = variants.Term(term or stored.name, count or stored.count)
    if chosen != stored and module is not None:
        console.print("[red]A new term or number of variants regenerates every hands-on[/]: give no module.")
        raise typer.Exit(2)
    for name in _modules(module):
        started = time.monotonic()
        try:
            files = regenerate(name, term=chosen)
        except RecipeError as error:
            console.print(f"[red]Not regenerated:[/] {console_text(str(error))}. The stored {name} fixtures are "
                          f"unchanged.", highlight=False)
            raise typer.Exit(1)
        console.print(f"{name}: {len(files)} files in {time.monotonic() - started:.1f} s")
    console.print(f"term {console_text(chosen.name)}: {chosen.count} grading variants")


@fixtures_app.command("verify")
def fixtures_verify(module: Optional[str] = typer.Argument(None),
                    numbers: Optional[str] = typer.Option(None, "--variants", help="Only these grading "
                                                          "variants, e.g. 1,2 (the shipped fixtures always; "
                                                          "default: every variant).")):
    """Regenerate into a temporary folder and compare with the stored files and the manifest:
    identical, equivalent (float drift far inside the graders' tolerance) or different."""
    from .engine.fixtures import RecipeError, describe_machine, verify
    started = time.monotonic()
    try:
        chosen = None if numbers is None else {int(n) for n in numbers.split(",") if n.strip()}
    except ValueError:
        console.print(f"[red]--variants takes numbers separated by commas[/], not {console_text(numbers)}.")
        raise typer.Exit(2)
    try:
        report = verify(_modules(module), numbers=chosen)
    except RecipeError as error:
        console.print(f"[red]Cannot verify:[/] {console_text(str(error))}.", highlight=False)
        raise typer.Exit(1)
    for check in report.files:
        if check.status != "identical":
            mark = "[yellow]EQUIVALENT[/]" if check.status == "equivalent" else "[red]DIFFERENT[/]"
            console.print(f"{mark} {console_text(check.name)}: {console_text(check.detail)}", highlight=False)
    for bound in report.bounds.values():
        console.print(f"  drift bound, {console_text(bound)}", highlight=False)
    for name, made_on in report.made_on.items():
        console.print(f"{name}: made on {console_text(describe_machine(made_on)) if made_on else 'an unrecorded machine'}",
                      highlight=False)
    console.print(f"verified on {console_text(describe_machine(report.verified_on))}", highlight=False)
    for name, moved in (report.versions or {}).items():
        libraries = ", ".join(f"{lib} {old} -> {new}" for lib, (old, new) in moved.items())
        console.print(f"{name}: made with other library versions than installed here: {console_text(libraries)}",
                      highlight=False)
    counts = (f"{report.count('identical')} identical, {report.count('equivalent')} equivalent (float drift within "
              f"its bound), {report.count('different')} different")
    if report.problems:
        console.print(f"[red]{counts}[/]: regenerate with `autograder fixtures regen` if the change is intended.")
        raise typer.Exit(1)
    note = " Only float rounding differs: fine." if report.count("equivalent") else ""
    console.print(f"fixtures are current: {counts} ({time.monotonic() - started:.1f} s).{note}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
