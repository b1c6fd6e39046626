"""HTML feedback: one page per submission and an index for the batch.

Self-contained pages (pictures as inline PNG, sound as inline WAV): each check
with its status, points and message, and the pictures and players its grader
attached (public checks only); the index has every submission's scores and a
score histogram per hands-on.

Pictures show what student code returned, so their cost is bounded like everything
else it controls: each is drawn from at most a fixed amount of data (the notes of a
piano roll are capped, long series and big maps decimated, and the picture says so),
under a time limit of its own, in a process of its own with a limit for the page. A
page is drawn once per content (results and pictures' data, by hash): a run that
regrades nothing redraws nothing. The batch writes grades.csv before any of this.
"""
from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import os
import re
import signal
import time
import wave
from pathlib import Path

import numpy as np

from . import artifacts as artifact_store
from .display import html_text, link_to, page
from .results import module_scores, review_text, write_atomic

# Bump when pages would be drawn differently: a page drawn by another version is drawn again.
RENDERER = "report-2"
MAX_NOTES = 2000          # notes drawn per piano roll
MAX_POINTS = 4000         # points drawn per curve
MAX_CELLS = (512, 2048)   # rows x columns drawn per heat map
PICTURE_SECONDS = 10.0    # one picture's drawing, at most
PAGE_SECONDS = 60.0       # one page's drawing, at most (its process is stopped then)
PAGE_MODE = 0o644         # pages are for reading, by a web server too


def _png(figure) -> str:
    import matplotlib.pyplot as plt
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(figure)
    return f'<img src="data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}">'


def _wav(samples: np.ndarray, rate: int) -> str:
    samples = np.nan_to_num(np.asarray(samples, dtype=np.float32).ravel())
    peak = float(np.max(np.abs(samples))) if samples.size else 0.0
    pcm = (np.clip(samples / peak if peak > 1 else samples, -1, 1) * 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(min(max(rate, 1000), 192_000))
        out.writeframes(pcm.tobytes())
    return (f'<audio controls src="data:audio/wav;base64,{base64.b64encode(buffer.getvalue()).decode()}">'
            f'</audio>')


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _figure(count: int, height: float = 2.6):
    return _pyplot().subplots(1, count, figsize=(4.2 * count, height), squeeze=False)


def _decimated(array: np.ndarray, limits: tuple[int, ...]) -> tuple[np.ndarray, str]:
    """``array`` with every k-th element along each axis, so that it fits ``limits``; what was left out."""
    steps = [max(1, -(-size // limit)) for size, limit in zip(array.shape, limits)]
    if all(step == 1 for step in steps):
        return array, ""
    shown = array[tuple(slice(None, None, step) for step in steps)]
    return shown, f" (decimated for the picture: {array.shape} -> {shown.shape})"


def _piano_roll(axis, notes: np.ndarray) -> str:
    """The notes as bars of one collection (one artist, however many notes); at most MAX_NOTES."""
    from matplotlib.collections import PolyCollection
    notes = np.asarray(notes, dtype=np.float64).reshape(-1, 5)
    total = len(notes)
    notes = notes[np.isfinite(notes).all(axis=1)][:MAX_NOTES]
    onset, duration, pitch = notes[:, 0] / 100, np.maximum(notes[:, 1], 1) / 100, notes[:, 2]
    bars = np.stack([np.stack([onset, pitch - 0.4], 1), np.stack([onset + duration, pitch - 0.4], 1),
                     np.stack([onset + duration, pitch + 0.4], 1), np.stack([onset, pitch + 0.4], 1)], 1)
    colors = np.where(notes[:, 3] == 128, "#ff7f0e", "#1f77b4")
    axis.add_collection(PolyCollection(bars, facecolors=colors, edgecolors="none"))
    if len(notes):
        axis.set_xlim(float(onset.min()), float((onset + duration).max()))
        axis.set_ylim(float(pitch.min()) - 1, float(pitch.max()) + 1)
    return f" ({len(notes)} of {total} notes drawn)" if len(notes) < total else ""


def render_artifact(kind: str, title: str, arrays: dict[str, np.ndarray], meta: dict) -> str:
    """One artifact as HTML, drawn from a bounded share of its data (the picture says what was left out)."""
    if kind == "audio":
        return f"<p><b>{html_text(title)}</b></p>" + _wav(arrays["samples"], int(meta.get("rate", 16000)))
    notes = []
    if kind == "heatmaps":
        figure, axes = _figure(len(arrays))
        for axis, (name, array) in zip(axes[0], arrays.items()):
            array, note = _decimated(np.atleast_2d(np.asarray(array, dtype=np.float64)), MAX_CELLS)
            shown = axis.imshow(array, origin="lower", aspect="auto",
                                cmap="coolwarm" if name.startswith("diff") else "magma")
            figure.colorbar(shown, ax=axis)
            axis.set_title(name + note, fontsize=8 if note else None)
            notes.append(note)
    elif kind == "curves":
        figure, axes = _figure(1, 3.0)
        axis = axes[0][0]
        for name, series in arrays.items():
            series = np.asarray(series, dtype=np.float64).ravel()
            x, _ = _decimated(np.arange(1, len(series) + 1), (MAX_POINTS,))
            shown, note = _decimated(series, (MAX_POINTS,))
            axis.plot(x, shown, marker="." if len(shown) < 200 else None, label=name + note)
            notes.append(note)
        axis.set_xlabel(meta.get("x_label", ""))
        axis.set_ylabel(meta.get("y_label", ""))
        axis.legend()
        figure.set_size_inches(7, 3)
    elif kind == "piano_roll":
        figure, axes = _figure(len(arrays))
        for axis, (name, rolled) in zip(axes[0], arrays.items()):
            note = _piano_roll(axis, rolled)
            axis.set_title(name + note, fontsize=8 if note else None)
            axis.set_xlabel("seconds")
            axis.set_ylabel("pitch")
            notes.append(note)
    else:
        return f"<p><b>{html_text(title)}</b></p><p>(no renderer for {html_text(kind)})</p>"
    left_out = "".join(f"<br><small>{html_text(name)}{html_text(note)}</small>"
                       for name, note in zip(arrays, notes) if note)
    return f"<p><b>{html_text(title)}</b>{left_out}</p>" + _png(figure)


class _TooSlow(Exception):
    pass


@contextlib.contextmanager
def _time_limit(seconds: float):
    """Raise :class:`_TooSlow` in this (single-threaded) process after ``seconds``."""
    def expire(signum, frame):
        raise _TooSlow()
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _picture(folder: Path, description: dict, limited: bool) -> str:
    try:
        with _time_limit(PICTURE_SECONDS) if limited else contextlib.nullcontext():
            arrays = artifact_store.load(folder / "artifacts", description)
            return render_artifact(description["kind"], description["title"], arrays, description.get("meta", {}))
    except _TooSlow:
        return f"<p>(picture not drawn: it took more than {PICTURE_SECONDS:g} s)</p>"
    except Exception as error:   # noqa: BLE001 (a picture of student data that cannot be drawn is not fatal)
        return f"<p>(picture unavailable: {html_text(f'{type(error).__name__}: {error}'[:300])})</p>"


def submission_page(name: str, results: dict, folder: Path, pictures: str = "draw", limited: bool = False) -> str:
    """The page of one submission. ``pictures``: "draw", or why they are not drawn."""
    tests = results.get("tests", [])
    scores = module_scores(tests)
    parts = [f"<h1>{html_text(name, keep='')}: {results.get('score', 0):g} / "
             f"{sum(m for _, m in scores.values()):g}</h1>"]
    if results.get("output"):
        parts.append(f"<pre>{html_text(results['output'])}</pre>")
    if review_text(results):
        parts.append(f'<p class="review">To review: {html_text(review_text(results))}</p>')
    current = None
    for test in tests:
        module = (test.get("tags") or ["?"])[0]
        if module != current:
            current = module
            score, maximum = scores[module]
            parts.append(f"<h2>{html_text(module)}: {score:g} / {maximum:g}</h2>")
        hidden = test.get("visibility") != "visible"
        status = "passed" if test.get("status") == "passed" else "failed"
        parts.append(f'<div class="check {status}"><span class="status">{status.upper()}</span> '
                     f'{test["score"]:g}/{test["max_score"]:g} &nbsp; {html_text(test["name"])}'
                     f'{" <span class=hidden-note>(hidden check)</span>" if hidden else ""}')
        if test.get("output"):
            parts.append(f"<pre>{html_text(test['output'])}</pre>")
        for description in test.get("extra_data", {}).get("artifacts", []):
            if pictures == "draw":
                parts.append(_picture(folder, description, limited))
            else:
                parts.append(f"<p><b>{html_text(description.get('title', ''))}</b>: ({html_text(pictures)})</p>")
        parts.append("</div>")
    return page(f"Feedback: {name}", "\n".join(parts))


def index_page(graded: list, maxima: dict[str, float]) -> str:
    modules = list(maxima)
    rows = []
    for item in graded:
        scores = module_scores(item.results.get("tests", []))
        cells = "".join(f"<td>{scores.get(m, (0.0, 0.0))[0]:g}</td>" for m in modules)
        link = f'<a href="{link_to(item.name, "report.html")}">{html_text(item.name, keep="")}</a>'
        review = review_text(item.results)
        flag = f'<td class="review">{html_text(review)}</td>' if review else "<td></td>"
        rows.append(f"<tr><td>{link}</td>{cells}<td><b>{item.results.get('score', 0):g}</b></td>{flag}</tr>")
    header = "".join(f"<th>{html_text(m)} (/{maxima[m]:g})</th>" for m in modules)
    figure, axes = _figure(len(modules), 2.4)
    for axis, module in zip(axes[0], modules):
        values = [module_scores(g.results.get("tests", [])).get(module, (0.0, 0.0))[0] for g in graded]
        axis.hist(values, bins=min(10, max(1, len(values))), range=(0, maxima[module] or 1), color="#4c72b0")
        axis.set_title(module)
        axis.set_xlabel("points")
    body = (f"<h1>Batch: {len(graded)} submission(s)</h1>"
            f"<p><a href=\"./class_report.html\">Class report</a>: what the class got wrong, per check and "
            f"known mistake (also class_report.json and mistakes.csv)</p>{_png(figure)}"
            f"<table><tr><th>submission</th>{header}<th>total (/{sum(maxima.values()):g})</th>"
            f"<th>review</th></tr>"
            f"{''.join(rows)}</table>")
    return page("Grading report", body)


def page_key(name: str, results: dict, folder: Path) -> str:
    """What a page is drawn from, by hash: its name, results and pictures' data, and this renderer."""
    digest = hashlib.sha256(json.dumps([RENDERER, name, results], sort_keys=True, default=str).encode())
    for test in results.get("tests", []):
        for description in test.get("extra_data", {}).get("artifacts", []):
            try:
                digest.update((folder / "artifacts" / str(description.get("file", ""))).read_bytes())
            except OSError:
                digest.update(b"missing")
    return digest.hexdigest()


def _write_page(target: Path, key: str, page: str) -> None:
    """``page`` with what it was drawn from (see :func:`page_key`) on its first line."""
    page = page.replace("<!doctype html>", f"<!doctype html><!-- drawn from {key} -->\n", 1)
    write_atomic(target, page.encode(), PAGE_MODE)


def _drawn_from(path: Path) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            first = handle.readline(200)
    except OSError:
        return None
    found = re.fullmatch(r"<!doctype html><!-- drawn from ([0-9a-f]{64}) -->\n", first)
    return found.group(1) if found else None


def _has_pictures(results: dict) -> bool:
    return any(t.get("extra_data", {}).get("artifacts") for t in results.get("tests", []))


def _draw_in_a_process(name: str, results: dict, folder: Path, key: str) -> str | None:
    """Draw the page in a forked process, stopped after PAGE_SECONDS; None if it did, else why not."""
    target = folder / "report.html"
    pid = os.fork()
    if pid == 0:   # the child: draw, write, leave
        code = 1
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            _write_page(target, key, submission_page(name, results, folder, limited=True))
            code = 0
        finally:
            os._exit(code)
    deadline = time.monotonic() + PAGE_SECONDS
    while True:
        ended, status = os.waitpid(pid, os.WNOHANG)
        if ended:
            return None if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 else "drawing this page failed"
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return f"drawing this page took more than {PAGE_SECONDS:g} s"
        time.sleep(0.02)


def write_page(name: str, results: dict, folder: Path) -> str:
    """``folder/report.html``, unless it is already drawn from this content: "kept", "drawn", or
    "stopped" (its pictures took too long: the page is written without them)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "report.html"
    key = page_key(name, results, folder)
    if _drawn_from(target) == key:
        return "kept"
    if not _has_pictures(results) or not hasattr(os, "fork"):
        _write_page(target, key, submission_page(name, results, folder))
        return "drawn"
    _pyplot()   # imported here once, not in every drawing process
    why = _draw_in_a_process(name, results, folder, key)
    if why is None:
        return "drawn"
    _write_page(target, key, submission_page(name, results, folder, pictures=f"pictures not drawn: {why}"))
    return "stopped"


def write_reports(out_dir: Path, graded: list, maxima: dict[str, float]) -> Path:
    """``out_dir/<name>/report.html`` for each submission (drawn again only if its content changed),
    the class report (``class_report``) and ``out_dir/index.html``."""
    out_dir = Path(out_dir)
    for item in graded:
        write_page(item.name, item.results, out_dir / item.name)
    from . import class_report
    class_report.write(out_dir, {item.name: item.results for item in graded})
    write_atomic(out_dir / "index.html", index_page(graded, maxima).encode(), PAGE_MODE)
    return out_dir / "index.html"
