"""What the class got wrong: per hands-on, from every ``results.json`` of a batch.

For each hands-on: each check's pass rate and mean points; each known mistake (the ids the
graders' feedback named, see :mod:`diagnoses`) with how many students made it, which checks it
cost and whether only hidden checks caught it; what hidden checks caught in students who passed
every public check; the failures no explanation matched, grouped by check and kind of failure;
the review flags. Written as ``class_report.json``, ``mistakes.csv`` (one row per mistake or
unrecognised group) and ``class_report.html`` (with inline SVG plots); the schema is in docs/instructors.md.

A check is a grader test (``test_mel_spectrogram``) on one side (public or hidden): its cases
are its result lines. A student passes a check when every case passes.
"""
from __future__ import annotations

import csv
import importlib
import io
import json
from collections import defaultdict
from pathlib import Path

from . import handsons
from .diagnoses import UNRECOGNISED, causes, known
from .display import csv_cell, html_text, link_to, page
from .results import write_atomic

SCHEMA_VERSION = 1
PAGE_MODE = 0o644
SCORE_BINS = 10
PLOTTED_MISTAKES = 25   # bars in the mistakes plot (the table lists every one)


def _check_of(test: dict) -> str:
    nodeid = str(test.get("extra_data", {}).get("nodeid", test.get("name", "")))
    return nodeid.split("::", 1)[-1].split("[", 1)[0]


def _side(test: dict) -> str:
    return "public" if test.get("visibility") == "visible" else "hidden"


def _key(test: dict) -> str:
    return f"{_check_of(test)} ({_side(test)})"


def read_batch(results_dir: Path) -> dict[str, dict]:
    """submission folder name -> its results.json, for every ``RESULTS_DIR/<name>/results.json``."""
    batch = {}
    for path in sorted(Path(results_dir).glob("*/results.json")):
        try:
            results = json.loads(path.read_text(encoding="utf-8", errors="replace"))
        except ValueError:
            continue
        if isinstance(results, dict) and isinstance(results.get("tests"), list):
            batch[path.parent.name] = results
    return batch


def _diagnoses_of(test: dict) -> list[str]:
    found = test.get("extra_data", {}).get("diagnoses", [])
    return [str(d) for d in found] if isinstance(found, list) else []


def _handson(module: str, batch: dict[str, dict], explanations: dict[str, str]) -> dict:
    """The report of one hands-on (see the module docstring)."""
    lines = {name: [t for t in results["tests"] if (t.get("tags") or ["?"])[0] == module]
             for name, results in batch.items()}
    lines = {name: tests for name, tests in lines.items() if tests}
    students = len(lines)
    checks: dict[str, dict] = {}
    mistakes: dict[str, dict] = {}
    unrecognised: dict[tuple[str, str], dict] = {}
    hidden_only: dict[str, set] = defaultdict(set)
    scores = []
    for name, tests in sorted(lines.items()):
        scores.append(round(sum(float(t["score"]) for t in tests), 4))
        per_check: dict[str, list[dict]] = defaultdict(list)
        for test in tests:
            per_check[_key(test)].append(test)
        public_passed = all(t.get("status") == "passed" for t in tests if _side(t) == "public")
        for key, cases in per_check.items():
            entry = checks.setdefault(key, {"check": _check_of(cases[0]), "visibility": _side(cases[0]),
                                            "cases": len(cases), "max_points": 0.0, "students": 0,
                                            "students_passed": 0, "points": 0.0})
            entry["max_points"] = max(entry["max_points"], sum(float(t["max_score"]) for t in cases))
            entry["students"] += 1
            entry["students_passed"] += all(t.get("status") == "passed" for t in cases)
            entry["points"] += sum(float(t["score"]) for t in cases)
            if public_passed and _side(cases[0]) == "hidden" and any(t.get("status") != "passed" for t in cases):
                hidden_only[key].add(name)
        named: dict[str, dict] = {}
        for test in tests:
            if test.get("status") == "passed":
                continue
            ids = _diagnoses_of(test)
            lost = float(test["max_score"]) - float(test["score"])
            for mistake in ids:
                seen = named.setdefault(mistake, {"checks": set(), "lost": 0.0, "sides": set(),
                                                  "said": (causes(str(test.get("output", ""))) or [""])[0].split("\n")[0][:400]})
                seen["checks"].add(_key(test))
                seen["sides"].add(_side(test))
                seen["lost"] += lost / len(ids)   # a line naming two mistakes: each costs half of it
            if not ids:
                kind = str(test.get("extra_data", {}).get("kind", "failed"))
                group = unrecognised.setdefault((_key(test), kind), {
                    "check": _check_of(test), "visibility": _side(test), "kind": kind, "students": set(),
                    "lines": 0, "points_lost": 0.0, "example": str(test.get("output", ""))[:400]})
                group["students"].add(name)
                group["lines"] += 1
                group["points_lost"] += lost
        for mistake, seen in named.items():
            explanation = explanations.get(mistake) or seen["said"]   # registered when a case needs it
            entry = mistakes.setdefault(mistake, {"id": mistake, "explanation": explanation,
                                                  "submissions": [], "checks": defaultdict(int),
                                                  "hidden_only": 0, "points_lost": 0.0})
            entry["submissions"].append(name)
            for key in seen["checks"]:
                entry["checks"][key] += 1
            entry["hidden_only"] += seen["sides"] == {"hidden"}
            entry["points_lost"] += seen["lost"]
    maximum = max((sum(float(t["max_score"]) for t in tests) for tests in lines.values()), default=0.0)
    check_rows = [{**{k: v for k, v in c.items() if k != "points"},
                   "pass_rate": round(c["students_passed"] / c["students"], 4),
                   "mean_points": round(c["points"] / c["students"], 4)}
                  for _, c in sorted(checks.items(), key=lambda kv: (kv[1]["visibility"] != "public", kv[0]))]
    mistake_rows = [{"id": m["id"], "explanation": m["explanation"], "students": len(m["submissions"]),
                     "share": round(len(m["submissions"]) / students, 4) if students else 0.0,
                     "checks": dict(sorted(m["checks"].items())), "hidden_only": m["hidden_only"],
                     "mean_points_lost": round(m["points_lost"] / len(m["submissions"]), 4),
                     "submissions": m["submissions"]}
                    for m in sorted(mistakes.values(), key=lambda m: (-len(m["submissions"]), m["id"]))]
    unrecognised_rows = [{**{k: v for k, v in g.items() if k != "students"}, "students": len(g["students"]),
                          "points_lost": round(g["points_lost"], 4), "submissions": sorted(g["students"])}
                         for g in sorted(unrecognised.values(), key=lambda g: (-len(g["students"]), g["check"]))]
    review = [{"submission": name, "message": flag.get("message", "")}
              for name, results in sorted(batch.items())
              for flag in results.get("extra_data", {}).get("review", []) if flag.get("module") == module]
    return {"students": students, "max_score": maximum,
            "mean_score": round(sum(scores) / students, 4) if students else 0.0,
            "scores": scores, "checks": check_rows, "mistakes": mistake_rows,
            "hidden_caught": [{"check": key, "students": len(names), "submissions": sorted(names)}
                              for key, names in sorted(hidden_only.items(), key=lambda kv: (-len(kv[1]), kv[0]))],
            "unrecognised": unrecognised_rows, "review": review}


def build(batch: dict[str, dict]) -> dict:
    """``class_report.json``: the batch's report, per hands-on (those any submission was graded on)."""
    modules = sorted({(t.get("tags") or ["?"])[0] for results in batch.values() for t in results["tests"]})
    for module in handsons.names():   # the graders register their mistakes' explanations
        importlib.import_module(f"autograder.handsons.{module}.grading")
    explanations = known()
    not_graded = sorted(name for name, results in batch.items() if not results["tests"])
    return {"schema": SCHEMA_VERSION, "submissions": len(batch), "not_graded": not_graded,
            "handsons": {module: _handson(module, batch, explanations) for module in modules}}


CSV_COLUMNS = ["handson", "mistake", "students", "share", "checks", "hidden_only", "mean_points_lost",
               "kind", "explanation"]


def mistakes_csv(report: dict) -> bytes:
    """One row per known mistake, then one per unrecognised group (mistake ``unrecognised``)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for module, part in report["handsons"].items():
        for m in part["mistakes"]:
            writer.writerow([csv_cell(module), csv_cell(m["id"]), m["students"], f"{m['share']:g}",
                             csv_cell("; ".join(f"{k}: {v}" for k, v in m["checks"].items())), m["hidden_only"],
                             f"{m['mean_points_lost']:g}", "", csv_cell(m["explanation"])])
        for g in part["unrecognised"]:
            share = g["students"] / part["students"] if part["students"] else 0.0
            writer.writerow([csv_cell(module), UNRECOGNISED, g["students"], f"{round(share, 4):g}",
                             csv_cell(f"{g['check']} ({g['visibility']}): {g['lines']}"), "", "",
                             csv_cell(g["kind"]), csv_cell(g["example"])])
    return buffer.getvalue().encode()


# ------------------------------------------------------------------ HTML

def bars_svg(title: str, rows: list[tuple[str, float, str]], maximum: float) -> str:
    """A horizontal bar chart as inline SVG: (label, value, value as text) per bar, 0..maximum."""
    if not rows:
        return ""
    label_width, bar_width, height = 330, 360, 18
    total_height = 26 + height * len(rows)
    parts = [f'<svg class="plot" role="img" xmlns="http://www.w3.org/2000/svg" width="{label_width + bar_width + 90}" '
             f'height="{total_height}"><title>{html_text(title, keep="")}</title>'
             f'<text x="0" y="14" font-weight="bold" font-size="13">{html_text(title, keep="")}</text>']
    for i, (label, value, text) in enumerate(rows):
        y = 22 + i * height
        width = 0 if maximum <= 0 else max(0.0, min(1.0, value / maximum)) * bar_width
        parts.append(f'<text x="{label_width - 6}" y="{y + 13}" text-anchor="end" font-size="12">'
                     f'{html_text(label[:60], keep="")}</text>'
                     f'<rect class="bar" x="{label_width}" y="{y + 2}" width="{width:.1f}" height="{height - 5}" '
                     f'fill="#4c72b0"></rect>'
                     f'<text x="{label_width + width + 4:.1f}" y="{y + 13}" font-size="12">{html_text(text, keep="")}'
                     f'</text>')
    parts.append("</svg>")
    return "".join(parts)


def _histogram(scores: list[float], maximum: float) -> list[tuple[str, float, str]]:
    width = (maximum or 1.0) / SCORE_BINS
    counts = [0] * SCORE_BINS
    for score in scores:
        counts[min(SCORE_BINS - 1, int(score / width))] += 1
    return [(f"{i * width:.3g}–{(i + 1) * width:.3g} points", n, str(n)) for i, n in enumerate(counts)]


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html_text(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _names(names: list[str], limit: int = 12) -> str:
    """Links to the submissions' pages (names are the students': escaped, URL-encoded)."""
    shown = ", ".join(f'<a href="{link_to(n, "report.html")}">{html_text(n, keep="")}</a>' for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _section(module: str, part: dict) -> str:
    n = part["students"]
    out = [f'<h2 id="{html_text(module)}">{html_text(module)}: {n} student(s), mean '
           f'{part["mean_score"]:g} / {part["max_score"]:g}</h2>']
    out.append('<div class="plots">')
    out.append(bars_svg(f"{module}: pass rate per check",
                        [(f"{c['check']} ({c['visibility']})", c["pass_rate"], f"{c['pass_rate']:.0%}")
                         for c in part["checks"]], 1.0))
    shown = part["mistakes"][:PLOTTED_MISTAKES]
    more = f" (the {len(shown)} most frequent of {len(part['mistakes'])})" if len(shown) < len(part["mistakes"]) else ""
    out.append(bars_svg(f"{module}: known mistakes by students{more}",
                        [(m["id"].split("/", 1)[-1], m["students"], str(m["students"])) for m in shown],
                        max([m["students"] for m in part["mistakes"]], default=1)))
    histogram = _histogram(part["scores"], part["max_score"])
    out.append(bars_svg(f"{module}: score distribution", histogram, max((h[1] for h in histogram), default=1)))
    out.append("</div>")
    out.append("<h3>Checks</h3>" + _table(
        ["check", "side", "cases", "pass rate (all cases)", "mean points", "max"],
        [[html_text(c["check"]), c["visibility"], str(c["cases"]), f"{c['pass_rate']:.0%}",
          f"{c['mean_points']:g}", f"{c['max_points']:g}"] for c in part["checks"]]))
    out.append("<h3>Known mistakes</h3>" + (_table(
        ["mistake", "students", "checks it cost (students)", "only hidden checks caught it", "mean points lost",
         "explanation", "who"],
        [[f"<code>{html_text(m['id'])}</code>", f"{m['students']} ({m['share']:.0%})",
          html_text("; ".join(f"{k}: {v}" for k, v in m["checks"].items())), str(m["hidden_only"]),
          f"{m['mean_points_lost']:g}", html_text(m["explanation"]), _names(m["submissions"])]
         for m in part["mistakes"]]) if part["mistakes"] else "<p>None named.</p>"))
    out.append("<h3>What hidden checks caught in students who passed every public check</h3>" + (_table(
        ["hidden check", "students", "who"],
        [[html_text(h["check"]), str(h["students"]), _names(h["submissions"])] for h in part["hidden_caught"]])
        if part["hidden_caught"] else "<p>Nothing.</p>"))
    out.append("<h3>Unrecognised failures (by check and kind)</h3>" + (_table(
        ["check", "kind", "students", "lines", "points lost", "example", "who"],
        [[html_text(f"{g['check']} ({g['visibility']})"), html_text(g["kind"]), str(g["students"]), str(g["lines"]),
          f"{g['points_lost']:g}", f"<pre>{html_text(g['example'])}</pre>", _names(g["submissions"])]
         for g in part["unrecognised"]]) if part["unrecognised"] else "<p>None.</p>"))
    out.append("<h3>Review flags</h3>" + (_table(
        ["submission", "flag"], [[_names([r["submission"]]), f'<span class="review">{html_text(r["message"])}</span>']
                                 for r in part["review"]]) if part["review"] else "<p>None.</p>"))
    return "\n".join(out)


def html_page(report: dict) -> str:
    contents = " · ".join(f'<a href="#{html_text(m)}">{html_text(m)}</a>' for m in report["handsons"])
    not_graded = (f"<p>Not graded at all: {_names(report['not_graded'])}</p>" if report["not_graded"] else "")
    body = (f"<h1>Class report: {report['submissions']} submission(s)</h1><p>{contents}</p>{not_graded}"
            + "\n".join(_section(m, part) for m, part in report["handsons"].items()))
    return page("Class report", body)


def write(results_dir: Path, batch: dict[str, dict] | None = None, html: bool = True) -> dict:
    """``class_report.json``, ``mistakes.csv`` and (``html``) ``class_report.html`` in ``results_dir``,
    of ``batch`` (default: every results.json there)."""
    results_dir = Path(results_dir)
    report = build(read_batch(results_dir) if batch is None else batch)
    write_atomic(results_dir / "class_report.json",
                 (json.dumps(report, indent=2, ensure_ascii=False) + "\n").encode(), PAGE_MODE)
    write_atomic(results_dir / "mistakes.csv", mistakes_csv(report), PAGE_MODE)
    if html:
        write_atomic(results_dir / "class_report.html", html_page(report).encode(), PAGE_MODE)
    return report
