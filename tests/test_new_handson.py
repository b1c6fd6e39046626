"""autograder/handsons/README.md is complete: a fourth hands-on made of what it lists, and nothing
else, in a folder of its own, is graded by the real engine with no change to it.

The hands-on (``scaling``: multiply a list by a number) is written the way the README says: a
stub and a reference, a plug-in folder with ``NUMBER``/``TITLE``, a codec, ``grading.py``
(``RULES``, then ``run_``/``check_``/``diagnose_`` helpers), public and hidden graders and a
recipe; the folder is named by ``AUTOGRADER_EXTRA_HANDSONS``. Its fixtures are made by
``autograder fixtures regen``, and ``autograder grade`` gives the reference full marks, the
untouched stub zero with a message, and a one-mistake version its diagnosis.
"""
import json
import os
import textwrap
from pathlib import Path

import pytest

from .helpers import run_cli


DOC = '''"""Every number of ``values`` (a list of numbers) times ``factor`` (a number), as a new list.

    Raises ``ValueError`` when ``factor`` is negative; the message says which factor it was.
    """'''

FILES = {
    "assignments/scaling.py": '''
        """Hands-on 4 (a test's): scaling a list."""


        def scale(values, factor):
            @DOC@
            raise NotImplementedError
        ''',
    "solutions/scaling.py": '''
        """Hands-on 4 (a test's): scaling a list."""


        def scale(values, factor):
            @DOC@
            if factor < 0:
                raise ValueError(f"factor {factor} is negative")
            return [value * factor for value in values]
        ''',
    "autograder/__init__.py": "",
    "autograder/handsons/__init__.py": "",
    "autograder/handsons/scaling/__init__.py": '''
        """Hands-on 4 (a test's): scaling a list."""
        NUMBER = 4
        TITLE = "Scaling a list"
        ''',
    "autograder/handsons/scaling/codec.py": '''
        """Runs in the sandboxed worker: plain values only, so nothing to build or encode."""
        DECODERS = {}
        ENCODERS = []


        def preload():
            """Nothing heavy to import once in the zygote."""
        ''',
    "autograder/handsons/scaling/grading.py": '''
        """What both graders of scaling share: its rules, then run_ (call), check_ (judge a value),
        diagnose_ (name a known mistake)."""
        from ...engine.client import StudentCodeError
        from ...engine.compare import fail
        from ...engine.rules import Rule

        RULES = {
            "times": Rule("scale", "Every number of ``values`` (a list of numbers) times ``factor``"),
            "negative": Rule("scale", "Raises ``ValueError`` when ``factor`` is negative"),
        }


        def diagnose_scale(got, case):
            if got == [value + case["factor"] for value in case["values"]]:
                return "Likely cause: the factor is added, not multiplied."
            return None


        def check_scale(got, case):
            if not isinstance(got, list) or got != case["expected"]:
                fail(f"scale({case['values']}, {case['factor']}) returned {got!r}, expected {case['expected']}. "
                     + (diagnose_scale(got, case) or ""))


        def run_scale(student, case):
            check_scale(student.call("scale", case["values"], case["factor"]), case)


        def run_negative(student, case):
            try:
                got = student.call("scale", case["values"], case["factor"])
            except StudentCodeError as error:
                if error.kind == "exception" and error.exception == "ValueError":
                    return
                raise
            fail(f"scale(..., {case['factor']}) returned {got!r}: a negative factor raises ValueError")
        ''',
    "autograder/handsons/scaling/test_public.py": '''
        """Public checks of the test's hands-on 4."""
        import pytest

        from ...engine import fixtures
        from . import grading

        FIXTURES = fixtures.load("scaling", "public")


        @pytest.mark.points(2)
        @pytest.mark.rules("times")
        @pytest.mark.parametrize("case", FIXTURES.cases("scale"), ids=fixtures.case_id)
        def test_scale(student, case):
            """scale multiplies every number by the factor"""
            grading.run_scale(student, case)


        @pytest.mark.points(1)
        @pytest.mark.rules("negative")
        @pytest.mark.parametrize("case", FIXTURES.cases("negative"), ids=fixtures.case_id)
        def test_negative(student, case):
            """scale refuses a negative factor (ValueError)"""
            grading.run_negative(student, case)
        ''',
    "autograder/handsons/scaling/recipe.py": '''
        """How the test's hands-on 4's fixtures are made (autograder fixtures regen scaling)."""


        def build(public, hidden, reference):
            for writer, cases in ((public, [([1, 2, 3], 2)]), (hidden, [([0.5, -4], 3), ([], 7)])):
                for number, (values, factor) in enumerate(cases):
                    writer.add_case("scale", f"case{number}", values=values, factor=factor,
                                    expected=reference.scale(values, factor), rules=["times"])
                writer.add_case("negative", "minus1", values=[1], factor=-1, rules=["negative"])
        ''',
}
FILES["autograder/handsons/scaling/test_hidden.py"] = FILES["autograder/handsons/scaling/test_public.py"].replace(
    '"public"', '"hidden"').replace("Public checks", "Hidden checks")
MISTAKE = ("[value * factor for value in values]", "[value + factor for value in values]")


@pytest.fixture
def course(tmp_path: Path) -> Path:
    root = tmp_path / "course"
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip().replace("@DOC@", DOC))
    mistaken = root / "mistaken" / "scaling.py"
    mistaken.parent.mkdir()
    mistaken.write_text((root / "solutions" / "scaling.py").read_text().replace(*MISTAKE))
    return root


def test_a_fourth_handson_from_its_own_folder_is_graded_by_the_real_engine(course, tmp_path):
    env = {"AUTOGRADER_EXTRA_HANDSONS": str(course)}
    regen = run_cli(["fixtures", "regen", "scaling"], tmp_path, env=env)
    assert regen.returncode == 0, regen.output
    manifest = json.loads((course / "fixtures" / "manifest.json").read_text())
    assert manifest["files"] and all(name.startswith("scaling/") for name in manifest["files"])
    assert (course / "fixtures" / "scaling" / "hidden" / "cases.json").is_file()

    rubric = run_cli(["rubric"], tmp_path, env=env)
    assert rubric.returncode == 0 and "scaling" in rubric.output, rubric.output

    out = tmp_path / "out"
    paths = [course / "solutions", course / "assignments", course / "mistaken"]
    graded = run_cli(["grade", *map(str, paths), "--out", str(out), "--module", "scaling"], tmp_path, env=env)
    assert graded.returncode == 0, graded.output
    reference, stub, mistaken = (json.loads((out / p.name / "results.json").read_text()) for p in paths)
    # scale: 1 public + 2 hidden cases, 2 points each; negative: 1 public + 1 hidden, 1 point each
    assert reference["score"] == 3 * 2 + 2 * 1 and all(t["status"] == "passed" for t in reference["tests"])
    assert stub["score"] == 0 and all("not implemented yet" in t["output"] for t in stub["tests"])
    assert {t["tags"][0] for t in reference["tests"]} == {"scaling"}
    lost = [t for t in mistaken["tests"] if t["status"] != "passed"]
    # adding instead of multiplying goes unseen on the empty list only
    assert len(lost) == 2 and all("Likely cause: the factor is added" in t["output"] for t in lost), lost
    assert mistaken["score"] == 2 + 2 * 1
    assert not os.environ.get("AUTOGRADER_EXTRA_HANDSONS"), "the hook stays off outside this test"
