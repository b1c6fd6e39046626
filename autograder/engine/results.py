"""Results files: Gradescope's ``results.json`` and the gradebook's ``grades.csv``.

``results.json`` follows Gradescope's autograder format: ``score``,
``execution_time``, ``output``, ``tests`` (``name``, ``score``, ``max_score``,
``status``, ``output``, ``visibility``, ``tags``) and ``extra_data``, where the
engine records how the run went (sandbox mode, grader errors, notes).
Files are written atomically: a reader never sees a half-written file.
"""
from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
from pathlib import Path

from .display import csv_cell, visible


def clean_text(value: object, limit: int = 100_000) -> str:
    """A string safe to store: capped, and valid UTF-8. Lone surrogates (from a
    hostile worker's message, or a file name that is not UTF-8) would break the
    gradebook, the JSON files and the CSV."""
    text = str(value)[:limit]
    return text.encode("utf-8", "replace").decode("utf-8")


def write_atomic(path: Path, data: bytes, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename (permissions ``mode``,
    default 0600)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def module_scores(tests: list[dict]) -> dict[str, tuple[float, float]]:
    """module -> (score, max score)."""
    out: dict[str, tuple[float, float]] = {}
    for test in tests:
        module = (test.get("tags") or ["?"])[0]
        score, maximum = out.get(module, (0.0, 0.0))
        out[module] = (score + float(test["score"]), maximum + float(test["max_score"]))
    return out


def grader_errors(tests: list[dict]) -> int:
    return sum(1 for t in tests if t.get("extra_data", {}).get("kind") == "grader_error")


# A check is flagged for review when its public cases pass far more often than its hidden cases (the
# same check on inputs students never saw): code tuned to, or a table of answers to, the public
# fixtures, even one answering only part of them. Decided per check, so that a partial table cannot
# hide behind the checks it leaves alone, and on how unlikely the split is, so that an honest mistake
# (failing public and hidden cases alike) is not flagged: the chance that the passes, as many as there
# are, fall on the public side at least that much if public and hidden cases were alike (Fisher's
# exact test, one-sided: the hypergeometric tail).
REVIEW_CHANCE = 0.01      # flagged when that chance is below this...
REVIEW_MIN_CASES = 3      # ...and the check has at least this many public passes and hidden cases


def _check_of(test: dict) -> str:
    """The grader test a result line comes from, without its case: ``test_midi_to_tokens``."""
    nodeid = test.get("extra_data", {}).get("nodeid", test.get("name", ""))
    return nodeid.split("::", 1)[-1].split("[", 1)[0]


def _public_passes(public: int, public_cases: int, hidden: int, hidden_cases: int) -> list[float]:
    """``p[k]``: the chance that ``k`` of the check's passes fall on its public cases, were its
    ``public + hidden`` passes spread at random over all its cases (hypergeometric)."""
    passes, cases = public + hidden, public_cases + hidden_cases
    return [math.comb(public_cases, k) * math.comb(hidden_cases, passes - k) / math.comb(cases, passes)
            for k in range(min(passes, public_cases) + 1)]


def split_chance(*tallies: tuple[int, int, int, int]) -> float:
    """The chance that, were each check's passes spread at random over its cases, at least as many
    fall on the public cases as did, in all: each tally is ``(public passed, public cases, hidden
    passed, hidden cases)`` of one check (one tally: Fisher's exact test; several: its stratified
    form, each check keeping its own difficulty)."""
    total = [1.0]
    for tally in tallies:   # the distribution of the sum: one convolution per check
        one = _public_passes(*tally)
        total = [sum(total[i] * one[k - i] for i in range(len(total)) if 0 <= k - i < len(one))
                 for k in range(len(total) + len(one) - 1)]
    observed = sum(tally[0] for tally in tallies)
    return min(1.0, sum(total[observed:]))


def integrity_flags(tests: list[dict]) -> list[dict]:
    """Per check that has public and hidden cases, a flag (with its figures, for the instructor) where
    its public cases pass and its hidden ones fail beyond what chance explains (``split_chance``)."""
    counts: dict[tuple[str, str], dict[str, list[int]]] = {}
    for test in tests:
        key = ((test.get("tags") or ["?"])[0], _check_of(test))
        side = "public" if test.get("visibility") == "visible" else "hidden"
        tally = counts.setdefault(key, {"public": [0, 0], "hidden": [0, 0]})[side]
        tally[0] += test.get("status") == "passed"
        tally[1] += 1
    flags = []
    comparable: dict[str, list[tuple[str, tuple[int, int, int, int]]]] = {}
    for (module, check), tally in counts.items():
        (public, public_total), (hidden, hidden_total) = tally["public"], tally["hidden"]
        if public_total and hidden_total:
            comparable.setdefault(module, []).append((check, (public, public_total, hidden, hidden_total)))
    for module, checks in comparable.items():
        found = [_flag(module, check, [tally]) for check, tally in checks]
        found = [flag for flag in found if flag]
        # Small checks (4 public cases) cannot tell alone: a table spread over them shows in all of them.
        everything = _flag(module, f"{len(checks)} checks together", [tally for _, tally in checks])
        flags += found or ([everything] if everything else [])
    return flags


def _flag(module: str, check: str, tallies: list[tuple[int, int, int, int]]) -> dict | None:
    public, public_total, hidden, hidden_total = (sum(t[i] for t in tallies) for i in range(4))
    if public < REVIEW_MIN_CASES or hidden_total < REVIEW_MIN_CASES:
        return None
    chance = split_chance(*tallies)
    if chance >= REVIEW_CHANCE:
        return None
    return {"module": module, "check": check, "public_passed": public, "public_cases": public_total,
            "hidden_passed": hidden, "hidden_cases": hidden_total, "chance": chance,
            "message": f"{module}: {check} passes {public}/{public_total} public cases, {hidden}/{hidden_total} "
                       f"hidden cases: possibly tuned or hard-coded to the public fixtures"}


def review_text(results: dict) -> str:
    """What grades.csv, the gradebook and the HTML index say of a submission's integrity flags."""
    return "; ".join(flag["message"] for flag in results.get("extra_data", {}).get("review", []))


def weigh_public(tests: list[dict], weight: float) -> list[dict]:
    """The result lines with the public checks' points multiplied by ``weight`` (an instructor may
    grade on hidden checks only: 0). Pass or fail stays as it was."""
    if weight == 1:
        return tests
    weighed = []
    for test in tests:
        if test.get("visibility") == "visible":
            test = {**test, "score": round(float(test["score"]) * weight, 4),
                    "max_score": round(float(test["max_score"]) * weight, 4)}
        weighed.append(test)
    return weighed


def build_results(name: str, tests: list[dict], seconds: float, notes: list[str],
                  extra: dict) -> dict:
    scores = module_scores(tests)
    notes = [visible(clean_text(note, 2000)) for note in notes]   # file names may hold escapes, bidi...
    lines = [f"{module}: {score:g} / {maximum:g}" for module, (score, maximum) in scores.items()]
    errors = grader_errors(tests)
    if errors:
        lines.append(f"{errors} check(s) hit a grader error: the instructors will look at them.")
    lines += notes
    return {
        "score": round(sum(float(t["score"]) for t in tests), 4),
        "execution_time": round(seconds, 3),
        "output": "\n".join(lines),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {"submission": name, "grader_errors": errors, "notes": notes,
                       "review": integrity_flags(tests), **extra},
    }


def failed_results(name: str, message: str, seconds: float, extra: dict) -> dict:
    """Results of a submission that could not be graded at all (score 0, with why)."""
    message = visible(clean_text(message, 10_000))
    return {"score": 0.0, "execution_time": round(seconds, 3), "output": message,
            "visibility": "visible", "stdout_visibility": "hidden", "tests": [],
            "extra_data": {"submission": name, "error": message, **extra}}


def _number(value: object) -> bool:
    return type(value) in (int, float) and math.isfinite(value)


def _valid_line(test: object) -> bool:
    return (type(test) is dict and type(test.get("name")) is str and _number(test.get("score"))
            and _number(test.get("max_score")) and 0 <= test["score"] <= test["max_score"]
            and test.get("status") in ("passed", "failed") and type(test.get("output")) is str
            and type(test.get("visibility")) is str and type(test.get("tags")) is list
            and all(type(tag) is str for tag in test["tags"]) and type(test.get("extra_data", {})) is dict)


def valid_results(results: object, name: str, digest: str) -> bool:
    """Whether ``results`` is what this engine writes for the submission ``name`` of
    content ``digest``: what comes back from a grader (a forked process, a cluster
    worker) is checked before the batch keeps it, writes it or counts it."""
    if type(results) is not dict or type(results.get("tests")) is not list or type(results.get("output")) is not str:
        return False
    extra = results.get("extra_data")
    if type(extra) is not dict or extra.get("submission") != name or extra.get("content_sha256") != digest:
        return False
    tests = results["tests"]
    return (all(_valid_line(t) for t in tests) and _number(results.get("score"))
            and _number(results.get("execution_time"))
            and abs(results["score"] - sum(t["score"] for t in tests)) < 1e-3)


def write_results(path: Path, results: dict) -> None:
    write_atomic(path, (json.dumps(results, indent=2, allow_nan=False) + "\n").encode())


def grades_csv(rows: list[dict], maxima: dict[str, float]) -> bytes:
    """One row per submission: total, per-module scores and maxima (from the
    rubric, so a submission that could not be graded still shows what it missed), status. Text
    cells are visible and never a formula (``display.csv_cell``): names are the students'."""
    modules = list(maxima)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["submission", "student", "score", "max_score",
                     *[c for m in modules for c in (m, f"{m}_max")], "status", "review", "content_sha256",
                     "variant"])
    for row in rows:
        results = row["results"]
        scores = module_scores(results.get("tests", []))
        total_max = sum(maxima.values())
        status = results.get("extra_data", {}).get("error") or (
            "grader errors" if results.get("extra_data", {}).get("grader_errors") else "graded")
        writer.writerow([csv_cell(row["name"]), csv_cell(row.get("student", row["name"])), f"{results['score']:g}",
                         f"{total_max:g}",
                         *[f"{v:g}" for m in modules for v in (scores.get(m, (0.0, 0.0))[0], maxima[m])],
                         csv_cell(status), csv_cell(review_text(results)), row.get("digest", ""),
                         results.get("extra_data", {}).get("variant", "")])
    return buffer.getvalue().encode()
