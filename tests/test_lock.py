"""Locked installs (locks/, scripts/lock.py): the venv that runs these tests holds exactly the
lock, every lock matches pyproject.toml, a stale lock stops the set-up with the command that
refreshes it, and what `make upgrade-check` reports is computed right."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.engine import handsons

REPO = handsons.REPO_ROOT
sys.path.insert(0, str(REPO / "scripts"))
import lock  # noqa: E402
import upgrade_check  # noqa: E402

LOCKS = sorted((REPO / "locks").glob("*.txt"))
GROUP_LOCKS = [REPO / "locks" / f"{group}.txt" for group in lock.GROUPS]


def test_this_venv_holds_exactly_the_cluster_lock():
    """`make test` set this venv up: pip's view of it equals the lock, whatever the registries
    serve today."""
    assert lock.compare(REPO / "locks" / "cluster.txt") == []
    frozen = subprocess.run([sys.executable, "-m", "pip", "freeze", "--all", "--exclude-editable"],
                            capture_output=True, text=True, check=True).stdout.split()
    wanted = lock.applicable(REPO / "locks" / "cluster.txt")
    assert {lock._normal(line.split("==")[0]): line.split("==")[1] for line in frozen} == wanted


@pytest.mark.parametrize("path", GROUP_LOCKS, ids=lambda p: p.name)
def test_every_lock_matches_pyproject_and_pins_every_file_by_hash(path):
    assert lock.check(path) is None
    found = lock.entries(path)
    assert found and all("--hash=sha256:" in e["line"] for e in found)
    names = {e["name"] for e in found}
    assert {"pip", "setuptools", "torch", "transformers", "numpy"} <= names
    assert not [n for n in names if n.startswith(("nvidia-", "cuda-", "triton"))], "a CUDA build crept in"
    linux_torch = [e for e in found if e["name"] == "torch" and "linux" in e["marker"] and "!=" not in e["marker"]]
    assert [e["version"] for e in linux_torch] == ["2.13.0+cpu"]


def test_the_cluster_lock_is_the_base_lock_plus_dask():
    base = {(e["name"], e["version"]) for e in lock.entries(REPO / "locks" / "base.txt")}
    cluster = {(e["name"], e["version"]) for e in lock.entries(REPO / "locks" / "cluster.txt")}
    assert base < cluster       # the same versions: a cluster worker grades as the Gradescope image does
    assert {"dask", "distributed"} <= {name for name, _ in cluster - base}


def _project_copy(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(REPO / "locks", root / "locks")
    shutil.copytree(REPO / "scripts", root / "scripts")
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    return root


def test_a_stale_lock_stops_the_set_up_and_names_the_command(tmp_path):
    root = _project_copy(tmp_path)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"mido>=1.3,<2"', '"mido>=1.4,<2"'))
    run = subprocess.run(["bash", "scripts/setup-venv.sh", sys.executable], cwd=root, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "base.txt was resolved for other dependencies" in run.stderr and "make lock" in run.stderr
    assert not (root / ".venv").exists(), "nothing is installed from a stale lock"


def test_only_the_dependency_tables_make_a_lock_stale(tmp_path):
    root = _project_copy(tmp_path)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('addopts = "-ra --strict-markers"',
                                                       'addopts = "-ra --strict-markers -q"'))
    assert lock.check(root / "locks" / "base.txt", root) is None
    overrides = root / "locks" / "overrides.txt"
    overrides.write_text(overrides.read_text().replace("2.13.0", "2.14.1"))
    assert "make lock" in lock.check(root / "locks" / "base.txt", root)
    (root / "locks" / "base.txt").unlink()
    assert "missing" in lock.check(root / "locks" / "base.txt", root)


def test_the_upgrade_report_names_every_version_and_score_that_moves(tmp_path):
    def lock_file(name: str, pins: dict[str, str]) -> Path:
        path = tmp_path / name
        path.write_text("# header\n" + "".join(f"{n}=={v} \\\n    --hash=sha256:{'0' * 64}\n" for n, v in pins.items()))
        return path
    old = lock_file("old.txt", {"transformers": "5.24.0", "numpy": "2.4.6", "gone": "1.0"})
    new = lock_file("new.txt", {"transformers": "5.25.0", "numpy": "2.4.6", "fresh": "0.1"})
    assert upgrade_check.version_changes(old, new) == [
        "transformers: 5.24.0 -> 5.25.0", "fresh: new, 0.1", "gone: no longer needed (1.0)"]
    before = {"midi_tokens": {"reference": {"test_a[x]": 1.0, "test_b": 2.0}, "stub": {"test_a[x]": 0.0}}}
    after = {"midi_tokens": {"reference": {"test_a[x]": 0.0, "test_b": 2.0}, "stub": {"test_a[x]": 0.0}}}
    assert upgrade_check.score_changes(before, after) == ["midi_tokens/reference: 3 -> 2 (test_a[x] 1.0 -> 0.0)"]
    assert upgrade_check.score_changes(before, before) == []
