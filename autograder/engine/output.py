"""A batch's output folder: a folder per submission and what is said when it cannot be written.

Shared by the batch (which keeps the books) and its pools (which write each submission's
results.json): where each file goes, what a grading that did not finish leaves, and
:class:`OutputError`, which stops the batch.
"""
from __future__ import annotations

import contextlib
import json
import re
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from .results import build_results, clean_text, valid_results, write_atomic
from .session import variant_info
from .submission import Submission

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
def output_errors(out_dir: Path):
    try:
        yield
    except (OSError, sqlite3.Error) as error:
        reason = with_free_space(getattr(error, "strerror", None) or str(error), out_dir)
        raise OutputError(f"cannot write the results in {out_dir}: {reason}") from None


def with_free_space(reason: str, out_dir: Path) -> str:
    """SQLite reports a full disk as a "disk I/O error" when even its journal cannot be written:
    say that the disk is full when next to nothing is free."""
    try:
        free = shutil.disk_usage(out_dir).free
    except OSError:
        return reason
    if free < 1 << 20 and "No space left" not in reason and "full" not in reason:
        return f"{reason} (the disk is full: {free // 1024} KiB free)"
    return reason


def check_writable(out_dir: Path) -> None:
    """Raises OSError when ``out_dir`` cannot take a file."""
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


def clear_target(out_dir: Path, name: str) -> Path:
    """``out_dir/name``, made, without a previous run's results: never read as this run's."""
    target = out_dir / name
    with output_errors(out_dir):
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


def partial_lines(path: Path) -> list[dict]:
    """The whole result lines a grader wrote to its ``PARTIAL`` file before it stopped."""
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
