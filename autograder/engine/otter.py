"""Otter-grader test files generated from the public checks.

Otter's exception-based test files are Python, so each generated case simply
runs one of our public checks (through the same sandbox as ``autograder
check``): in the notebook, ``grader.check("midi_tokens")`` shows one line per
public check with its points and our message. The files are generated, never
edited: ``autograder otter-tests`` rewrites them.
"""
from __future__ import annotations

from pathlib import Path

from . import handsons
from .session import public_items

HEADER = '''"""Otter checks for {module}, generated from its public checks by `autograder otter-tests`: do not edit."""
from otter.test_files import test_case

from autograder.engine.checks import public_check

OK_FORMAT = False
name = "{module}"
points = {points:g}
'''
CASE = '''

@test_case(name={title!r}, points={points:g}, hidden=False)
def test_{index}():
    public_check({module!r}, {test!r})
'''


def otter_test_file(module: str) -> str:
    items = public_items(module)
    text = HEADER.format(module=module, points=sum(points for _, _, points in items))
    for index, (test, title, points) in enumerate(items, 1):
        text += CASE.format(index=index, module=module, test=test, title=title, points=points)
    return text


def write_otter_tests(folder: Path = handsons.STUBS_DIR / "checks") -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for module in handsons.names():
        path = folder / f"{module}.py"
        path.write_text(otter_test_file(module))
        written.append(path)
    return written
