"""The student release: what it holds, that it sets itself up from its own lock and works
on its own, and that the leak check catches answers by content."""
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from autograder.engine import handsons
from autograder.packaging import build_release, release_files, release_leaks


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    folder = tmp_path_factory.mktemp("release") / "release"
    build_release(folder)
    return folder


@pytest.fixture(scope="module")
def release_python(release, tmp_path_factory):
    """A copy of the release set up as `make check` sets it up (scripts/setup-venv.sh): its .venv's python.
    A copy, so that `release` stays exactly what students receive."""
    installed = tmp_path_factory.mktemp("installed") / "release"
    shutil.copytree(release, installed)
    run = subprocess.run(["bash", "scripts/setup-venv.sh", sys.executable], cwd=installed, capture_output=True,
                         text=True, timeout=1800)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return installed / ".venv" / "bin" / "python"


def test_release_sets_up_exactly_its_lock(release, release_python):
    assert (release / "locks" / "base.txt").read_bytes() == (handsons.REPO_ROOT / "locks" / "base.txt").read_bytes()
    exact = subprocess.run([str(release_python), "scripts/lock.py", "compare", "locks/base.txt"],
                           cwd=release_python.parents[2],
                           capture_output=True, text=True)
    assert exact.returncode == 0 and not exact.stdout.strip(), exact.stdout   # exactly the lock, nothing more
    installed = subprocess.run([str(release_python), "-m", "pip", "show", "distributed"], capture_output=True)
    assert installed.returncode != 0, "the student release installs no cluster group"


def test_release_holds_what_students_need_and_nothing_hidden(release):
    names = {p.relative_to(release).as_posix() for p in release.rglob("*") if p.is_file()}
    for module in handsons.names():
        assert f"assignments/{module}.py" in names
        assert f"autograder/handsons/{module}/test_public.py" in names
        assert f"assignments/checks/{module}.py" in names
        assert not any(n.startswith((f"fixtures/{module}/hidden", f"fixtures/{module}/variants")) for n in names)
        # Of its plug-in, only what the public checks run: no recipe, inputs or hidden checks.
        shipped = {n.rpartition("/")[2] for n in names if n.startswith(f"autograder/handsons/{module}/")}
        assert shipped == {"__init__.py", "test_public.py", *(p.name for p in handsons.get(module).grader_modules)}
    assert {"assignments/session.ipynb", "README.md", "Makefile", "pyproject.toml"} <= names
    assert not [n for n in names if n.startswith(("solutions/", "tests/", "examples/"))
                or n.endswith(("test_hidden.py", "recipe.py", "inputs.py"))]
    manifest = json.loads((release / "fixtures" / "manifest.json").read_text())
    assert manifest["files"] and all(v["visibility"] == "public" for v in manifest["files"].values())


def test_release_readme_is_the_students_part_only(release):
    """The release's README is the students' page: the public checks' rubric, and none of the
    instructors', TAs' or maintainers' pages (docs/) nor what they name of hidden grading."""
    from autograder.engine.session import rubric
    names = {p.relative_to(release).as_posix() for p in release.rglob("*") if p.is_file()}
    assert not [n for n in names if n.startswith("docs/") or n == "CHANGELOG.md"]
    readme = (release / "README.md").read_text()
    public = {(r["module"], r["test"]) for r in rubric() if r["visibility"] == "public"}
    listed = set(re.findall(r"^\| (\w+) \| `(test_\w+)` \|", readme, re.M))
    assert listed == public, listed ^ public
    hidden_only = {r["test"] for r in rubric() if r["visibility"] == "hidden"} - {t for _, t in public}
    assert hidden_only and not [t for t in hidden_only if t in readme]
    for secret in ("solutions/", "course secret", ".course-secret", "variants/", "test_hidden", "recipe.py"):
        assert secret not in readme, secret


def test_release_does_not_pull_the_cluster_group(release):
    import tomllib
    project = tomllib.loads((release / "pyproject.toml").read_text())["project"]
    assert not [d for d in project["dependencies"] if d.lower().startswith(("dask", "distributed"))]
    # The student Makefile sets up .venv with scripts/setup-venv.sh and no optional group.
    setups = [line.split() for line in (release / "Makefile").read_text().splitlines()
              if "setup-venv.sh" in line and not line.startswith("#")]
    assert setups and all(words[-1] == '"$(PYTHON)"' for words in setups), setups
    assert 'extras=${2:-}' in (release / "scripts" / "setup-venv.sh").read_text()


def _run(python, *args):
    """`python -m autograder ARGS` in the set-up copy of the release that `python` belongs to."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}   # the release's own install, not ours
    return subprocess.run([str(python), "-m", "autograder", *args], capture_output=True, text=True,
                          env=env, cwd=python.parents[2], timeout=900)


def test_release_cli_is_the_students_and_checks_their_code(release, release_python, tmp_path):
    help_text = _run(release_python, "--help").stdout
    commands = {line.split()[1] for line in help_text.splitlines() if line.startswith("│ ") and line.split()[1:]}
    assert {"check", "rubric"} <= commands and not commands & {"grade", "demo", "release", "fixtures"}
    work = tmp_path / "work"
    shutil.copytree(release / "assignments", work / "assignments")
    shutil.copy(handsons.get("midi_tokens").reference_path, work / "assignments" / "midi_tokens.py")
    passed = _run(release_python, "check", "midi_tokens", "--path", str(work / "assignments"))
    assert passed.returncode == 0, passed.stdout[-2000:]
    untouched = _run(release_python, "check", "midi_tokens")
    assert untouched.returncode == 1 and "not implemented yet" in untouched.stdout


def test_release_is_an_installable_package(release, tmp_path):
    run = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                          "-w", str(tmp_path), str(release)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    assert list(tmp_path.glob("*.whl"))


def test_leak_check_catches_answers_by_content():
    files = release_files()
    assert release_leaks(files) == []
    reference = handsons.get("midi_tokens").reference_path.read_bytes()
    assert any("same content as solutions/midi_tokens.py" in p
               for p in release_leaks({**files, "assignments/notes.txt": reference}))
    stub = files["assignments/midi_tokens.py"].decode()
    line = next(l for l in reference.decode().splitlines() if "popleft" in l)   # one line of the answer
    leaks = release_leaks({**files, "assignments/midi_tokens.py": (stub + "\n" + line + "\n").encode()})
    assert any("holds a line of solutions/midi_tokens.py" in p for p in leaks)
    hidden = next(p for p in handsons.get("midi_tokens").fixtures_dir("hidden").glob("*.tokens.json"))
    assert any("same content as fixtures/midi_tokens/hidden" in p
               for p in release_leaks({**files, "assignments/data.json": hidden.read_bytes()}))
    assert any("instructor-only" in p for p in release_leaks({**files, "autograder/x/test_hidden.py": b""}))
