#!/usr/bin/env python3
"""What refreshing the lock would change, before students see it (``make upgrade-check``).

Resolves the newest versions pyproject.toml allows into ``build/upgrade/locks/`` (the files
``make lock UPGRADE=1`` would write), installs them into a throw-away venv
``build/upgrade/venv``, and there:

1. regenerates every fixture and compares it with the stored ones (``fixtures verify``:
   identical / equivalent within its drift bound / different, with the figures);
2. grades the references, the untouched stubs, the alternatives and the mistake catalogue
   (``tests/catalogue.py``), and compares each check's score with the same grading under the
   installed lock.

It prints the versions that move, the fixture files that are not identical, and every score
that moves, and exits 0 when nothing that grading depends on changed (1 otherwise). Run with
the repository's .venv (the current lock); nothing outside build/upgrade/ is written.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]

import lock  # noqa: E402  (scripts/lock.py)

WORK = ROOT / "build" / "upgrade"
GROUP = "cluster"        # the repository's own environment: what grades, plus the tests' needs

VERIFY = """
import json
from autograder.engine import handsons
from autograder.engine.fixtures import verify
report = verify(handsons.names())
print(json.dumps({"files": [[f.name, f.status, f.detail] for f in report.files],
                  "versions": report.versions}))
"""


def version_changes(old: Path, new: Path) -> list[str]:
    """One line per package whose locked version moves, appears or goes (entries for this
    platform's Python; other platforms' lines follow the same versions)."""
    before, after = lock.applicable(old), lock.applicable(new)
    lines = [f"{name}: {before[name]} -> {after[name]}" for name in sorted(before)
             if name in after and before[name] != after[name]]
    lines += [f"{name}: new, {after[name]}" for name in sorted(set(after) - set(before))]
    lines += [f"{name}: no longer needed ({before[name]})" for name in sorted(set(before) - set(after))]
    return lines


def grade_catalogue(python: Path, out: Path, jobs: int) -> dict[str, dict[str, dict[str, float]]]:
    """module -> submission -> check -> score, for the whole catalogue graded with ``python``."""
    from autograder.engine import handsons
    from tests.catalogue import everything_of, write_submissions
    scores: dict[str, dict[str, dict[str, float]]] = {}
    for module in handsons.names():
        folder = out / module
        if folder.exists():
            shutil.rmtree(folder)
        paths = write_submissions(folder / "submissions", module, everything_of(module))
        results = folder / "results"
        run = subprocess.run([str(python), "-m", "autograder", "grade", *map(str, paths), "--out", str(results),
                              "--module", module, "--jobs", str(jobs)], capture_output=True, text=True, cwd=ROOT)
        if run.returncode != 0:
            raise SystemExit(f"grading {module} with {python} failed:\n{run.stdout[-3000:]}{run.stderr[-3000:]}")
        scores[module] = {}
        for path in paths:
            tests = json.loads((results / path.name / "results.json").read_text())["tests"]
            scores[module][path.name] = {t["extra_data"]["nodeid"].split("::", 1)[1]: t["score"] for t in tests}
    return scores


def score_changes(before: dict, after: dict) -> list[str]:
    """One line per submission whose score moves, with the checks that move it."""
    lines = []
    for module in sorted(before):
        for name in sorted(before[module]):
            old, new = before[module][name], after.get(module, {}).get(name, {})
            moved = [f"{check} {old.get(check)} -> {new.get(check)}" for check in sorted(set(old) | set(new))
                     if old.get(check) != new.get(check)]
            if moved:
                lines.append(f"{module}/{name}: {sum(old.values()):g} -> {sum(new.values()):g} "
                             f"({'; '.join(moved)})")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=2, help="submissions graded in parallel")
    parser.add_argument("--exclude-newer", default=None, help="the newest versions as of this moment "
                                                              "(default: now)")
    args = parser.parse_args(argv)
    moment = args.exclude_newer or dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    WORK.mkdir(parents=True, exist_ok=True)
    current = lock.LOCKS / f"{GROUP}.txt"

    print(f"Resolving the newest versions pyproject.toml allows (as of {moment})...", flush=True)
    candidate = next(p for p in lock.resolve(WORK / "locks", upgrade=True, exclude_newer=moment)
                     if p.name == current.name)
    versions = version_changes(current, candidate)
    print(f"\n== Versions: {len(versions)} packages move")
    print("\n".join(f"  {line}" for line in versions) or "  none: the lock holds the newest allowed versions")
    if not versions:
        return 0

    venv = WORK / "venv"
    print(f"\nInstalling them into {venv.relative_to(ROOT)}...", flush=True)
    subprocess.run(["bash", str(ROOT / "scripts" / "install-lock.sh"), sys.executable, str(venv), str(candidate)],
                   check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--disable-pip-version-check", "-e", str(ROOT)], check=True, capture_output=True)

    print("Regenerating every fixture there (fixtures verify)...", flush=True)
    run = subprocess.run([str(python), "-c", VERIFY], capture_output=True, text=True, cwd=ROOT)
    if run.returncode != 0:
        print(f"\n== Fixtures: the recipes fail under the new versions:\n{run.stderr[-3000:]}")
        return 1
    report = json.loads(run.stdout.strip().splitlines()[-1])
    counts = {status: sum(1 for f in report["files"] if f[1] == status)
              for status in ("identical", "equivalent", "different")}
    print(f"\n== Fixtures: {counts['identical']} identical, {counts['equivalent']} equivalent (float drift "
          f"within its bound), {counts['different']} different")
    for name, status, detail in report["files"]:
        if status != "identical":
            print(f"  {status.upper()} {name}: {detail}")

    print("\nGrading the catalogue under the installed lock, then under the new versions...", flush=True)
    before = grade_catalogue(Path(sys.executable), WORK / "grading-locked", args.jobs)
    after = grade_catalogue(python, WORK / "grading-newest", args.jobs)
    moved = score_changes(before, after)
    total = sum(len(submissions) for submissions in before.values())
    print(f"\n== Scores: {len(moved)} of {total} submissions move")
    print("\n".join(f"  {line}" for line in moved) or "  none: every check scores as before")
    print(f"\nTo adopt exactly these versions: cp {candidate.parent.relative_to(ROOT)}/*.txt locks/, then make test "
          f"and commit locks/ (make lock UPGRADE=1 resolves again, as of its own moment).")
    return 1 if counts["different"] or moved else 0


if __name__ == "__main__":
    sys.exit(main())
