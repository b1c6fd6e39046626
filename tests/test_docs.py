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
