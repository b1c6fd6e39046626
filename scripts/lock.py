#!/usr/bin/env python3
"""The locked installs: make, check and read the lock files in ``locks/``.

``locks/<group>.txt`` is pip's requirements format with every package pinned and a hash for
every file of that version (``pip install --require-hashes`` refuses anything else), resolved
by uv for every platform at once. ``base`` is ``pyproject.toml``'s dependencies (the student
release, the Gradescope zip); ``cluster`` adds the ``cluster`` extra (this repository's
``make test``, a cluster worker). Each file's header records what it was made from (a hash of
pyproject.toml's dependency tables and of the files beside it here) and the moment it
resolved at, so a lock that no longer matches ``pyproject.toml`` is caught before installing.

    lock.py make [--upgrade] [--out DIR] [--exclude-newer DATE]
        resolve both locks (uv, pinned by locks/tools.txt). Without --upgrade the versions
        already locked are kept wherever pyproject.toml still allows them.
    lock.py check LOCK            exit 2, naming `make lock`, when LOCK is stale
    lock.py select LOCK NAME...   the entries of NAME... (their lines, hashes included)
    lock.py compare LOCK          what this Python has installed that LOCK does not say
                                  (exit 1 if anything); with --extraneous, only the names
                                  of installed distributions LOCK does not hold

``check`` needs only the standard library (it runs before any venv exists); ``compare``
runs with the venv's own Python, which has pip (it reads markers with pip's ``packaging``).
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCKS = ROOT / "locks"
GROUPS = {"base": (), "cluster": ("cluster",)}     # lock name -> pyproject extras it installs
# Files beside the locks that are inputs of the resolution (their content is in the input hash).
INPUT_FILES = ("overrides.txt", "tooling.in")
TOOLS_VENV = ROOT / "build" / "lock-tools"
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
REFRESH = "make lock"


def _toml(path: Path) -> dict:
    try:
        import tomllib
    except ImportError:                                   # Python < 3.11: pip's own copy
        from pip._vendor import tomli as tomllib          # type: ignore[no-redef]
    return tomllib.loads(path.read_text())


def input_hash(root: Path = ROOT) -> str:
    """What a lock depends on: pyproject.toml's dependency tables and the input files in
    locks/ (not the rest of pyproject.toml: a pytest option does not make a lock stale)."""
    project = _toml(root / "pyproject.toml")
    tables = {"requires-python": project["project"].get("requires-python"),
              "dependencies": project["project"].get("dependencies", []),
              "optional-dependencies": project["project"].get("optional-dependencies", {}),
              "build-system": project.get("build-system", {}).get("requires", [])}
    for name in INPUT_FILES:
        path = root / "locks" / name
        tables[name] = path.read_text() if path.is_file() else None
    return hashlib.sha256(json.dumps(tables, sort_keys=True).encode()).hexdigest()


def header(lock: Path) -> dict[str, str]:
    """The ``# key: value`` lines at the top of a lock."""
    fields = {}
    for line in lock.read_text().splitlines():
        if not line.startswith("#"):
            break
        match = re.match(r"#\s*([a-z0-9-]+):\s*(.+)$", line)
        if match:
            fields[match.group(1)] = match.group(2).strip()
    return fields


def check(lock: Path, root: Path = ROOT) -> str | None:
    """Why ``lock`` cannot be installed as it is (None: it matches pyproject.toml)."""
    if not lock.is_file():
        return f"{lock.relative_to(root) if lock.is_relative_to(root) else lock} is missing: run `{REFRESH}`"
    recorded = header(lock).get("input-sha256")
    if recorded != input_hash(root):
        return (f"{lock.name} was resolved for other dependencies than pyproject.toml's (or locks/"
                f"{'/'.join(INPUT_FILES)}) now say: run `{REFRESH}` to resolve it again, then commit it")
    return None


# ------------------------------------------------------------------ reading entries

def entries(lock: Path) -> list[dict]:
    """Each ``name==version ; marker --hash=...`` requirement of a lock, continuation lines joined."""
    text = re.sub(r"\s*\\\n\s*", " ", lock.read_text())
    found = []
    for line in text.splitlines():
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        requirement, _, rest = line.partition(" --hash=")
        name_version, _, marker = requirement.partition(";")
        name, _, version = name_version.strip().partition("==")
        found.append({"name": _normal(name), "version": version.strip(), "marker": marker.strip(),
                      "line": line.replace(" --hash=", " \\\n    --hash=")})
    return found


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def applicable(lock: Path) -> dict[str, str]:
    """name -> version of the entries whose marker holds for this Python."""
    from pip._vendor.packaging.markers import Marker
    return {e["name"]: e["version"] for e in entries(lock) if not e["marker"] or Marker(e["marker"]).evaluate()}


def installed() -> dict[str, str]:
    """name -> version of what this Python has installed (the project itself aside)."""
    from importlib import metadata
    project = _normal(_toml(ROOT / "pyproject.toml")["project"]["name"])
    found = {}
    for dist in metadata.distributions():
        name = _normal(dist.metadata["Name"] or "")
        if name and name != project:
            found[name] = dist.version
    return found


def compare(lock: Path) -> list[str]:
    """One line per difference between this environment and the lock ([] : exactly the lock)."""
    wanted, have = applicable(lock), installed()
    lines = [f"{n}: locked {v}, installed {have[n]}" for n, v in sorted(wanted.items()) if n in have and have[n] != v]
    lines += [f"{n}: locked {v}, not installed" for n, v in sorted(wanted.items()) if n not in have]
    lines += [f"{n}: installed {v}, not in the lock" for n, v in sorted(have.items()) if n not in wanted]
    return lines


# ------------------------------------------------------------------ resolving

def _uv() -> Path:
    """uv, at the version and hashes of locks/tools.txt, in a venv of its own under build/."""
    uv = TOOLS_VENV / "bin" / "uv"
    tools = LOCKS / "tools.txt"
    stamp = TOOLS_VENV / ".installed"
    digest = hashlib.sha256(tools.read_bytes()).hexdigest()
    if not (uv.exists() and stamp.is_file() and stamp.read_text() == digest):
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(TOOLS_VENV)], check=True)
        subprocess.run([str(TOOLS_VENV / "bin" / "python"), "-m", "pip", "install", "-q", "--require-hashes",
                        "--no-deps", "-r", str(tools)], check=True)
        stamp.write_text(digest)
    return uv


def _local_torch_wheels() -> list[str]:
    """Folders of pip's ``find-links`` configuration that hold a CPU build of torch (a machine
    that cannot reach PyTorch's index may keep its wheel there)."""
    try:
        listed = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True,
                                timeout=60).stdout
    except (OSError, subprocess.TimeoutExpired):
        listed = ""
    folders = re.findall(r"find-links='([^']+)'", listed) + os.environ.get("PIP_FIND_LINKS", "").split()
    return sorted({f for entry in folders for f in entry.split() if list(Path(f).glob("torch-*+cpu-*.whl"))})


def _reachable(url: str) -> bool:
    import urllib.request
    try:
        with urllib.request.urlopen(url, timeout=15):
            return True
    except Exception:   # noqa: BLE001 - any failure means "not reachable from here"
        return False


def resolve(out: Path, upgrade: bool, exclude_newer: str, root: Path = ROOT) -> list[Path]:
    """Write ``out/<group>.txt`` for every group; the files written."""
    uv = _uv()
    sources = [arg for folder in _local_torch_wheels() for arg in ("--find-links", folder)]
    if _reachable(f"{TORCH_CPU_INDEX}/torch/"):
        sources += ["--extra-index-url", TORCH_CPU_INDEX, "--index-strategy", "unsafe-best-match"]
    if not sources:
        raise SystemExit(f"torch's CPU build is neither in pip's find-links nor reachable at {TORCH_CPU_INDEX}")
    version = subprocess.run([str(uv), "--version"], capture_output=True, text=True, check=True).stdout.split()[1]
    digest = input_hash(root)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for group, extras in GROUPS.items():
        target = out / f"{group}.txt"
        with tempfile.TemporaryDirectory() as tmp:
            scratch = Path(tmp) / f"{group}.txt"
            existing = LOCKS / f"{group}.txt"
            if existing.is_file() and not upgrade:
                scratch.write_text(existing.read_text())      # uv keeps these versions where it can
            command = [str(uv), "pip", "compile", "pyproject.toml", "locks/tooling.in",
                       "--override", "locks/overrides.txt", *[a for e in extras for a in ("--extra", e)],
                       "--universal", "--python-version", "3.11", "--generate-hashes", "--no-header",
                       "--exclude-newer", exclude_newer, "--quiet", "-o", str(scratch), *sources]
            if upgrade:
                command.append("--upgrade")
            subprocess.run(command, cwd=root, check=True, env={**os.environ, "UV_NO_CONFIG": "1"})
            body = scratch.read_text()
        described = f"pyproject.toml's dependencies with the '{extras[0]}' extra" if extras \
            else "pyproject.toml's dependencies (no extra)"
        target.write_text(
            f"# The {group} lock: {described}, every package at one version with the hashes of its files,\n"
            f"# for Python 3.11 on every platform. Install: scripts/install-lock.sh (pip --require-hashes).\n"
            f"# Made by `{REFRESH}` (scripts/lock.py, uv {version}); do not edit by hand.\n"
            f"# input-sha256: {digest}\n"
            f"# resolved-before: {exclude_newer}\n"
            f"{body}")
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    make = sub.add_parser("make")
    make.add_argument("--upgrade", action="store_true", help="the newest versions pyproject.toml allows")
    make.add_argument("--out", type=Path, default=LOCKS)
    make.add_argument("--exclude-newer", default=None, help="resolve as of this moment (default: now)")
    for name in ("check", "compare"):
        command = sub.add_parser(name)
        command.add_argument("lock", type=Path)
        if name == "compare":
            command.add_argument("--extraneous", action="store_true")
    select = sub.add_parser("select")
    select.add_argument("lock", type=Path)
    select.add_argument("names", nargs="+")
    args = parser.parse_args(argv)
    if args.command == "make":
        moment = args.exclude_newer or dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        for path in resolve(args.out, args.upgrade, moment):
            print(f"wrote {path}")
        return 0
    if args.command == "check":
        problem = check(args.lock)
        if problem:
            print(f"error: {problem}", file=sys.stderr)
            return 2
        return 0
    if args.command == "select":
        wanted = {_normal(n) for n in args.names}
        print("\n".join(e["line"] for e in entries(args.lock) if e["name"] in wanted))
        return 0
    if args.extraneous:
        print("\n".join(sorted(set(installed()) - set(applicable(args.lock)))))
        return 0
    differences = compare(args.lock)
    print("\n".join(differences))
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
