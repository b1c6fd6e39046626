"""HTML feedback: a page per submission with pictures for public checks, an index with histograms."""
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from autograder.engine import handsons, report
from autograder.engine.artifacts import Artifacts


def test_html_reports(tmp_path):
    partial = handsons.REPO_ROOT / "examples" / "partial"
    run = subprocess.run([sys.executable, "-m", "autograder", "grade", str(handsons.SOLUTIONS_DIR), str(partial),
                          "--out", str(tmp_path), "--html", "--module", "midi_tokens"],
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout + run.stderr
    index = (tmp_path / "index.html").read_text()
    assert 'href="./solutions/report.html"' in index and 'href="./partial/report.html"' in index
    assert index.count("data:image/png;base64,") == 1          # one histogram per hands-on
    page = (tmp_path / "partial" / "report.html").read_text()
    results = json.loads((tmp_path / "partial" / "results.json").read_text())
    failed = [t for t in results["tests"] if t["status"] == "failed"]
    assert failed and all(t["output"].split("\n")[0][:40] in page.replace("&#x27;", "'") for t in failed)
    with_pictures = [t for t in results["tests"] if t["extra_data"].get("artifacts")]
    assert with_pictures and all(t["visibility"] == "visible" for t in with_pictures)   # never hidden data
    assert page.count("data:image/png;base64,") >= len(with_pictures)


def _page_with_a_picture(folder: Path) -> dict:
    """Results of one failed public check with a piano roll, its data saved under ``folder``."""
    pictures = Artifacts(True)
    pictures.piano_roll("notes: expected and yours", yours=np.array([[0, 10, 60, 0, 90]] * 3))
    saved = pictures.save(folder / "artifacts", "check-0")
    return {"score": 0.0, "output": "", "tests": [
        {"name": "midi_tokens: a check", "score": 0.0, "max_score": 1.0, "status": "failed", "output": "wrong",
         "visibility": "visible", "tags": ["midi_tokens"], "extra_data": {"artifacts": saved}}]}


def test_a_picture_is_drawn_once_per_content(tmp_path):
    folder = tmp_path / "student"
    results = _page_with_a_picture(folder)
    assert report.write_page("student", results, folder) == "drawn"
    page = (folder / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 1
    assert report.write_page("student", results, folder) == "kept"
    changed = {**results, "tests": [{**results["tests"][0], "output": "wrong again"}]}
    assert report.write_page("student", changed, folder) == "drawn"


def test_a_picture_that_takes_too_long_is_not_waited_for(tmp_path, monkeypatch):
    """Each picture has a time limit, and so has each page's drawing process (stopped at its limit):
    the page is written without what did not finish, and says so."""
    monkeypatch.setattr(report, "render_artifact", lambda *args: time.sleep(3600))
    monkeypatch.setattr(report, "PICTURE_SECONDS", 0.5)
    folder = tmp_path / "slow_picture"
    assert report.write_page("slow_picture", _page_with_a_picture(folder), folder) == "drawn"
    assert "picture not drawn: it took more than 0.5 s" in (folder / "report.html").read_text()
    monkeypatch.setattr(report, "PICTURE_SECONDS", 3600.0)
    monkeypatch.setattr(report, "PAGE_SECONDS", 1.0)
    folder = tmp_path / "slow_page"
    assert report.write_page("slow_page", _page_with_a_picture(folder), folder) == "stopped"
    page = (folder / "report.html").read_text()
    assert "pictures not drawn: drawing this page took more than 1 s" in page and "wrong" in page


def test_big_pictures_are_drawn_from_a_bounded_share_of_their_data():
    many = np.array([[i * 5, 20, 30 + i % 70, i % 16, 90] for i in range(10_000)])
    html = report.render_artifact("piano_roll", "notes", {"yours": many}, {})
    assert f"{report.MAX_NOTES} of 10000 notes drawn" in html
    wide = report.render_artifact("heatmaps", "mel", {"got": np.zeros((80, 100_000))}, {})
    assert "decimated for the picture: (80, 100000) -&gt; (80, 2041)" in wide
    long = report.render_artifact("curves", "distances", {"got": np.arange(50_000.0)}, {})
    assert "decimated for the picture: (50000,) -&gt; (3847,)" in long
