"""Known mistakes as data and the class report: diagnoses named from the graders' explanations,
counts that add up, every shown word made safe, the HTML drawn in headless Chromium, and a
gradebook that keeps a regrade's earlier grading."""
from __future__ import annotations

import csv
import importlib
import io
import json
import re
import sqlite3
from pathlib import Path

import pytest

from autograder.engine import class_report, diagnoses, handsons
from autograder.engine.diagnoses import Diagnosis, diagnose
from autograder.engine.display import QUOTE_PREFIX
from autograder.engine.gradebook import Gradebook
from autograder.handsons.mel_spectrogram import grading as mel_grading

CHROMIUM = "/usr/bin/chromium"   # scripts/system-deps.sh installs it (Debian's package)
HOSTILE = ["=HYPERLINK(\"http://x\")", "<script>alert(1)</script>", "\u202eecila", "a\nb"]


def test_a_known_explanation_names_its_mistake():
    center = mel_grading.MISTAKES["center"]
    assert diagnose("mel_spectrogram", f"wrong frames\nLikely cause: {center}") == ["mel_spectrogram/center-true"]
    filled = mel_grading.MISTAKES["batch_length"].format(clips=3, total=90, length=30)   # fields filled in
    assert diagnose("mel_spectrogram", f"x\nLikely cause: {filled}\nmore") == ["mel_spectrogram/batch-length"]
    # another hands-on's explanation, an unknown one, or one quoted from what a submission printed: none
    assert diagnose("midi_tokens", f"x\nLikely cause: {center}") == []
    assert diagnose("mel_spectrogram", "x\nLikely cause: something nobody registered") == []
    assert diagnose("mel_spectrogram", f"Your code printed:\n{QUOTE_PREFIX}Likely cause: {center}") == []


def test_ids_are_checked_and_stable():
    with pytest.raises(ValueError):
        Diagnosis("No Module/Bad Id", "text")
    with pytest.raises(ValueError):
        Diagnosis("mel_spectrogram/center-true", "another explanation for the same id")
    assert Diagnosis("mel_spectrogram/center-true", str(mel_grading.MISTAKES["center"])).id == \
        "mel_spectrogram/center-true"


@pytest.mark.parametrize("module", handsons.names())
def test_every_likely_cause_in_a_grader_has_an_id(module):
    """A grader says "Likely cause:" only with a registered explanation (a Diagnosis), never
    with text of its own: else the class report could not count that mistake."""
    for path in handsons.get(module).grader_modules:   # grading.py and the modules it is split into
        literal = re.findall(r"Likely cause: (?!\{)[^\"']{3}", path.read_text())
        assert not literal, f"{path.name}: 'Likely cause:' followed by literal text: {literal}"
    importlib.import_module(f"autograder.handsons.{module}.grading")
    assert diagnoses.known(module), module


def _line(module, check, side, status, score, max_score, output="", ids=(), kind=None):
    return {"name": f"{module}: {check}", "score": score, "max_score": max_score, "status": status,
            "output": output, "visibility": "visible" if side == "public" else "after_published", "tags": [module],
            "extra_data": {"nodeid": f"autograder/handsons/{module}/test_{side}.py::{check}",
                           "kind": kind or ("passed" if status == "passed" else "wrong"),
                           **({"diagnoses": list(ids)} if status == "failed" else {})}}


def _batch() -> dict[str, dict]:
    """Four students of one hands-on: right, center=True (caught by public and hidden checks), a
    failure nobody recognised caught by a hidden check only, and one with a hostile message."""
    m, center = "mel_spectrogram", "mel_spectrogram/center-true"

    def student(lines, review=()):
        return {"score": sum(t["score"] for t in lines), "tests": lines, "extra_data": {"review": list(review)}}
    ok = lambda side, case: _line(m, f"test_mel_spectrogram[{case}]", side, "passed", 2, 2)   # noqa: E731
    return {
        "right": student([ok("public", "a"), ok("hidden", "b")]),
        "centred": student([_line(m, "test_mel_spectrogram[a]", "public", "failed", 0, 2, "x", [center]),
                            _line(m, "test_mel_spectrogram[b]", "hidden", "failed", 0, 2, "x", [center])]),
        HOSTILE[0]: student([ok("public", "a"),
                             _line(m, "test_mel_spectrogram[b]", "hidden", "failed", 0, 2, HOSTILE[1], kind="crash")],
                            review=[{"module": m, "message": HOSTILE[1]}]),
        HOSTILE[2]: student([ok("public", "a"),
                             _line(m, "test_mel_spectrogram[b]", "hidden", "failed", 0, 2, HOSTILE[3], [center])]),
    }


def test_the_counts_add_up():
    report = class_report.build(_batch())
    part = report["handsons"]["mel_spectrogram"]
    assert part["students"] == 4 and sorted(part["scores"]) == [0, 2, 2, 4] and part["mean_score"] == 2.0
    public, hidden = part["checks"]
    assert (public["visibility"], public["students"], public["students_passed"], public["mean_points"]) == \
        ("public", 4, 3, 1.5)
    assert (hidden["visibility"], hidden["students"], hidden["students_passed"], hidden["pass_rate"]) == \
        ("hidden", 4, 1, 0.25)
    [mistake] = part["mistakes"]
    assert mistake["id"] == "mel_spectrogram/center-true" and mistake["students"] == 2
    assert mistake["explanation"] == str(mel_grading.MISTAKES["center"])
    assert mistake["checks"] == {"test_mel_spectrogram (public)": 1, "test_mel_spectrogram (hidden)": 2}
    assert mistake["hidden_only"] == 1 and mistake["mean_points_lost"] == 3.0
    [unknown] = part["unrecognised"]
    assert (unknown["check"], unknown["kind"], unknown["students"]) == ("test_mel_spectrogram", "crash", 1)
    # hidden checks caught two students who passed every public check
    assert part["hidden_caught"] == [{"check": "test_mel_spectrogram (hidden)", "students": 2,
                                      "submissions": sorted([HOSTILE[0], HOSTILE[2]])}]
    assert part["review"] == [{"submission": HOSTILE[0], "message": HOSTILE[1]}]


def test_what_is_shown_is_safe(tmp_path):
    batch = _batch()
    report = class_report.build(batch)
    for cells in csv.reader(io.StringIO(class_report.mistakes_csv(report).decode())):
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells), cells
    page = class_report.html_page(report)
    assert "<script" not in page and "\u202e" not in page and "\\u202e" in page
    assert 'href="./%3DHYPERLINK%28%22http%3A%2F%2Fx%22%29/report.html"' in page


def _chromium_page(path: Path):
    """The page as headless Chromium draws it: (number of plots, bars, their widths, dialogs)."""
    from playwright.sync_api import sync_playwright
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} missing: `make system-deps` installs Debian's chromium"
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            dialogs = []
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.goto(path.as_uri())
            plots = page.locator("svg.plot")
            boxes = [plots.nth(i).bounding_box() for i in range(plots.count())]
            widths = page.eval_on_selector_all("svg.plot rect.bar", "rects => rects.map(r => r.getBBox().width)")
            return boxes, widths, dialogs, page.inner_text("body")
        finally:
            browser.close()


def test_the_page_renders_in_chromium(tmp_path):
    for name, results in _batch().items():
        folder = tmp_path / name.replace("/", "_")
        folder.mkdir(parents=True)
        (folder / "results.json").write_text(json.dumps(results))
    class_report.write(tmp_path)
    boxes, widths, dialogs, text = _chromium_page(tmp_path / "class_report.html")
    assert len(boxes) == 3 and all(box and box["width"] > 300 and box["height"] > 30 for box in boxes)
    # pass rates 75 % and 25 %, one mistake, ten score bins: bars drawn to scale
    assert widths[:2] == pytest.approx([0.75 * 360, 0.25 * 360]) and widths[2] == pytest.approx(360)
    assert len(widths) == 2 + 1 + class_report.SCORE_BINS
    assert dialogs == [] and "mel_spectrogram/center-true" in text and "<script>alert(1)</script>" in text
    assert json.loads((tmp_path / "class_report.json").read_text())["handsons"]["mel_spectrogram"]["students"] == 4


OLD_GRADINGS = """CREATE TABLE gradings (
    id INTEGER PRIMARY KEY,
    submission TEXT NOT NULL, student TEXT NOT NULL, content_sha256 TEXT NOT NULL,
    grader_version TEXT NOT NULL, fixtures_version TEXT NOT NULL, scope TEXT NOT NULL,
    score REAL NOT NULL, max_score REAL NOT NULL, results TEXT NOT NULL,
    graded_at REAL NOT NULL, run_id INTEGER NOT NULL REFERENCES runs(id),
    UNIQUE (submission, content_sha256, grader_version, fixtures_version, scope));
CREATE TABLE test_results (
    grading_id INTEGER NOT NULL REFERENCES gradings(id) ON DELETE CASCADE,
    position INTEGER NOT NULL, module TEXT NOT NULL, name TEXT NOT NULL,
    score REAL NOT NULL, max_score REAL NOT NULL, status TEXT NOT NULL, output TEXT NOT NULL,
    visibility TEXT NOT NULL, PRIMARY KEY (grading_id, position));
"""


def test_a_regrade_keeps_the_earlier_grading_also_in_an_old_gradebook(tmp_path):
    path = tmp_path / "gradebook.sqlite"
    with sqlite3.connect(path) as db:   # a gradebook written before regrades kept history
        db.executescript(OLD_GRADINGS)
        db.execute("INSERT INTO gradings VALUES (1, 's', 's', 'd', 'g', 'f', 'scope', 1, 2, '{\"score\": 1}', 0, 1)")
        db.execute("INSERT INTO test_results VALUES (1, 0, 'm', 'n', 1, 2, 'failed', 'o', 'visible')")
    book = Gradebook(path, "scope")
    book.grader_version, book.fixtures_version = "g", "f"
    book.start_run(1)
    line = _line("mel_spectrogram", "test_x", "public", "failed", 0, 2, "x", ["mel_spectrogram/center-true"])
    book.record("s", "s", "d", {"score": 0.0, "tests": [line]})
    assert book.lookup("s", "d") == {"score": 0.0, "tests": [line]}      # the latest counts
    book.close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT id, score FROM gradings ORDER BY id").fetchall() == [(1, 1.0), (2, 0.0)]
        assert db.execute("SELECT grading_id, kind, diagnoses FROM test_results ORDER BY grading_id").fetchall() == \
            [(1, "", "[]"), (2, "wrong", '["mel_spectrogram/center-true"]')]
