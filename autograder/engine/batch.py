"""Grade a batch of submissions into an output folder and keep its books.

Reads the submissions (one that cannot be read gets a results.json saying why), gives each
its variant, takes what the gradebook already has, hands the rest to a pool (``pools``) and
records what comes back: each results.json, the gradebook, then grades.csv and (``--html``)
the reports. The pool decides where grading runs; the books are kept here for all pools.
"""
from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Callable

from . import variants
from .gradebook import Gradebook
from .options import Options
from .output import Graded, check_writable, is_incomplete, output_errors, output_name
from .pools import make_pool
from .results import failed_results, grades_csv, write_atomic, write_results
from .session import maxima
from .submission import Submission, SubmissionError, load_submission

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
    and the gradebook ``out_dir/gradebook.sqlite``. Raises :class:`~.output.OutputError` when
    the output folder cannot be written; grades.csv is then not written."""
    out_dir = Path(out_dir)
    with output_errors(out_dir):
        out_dir.mkdir(parents=True, exist_ok=True)
        check_writable(out_dir)
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
            with output_errors(out_dir):
                write_results(out_dir / name / "results.json", results)
            done(Graded(name, str(path), results, student=options.roster.get(name, name)))
            continue
        sub.name = _unique(sub.name, seen)
        order[sub.name] = index
        subs.append(sub)
    assign_variants(subs, options)
    with output_errors(out_dir):
        book = Gradebook(out_dir / "gradebook.sqlite", options.scope)
        book.start_run(len(paths))
    pending = []
    for sub in subs:
        earlier = None if options.regrade else book.lookup(sub.name, sub.digest, sub.variant)
        if earlier is None:
            pending.append(sub)
            continue
        target = out_dir / sub.name / "results.json"
        with output_errors(out_dir):
            if not target.exists() or json.loads(target.read_text()) != earlier:
                write_results(target, earlier)
        done(Graded(sub.name, sub.source, earlier, sub.digest, options.roster.get(sub.name, sub.name), True))
    if pending:
        hidden = [Path(p).resolve() for p in paths] + [out_dir.resolve()]
        with contextlib.closing(make_pool(options)) as pool:
            pool.start(hidden)
            # Collecting the graders here imports them (and hypothesis, fixtures...) in the
            # parent while the zygote imports its own: every forked grader starts with them.
            points = maxima(options.modules, options.visibilities, options.public_weight)
            # Closing the pool on any error stops the gradings still running.
            with contextlib.closing(pool.grade(pending, out_dir)) as items:
                for item in items:
                    item.student = options.roster.get(item.name, item.name)
                    if not is_incomplete(item.results):
                        with output_errors(out_dir):
                            book.record(item.name, item.student, item.digest, item.results)
                    done(item)
    if not pending:
        points = maxima(options.modules, options.visibilities, options.public_weight)
    graded.sort(key=lambda g: order.get(g.name, len(order)))   # the table in the order given
    with output_errors(out_dir):
        book.finish_run(graded=len(pending), skipped=len(subs) - len(pending))
        book.close()
        write_atomic(out_dir / "grades.csv", grades_csv(
            [{"name": g.name, "student": g.student, "results": g.results, "digest": g.digest} for g in graded],
            points))
        if options.html:   # after grades.csv: pictures of student data never delay it
            from .report import write_reports
            write_reports(out_dir, graded, points)
    return graded
