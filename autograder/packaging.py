"""What the project ships: the Gradescope autograder zip and the student release.

The zip holds ``setup.sh`` and ``run_autograder`` at its top level and the
grader's sources (engine, graders, references, fixtures, provided code).
Gradescope unpacks it to ``/autograder/source``, runs ``setup.sh`` once when it
builds the image and ``run_autograder`` for every submission, as root.
"""
from __future__ import annotations

import stat
import zipfile
from pathlib import Path

from .engine import handsons, variants

# What grading needs from the checkout (no tests, examples, benchmarks, .git, .venv).
GRADING_SOURCES = ("autograder", "assignments", "solutions", "fixtures", "scripts", "locks", "pyproject.toml",
                   "README.md")
SKIPPED_PARTS = {"__pycache__", ".ipynb_checkpoints"}

SETUP_SH = """#!/usr/bin/env bash
# Gradescope image set-up (Ubuntu 22.04, as root): system packages, then a Python 3.11 environment
# holding exactly locks/base.txt (every file checked against its hash, torch's CPU build), outside
# /autograder/source (which run_autograder makes root-only, so that student code, run as an
# unprivileged user, cannot read it). The project itself runs from /autograder/source.
# AG_SOURCE, AG_VENV, AG_SETUP_PYTHON and AG_SKIP_APT exist for testing this script outside Gradescope.
set -euo pipefail
SOURCE="${AG_SOURCE:-/autograder/source}"
if [ -z "${AG_SKIP_APT:-}" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends python3.11 python3.11-venv \\
      fluidsynth timgm6mb-soundfont bubblewrap espeak-ng
fi
bash "$SOURCE/scripts/install-lock.sh" "${AG_SETUP_PYTHON:-python3.11}" "${AG_VENV:-/opt/ag-venv}" \\
    "$SOURCE/locks/base.txt"
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


def build_gradescope_zip(output: Path, course_secret: Path | None = None) -> list[str]:
    """Write the autograder zip to ``output``; the names it holds. ``course_secret``: its file
    (default: ``variants.secret_path()``), carried in the zip as ``.course-secret``."""
    course_secret = variants.secret_path(course_secret)
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
        # The grading variants (under fixtures/) are assigned with the course secret: Gradescope
        # grades with the same one as the instructor's machine (the zip is never shown to students).
        _add(archive, variants.SECRET_FILE.name, variants.read_secret(course_secret) + b"\n")
        names.append(variants.SECRET_FILE.name)
    return names


# ---------------------------------------------------------------- the student release

# What sets up a student's .venv: exactly the base lock, checked against pyproject.toml.
STUDENT_SCRIPTS = ("system-deps.sh", "setup-venv.sh", "install-lock.sh", "lock.py")
STUDENT_LOCK_FILES = ("base.txt", "overrides.txt", "tooling.in")
STUDENT_MAKEFILE = """# Two commands, each setting up what is missing first: system packages (when root with apt),
# then .venv holding exactly locks/base.txt (scripts/setup-venv.sh makes it, repairs a half-made
# one, brings it to the lock when the lock changes).
SHELL := /bin/bash
PYTHON ?= python3
BIN := .venv/bin

.PHONY: check notebook setup

check: setup
\t$(BIN)/autograder check

notebook: setup
\tcd assignments && ../$(BIN)/jupyter nbconvert --to notebook --execute session.ipynb --output session.executed.ipynb
\t@echo "Ran the notebook into assignments/session.executed.ipynb; open session.ipynb in Jupyter or VS Code (kernel: .venv) to work in it."

setup:
\t@bash scripts/system-deps.sh || true
\t@bash scripts/setup-venv.sh "$(PYTHON)"
"""

STUDENT_README = """# Representation learning for music: the hands-ons

Three hands-ons, one Python module each, in `assignments/`:

| module | what you implement |
| --- | --- |
| `encodec_rvq.py` | Encodec's downsampling factor, bandwidth to number of codebooks, encode/decode with `transformers.EncodecModel`, residual vector quantization by hand |
| `midi_tokens.py` | MIDI to tokens and back with mido, with every edge case of the docstrings |
| `mel_spectrogram.py` | the log-mel spectrogram a HiFi-GAN vocoder expects, and vocoding it |

## Set up, work, check

```sh
make check      # sets up .venv (first time: a few minutes), then runs the public checks
make notebook   # runs the session notebook, assignments/session.ipynb
```

`make` installs what is missing: a virtualenv `.venv/` holding exactly the versions of
`locks/base.txt` (the ones your graders were tested with; CPU-only torch; it needs Python
3.11, and says how to get it), and, when run as root on Debian/Ubuntu, FluidSynth, a
soundfont, bubblewrap and espeak-ng (otherwise it says what to install). Linux is best; on
macOS the checks run without the sandbox (a notice says so).

- **Work** in the three modules. Each function's docstring is its specification:
  shapes, units, the edge cases, an example. `assignments/musicrep/` is provided code
  (loading models, the HiFi-GAN generator, rendering MIDI): use it, it is not graded.
- **Check**: `.venv/bin/autograder check` (all three) or
  `.venv/bin/autograder check midi_tokens` (one). Each public check prints PASS/FAIL,
  its points and, when it fails, what was expected, what came back and, when it
  recognises it, the likely mistake. In the notebook, `grader.check("midi_tokens")`
  runs the same checks.
- **Watch**: `.venv/bin/autograder check --watch` (or `--watch midi_tokens`) checks
  again each time you save a module and shows only what changed (checks that now pass,
  checks that now fail, and a one-line summary). Ctrl-C stops it.
- **Listen and look**: the notebook plays audio before and after Encodec, plots the
  RVQ distance curve, the piano roll of your tokens, your mel spectrogram, and plays
  what the vocoder makes of it.
- **Submit** the three `.py` files (or a zip of them, or of `assignments/`). A missing
  file or function only costs the checks that need it.

Grading uses other inputs of the same checks: the public checks run on your own variant of
their inputs (the same checks and kinds of cases, other files and values), and hidden checks
(the same kinds of checks on still other inputs) run too. Passing every public check is a good
sign, not a guarantee; code that only works on the shipped inputs earns nothing.

## Public checks

{rubric}
"""


def _plugin_files(root: Path) -> list[Path]:
    files = [root / "autograder" / "handsons" / "__init__.py"]
    for handson in handsons.all_handsons():
        files += _student_parts(handson)
    return files


def _student_parts(handson: handsons.HandsOn) -> list[Path]:
    """What students get of a hands-on's plug-in: its package, grader-side modules and public graders."""
    parts = [handson.folder / "__init__.py", *handson.grader_modules, handson.grader_path("public")]
    return [path for path in parts if path.exists()]


def release_files() -> dict[str, bytes]:
    """Everything the student release holds: relative path -> content."""
    from .engine.fixtures import dumps, read_manifest
    from .engine.session import rubric

    root = handsons.REPO_ROOT
    files: list[Path] = []
    for folder in ("assignments", "autograder/engine", "autograder/worker"):
        files += [p for p in sorted((root / folder).rglob("*")) if p.is_file()
                  and not SKIPPED_PARTS & set(p.relative_to(root).parts) and p.suffix != ".pyc"]
    files += [root / "autograder" / name for name in ("__init__.py", "__main__.py", "cli.py")]
    files += _plugin_files(root)
    for handson in handsons.all_handsons():
        files += sorted(p for p in handson.fixtures_dir("public").rglob("*") if p.is_file())
    files += [root / "pyproject.toml", root / ".gitignore", *(root / "scripts" / name for name in STUDENT_SCRIPTS),
              *(root / "locks" / name for name in STUDENT_LOCK_FILES)]
    out = {p.relative_to(root).as_posix(): p.read_bytes() for p in files}
    manifest = read_manifest()
    manifest["files"] = {k: v for k, v in manifest["files"].items()
                         if v.get("visibility") == "public" and not v.get("variant")}
    out["fixtures/manifest.json"] = dumps(manifest)
    out["Makefile"] = STUDENT_MAKEFILE.encode()
    rows = [r for r in rubric() if r["visibility"] == "public"]
    table = "\n".join(["| hands-on | check | cases | points |", "| --- | --- | ---: | ---: |"] +
                      [f"| {r['module']} | `{r['test']}` | {r['cases']} | {r['points']:g} |" for r in rows])
    out["README.md"] = STUDENT_README.format(rubric=table).encode()
    return out


def _distinctive_lines(source: str, public_text: str) -> set[str]:
    """Lines of a reference that say something of the solution: long enough, not an
    import or a comment, and nowhere in what is public anyway (the stubs share the
    references' docstrings; provided code and public checks ship by design)."""
    lines = set()
    for line in source.splitlines():
        text = line.strip()
        if len(text) >= 30 and not text.startswith(("#", "import ", "from ")) and text not in public_text:
            lines.add(text)
    return lines


def release_leaks(files: dict[str, bytes]) -> list[str]:
    """What in ``files`` would leak an answer: checked by content, not only by name."""
    import hashlib

    def sha(data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()

    root = handsons.REPO_ROOT
    public = [p for p in (root / "assignments").rglob("*") if p.is_file() and p.suffix in (".py", ".ipynb")]
    public += _plugin_files(root)
    public_hashes = {sha(p.read_bytes()) for h in handsons.all_handsons()
                     for p in h.fixtures_dir("public").rglob("*") if p.is_file()}
    secret_files = [*sorted(handsons.SOLUTIONS_DIR.glob("*.py")), *sorted((root / "tests").rglob("*.py"))]
    instructor_modules = set()   # a plug-in's modules that are not the students' (recipe, inputs...): by name too
    for handson in handsons.all_handsons():
        modules = [p for p in handson.folder.glob("*.py") if p not in _student_parts(handson)]
        secret_files += modules
        instructor_modules |= {p.relative_to(handson.root).as_posix() for p in modules}
        secret_files += sorted(p for p in handson.fixtures_dir("hidden").rglob("*") if p.is_file())
        secret_files += sorted(p for p in (handsons.FIXTURES_DIR / handson.name / "variants").rglob("*")
                               if p.is_file())
    # A hidden fixture that happens to equal a public one (same tokens, another bpm) is public anyway.
    secret_hashes = {sha(p.read_bytes()): p.relative_to(root).as_posix() for p in secret_files
                     if p.stat().st_size > 0 and sha(p.read_bytes()) not in public_hashes}
    public_text = "\n".join(p.read_text(errors="ignore") for p in public)
    solution_lines = {}
    for path in sorted(handsons.SOLUTIONS_DIR.glob("*.py")):
        for line in _distinctive_lines(path.read_text(), public_text):
            solution_lines[line] = path.relative_to(root).as_posix()
    problems = []
    for name, data in sorted(files.items()):
        parts = name.split("/")
        if parts[0] in ("solutions", "tests") or any(p.startswith("test_hidden") for p in parts) \
                or "hidden" in parts or "variants" in parts or parts[-1] in ("recipe.py", "inputs.py") \
                or name in instructor_modules or parts[-1] == variants.SECRET_FILE.name:
            problems.append(f"{name}: an instructor-only file")
        if sha(data) in secret_hashes:
            problems.append(f"{name}: same content as {secret_hashes[sha(data)]}")
        text = data.decode("utf-8", errors="ignore")
        for line, source in solution_lines.items():
            if line in text:
                problems.append(f"{name}: holds a line of {source}: {line[:60]!r}")
                break
    return problems


def build_release(outdir: Path) -> list[str]:
    """Write the student release to ``outdir`` after checking it leaks nothing."""
    files = release_files()
    problems = release_leaks(files)
    if problems:
        raise RuntimeError("the release would leak answers:\n" + "\n".join(problems))
    outdir = Path(outdir)
    if outdir.exists() and any(outdir.iterdir()):
        raise FileExistsError(f"{outdir} exists and is not empty")
    for name, data in files.items():
        target = outdir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        if name.endswith(".sh"):
            target.chmod(0o755)
    return sorted(files)
