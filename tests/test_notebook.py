"""The session notebook runs top to bottom, headless and offline, with the
reference solutions in place of the stubs, and every otter check passes."""
import shutil

import nbformat
from nbclient import NotebookClient

from autograder.engine import handsons


def test_notebook_runs_with_the_references(tmp_path, monkeypatch):
    shutil.copy(handsons.STUBS_DIR / "session.ipynb", tmp_path)
    shutil.copytree(handsons.STUBS_DIR / "checks", tmp_path / "checks")
    for module in handsons.names():
        shutil.copy(handsons.get(module).reference_path, tmp_path / f"{module}.py")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-cache"))   # never the pretrained weights
    notebook = nbformat.read(tmp_path / "session.ipynb", as_version=4)
    NotebookClient(notebook, timeout=900, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()   # raises on any error
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    checks = [output for cell in code if "grader.check" in cell.source
              for output in cell.outputs if output.get("data", {}).get("text/plain")]
    assert len(checks) == len(handsons.names())
    for output in checks:
        assert "All test cases passed!" in output["data"]["text/plain"], output["data"]["text/plain"]
    images = [o for cell in code for o in cell.outputs if "image/png" in o.get("data", {})]
    assert len(images) == 3   # distance curve, piano roll, mel spectrogram
