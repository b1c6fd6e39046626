"""The gradebook: every grading, in SQLite, next to the results.

A grading is keyed by what decides its outcome: the submission's content hash,
the graders' version, the fixtures' version and what was graded (modules and
visibilities). Re-grading a batch finds unchanged submissions there and skips
them. Each submission's results are committed in one transaction when it is
done, so a batch killed at any point loses only the submissions in flight, and
re-running it completes the rest: nothing lost, nothing twice. ``--regrade``
adds a grading and keeps the earlier ones (the latest counts): what a regrade
changed stays answerable (see :mod:`impact`).

Each result line keeps its kind of failure and the known mistakes its feedback
names (``diagnoses``, a JSON list of ids), for the class report.
"""
from __future__ import annotations

import csv
import hashlib
import json
import sqlite3
import time
from pathlib import Path

from . import handsons
from .results import review_text

GRADINGS = """
CREATE TABLE IF NOT EXISTS {name} (
    id INTEGER PRIMARY KEY,
    submission TEXT NOT NULL, student TEXT NOT NULL, content_sha256 TEXT NOT NULL,
    grader_version TEXT NOT NULL, fixtures_version TEXT NOT NULL, scope TEXT NOT NULL,
    score REAL NOT NULL, max_score REAL NOT NULL, results TEXT NOT NULL,
    graded_at REAL NOT NULL, run_id INTEGER NOT NULL REFERENCES runs(id),
    review TEXT NOT NULL DEFAULT '',   -- integrity flags: passes public cases, fails most hidden ones
    variant INTEGER NOT NULL DEFAULT 0  -- the grading variant of the fixtures (engine/variants.py)
);
"""
SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY, started REAL NOT NULL, finished REAL,
    grader_version TEXT NOT NULL, fixtures_version TEXT NOT NULL, scope TEXT NOT NULL,
    submissions INTEGER NOT NULL, graded INTEGER NOT NULL DEFAULT 0, skipped INTEGER NOT NULL DEFAULT 0
);
""" + GRADINGS.format(name="gradings") + """CREATE INDEX IF NOT EXISTS gradings_key
    ON gradings (submission, content_sha256, grader_version, fixtures_version, scope);
CREATE TABLE IF NOT EXISTS test_results (
    grading_id INTEGER NOT NULL REFERENCES gradings(id) ON DELETE CASCADE,
    position INTEGER NOT NULL, module TEXT NOT NULL, name TEXT NOT NULL,
    score REAL NOT NULL, max_score REAL NOT NULL, status TEXT NOT NULL, output TEXT NOT NULL,
    visibility TEXT NOT NULL, kind TEXT NOT NULL DEFAULT '', diagnoses TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (grading_id, position)
);
"""


def _hash_files(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        root = next(r for r in [handsons.REPO_ROOT, *handsons.extra_roots()] if path.is_relative_to(r))
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]


def grader_version() -> str:
    """Hash of the code that decides a grade: the engine, the worker and every grader."""
    root = handsons.REPO_ROOT / "autograder"
    files = [*root.joinpath("engine").glob("*.py"), *root.joinpath("worker").glob("*.py")]
    for handson in handsons.all_handsons():
        graders = [handson.grader_path(visibility) for visibility in handsons.VISIBILITIES]
        files += [*handson.grader_modules, *(path for path in graders if path.exists())]
    return _hash_files(files)


def fixtures_version() -> str:
    manifest = handsons.FIXTURES_DIR / "manifest.json"
    return hashlib.sha256(manifest.read_bytes()).hexdigest()[:16] if manifest.exists() else "none"


def read_roster(path: Path | None) -> dict[str, str]:
    """``submission,student`` CSV (with that header) -> {submission name: student id}."""
    if path is None:
        return {}
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    if rows and not {"submission", "student"} <= set(rows[0]):
        raise ValueError(f"{path}: the roster needs the columns 'submission' and 'student'")
    return {row["submission"].strip(): row["student"].strip() for row in rows}


def _upgrade(db: sqlite3.Connection) -> None:
    """Bring a gradebook of an earlier version to this schema, keeping what it holds: integrity
    flags (review), grading variants, each line's kind and diagnoses, and several gradings of one key (a regrade keeps
    the earlier one; the old table allowed one)."""
    tables = dict(db.execute("SELECT name, sql FROM sqlite_master WHERE type='table'").fetchall())
    if "gradings" not in tables:
        return
    columns = {row[1] for row in db.execute("PRAGMA table_info(gradings)")}
    if "review" not in columns:   # a gradebook from before integrity flags
        db.execute("ALTER TABLE gradings ADD COLUMN review TEXT NOT NULL DEFAULT ''")
    if "variant" not in columns:  # a gradebook from before grading variants
        db.execute("ALTER TABLE gradings ADD COLUMN variant INTEGER NOT NULL DEFAULT 0")
    lines = {row[1] for row in db.execute("PRAGMA table_info(test_results)")}
    if "kind" not in lines:
        db.execute("ALTER TABLE test_results ADD COLUMN kind TEXT NOT NULL DEFAULT ''")
        db.execute("ALTER TABLE test_results ADD COLUMN diagnoses TEXT NOT NULL DEFAULT '[]'")
    if "UNIQUE" in tables["gradings"]:   # rebuilt without it (SQLite cannot drop a constraint)
        db.execute("PRAGMA foreign_keys=OFF")   # the lines stay with their gradings' ids
        db.execute("BEGIN IMMEDIATE")
        db.execute(GRADINGS.format(name="gradings_new"))
        names = ", ".join(row[1] for row in db.execute("PRAGMA table_info(gradings)"))
        db.execute(f"INSERT INTO gradings_new ({names}) SELECT {names} FROM gradings")
        db.execute("DROP TABLE gradings")
        db.execute("ALTER TABLE gradings_new RENAME TO gradings")
        db.execute("COMMIT")


class Gradebook:
    def __init__(self, path: Path, scope: str):
        self.path, self.scope = Path(path), scope
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None)   # explicit transactions only
        self.db.execute("PRAGMA journal_mode=WAL")
        _upgrade(self.db)
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.executescript(SCHEMA)
        self.grader_version, self.fixtures_version = grader_version(), fixtures_version()
        self.run_id: int | None = None

    def start_run(self, submissions: int) -> None:
        cursor = self.db.execute(
            "INSERT INTO runs (started, grader_version, fixtures_version, scope, submissions) VALUES (?,?,?,?,?)",
            (time.time(), self.grader_version, self.fixtures_version, self.scope, submissions))
        self.run_id = cursor.lastrowid

    def finish_run(self, graded: int, skipped: int) -> None:
        self.db.execute("UPDATE runs SET finished=?, graded=?, skipped=? WHERE id=?",
                        (time.time(), graded, skipped, self.run_id))

    def lookup(self, submission: str, digest: str, variant: int = 0) -> dict | None:
        """The results of the latest grading of exactly this content, graders, fixtures and variant."""
        row = self.db.execute(
            "SELECT results FROM gradings WHERE submission=? AND content_sha256=? AND grader_version=? "
            "AND fixtures_version=? AND scope=? AND variant=? ORDER BY id DESC LIMIT 1",
            (submission, digest, self.grader_version, self.fixtures_version, self.scope, variant)).fetchone()
        return json.loads(row[0]) if row else None

    def record(self, submission: str, student: str, digest: str, results: dict) -> None:
        """Store one grading (earlier ones stay: the latest counts), atomically."""
        tests = results.get("tests", [])
        self.db.execute("BEGIN IMMEDIATE")
        try:
            cursor = self.db.execute(
                "INSERT INTO gradings (submission, student, content_sha256, grader_version, fixtures_version, "
                "scope, score, max_score, results, graded_at, run_id, review, variant) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (submission, student, digest, self.grader_version, self.fixtures_version, self.scope,
                 float(results.get("score", 0.0)), sum(float(t["max_score"]) for t in tests),
                 json.dumps(results), time.time(), self.run_id, review_text(results),
                 int(results.get("extra_data", {}).get("variant", 0))))
            self.db.executemany(
                "INSERT INTO test_results VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                [(cursor.lastrowid, i, (t.get("tags") or ["?"])[0], t["name"], float(t["score"]),
                  float(t["max_score"]), t["status"], t.get("output", ""), t.get("visibility", ""),
                  str(t.get("extra_data", {}).get("kind", "")), json.dumps(t.get("extra_data", {}).get("diagnoses", [])))
                 for i, t in enumerate(tests)])
            self.db.execute("COMMIT")
        except BaseException:
            if self.db.in_transaction:   # SQLite may have rolled back already (a full disk does)
                self.db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self.db.close()
