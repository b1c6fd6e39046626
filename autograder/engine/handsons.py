"""Where things are, and the hands-on plug-ins found in ``autograder/handsons/``.

A plug-in is a folder named after the student module (``midi_tokens``) holding
``__init__.py`` (``NUMBER``, ``TITLE``), ``codec.py`` (how the sandboxed worker
builds rich arguments and encodes rich results), ``recipe.py`` (how its
fixtures are made), and the graders ``test_public.py`` / ``test_hidden.py``.
The stub is ``assignments/<name>.py``, the reference ``solutions/<name>.py``,
the fixtures ``fixtures/<name>/{public,hidden}/``. Nothing else is needed.
"""
from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PLUGINS_DIR = REPO_ROOT / "autograder" / "handsons"
STUBS_DIR = REPO_ROOT / "assignments"
SOLUTIONS_DIR = REPO_ROOT / "solutions"
FIXTURES_DIR = REPO_ROOT / "fixtures"
PROVIDED_PACKAGE = STUBS_DIR / "musicrep"
VISIBILITIES = ("public", "hidden")


@dataclass(frozen=True)
class HandsOn:
    name: str
    number: int
    title: str
    folder: Path

    @property
    def codec_path(self) -> Path:
        return self.folder / "codec.py"

    @property
    def stub_path(self) -> Path:
        return STUBS_DIR / f"{self.name}.py"

    @property
    def reference_path(self) -> Path:
        return SOLUTIONS_DIR / f"{self.name}.py"

    def grader_path(self, visibility: str) -> Path:
        return self.folder / f"test_{visibility}.py"

    def fixtures_dir(self, visibility: str) -> Path:
        return FIXTURES_DIR / self.name / visibility

    @property
    def off_limits(self) -> dict[str, tuple[str, ...]]:
        """Student function -> the library functions (``"package.module:Class.method"``) its
        docstring asks students to write themselves: the package's ``OFF_LIMITS``."""
        package = importlib.import_module(f"autograder.handsons.{self.name}")
        return {name: tuple(functions) for name, functions in getattr(package, "OFF_LIMITS", {}).items()}

    def import_plugin(self, part: str):
        """``autograder.handsons.<name>.<part>`` (``codec``, ``recipe``...)."""
        return importlib.import_module(f"autograder.handsons.{self.name}.{part}")


@functools.lru_cache(maxsize=1)
def _discover() -> tuple[HandsOn, ...]:
    found = []
    for folder in sorted(PLUGINS_DIR.iterdir()):
        if not (folder / "__init__.py").is_file() or folder.name.startswith("_"):
            continue
        package = importlib.import_module(f"autograder.handsons.{folder.name}")
        found.append(HandsOn(folder.name, int(getattr(package, "NUMBER", 99)),
                             str(getattr(package, "TITLE", folder.name)), folder))
    return tuple(sorted(found, key=lambda h: (h.number, h.name)))


def all_handsons() -> list[HandsOn]:
    return list(_discover())


def names() -> list[str]:
    return [h.name for h in _discover()]


def get(name: str) -> HandsOn:
    for handson in _discover():
        if handson.name == name:
            return handson
    raise KeyError(f"no hands-on named {name!r}; known: {', '.join(names())}")
