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
import inspect
import io
import json
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np

from . import handsons, variants

MANIFEST = "manifest.json"
VERSIONED_LIBRARIES = ("numpy", "torch", "transformers", "librosa", "mido", "music21", "safetensors",
                       "huggingface_hub")
# Keys that libraries write into the JSON files they save and that change no value: the
# version that wrote a checkpoint's config.json. Stored fixtures leave them out, so that a
# library release alone never changes a fixture (the manifest records the versions instead).
METADATA_KEYS = ("transformers_version",)


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


class VariantFixtures(FixtureSet):
    """The fixtures of one hands-on and visibility in the variant this process grades on
    (``variants.use``): variant 0, the shipped ones, unless a submission's grader chose another.
    Graders collect their cases from variant 0 (every variant has the same groups and ids) and
    run each on the current variant's case of that id (:func:`in_current_variant`)."""

    def __init__(self, module: str, visibility: str):
        self.module, self.visibility = module, visibility
        self._by_variant: dict[int, list[dict]] = {}

    @property
    def number(self) -> int:
        """The variant read: the current one, or 0 for a hands-on whose recipe makes no variants."""
        number = variants.current()
        return number if number == 0 or (handsons.get(self.module).fixtures_root / self.module / "variants").is_dir() else 0

    @property
    def folder(self) -> Path:
        return variants.folder(self.module, self.visibility, self.number)

    @property
    def _cases(self) -> list[dict]:
        number = self.number
        if number not in self._by_variant:
            index = self.folder / "cases.json"
            if not index.is_file():
                raise FileNotFoundError(f"no fixtures at {self.folder}: run `autograder fixtures regen`")
            self._by_variant[number] = json.loads(index.read_text())["cases"]
        return self._by_variant[number]

    def case(self, group: str, case_id: str) -> dict:
        for case in self._cases:
            if case.get("group") == group and str(case["id"]) == case_id:
                return case
        raise KeyError(f"variant {self.number} of {self.module} {self.visibility} has no case "
                       f"{group}/{case_id}: run `autograder fixtures regen`")


@functools.lru_cache(maxsize=None)
def load(module: str, visibility: str) -> VariantFixtures:
    return VariantFixtures(module, visibility)


def in_current_variant(module: str, visibility: str, case):
    """The case a grader test runs on: ``case`` (collected from variant 0) swapped for the case of
    the same group and id in the current variant. Anything but a fixture case is left as it is."""
    if not (isinstance(case, dict) and "group" in case and "id" in case) or load(module, visibility).number == 0:
        return case
    return load(module, visibility).case(case["group"], str(case["id"]))


def case_id(case: dict) -> str:
    """A case's id, for ``pytest.mark.parametrize(..., ids=case_id)``."""
    return str(case["id"])


# ------------------------------------------------------------------ writing

@dataclass(frozen=True)
class Drift:
    """How far a float array a recipe stores may move on another CPU (float32 kernels round
    differently) and still be *equivalent*: ``|new - old| <= rtol * |old| + peak * max |old|``,
    chosen far inside the tolerance the graders apply to that value (``graders`` says which).
    For arrays of natural logs, ``log_floor`` is an absolute floor in the linear domain, as the
    graders have one: ``+ log1p(log_floor / exp(old))`` (quiet values' logs move most).
    Only expected outputs have one; inputs, integers and checkpoints must be identical."""
    kind: str
    rtol: float
    peak: float
    graders: str
    log_floor: float = 0.0

    def as_json(self) -> dict:
        floor = {"log_floor": self.log_floor} if self.log_floor else {}
        return {"kind": self.kind, "rtol": self.rtol, "peak": self.peak, **floor, "graders": self.graders}


class FixtureWriter:
    """Where a recipe puts one visibility's files; deterministic bytes only."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.cases: list[dict] = []
        self.files: list[str] = []
        self.drift: dict[str, Drift] = {}

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

    def add_array(self, name: str, array: np.ndarray, drift: Drift | None = None) -> str:
        """``drift``: for an expected float output of the reference, how far it may move on
        another CPU (see :class:`Drift`); without, the file must be identical everywhere."""
        array = np.ascontiguousarray(array)
        if drift is not None:
            if array.dtype.kind != "f":
                raise ValueError(f"{name}: only float arrays may drift, not {array.dtype}")
            self.drift[name] = drift
        buffer = io.BytesIO()
        np.lib.format.write_array(buffer, array, allow_pickle=False)
        return self.add_bytes(name, buffer.getvalue())

    def add_json(self, name: str, obj) -> str:
        return self.add_bytes(name, dumps(obj))

    def add_file(self, name: str, source: Path) -> str:
        """A file a library wrote (a checkpoint...); JSON without :data:`METADATA_KEYS`."""
        data = Path(source).read_bytes()
        return self.add_bytes(name, without_metadata(data) if name.endswith(".json") else data)

    def add_case(self, group: str, case_id: str, **fields) -> dict:
        if any(c["id"] == case_id and c["group"] == group for c in self.cases):
            raise ValueError(f"case id {case_id} used twice in group {group}")
        case = {"id": case_id, "group": group, **fields}
        self.cases.append(case)
        return case

    def finish(self) -> None:
        self.files.append("cases.json")
        (self.folder / "cases.json").write_bytes(dumps({"cases": self.cases}))


def without_metadata(data: bytes) -> bytes:
    """A JSON object's bytes without its top-level :data:`METADATA_KEYS`, laid out as
    ``save_pretrained`` lays it out (2-space indent, sorted keys); other JSON as it is."""
    obj = json.loads(data)
    if not isinstance(obj, dict) or not set(METADATA_KEYS) & set(obj):
        return data
    kept = {key: value for key, value in obj.items() if key not in METADATA_KEYS}
    return (json.dumps(kept, indent=2, sort_keys=True) + "\n").encode()


_NUMBER_LIST = re.compile(r"\[\s*(-?[\d.eE+-]+(?:,\s*-?[\d.eE+-]+)*)\s*\]")


def dumps(obj) -> bytes:
    """Canonical JSON bytes (sorted keys, fixed layout): the same object, the same bytes.
    Readable: one key per line, lists of numbers on one line."""
    text = json.dumps(obj, indent=1, sort_keys=True, allow_nan=False)
    text = _NUMBER_LIST.sub(lambda m: "[" + ", ".join(x.strip() for x in m.group(1).split(",")) + "]", text)
    return (text + "\n").encode()


# ------------------------------------------------------------------ recipes

class RecipeError(Exception):
    """A recipe could not build a case. The message says which case and why;
    ``autograder fixtures`` prints it (no traceback) and exits non-zero."""


def require(condition: object, case: str, why: str) -> None:
    """What a recipe checks about a case it builds: ``RecipeError("<case>: <why>")`` when it does
    not hold. Never a float threshold that another machine's rounding can miss (rank and take
    the best instead, or store the choice)."""
    if not condition:
        raise RecipeError(f"{case}: {why}")


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


def machine() -> dict:
    """What decides how this machine rounds floats: the CPU, its vector extensions, the kernels
    torch and numpy's BLAS chose (and any variable that forced them)."""
    import platform
    info: dict = {"machine": platform.machine()}
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        fields = dict(line.split(":", 1) for line in cpuinfo.splitlines() if ":" in line)
        fields = {k.strip(): v.strip() for k, v in fields.items()}
        info["cpu"] = fields.get("model name", "?")
        flags = set(fields.get("flags", "").split())
        info["vector_extensions"] = [f for f in ("sse4_2", "avx", "fma", "avx2", "avx512f") if f in flags]
    except OSError:
        info["cpu"] = platform.processor() or "?"
    try:
        import torch
        info["torch_kernels"] = torch.backends.cpu.get_cpu_capability()
    except (ImportError, AttributeError):
        pass
    try:
        from threadpoolctl import threadpool_info
        blas = [f"{p.get('internal_api')} {p.get('architecture') or ''}".strip() for p in threadpool_info()
                if p.get("user_api") == "blas"]
        info["blas"] = sorted(set(blas))
    except ImportError:
        pass
    from .sandbox import CPU_KERNEL_VARIABLES
    forced = {name: os.environ[name] for name in CPU_KERNEL_VARIABLES if os.environ.get(name)}
    if forced:
        info["forced"] = forced
    return info


def describe_machine(info: dict) -> str:
    parts = [info.get("cpu", "?")]
    if info.get("vector_extensions"):
        parts.append("/".join(info["vector_extensions"]))
    if info.get("torch_kernels"):
        parts.append(f"torch {info['torch_kernels']} kernels")
    if info.get("blas"):
        parts.append(", ".join(info["blas"]))
    if info.get("forced"):
        parts.append("forced: " + " ".join(f"{k}={v}" for k, v in info["forced"].items()))
    return "; ".join(parts)


def _run_recipe(module: str, recipe, writers: dict, reference, variant: variants.Variant | None) -> None:
    """``recipe.build``; whatever goes wrong is a :class:`RecipeError` naming the recipe, the case
    and the line (never a bare traceback for the TA)."""
    import traceback
    extra = {} if variant is None else {"variant": variant}
    which = "" if variant is None or variant.shipped else f" (variant {variant.number})"
    try:
        recipe.build(public=writers["public"], hidden=writers["hidden"], reference=reference, **extra)
    except RecipeError as error:
        raise RecipeError(f"the {module} recipe could not build{which} {error}") from None
    except Exception as error:   # noqa: BLE001 - any failure of a recipe is reported the same way
        frames = [f for f in traceback.extract_tb(error.__traceback__) if "/handsons/" in f.filename]
        where = f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
        raise RecipeError(f"the {module} recipe failed{which}{where}: {type(error).__name__}: {error}") from None


def makes_variants(recipe) -> bool:
    """Whether a recipe draws grading variants (its ``build`` takes ``variant``)."""
    return "variant" in inspect.signature(recipe.build).parameters


def build_into(module: str, root: Path, term: variants.Term | None = None,
               numbers: set[int] | None = None) -> dict[str, dict]:
    """Run ``module``'s recipe into ``root/<module>/``, for the shipped fixtures (variant 0) and
    each of ``term``'s grading variants (``numbers``: only those, 0 always); manifest entries of
    what it wrote. Every variant must hold the same cases (groups and ids) as variant 0: graders
    are collected from those."""
    handson = handsons.get(module)
    recipe = handson.import_plugin("recipe")
    term = term or variants.read_term()
    target = Path(root) / module
    if target.exists():
        shutil.rmtree(target)
    reference = load_reference(module)
    versions = library_versions()
    recipe_path = handson.folder.joinpath("recipe.py").relative_to(handson.root).as_posix()
    entries, shipped_cases = {}, None
    for variant in (term.variants() if makes_variants(recipe) else [None]):
        number = 0 if variant is None else variant.number
        if number and numbers is not None and number not in numbers:
            continue
        writers = {v: FixtureWriter(variants.folder(module, v, number, root)) for v in handsons.VISIBILITIES}
        _run_recipe(module, recipe, writers, reference, variant)
        cases = {v: [(c["group"], c["id"]) for c in w.cases] for v, w in writers.items()}
        if shipped_cases is None:
            shipped_cases = cases
        elif cases != shipped_cases:
            raise RecipeError(f"the {module} recipe built other cases for variant {number} than for the shipped "
                              f"fixtures: every variant must have the same groups and ids")
        for visibility, writer in writers.items():
            writer.finish()
            for name in writer.files:
                relative = (writer.folder / name).relative_to(root).as_posix()
                entries[relative] = {"sha256": sha256(writer.folder / name), "recipe": recipe_path,
                                     "visibility": visibility, "versions": versions}
                if number:
                    entries[relative]["variant"] = number
                if name in writer.drift:
                    entries[relative]["drift"] = writer.drift[name].as_json()
    return entries


def read_manifest(root: Path = handsons.FIXTURES_DIR) -> dict:
    path = Path(root) / MANIFEST
    return json.loads(path.read_text()) if path.is_file() else {"files": {}}


def regenerate(module: str, root: Path | None = None, term: variants.Term | None = None) -> list[str]:
    """Rebuild ``module``'s fixtures in place (through a temporary folder) and the manifest
    (``root``: by default the ``fixtures/`` folder of the hands-on's own tree).
    ``term``: a new term's variants (recorded in ``term.json``); by default the stored term's.
    A recipe that fails (:class:`RecipeError`) leaves the stored fixtures as they were."""
    root = Path(root or handsons.get(module).fixtures_root)
    term = term or variants.read_term(root / variants.TERM_FILE.name)
    with tempfile.TemporaryDirectory(prefix="ag-fixtures-") as tmp:
        entries = build_into(module, Path(tmp), term)
        final = root / module
        if final.exists():
            shutil.rmtree(final)
        final.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(Path(tmp) / module, final)
    (root / variants.TERM_FILE.name).write_bytes(dumps(variants.term_json(term)))
    manifest = read_manifest(root)
    manifest["files"] = {k: v for k, v in manifest["files"].items() if not k.startswith(f"{module}/")}
    manifest["files"].update(entries)
    manifest["files"] = dict(sorted(manifest["files"].items()))
    manifest["made_on"] = dict(sorted({**manifest.get("made_on", {}), module: machine()}.items()))
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


def drift_within(stored: bytes, fresh: bytes, drift: dict) -> tuple[bool, str]:
    """Whether a regenerated float array is *equivalent* to the stored one (every value within
    ``drift``'s bound); and the measured drift, in words."""
    try:
        old = np.load(io.BytesIO(stored), allow_pickle=False)
        new = np.load(io.BytesIO(fresh), allow_pickle=False)
    except ValueError as error:
        return False, f"unreadable array ({error})"
    if old.shape != new.shape or old.dtype != new.dtype or old.dtype.kind != "f":
        return False, f"array changed from {old.dtype}{list(old.shape)} to {new.dtype}{list(new.shape)}"
    a, b = old.astype(np.float64), new.astype(np.float64)
    if not (np.array_equal(np.isnan(a), np.isnan(b)) and np.array_equal(a[np.isinf(a)], b[np.isinf(a)])):
        return False, "NaN or infinite values moved"
    finite = np.isfinite(a)
    a, b = a[finite], b[finite]
    peak = float(np.abs(a).max()) if a.size else 0.0
    bound = drift["rtol"] * np.abs(a) + drift["peak"] * peak
    if drift.get("log_floor"):
        with np.errstate(over="ignore"):
            bound = bound + np.log1p(drift["log_floor"] / np.exp(a))
    difference = np.abs(a - b)
    share = float(np.max(difference / np.maximum(bound, np.finfo(np.float64).tiny))) if a.size else 0.0
    measured = (f"drift {float(difference.max()) if a.size else 0.0:.2g}, {share:.2g} of its bound "
                f"({drift['kind']}; {int(np.sum(a != b))} of {old.size} values differ)")
    return bool(np.all(difference <= bound)), measured


@dataclass
class FileCheck:
    """One fixture file compared with what its recipe makes on this machine."""
    name: str
    status: str          # "identical", "equivalent" (float drift within its bound) or "different"
    detail: str = ""


def describe_drift(drift: dict) -> str:
    floor = f" + log1p({drift['log_floor']:g} / exp(old))" if drift.get("log_floor") else ""
    return (f"{drift['kind']}: |new - old| <= {drift['rtol']:g} |old| + {drift['peak']:g} max |old|{floor}, a tenth "
            f"of what the graders allow ({drift['graders']})")


@dataclass
class Verification:
    files: list[FileCheck]
    made_on: dict        # module -> the machine that made its stored fixtures (manifest)
    verified_on: dict    # this machine
    bounds: dict         # drift kind -> its bound, in words
    versions: dict = None  # module -> {library: (version the manifest records, version installed)}, where they differ

    @property
    def problems(self) -> list[str]:
        """One line per file that is different (``[]``: current, on this machine)."""
        return [f"{f.name}: {f.detail}" for f in self.files if f.status == "different"]

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)


def verify(modules: list[str], root: Path = handsons.FIXTURES_DIR, numbers: set[int] | None = None) -> Verification:
    """Regenerate ``modules`` in a temporary folder and compare with ``root`` and its manifest
    (``numbers``: the shipped fixtures and only these grading variants; by default all).

    Per file: *identical*; *equivalent* (a float output with a :class:`Drift` bound in the
    manifest, moved by float rounding only, within that bound); or *different* (anything else:
    inputs, integers, JSON, MIDI and checkpoints must be byte-identical on every machine)."""
    root = Path(root)
    stored_manifest = read_manifest(root)
    manifest = stored_manifest["files"]
    checks: list[FileCheck] = []
    bounds: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="ag-verify-") as tmp:
        for module in modules:
            fresh = build_into(module, Path(tmp), variants.read_term(root / variants.TERM_FILE.name), numbers)
            stored_names = {p.relative_to(root).as_posix() for p in (root / module).rglob("*") if p.is_file()} \
                if (root / module).exists() else set()
            names = set(fresh) | stored_names | {k for k in manifest if k.startswith(f"{module}/")}
            for name in sorted(n for n in names if _verified(n, numbers)):
                new_path, old_path = Path(tmp) / name, root / name
                if name not in fresh:
                    checks.append(FileCheck(name, "different", "stored, but the recipe no longer makes it"))
                    continue
                if name not in stored_names:
                    checks.append(FileCheck(name, "different", "made by the recipe, but not stored (run fixtures "
                                                               "regen)"))
                    continue
                old_bytes, new_bytes = old_path.read_bytes(), new_path.read_bytes()
                recorded = manifest.get(name, {}).get("sha256")
                if recorded != hashlib.sha256(old_bytes).hexdigest():
                    checks.append(FileCheck(name, "different", f"the manifest does not match the stored file "
                                                               f"({'no entry' if recorded is None else 'sha256 differs'})"))
                    continue
                if old_bytes == new_bytes:
                    checks.append(FileCheck(name, "identical"))
                    continue
                drift = fresh[name].get("drift")
                if drift is not None and drift == manifest[name].get("drift"):
                    bounds[drift["kind"]] = describe_drift(drift)
                    within, measured = drift_within(old_bytes, new_bytes, drift)
                    checks.append(FileCheck(name, "equivalent" if within else "different",
                                            measured if within else f"regenerated differently, beyond the "
                                                                    f"drift bound: {measured}"))
                    continue
                checks.append(FileCheck(name, "different", f"regenerated differently: "
                                                           f"{describe_difference(name, old_bytes, new_bytes)}"))
    made_on = {m: stored_manifest.get("made_on", {}).get(m, {}) for m in modules}
    return Verification(checks, made_on, machine(), bounds, version_changes(modules, manifest))


def _verified(name: str, numbers: set[int] | None) -> bool:
    """Whether a verify of ``numbers`` (None: every variant) covers the stored file ``name``."""
    parts = name.split("/")
    return numbers is None or parts[1:2] != ["variants"] or int(parts[2]) in numbers


def version_changes(modules: list[str], manifest: dict) -> dict[str, dict[str, tuple[str, str]]]:
    """module -> {library: (recorded, installed)} for each library whose version differs from the
    one the manifest records for that module's fixtures (a file's versions, the first that has any)."""
    installed = library_versions()
    changes = {}
    for module in modules:
        recorded = next((entry["versions"] for name, entry in sorted(manifest.items())
                         if name.startswith(f"{module}/") and entry.get("versions")), {})
        moved = {lib: (old, installed.get(lib, "not installed")) for lib, old in sorted(recorded.items())
                 if installed.get(lib) != old}
        if moved:
            changes[module] = moved
    return changes
