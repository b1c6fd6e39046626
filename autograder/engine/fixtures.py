"""Fixtures: what recipes write and graders read.

``fixtures/<module>/<visibility>/`` holds data files (``.npy``, ``.json``,
``.mid``, checkpoints...) and ``cases.json``, the list of cases graders
parametrize over. Each hands-on's ``recipe.py`` defines
``build(public: FixtureWriter, hidden: FixtureWriter, reference)`` and is the one
place its fixtures are made; ``fixtures/manifest.json`` records, per file, its
sha256, the recipe that made it and the library versions used.
"""
from __future__ import annotations

import functools
import hashlib
import importlib.util
import io
import json
import re
import shutil
import sys
import tempfile
from pathlib import Path
from types import ModuleType

import numpy as np

from . import handsons

MANIFEST = "manifest.json"
VERSIONED_LIBRARIES = ("numpy", "torch", "transformers", "librosa", "mido", "music21", "safetensors",
                       "huggingface_hub")


# ------------------------------------------------------------------ reading

class FixtureSet:
    """The fixtures of one hands-on and visibility, for graders."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        index = self.folder / "cases.json"
        if not index.is_file():
            raise FileNotFoundError(f"no fixtures at {self.folder}: run `autograder fixtures regen`")
        self._cases = json.loads(index.read_text())["cases"]

    def cases(self, group: str | None = None) -> list[dict]:
        return [c for c in self._cases if group is None or c.get("group") == group]

    def path(self, name: str) -> Path:
        return self.folder / name

    def read_bytes(self, name: str) -> bytes:
        return self.path(name).read_bytes()

    def read_array(self, name: str) -> np.ndarray:
        return np.load(self.path(name), allow_pickle=False)

    def read_json(self, name: str):
        return json.loads(self.path(name).read_text())


@functools.lru_cache(maxsize=None)
def load(module: str, visibility: str) -> FixtureSet:
    return FixtureSet(handsons.get(module).fixtures_dir(visibility))


def case_id(case: dict) -> str:
    """A case's id, for ``pytest.mark.parametrize(..., ids=case_id)``."""
    return str(case["id"])


# ------------------------------------------------------------------ writing

class FixtureWriter:
    """Where a recipe puts one visibility's files; deterministic bytes only."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.cases: list[dict] = []
        self.files: list[str] = []

    def _target(self, name: str) -> Path:
        if name in self.files:
            raise ValueError(f"fixture file {name} written twice")
        self.files.append(name)
        target = self.folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def add_bytes(self, name: str, data: bytes) -> str:
        self._target(name).write_bytes(data)
        return name

    def add_array(self, name: str, array: np.ndarray) -> str:
        buffer = io.BytesIO()
        np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
        return self.add_bytes(name, buffer.getvalue())

    def add_json(self, name: str, obj) -> str:
        return self.add_bytes(name, dumps(obj))

    def add_file(self, name: str, source: Path) -> str:
        return self.add_bytes(name, Path(source).read_bytes())

    def add_case(self, group: str, case_id: str, **fields) -> dict:
        if any(c["id"] == case_id and c["group"] == group for c in self.cases):
            raise ValueError(f"case id {case_id} used twice in group {group}")
        case = {"id": case_id, "group": group, **fields}
        self.cases.append(case)
        return case

    def finish(self) -> None:
        self.files.append("cases.json")
        (self.folder / "cases.json").write_bytes(dumps({"cases": self.cases}))


_NUMBER_LIST = re.compile(r"\[\s*(-?[\d.eE+-]+(?:,\s*-?[\d.eE+-]+)*)\s*\]")


def dumps(obj) -> bytes:
    """Canonical JSON bytes (sorted keys, fixed layout): the same object, the same bytes.
    Readable: one key per line, lists of numbers on one line."""
    text = json.dumps(obj, indent=1, sort_keys=True, allow_nan=False)
    text = _NUMBER_LIST.sub(lambda m: "[" + ", ".join(x.strip() for x in m.group(1).split(",")) + "]", text)
    return (text + "\n").encode()


# ------------------------------------------------------------------ recipes

def load_reference(module: str) -> ModuleType:
    """The reference solution of ``module``, imported from ``solutions/`` (trusted code)."""
    path = handsons.get(module).reference_path
    if not path.is_file():
        raise FileNotFoundError(f"no reference at {path}: regenerating fixtures needs solutions/")
    name = f"reference_{module}"
    spec = importlib.util.spec_from_file_location(name, path)
    reference = importlib.util.module_from_spec(spec)
    sys.modules[name] = reference
    spec.loader.exec_module(reference)
    return reference


def library_versions() -> dict[str, str]:
    from importlib import metadata
    versions = {"python": sys.version.split()[0]}
    for name in VERSIONED_LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return versions


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def build_into(module: str, root: Path) -> dict[str, dict]:
    """Run ``module``'s recipe into ``root/<module>/``; manifest entries of what it wrote."""
    handson = handsons.get(module)
    recipe = handson.import_plugin("recipe")
    target = Path(root) / module
    if target.exists():
        shutil.rmtree(target)
    writers = {v: FixtureWriter(target / v) for v in handsons.VISIBILITIES}
    recipe.build(public=writers["public"], hidden=writers["hidden"], reference=load_reference(module))
    versions = library_versions()
    recipe_path = handson.folder.joinpath("recipe.py").relative_to(handsons.REPO_ROOT).as_posix()
    entries = {}
    for visibility, writer in writers.items():
        writer.finish()
        for name in writer.files:
            relative = f"{module}/{visibility}/{name}"
            entries[relative] = {"sha256": sha256(target / visibility / name), "recipe": recipe_path,
                                 "visibility": visibility, "versions": versions}
    return entries


def read_manifest(root: Path = handsons.FIXTURES_DIR) -> dict:
    path = Path(root) / MANIFEST
    return json.loads(path.read_text()) if path.is_file() else {"files": {}}


def regenerate(module: str, root: Path = handsons.FIXTURES_DIR) -> list[str]:
    """Rebuild ``module``'s fixtures in place (through a temporary folder) and the manifest."""
    root = Path(root)
    with tempfile.TemporaryDirectory(prefix="ag-fixtures-") as tmp:
        entries = build_into(module, Path(tmp))
        final = root / module
        if final.exists():
            shutil.rmtree(final)
        final.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(Path(tmp) / module, final)
    manifest = read_manifest(root)
    manifest["files"] = {k: v for k, v in manifest["files"].items() if not k.startswith(f"{module}/")}
    manifest["files"].update(entries)
    manifest["files"] = dict(sorted(manifest["files"].items()))
    (root / MANIFEST).write_bytes(dumps(manifest))
    load.cache_clear()
    return sorted(entries)


# ------------------------------------------------------------------ verifying

def describe_difference(name: str, stored: bytes, fresh: bytes) -> str:
    """What changed between two versions of a fixture file, and by how much."""
    if name.endswith(".npy"):
        try:
            old = np.load(io.BytesIO(stored), allow_pickle=False)
            new = np.load(io.BytesIO(fresh), allow_pickle=False)
        except ValueError as error:
            return f"unreadable array ({error})"
        if old.shape != new.shape or old.dtype != new.dtype:
            return f"array changed from {old.dtype}{list(old.shape)} to {new.dtype}{list(new.shape)}"
        return _numeric_drift(old, new)
    if name.endswith(".json"):
        try:
            old, new = json.loads(stored), json.loads(fresh)
        except ValueError as error:
            return f"unreadable JSON ({error})"
        return _json_difference(old, new, "")
    first = next((i for i, (a, b) in enumerate(zip(stored, fresh)) if a != b), min(len(stored), len(fresh)))
    return f"{len(stored)} -> {len(fresh)} bytes, first difference at byte {first}"


def _numeric_drift(old: np.ndarray, new: np.ndarray) -> str:
    if old.dtype.kind not in "fc":
        changed = int(np.sum(old != new))
        return f"{changed} of {old.size} values changed"
    diff = np.abs(old.astype(np.float64) - new.astype(np.float64))
    scale = np.abs(old.astype(np.float64)).max() or 1.0
    worst = np.unravel_index(np.argmax(diff), diff.shape)
    return (f"float drift: max abs difference {diff.max():.3g} at {tuple(int(i) for i in worst)} "
            f"({diff.max() / scale:.3g} of the largest value), {int(np.sum(diff > 0))} of {old.size} values "
            f"differ")


def _json_difference(old, new, path: str) -> str:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new)):
            if key not in old or key not in new:
                return f"key {path}/{key} {'added' if key not in old else 'removed'}"
            if old[key] != new[key]:
                return _json_difference(old[key], new[key], f"{path}/{key}")
    if isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            return f"{path or '/'}: list of {len(old)} -> {len(new)} items"
        numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in old + new)
        if numbers and old:
            return f"{path or '/'}: " + _numeric_drift(np.array(old, dtype=np.float64), np.array(new, dtype=np.float64))
        for index, (a, b) in enumerate(zip(old, new)):
            if a != b:
                return _json_difference(a, b, f"{path}/{index}")
    return f"{path or '/'}: {json.dumps(old)[:80]} -> {json.dumps(new)[:80]}"


def verify(modules: list[str], root: Path = handsons.FIXTURES_DIR) -> list[str]:
    """Regenerate ``modules`` in a temporary folder and compare with ``root`` and its
    manifest, byte for byte. One line per problem; ``[]`` means all is current."""
    root = Path(root)
    manifest = read_manifest(root)["files"]
    problems = []
    with tempfile.TemporaryDirectory(prefix="ag-verify-") as tmp:
        for module in modules:
            fresh = build_into(module, Path(tmp))
            stored_names = {p.relative_to(root).as_posix() for p in (root / module).rglob("*") if p.is_file()} \
                if (root / module).exists() else set()
            for name in sorted(set(fresh) | stored_names | {k for k in manifest if k.startswith(f"{module}/")}):
                new_path, old_path = Path(tmp) / name, root / name
                if name not in fresh:
                    problems.append(f"{name}: stored, but the recipe no longer makes it")
                    continue
                if name not in stored_names:
                    problems.append(f"{name}: made by the recipe, but not stored (run fixtures regen)")
                    continue
                old_bytes, new_bytes = old_path.read_bytes(), new_path.read_bytes()
                recorded = manifest.get(name, {}).get("sha256")
                if recorded != hashlib.sha256(old_bytes).hexdigest():
                    problems.append(f"{name}: the manifest does not match the stored file "
                                    f"({'no entry' if recorded is None else 'sha256 differs'})")
                if old_bytes != new_bytes:
                    problems.append(f"{name}: regenerated differently: "
                                    f"{describe_difference(name, old_bytes, new_bytes)}")
    return problems
