"""Fairness across grading variants: the reference, every alternative and every catalogued mistake
of a hands-on graded on each of its K variants (``autograder grade --variant k``).

    .venv/bin/python benchmarks/bench_variants.py [midi_tokens ...] [--variants 1,2] [--json out.json]

Prints, per hands-on: whether the reference and alternatives are full on every variant, and per
mistake its loss (points) on each variant, the mean, best and worst, and whether best and worst
differ by at most a quarter of the mean (issue 20's criterion); then the worst spread; and, per
variant, what tests/test_graders.py asks of the catalogue on the shipped fixtures (each mistake
caught by the checks it names, with the words it names; public checks catching >= 80 %). Each
variant is one ``autograder grade`` batch of the whole catalogue (minutes per hands-on).
``--from DIR`` reads the results of an earlier run's batches (DIR/<module>-<k>/out) instead;
``--keep DIR`` grades into DIR (kept: read it back with ``--from``); ``--variants`` takes a subset
of the K variants. By default: every hands-on with variants (all three), all K variants.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder.engine import handsons, variants  # noqa: E402
from autograder.engine.session import maxima  # noqa: E402
from tests.catalogue import alternatives_of, everything_of, mistake_variants_of, write_submissions  # noqa: E402


def read_batch(module: str, out: Path) -> dict[str, dict]:
    return {entry.name: json.loads((out / entry.name / "results.json").read_text()) for entry in everything_of(module)}


def grade_on(module: str, number: int, root: Path) -> dict[str, dict]:
    """Submission name -> results.json of the whole catalogue of ``module`` graded on variant ``number``."""
    folder = root / f"{module}-{number}"
    paths = write_submissions(folder, module, everything_of(module))
    out = folder / "out"
    run = subprocess.run([sys.executable, "-m", "autograder", "grade", *map(str, paths), "--out", str(out),
                          "--module", module, "--jobs", "2", "--variant", str(number), "--allow-weak-sandbox"],
                         capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"})
    if run.returncode != 0:
        raise SystemExit(f"grading {module} on variant {number} failed:\n{run.stdout[-3000:]}{run.stderr[-3000:]}")
    return read_batch(module, out)


def _name(test: dict) -> str:
    return test["extra_data"]["nodeid"].split("::", 1)[1]


def catalogue_misses(module: str, graded: dict[str, dict]) -> dict:
    """What tests/test_graders.py asks of one batch: mistakes not caught where they should be (or
    without the words they name), and the share the public checks catch."""
    missed, caught_public = [], 0
    mistakes = mistake_variants_of(module)
    for entry in mistakes:
        lines = graded[entry.name]["tests"]
        lost = [t for t in lines if t["score"] < t["max_score"]]
        caught_public += any(t["visibility"] == "visible" for t in lost)
        if not any(t["visibility"] == "after_published" for t in lost):
            missed.append(f"{entry.name}: no hidden check")
        for check in entry.loses:
            hits = [t for t in lost if _name(t) == check or _name(t).split("[")[0] == check]
            if not hits:
                missed.append(f"{entry.name}: not by {check}")
            elif entry.says and not any(entry.says in t["output"] for t in hits):
                missed.append(f"{entry.name}: {check} does not say {entry.says!r}")
    return {"missed": missed, "public_catch": caught_public / len(mistakes)}


def fairness(module: str, by_variant: dict[int, dict[str, float]]) -> dict:
    full = maxima([module])[module]
    correct = ["reference", *(a.name for a in alternatives_of(module))]
    not_full = {name: {k: s[name] for k, s in by_variant.items() if s[name] < full} for name in correct}
    mistakes = {}
    for name in next(iter(by_variant.values())):
        if not name.startswith("mistake-"):
            continue
        losses = [full - scores[name] for scores in by_variant.values()]
        mean = statistics.fmean(losses)
        spread = max(losses) - min(losses)
        mistakes[name] = {"losses": losses, "mean": mean, "best": min(losses), "worst": max(losses),
                          "spread": spread, "fair": spread <= mean / 4 + 1e-9}
    return {"full": full, "not_full": {k: v for k, v in not_full.items() if v}, "mistakes": mistakes}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("modules", nargs="*")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--from", dest="source", type=Path, help="read DIR/<module>-<k>/out instead of grading")
    parser.add_argument("--keep", type=Path, help="grade into DIR (kept) instead of a temporary folder")
    parser.add_argument("--variants", help="comma-separated variant numbers (default: all K)")
    args = parser.parse_args()
    modules = args.modules or [m for m in handsons.names() if (handsons.FIXTURES_DIR / m / "variants").is_dir()]
    term = variants.read_term()
    report = {}
    with tempfile.TemporaryDirectory(prefix="bench-variants-") as tmp:
        tmp = args.keep or tmp
        for module in modules:
            started = time.monotonic()
            numbers = [int(k) for k in args.variants.split(",")] if args.variants else range(1, term.count + 1)
            if args.source:   # the variants that run finished
                numbers = [k for k in numbers if (args.source / f"{module}-{k}" / "out").is_dir()]
            graded = {k: read_batch(module, args.source / f"{module}-{k}" / "out") if args.source
                      else grade_on(module, k, Path(tmp)) for k in numbers}
            for k, batch in graded.items():
                assert all(r["extra_data"]["variant"] == k for r in batch.values()), k
            by_variant = {k: {name: float(r["score"]) for name, r in batch.items()} for k, batch in graded.items()}
            result = fairness(module, by_variant)
            result["catalogue"] = {k: catalogue_misses(module, batch) for k, batch in graded.items()}
            result["seconds"] = round(time.monotonic() - started, 1)
            report[module] = result
            mistakes = result["mistakes"]
            unfair = {n: m for n, m in mistakes.items() if not m["fair"]}
            print(f"{module}: variants {list(graded)} of {term.count} (term {term.name}), {len(mistakes)} mistakes, "
                  f"{result['seconds']} s")
            print(f"  reference and alternatives full on every variant: {not result['not_full']}"
                  + (f" (not: {result['not_full']})" if result["not_full"] else ""))
            print(f"  mistakes within a quarter of their mean loss: {len(mistakes) - len(unfair)}/{len(mistakes)}")
            worst = max(mistakes.values(), key=lambda m: m["spread"] / max(m["mean"], 1e-9), default=None)
            if worst:
                print(f"  largest spread / mean: {worst['spread'] / max(worst['mean'], 1e-9):.2f}")
            for k, found in result["catalogue"].items():
                print(f"  variant {k}: public checks catch {found['public_catch']:.0%} of the mistakes; "
                      f"{len(found['missed'])} expectation(s) of test_graders missed {found['missed'][:5]}")
            for name, m in sorted(mistakes.items()):
                mark = "" if m["fair"] else "  <-- spread above a quarter of the mean"
                print(f"    {name}: mean {m['mean']:.2f}, best {m['best']:g}, worst {m['worst']:g}, "
                      f"losses {[round(x, 2) for x in m['losses']]}{mark}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
