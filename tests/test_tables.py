"""The score and check tables never cut a name: every submission, hands-on and check
name appears whole on one line of the output, at any terminal width."""
import io

import pytest
from rich.console import Console

from autograder.cli import print_scores
from autograder.engine import handsons
from autograder.engine.checks import print_result, print_summary
from autograder.engine.output import Graded

MODULES = handsons.names()
MAXIMA = {module: 80.0 + index for index, module in enumerate(MODULES)}


def console(width: int) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=width, color_system=None, force_terminal=False), out


def graded(name: str, score: float = 7.0, note: str = "") -> Graded:
    tests = [{"name": f"{m}: a check", "score": score, "max_score": MAXIMA[m], "status": "failed",
              "tags": [m]} for m in MODULES]
    extra = {"error": note} if note else {}
    return Graded(name, name, {"tests": tests, "score": score * len(MODULES), "extra_data": extra})


# Nine names that an 80-column table used to cut alike ("encodec_rvq_…"), 40 characters each.
LONG_NAMES = [f"encodec_rvq_submission_of_student_{i:02d}_v02" for i in range(9)]


def lines_of(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines()]


def whole_on_a_line(name: str, text: str) -> bool:
    return any(name in line for line in text.splitlines())


def test_grade_table_at_80_columns_shows_every_40_character_name_whole():
    assert all(len(name) == 40 for name in LONG_NAMES)
    out_console, out = console(80)
    print_scores(out_console, [graded(name, i) for i, name in enumerate(LONG_NAMES)], MODULES, MAXIMA, "Scores")
    text = out.getvalue()
    missing = [name for name in LONG_NAMES if not whole_on_a_line(name, text)]
    assert not missing, f"cut or missing names {missing} in:\n{text}"
    assert "…" not in text
    # the scores are still there and can be matched to the names (a numbered legend)
    for index, name in enumerate(LONG_NAMES, 1):
        assert f"{index}  {name}" in lines_of(text), text
    assert "9 / 243" in text   # the total of the fourth submission (3 x 3) over the maxima


@pytest.mark.parametrize("width", [12, 30, 50, 80, 120, 250])
def test_grade_table_never_cuts_a_name_at_any_width(width):
    names = [*LONG_NAMES[:3], "reference (solutions/)", "a", "x" * 90, "[bold]markup[/bold] is text"]
    rows = [graded(name, note="grading stopped after 900 s, the most one submission's grading may take"
                   if name == "a" else "") for name in names]
    out_console, out = console(width)
    print_scores(out_console, rows, MODULES, MAXIMA, "Scores")
    text = out.getvalue()
    for name in names:
        assert whole_on_a_line(name, text), f"{name!r} cut at width {width}:\n{text}"
    for module in MODULES:
        assert whole_on_a_line(module, text), f"{module!r} cut at width {width}:\n{text}"


def test_short_names_stay_in_the_table_itself():
    names = ["alice", "bob", "reference (solutions/)"]
    out_console, out = console(200)
    print_scores(out_console, [graded(name) for name in names], MODULES, MAXIMA, "Scores")
    rows = [line for line in out.getvalue().splitlines() if line.startswith("│")]
    assert [next(n for n in names if n in row) for row in rows] == names, out.getvalue()


@pytest.mark.parametrize("width", [10, 24, 80])
def test_check_summary_and_check_lines_never_cut_a_name(width):
    name = "midi_tokens: midi_to_tokens(tokens_to_midi(t)) gives back the notes of t, for generated t"
    entries = [{"name": name, "score": 4.0, "max_score": 4.0, "status": "passed", "output": "",
                "tags": ["midi_tokens"]}]
    entries += [{"name": f"{m}: x", "score": 0.0, "max_score": 1.0, "status": "failed",
                 "output": "expected 1, got 2", "tags": [m]} for m in MODULES]
    lines_console, lines = console(width)
    for entry in entries:
        print_result(lines_console, entry)
    assert whole_on_a_line(name, lines.getvalue()), lines.getvalue()
    summary_console, summary = console(width)
    print_summary(summary_console, entries, MODULES)
    for module in MODULES:
        assert whole_on_a_line(module, summary.getvalue()), summary.getvalue()
