"""What a regrade changes: each submission's score and result lines against the gradebook.

Against the gradebook's latest grading of each submission (in the same scope), with the old
and the new message of each line that moved.

``autograder grade --regrade --dry-run`` grades into a temporary folder and shows this without
writing anything; ``--regrade`` shows it too, writes it as ``regrade_impact.json``, and the
gradebook keeps the earlier grading next to the new one.
"""
from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
from pathlib import Path

from .results import write_atomic

SAME = 1e-6   # points closer than this are the same score


def previous_results(gradebook: Path, scope: str) -> dict[str, dict]:
    """name -> results of the latest grading of each submission in ``gradebook`` in ``scope``, read
    from a copy: a dry run writes nothing there (SQLite opens even a read-only WAL database with
    files beside it)."""
    gradebook = Path(gradebook)
    if not gradebook.exists():
        return {}
    with tempfile.TemporaryDirectory(prefix="ag-gradebook-") as folder:
        for suffix in ("", "-wal"):   # the log holds what a running batch has not checkpointed yet
            if Path(f"{gradebook}{suffix}").exists():
                shutil.copyfile(f"{gradebook}{suffix}", Path(folder) / f"gradebook.sqlite{suffix}")
        db = sqlite3.connect(Path(folder) / "gradebook.sqlite")
        try:
            rows = db.execute("SELECT submission, results FROM gradings WHERE scope=? ORDER BY id",
                              (scope,)).fetchall()
        finally:
            db.close()
    return {name: json.loads(results) for name, results in rows}   # the latest of each wins


def _line_key(test: dict) -> str:
    return str(test.get("extra_data", {}).get("nodeid") or test.get("name", ""))


def _side(test: dict | None) -> dict | None:
    if test is None:
        return None
    return {"score": float(test["score"]), "max_score": float(test["max_score"]), "status": test.get("status"),
            "message": str(test.get("output", "")), "diagnoses": test.get("extra_data", {}).get("diagnoses", [])}


def compare(previous: dict[str, dict], current: dict[str, dict], students: dict[str, str] | None = None) -> dict:
    """The regrade's impact: per submission graded before whose score or any line's score moved,
    the old and new totals and the lines that moved (old and new score and message)."""
    changes, unchanged, new = [], 0, []
    for name, results in current.items():
        before = previous.get(name)
        if before is None:
            new.append(name)
            continue
        old_lines = {_line_key(t): t for t in before.get("tests", [])}
        new_lines = {_line_key(t): t for t in results.get("tests", [])}
        moved = []
        for key in [*old_lines, *(k for k in new_lines if k not in old_lines)]:
            old, now = _side(old_lines.get(key)), _side(new_lines.get(key))
            if old is None or now is None or abs(old["score"] - now["score"]) > SAME \
                    or abs(old["max_score"] - now["max_score"]) > SAME:
                line = new_lines.get(key) or old_lines[key]
                moved.append({"check": key, "name": line.get("name", key), "old": old, "new": now})
        old_score, new_score = float(before.get("score", 0.0)), float(results.get("score", 0.0))
        if moved or abs(old_score - new_score) > SAME:
            changes.append({"submission": name, "student": (students or {}).get(name, name),
                            "old_score": old_score, "new_score": new_score,
                            "delta": round(new_score - old_score, 4), "lines": moved})
        else:
            unchanged += 1
    changes.sort(key=lambda c: (c["delta"], c["submission"]))
    return {"changed": changes, "unchanged": unchanged, "not_graded_before": sorted(new)}


def write(path: Path, impact: dict) -> None:
    write_atomic(path, (json.dumps(impact, indent=2, ensure_ascii=False) + "\n").encode())


def print_impact(console, impact: dict, dry_run: bool) -> None:
    """The impact for the instructor's terminal (names and messages are the students')."""
    from .display import console_name, console_text
    when = "would change (dry run: nothing written)" if dry_run else "changed"
    console.print(f"[bold]Regrade: {len(impact['changed'])} submission(s) {when}[/], {impact['unchanged']} unchanged, "
                  f"{len(impact['not_graded_before'])} not in the gradebook before.", highlight=False, soft_wrap=True)
    for change in impact["changed"]:
        console.print(f"  {console_name(change['submission'])}: {change['old_score']:g} -> {change['new_score']:g} "
                      f"({change['delta']:+g})", highlight=False, soft_wrap=True)
        for line in change["lines"]:
            old, new = line["old"], line["new"]
            scores = f"{old['score']:g}/{old['max_score']:g}" if old else "absent"
            scores += f" -> {new['score']:g}/{new['max_score']:g}" if new else " -> absent"
            console.print(f"    {console_text(line['name'], keep='')}: {scores}", highlight=False, soft_wrap=True)
            for label, side in (("was", old), ("now", new)):
                if side and side["message"]:
                    first = side["message"].strip().splitlines()[0][:200]
                    console.print(f"      {label}: {console_text(first, keep='')}", highlight=False, soft_wrap=True)
