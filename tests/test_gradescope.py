"""The Gradescope autograder zip, run against a simulated /autograder layout: its setup.sh
installs exactly the base lock into a fresh venv, and its run_autograder grades with that venv."""
import json
import os
import shutil
import subprocess
import sys
import zipfile

from autograder.engine import handsons, variants
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
    # The grading variants and the course secret that assigns them (the zip is never shown to students).
    assert "fixtures/term.json" in names and any("/variants/" in n for n in names)
    assert zipfile.ZipFile(tmp_path / "autograder.zip").read(".course-secret").strip() == \
        variants.read_secret(variants.secret_path())
    again = build_gradescope_zip(tmp_path / "again.zip")
    assert again == names and (tmp_path / "again.zip").read_bytes() == (tmp_path / "autograder.zip").read_bytes()
    archive = zipfile.ZipFile(tmp_path / "autograder.zip")
    assert archive.read("locks/base.txt") == (handsons.REPO_ROOT / "locks" / "base.txt").read_bytes()
    setup = archive.read("setup.sh").decode()
    assert '"$SOURCE/scripts/install-lock.sh"' in setup and '"$SOURCE/locks/base.txt"' in setup


def test_setup_installs_the_lock_and_run_autograder_grades_with_it(tmp_path):
    root = tmp_path / "autograder"
    build_gradescope_zip(tmp_path / "autograder.zip")
    _unpack(tmp_path / "autograder.zip", root / "source")
    venv = tmp_path / "ag-venv"
    setup = subprocess.run(["bash", str(root / "source" / "setup.sh")], capture_output=True, text=True, timeout=1800,
                           env={**os.environ, "AG_SOURCE": str(root / "source"), "AG_VENV": str(venv),
                                "AG_SKIP_APT": "1", "AG_SETUP_PYTHON": sys.executable})
    assert setup.returncode == 0, setup.stdout[-3000:] + setup.stderr[-3000:]
    python = venv / "bin" / "python"
    exact = subprocess.run([str(python), str(root / "source" / "scripts" / "lock.py"), "compare",
                            str(root / "source" / "locks" / "base.txt")], capture_output=True, text=True)
    assert exact.returncode == 0 and not exact.stdout.strip(), exact.stdout   # exactly the lock, nothing more
    (root / "submission").mkdir(parents=True)
    (root / "results").mkdir()
    for module in handsons.names():
        shutil.copy(handsons.get(module).reference_path, root / "submission")
    (root / "submission_metadata.json").write_text(json.dumps({"users": [{"id": 4242, "name": "A student"}]}))
    environment = {k: v for k, v in os.environ.items() if k != variants.SECRET_VARIABLE}   # the zip's secret
    run = subprocess.run(["bash", str(root / "source" / "run_autograder")], capture_output=True, text=True,
                         timeout=1200, env={**environment, "AG_GRADESCOPE_ROOT": str(root),
                                            "AG_PYTHON": str(python)})
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    results = json.loads((root / "results" / "results.json").read_text())
    secret = variants.read_secret(variants.secret_path())
    assert results["extra_data"]["variant"] == variants.variant_of("4242", secret, variants.read_term()) >= 1
    assert results["tests"] and results["score"] == sum(t["max_score"] for t in results["tests"])
    assert {t["visibility"] for t in results["tests"]} == {"visible", "after_published"}
    assert {t["tags"][0] for t in results["tests"]} == set(handsons.names())
    assert oct(os.stat(root / "source" / "solutions").st_mode & 0o077) == "0o0"
