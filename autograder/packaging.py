"""What the project ships: the Gradescope autograder zip.

The zip holds ``setup.sh`` and ``run_autograder`` at its top level and the
grader's sources (engine, graders, references, fixtures, provided code).
Gradescope unpacks it to ``/autograder/source``, runs ``setup.sh`` once when it
builds the image and ``run_autograder`` for every submission, as root.
"""
from __future__ import annotations

import stat
import zipfile
from pathlib import Path

from .engine import handsons

# What grading needs from the checkout (no tests, examples, benchmarks, .git, .venv).
GRADING_SOURCES = ("autograder", "assignments", "solutions", "fixtures", "scripts", "pyproject.toml",
                   "README.md")
SKIPPED_PARTS = {"__pycache__", ".ipynb_checkpoints"}

SETUP_SH = """#!/usr/bin/env bash
# Gradescope image set-up (Ubuntu, as root): system packages, then a CPU-only
# Python environment outside /autograder/source (which run_autograder makes
# root-only, so that student code, run as an unprivileged user, cannot read it).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends python3 python3-venv python3-pip \\
    fluidsynth timgm6mb-soundfont bubblewrap espeak-ng
python3 -m venv /opt/ag-venv
/opt/ag-venv/bin/pip install -q --upgrade pip
# The CPU build of torch: PyPI's default Linux wheel is a multi-GB CUDA build.
/opt/ag-venv/bin/pip install -q --index-url https://download.pytorch.org/whl/cpu torch==2.13.0
# The dependencies only: the project itself runs from /autograder/source, so no
# copy of its graders lands in the (world-readable) environment.
/opt/ag-venv/bin/pip install -q /autograder/source
/opt/ag-venv/bin/pip uninstall -q -y music-repr-autograder
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Grade /autograder/submission into /autograder/results/results.json.
# AG_GRADESCOPE_ROOT and AG_PYTHON exist for testing this script outside Gradescope.
set -euo pipefail
ROOT="${AG_GRADESCOPE_ROOT:-/autograder}"
PYTHON="${AG_PYTHON:-/opt/ag-venv/bin/python}"
# References, hidden graders and fixtures: readable by root only. Student code runs
# under an unprivileged uid, inside namespaces when the container allows them.
chmod -R go-rwx "$ROOT/source"
cd "$ROOT/source"
export PYTHONPATH="$ROOT/source:$ROOT/source/assignments"
exec "$PYTHON" -m autograder grade --gradescope --allow-weak-sandbox
"""


def _source_files(root: Path) -> list[Path]:
    files = []
    for name in GRADING_SOURCES:
        path = root / name
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            files += [p for p in sorted(path.rglob("*"))
                      if p.is_file() and not SKIPPED_PARTS & set(p.relative_to(root).parts)
                      and p.suffix != ".pyc"]
    return files


def _add(archive: zipfile.ZipFile, name: str, data: bytes, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))   # fixed: the same zip twice
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = ((stat.S_IFREG | (0o755 if executable else 0o644)) << 16)
    archive.writestr(info, data)


def build_gradescope_zip(output: Path) -> list[str]:
    """Write the autograder zip to ``output``; the names it holds."""
    root = handsons.REPO_ROOT
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    names = []
    with zipfile.ZipFile(output, "w") as archive:
        _add(archive, "setup.sh", SETUP_SH.encode(), executable=True)
        _add(archive, "run_autograder", RUN_AUTOGRADER.encode(), executable=True)
        names += ["setup.sh", "run_autograder"]
        for path in _source_files(root):
            name = path.relative_to(root).as_posix()
            _add(archive, name, path.read_bytes(), executable=bool(path.stat().st_mode & 0o111))
            names.append(name)
    return names
