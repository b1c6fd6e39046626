"""The README stays true: its rubric is the graders' rubric."""
import re
from pathlib import Path

from autograder.engine.session import rubric_markdown

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_rubric_matches_the_graders():
    text = README.read_text()
    block = re.search(r"<!-- rubric:start -->\n(.*?)<!-- rubric:end -->", text, re.S)
    assert block, "README has no rubric block"
    assert block.group(1) == rubric_markdown(), "README rubric is stale: paste `autograder rubric --markdown`"


def test_notebook_otter_checks_are_generated_from_the_public_checks():
    from autograder.engine import handsons
    from autograder.engine.otter import otter_test_file
    for module in handsons.names():
        path = handsons.STUBS_DIR / "checks" / f"{module}.py"
        assert path.read_text() == otter_test_file(module), f"{path} is stale: run `autograder otter-tests`"


def module_table() -> str:
    """docs/architecture.md's table: every module of the engine and the worker, and its one job
    (the first line of its docstring)."""
    import ast
    package = README.parent / "autograder"
    lines = ["| module | its one job |", "| --- | --- |"]
    for folder in ("engine", "worker"):
        for path in sorted((package / folder).glob("*.py")):
            if path.name != "__init__.py":
                job = ast.get_docstring(ast.parse(path.read_text())).splitlines()[0].replace("|", "\\|")
                lines.append(f"| `{folder}/{path.name}` | {job} |")
    return "\n".join(lines) + "\n"


def test_the_architecture_page_lists_every_engine_and_worker_module_with_its_job():
    page = README.parent / "docs" / "architecture.md"
    block = re.search(r"<!-- modules:start -->\n(.*?)<!-- modules:end -->", page.read_text(), re.S)
    assert block, "docs/architecture.md has no modules block"
    assert block.group(1) == module_table(), f"docs/architecture.md's module table is stale; it is:\n{module_table()}"
