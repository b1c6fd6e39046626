"""The Gradescope autograder zip, run against a simulated /autograder layout."""
import json
import os
import shutil
import subprocess
import sys
import zipfile

from autograder.engine import handsons
from autograder.packaging import build_gradescope_zip


def _unpack(archive, target):
    with zipfile.ZipFile(archive) as zipped:
        for info in zipped.infolist():
            path = target / info.filename
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(zipped.read(info))
            os.chmod(path, (info.external_attr >> 16) & 0o777)


def test_zip_holds_the_scripts_and_no_test_or_cache(tmp_path):
    names = build_gradescope_zip(tmp_path / "autograder.zip")
    assert names[:2] == ["setup.sh", "run_autograder"]
    assert not [n for n in names if n.startswith(("tests/", "examples/", ".venv/")) or "__pycache__" in n]
    assert any(n.startswith("solutions/") for n in names) and "fixtures/manifest.json" in names
    again = build_gradescope_zip(tmp_path / "again.zip")
    assert again == names and (tmp_path / "again.zip").read_bytes() == (tmp_path / "autograder.zip").read_bytes()
    setup = zipfile.ZipFile(tmp_path / "autograder.zip").read("setup.sh").decode()
    assert "download.pytorch.org/whl/cpu torch==2.13.0" in setup   # never the CUDA build


def test_run_autograder_grades_the_submission_into_results_json(tmp_path):
    root = tmp_path / "autograder"
    build_gradescope_zip(tmp_path / "autograder.zip")
    _unpack(tmp_path / "autograder.zip", root / "source")
    (root / "submission").mkdir(parents=True)
    (root / "results").mkdir()
    for module in handsons.names():
        shutil.copy(handsons.get(module).reference_path, root / "submission")
    run = subprocess.run(["bash", str(root / "source" / "run_autograder")], capture_output=True, text=True,
                         timeout=1200, env={**os.environ, "AG_GRADESCOPE_ROOT": str(root),
                                            "AG_PYTHON": sys.executable})
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["tests"] and results["score"] == sum(t["max_score"] for t in results["tests"])
    assert {t["visibility"] for t in results["tests"]} == {"visible", "after_published"}
    assert {t["tags"][0] for t in results["tests"]} == set(handsons.names())
    assert oct(os.stat(root / "source" / "solutions").st_mode & 0o077) == "0o0"
