"""HTML feedback: one page per submission and an index for the batch.

Self-contained pages (pictures as inline PNG, sound as inline WAV): each check
with its status, points and message, and the pictures and players its grader
attached (public checks only); the index has every submission's scores and a
score histogram per hands-on.
"""
from __future__ import annotations

import base64
import html
import io
import wave
from pathlib import Path

import numpy as np

from . import artifacts as artifact_store
from .results import module_scores, review_text

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; }
table { border-collapse: collapse; } td, th { padding: 0.3em 0.8em; border-bottom: 1px solid #ddd; text-align: left; }
.check { border-left: 4px solid #ccc; padding: 0.3em 1em; margin: 0.8em 0; }
.passed { border-color: #2a9d4b; } .failed { border-color: #d1495b; }
.status { font-weight: bold; } .passed .status { color: #2a9d4b; } .failed .status { color: #d1495b; }
pre { white-space: pre-wrap; background: #f6f6f6; padding: 0.6em; font-size: 0.9em; }
img { max-width: 100%; } .hidden-note { color: #777; font-size: 0.9em; }
.review { color: #9a5b00; background: #fff4e0; }
"""


def _png(figure) -> str:
    import matplotlib.pyplot as plt
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(figure)
    return f'<img src="data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}">'


def _wav(samples: np.ndarray, rate: int) -> str:
    peak = float(np.max(np.abs(samples))) if samples.size else 0.0
    pcm = (np.clip(samples / peak if peak > 1 else samples, -1, 1) * 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())
    return (f'<audio controls src="data:audio/wav;base64,{base64.b64encode(buffer.getvalue()).decode()}">'
            f'</audio>')


def _figure(count: int, height: float = 2.6):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt.subplots(1, count, figsize=(4.2 * count, height), squeeze=False)


def render_artifact(kind: str, title: str, arrays: dict[str, np.ndarray], meta: dict) -> str:
    """One artifact as HTML."""
    head = f"<p><b>{html.escape(title)}</b></p>"
    if kind == "audio":
        return head + _wav(arrays["samples"], int(meta.get("rate", 16000)))
    if kind == "heatmaps":
        figure, axes = _figure(len(arrays))
        for axis, (name, array) in zip(axes[0], arrays.items()):
            shown = axis.imshow(np.atleast_2d(array), origin="lower", aspect="auto",
                                cmap="coolwarm" if name.startswith("diff") else "magma")
            figure.colorbar(shown, ax=axis)
            axis.set_title(name)
        return head + _png(figure)
    if kind == "curves":
        figure, axes = _figure(1, 3.0)
        axis = axes[0][0]
        for name, series in arrays.items():
            axis.plot(np.arange(1, len(series) + 1), series, marker=".", label=name)
        axis.set_xlabel(meta.get("x_label", ""))
        axis.set_ylabel(meta.get("y_label", ""))
        axis.legend()
        figure.set_size_inches(7, 3)
        return head + _png(figure)
    if kind == "piano_roll":
        figure, axes = _figure(len(arrays))
        for axis, (name, notes) in zip(axes[0], arrays.items()):
            for onset, duration, pitch, instrument, velocity in np.asarray(notes).reshape(-1, 5):
                axis.broken_barh([(onset / 100, max(duration, 1) / 100)], (pitch - 0.4, 0.8),
                                 color="#1f77b4" if instrument != 128 else "#ff7f0e")
            axis.set_title(name)
            axis.set_xlabel("seconds")
            axis.set_ylabel("pitch")
        return head + _png(figure)
    return head + f"<p>(no renderer for {html.escape(kind)})</p>"


def submission_page(name: str, results: dict, folder: Path) -> str:
    tests = results.get("tests", [])
    scores = module_scores(tests)
    parts = [f"<h1>{html.escape(name)}: {results.get('score', 0):g} / {sum(m for _, m in scores.values()):g}</h1>"]
    if results.get("output"):
        parts.append(f"<pre>{html.escape(results['output'])}</pre>")
    if review_text(results):
        parts.append(f'<p class="review">To review: {html.escape(review_text(results))}</p>')
    current = None
    for test in tests:
        module = (test.get("tags") or ["?"])[0]
        if module != current:
            current = module
            score, maximum = scores[module]
            parts.append(f"<h2>{html.escape(module)}: {score:g} / {maximum:g}</h2>")
        hidden = test.get("visibility") != "visible"
        parts.append(f'<div class="check {test["status"]}"><span class="status">{test["status"].upper()}</span> '
                     f'{test["score"]:g}/{test["max_score"]:g} &nbsp; {html.escape(test["name"])}'
                     f'{" <span class=hidden-note>(hidden check)</span>" if hidden else ""}')
        if test.get("output"):
            parts.append(f"<pre>{html.escape(test['output'])}</pre>")
        for description in test.get("extra_data", {}).get("artifacts", []):
            try:
                arrays = artifact_store.load(folder / "artifacts", description)
                parts.append(render_artifact(description["kind"], description["title"], arrays,
                                             description.get("meta", {})))
            except (OSError, ValueError, KeyError) as error:
                parts.append(f"<p>(picture unavailable: {html.escape(str(error))})</p>")
        parts.append("</div>")
    return _page(f"Feedback: {name}", "\n".join(parts))


def _page(title: str, body: str) -> str:
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{STYLE}</style></head><body>{body}</body></html>\n")


def index_page(graded: list, maxima: dict[str, float]) -> str:
    modules = list(maxima)
    rows = []
    for item in graded:
        scores = module_scores(item.results.get("tests", []))
        cells = "".join(f"<td>{scores.get(m, (0.0, 0.0))[0]:g}</td>" for m in modules)
        link = f'<a href="{html.escape(item.name)}/report.html">{html.escape(item.name)}</a>'
        review = review_text(item.results)
        flag = f'<td class="review">{html.escape(review)}</td>' if review else "<td></td>"
        rows.append(f"<tr><td>{link}</td>{cells}<td><b>{item.results.get('score', 0):g}</b></td>{flag}</tr>")
    header = "".join(f"<th>{html.escape(m)} (/{maxima[m]:g})</th>" for m in modules)
    figure, axes = _figure(len(modules), 2.4)
    for axis, module in zip(axes[0], modules):
        values = [module_scores(g.results.get("tests", [])).get(module, (0.0, 0.0))[0] for g in graded]
        axis.hist(values, bins=min(10, max(1, len(values))), range=(0, maxima[module] or 1), color="#4c72b0")
        axis.set_title(module)
        axis.set_xlabel("points")
    body = (f"<h1>Batch: {len(graded)} submission(s)</h1>{_png(figure)}"
            f"<table><tr><th>submission</th>{header}<th>total (/{sum(maxima.values()):g})</th>"
            f"<th>review</th></tr>"
            f"{''.join(rows)}</table>")
    return _page("Grading report", body)


def write_reports(out_dir: Path, graded: list, maxima: dict[str, float]) -> Path:
    """``out_dir/<name>/report.html`` for each submission and ``out_dir/index.html``."""
    out_dir = Path(out_dir)
    for item in graded:
        folder = out_dir / item.name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "report.html").write_text(submission_page(item.name, item.results, folder))
    (out_dir / "index.html").write_text(index_page(graded, maxima))
    return out_dir / "index.html"
