"""HTML feedback: a page per submission with pictures for public checks, an index with histograms."""
import json
import subprocess
import sys

from autograder.engine import handsons


def test_html_reports(tmp_path):
    partial = handsons.REPO_ROOT / "examples" / "partial"
    run = subprocess.run([sys.executable, "-m", "autograder", "grade", str(handsons.SOLUTIONS_DIR), str(partial),
                          "--out", str(tmp_path), "--html", "--module", "midi_tokens"],
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout + run.stderr
    index = (tmp_path / "index.html").read_text()
    assert 'href="solutions/report.html"' in index and 'href="partial/report.html"' in index
    assert index.count("data:image/png;base64,") == 1          # one histogram per hands-on
    page = (tmp_path / "partial" / "report.html").read_text()
    results = json.loads((tmp_path / "partial" / "results.json").read_text())
    failed = [t for t in results["tests"] if t["status"] == "failed"]
    assert failed and all(t["output"].split("\n")[0][:40] in page.replace("&#x27;", "'") for t in failed)
    with_pictures = [t for t in results["tests"] if t["extra_data"].get("artifacts")]
    assert with_pictures and all(t["visibility"] == "visible" for t in with_pictures)   # never hidden data
    assert page.count("data:image/png;base64,") >= len(with_pictures)
