"""The submissions the graders are graded on, per hands-on: the reference, the untouched stub,
every alternative correct implementation and every one-mistake variant (``tests/alternatives/``,
``tests/mistakes/``). ``tests/test_graders.py`` grades them; ``scripts/upgrade_check.py`` grades
them again under the newest library versions to show which scores a lock refresh would move."""
from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from pathlib import Path

from autograder.engine import handsons

TESTS = Path(__file__).parent


@dataclass(frozen=True)
class Variant:
    """A submission of one module that the suite grades: its name and source, and for a
    mistake what must catch it."""
    name: str
    source: str
    loses: tuple[str, ...] = ()
    says: str = ""


def mistakes_of(module: str) -> list:
    try:
        return importlib.import_module(f"tests.mistakes.{module}").MISTAKES
    except ModuleNotFoundError:
        return []


def _files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.py")) if folder.is_dir() else []


def alternatives_of(module: str) -> list[Variant]:
    single = TESTS / "alternatives" / f"{module}.py"
    files = ([single] if single.exists() else []) + _files(TESTS / "alternatives" / module)
    return [Variant(f"alternative-{p.stem}", p.read_text()) for p in files]


def mistake_variants_of(module: str) -> list[Variant]:
    reference = handsons.get(module).reference_path.read_text()
    variants = [Variant(f"mistake-{m.name}", m.apply(reference), tuple(m.loses), m.says) for m in mistakes_of(module)]
    for path in _files(TESTS / "mistakes" / module):
        source = path.read_text()
        declared = re.search(r"^# loses: (.+)$", source, re.MULTILINE)
        assert declared, f"{path}: no '# loses: check, ...' line"
        says = re.search(r"^# says: (.+)$", source, re.MULTILINE)   # optional: what the feedback must say
        variants.append(Variant(f"mistake-{path.stem}", source,
                                tuple(c.strip() for c in declared.group(1).split(",") if c.strip()),
                                says.group(1).strip() if says else ""))
    return variants


def everything_of(module: str) -> list[Variant]:
    """The reference, the stub, the alternatives and the mistakes of ``module``."""
    return [Variant("reference", handsons.get(module).reference_path.read_text()),
            Variant("stub", handsons.get(module).stub_path.read_text()),
            *alternatives_of(module), *mistake_variants_of(module)]


def write_submissions(root: Path, module: str, variants: list[Variant]) -> list[Path]:
    """One folder per variant under ``root``, holding ``<module>.py``; the folders."""
    folders = []
    for variant in variants:
        folder = root / variant.name
        folder.mkdir(parents=True)
        (folder / f"{module}.py").write_text(variant.source)
        folders.append(folder)
    return folders
