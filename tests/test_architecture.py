"""The package's shape (docs/architecture.md): imports run one way, no module imports
another's private name, each engine and worker module says its one job first.

Read from the source (AST), imports inside functions included: a lazy import is still
a dependency, and a cycle hidden in a function is still a cycle.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "autograder"



def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    """Every module of the package except the hands-ons' graders and recipes (test-like files)."""
    return {_module_name(p): p for p in PACKAGE.rglob("*.py") if "handsons" not in p.parts}


def _imports(name: str, path: Path) -> list[tuple[str, list[str]]]:
    """(imported module, names taken from it) for each import in ``path``, made absolute."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            base = base[:len(base) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            found.append((module, [alias.name for alias in node.names]))
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for module, names in _imports(name, path):
            # ``from . import handsons``: the names may be modules themselves
            targets = [f"{module}.{n}" for n in names if f"{module}.{n}" in modules] or [module]
            graph[name] |= {t for t in targets if t in modules and t != name}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return stack[stack.index(target):] + [target]
            if target not in state and (found := visit(target)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_package_has_no_import_cycle():
    graph = _graph()
    # A package's __init__ importing nothing but being imported by all would hide nothing; the
    # packages' own __init__ files are kept in (they are one line today).
    assert _cycle(graph) is None, " -> ".join(_cycle(graph))


def test_the_engine_imports_one_way():
    """cli -> batch -> pools -> session -> worker client: nothing below imports what is above."""
    graph = _graph()
    order = ["autograder.cli", "autograder.engine.batch", "autograder.engine.pools",
             "autograder.engine.session", "autograder.engine.client"]
    for high, low in zip(order, order[1:]):
        assert _reaches(graph, high, low), f"{high} does not lead to {low}"
        assert not _reaches(graph, low, high), f"{low} imports {high}, above it"


def _reaches(graph: dict[str, set[str]], start: str, goal: str) -> bool:
    seen, todo = set(), [start]
    while todo:
        node = todo.pop()
        if node == goal:
            return True
        if node not in seen:
            seen.add(node)
            todo += graph[node]
    return False


def test_no_module_imports_a_private_name_of_another():
    modules = _modules()
    offenders = []
    for name, path in modules.items():
        for module, names in _imports(name, path):
            if module.startswith("autograder") and module != name:
                offenders += [f"{name}: from {module} import {n}" for n in names
                              if n.startswith("_") and not n.startswith("__")]
    assert offenders == []


def test_no_test_imports_a_private_name_of_the_package():
    offenders = []
    for path in sorted(PACKAGE.parent.joinpath("tests").glob("*.py")):
        for module, names in _imports("tests." + path.stem, path):
            if module.startswith("autograder") or module.startswith("tests"):
                offenders += [f"{path.name}: from {module} import {n}" for n in names
                              if n.startswith("_") and not n.startswith("__")]
    assert offenders == []


@pytest.mark.parametrize("folder", ["engine", "worker"])
def test_each_module_states_its_one_job_first(folder):
    for path in sorted((PACKAGE / folder).glob("*.py")):
        if path.name == "__init__.py":
            continue
        doc = ast.get_docstring(ast.parse(path.read_text()))
        assert doc and doc.splitlines()[0].strip().endswith((".", ":")), f"{path.name}: no one-line job first"


LONG = 700   # lines: a module longer than this has more than one job, or says why it has not
WHY_LONG = "Long on purpose:"


def test_no_module_is_long_without_saying_why():
    """Every module a maintainer or a student reads (the package, the stubs and their provided code,
    the references, scripts and benchmarks) is short, or its docstring says why it is one module."""
    root = PACKAGE.parent
    long_ones = []
    for folder in ("autograder", "assignments", "solutions", "scripts", "benchmarks"):
        for path in sorted((root / folder).rglob("*.py")):
            text = path.read_text()
            if text.count("\n") > LONG and WHY_LONG not in (ast.get_docstring(ast.parse(text)) or ""):
                long_ones.append(f"{path.relative_to(root)}: {text.count(chr(10))} lines")
    assert long_ones == [], f"split these by job, or say why in the docstring ({WHY_LONG!r}): {long_ones}"
