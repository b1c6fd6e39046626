"""Where things are, and the hands-on plug-ins found in ``autograder/handsons/``.

A plug-in is a folder named after the student module (``midi_tokens``): what it holds, and
what else a hands-on needs, is in ``autograder/handsons/README.md``. The stub is
``assignments/<name>.py``, the reference ``solutions/<name>.py``, the fixtures
``fixtures/<name>/{public,hidden}/``.

``AUTOGRADER_EXTRA_HANDSONS`` (folders separated by ``os.pathsep``) adds the hands-ons of other
folders, each laid out like this repository: ``autograder/handsons/<name>/`` (with an empty
``__init__.py`` in ``autograder/`` and ``autograder/handsons/``, so that its graders are imported
as ``autograder.handsons.<name>`` like the bundled ones), ``assignments/<name>.py``,
``solutions/<name>.py`` and ``fixtures/`` (its own ``manifest.json``). For a course's own
hands-on kept outside this repository, and for the test that builds one
(``tests/test_new_handson.py``).
"""
from __future__ import annotations

import functools
import importlib
import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PLUGINS_DIR = REPO_ROOT / "autograder" / "handsons"
STUBS_DIR = REPO_ROOT / "assignments"
SOLUTIONS_DIR = REPO_ROOT / "solutions"
FIXTURES_DIR = REPO_ROOT / "fixtures"
PROVIDED_PACKAGE = STUBS_DIR / "musicrep"
VISIBILITIES = ("public", "hidden")
EXTRA_VARIABLE = "AUTOGRADER_EXTRA_HANDSONS"


@dataclass(frozen=True)
class HandsOn:
    name: str
    number: int
    title: str
    folder: Path
    root: Path = REPO_ROOT   # the folder laid out like this repository that holds it

    @property
    def codec_path(self) -> Path:
        return self.folder / "codec.py"

    @property
    def stub_path(self) -> Path:
        return self.root / "assignments" / f"{self.name}.py"

    @property
    def reference_path(self) -> Path:
        return self.root / "solutions" / f"{self.name}.py"

    def grader_path(self, visibility: str) -> Path:
        return self.folder / f"test_{visibility}.py"

    @property
    def fixtures_root(self) -> Path:
        """The ``fixtures/`` folder that holds this hands-on's (and its ``manifest.json``)."""
        return self.root / "fixtures"

    def fixtures_dir(self, visibility: str) -> Path:
        return self.fixtures_root / self.name / visibility

    @property
    def off_limits(self) -> dict[str, tuple[str, ...]]:
        """Student function -> the library functions (``"package.module:Class.method"``) its
        docstring asks students to write themselves: the package's ``OFF_LIMITS``."""
        package = importlib.import_module(f"autograder.handsons.{self.name}")
        return {name: tuple(functions) for name, functions in getattr(package, "OFF_LIMITS", {}).items()}

    @property
    def grader_modules(self) -> list[Path]:
        """Its grader-side modules besides the graders: ``codec.py``, ``grading.py`` and those the
        package's ``GRADER_MODULES`` names (a grader split by job). They ship to students with the
        public graders and count in the grader version; the recipe's modules never ship."""
        package = importlib.import_module(f"autograder.handsons.{self.name}")
        names = ["codec", "grading", *getattr(package, "GRADER_MODULES", ())]
        return [self.folder / f"{name}.py" for name in names if (self.folder / f"{name}.py").is_file()]

    @property
    def preload_dir(self) -> Path | None:
        """The folder of public fixtures (the package's ``WORKER_PRELOAD``: its checkpoints...) the
        sandbox hands the codec's ``preload``, to build what it holds once, before any worker starts;
        None without one."""
        package = importlib.import_module(f"autograder.handsons.{self.name}")
        name = getattr(package, "WORKER_PRELOAD", None)
        folder = self.fixtures_dir("public") / name if name else None
        return folder if folder is not None and folder.is_dir() else None

    def import_plugin(self, part: str):
        """``autograder.handsons.<name>.<part>`` (``codec``, ``recipe``...)."""
        return importlib.import_module(f"autograder.handsons.{self.name}.{part}")


def extra_roots() -> list[Path]:
    """The folders ``AUTOGRADER_EXTRA_HANDSONS`` names (see the module's docstring)."""
    return [Path(p).resolve() for p in os.environ.get(EXTRA_VARIABLE, "").split(os.pathsep) if p.strip()]


@functools.lru_cache(maxsize=1)
def _discover() -> tuple[HandsOn, ...]:
    import autograder.handsons as plugins
    found: dict[str, HandsOn] = {}
    for root in [REPO_ROOT, *extra_roots()]:
        folder_of_plugins = root / "autograder" / "handsons"
        if root != REPO_ROOT and str(folder_of_plugins) not in plugins.__path__:
            plugins.__path__.append(str(folder_of_plugins))   # autograder.handsons.<name> is found there
        for folder in sorted(folder_of_plugins.iterdir()):
            if not (folder / "__init__.py").is_file() or folder.name.startswith("_"):
                continue
            if folder.name in found:
                raise ValueError(f"two hands-ons named {folder.name}: {found[folder.name].folder} and {folder}")
            package = importlib.import_module(f"autograder.handsons.{folder.name}")
            found[folder.name] = HandsOn(folder.name, int(getattr(package, "NUMBER", 99)),
                                         str(getattr(package, "TITLE", folder.name)), folder, root)
    return tuple(sorted(found.values(), key=lambda h: (h.number, h.name)))


def all_handsons() -> list[HandsOn]:
    return list(_discover())


def names() -> list[str]:
    return [h.name for h in _discover()]


def get(name: str) -> HandsOn:
    for handson in _discover():
        if handson.name == name:
            return handson
    raise KeyError(f"no hands-on named {name!r}; known: {', '.join(names())}")
