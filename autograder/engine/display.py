"""How names and messages are shown: safe in a terminal, a CSV cell, an HTML page and a link.

Everywhere, the words of a submission are labelled as its own.

Submission names, student ids, file names and everything student code prints or raises are
chosen by whoever wrote the submission. Shown raw they could clear the instructor's screen
(terminal escapes), run in a spreadsheet (``=HYPERLINK(...)``), run in a browser (a link to
``javascript:...``), read as another name (``\\u202eecila`` shows as "alice"), or pose as the
grader ("grader error: please regrade this check by hand"). So:

- :func:`visible` writes every character that is invisible or acts on the display (controls,
  bidirectional overrides, zero-width and other format characters, odd spaces) as its escape
  (``\\u202e``), wherever a name or a message is shown; :func:`name_text` also for line breaks.
- :func:`console_text`, :func:`csv_cell`, :func:`html_text` and :func:`link_to` add what each
  context needs on top (rich markup escaped; a formula neutralised; HTML escaped; a relative,
  URL-encoded link).
- :func:`student_words` marks a submission's words inside a message as it is made;
  :func:`present` turns the marks into a labelled quotation when the result line is recorded:
  in full for a public check (students can run those themselves), cut to a short first line
  for a hidden check (its feedback must not carry the hidden inputs out), or left out.
"""
from __future__ import annotations

import html
import unicodedata
from urllib.parse import quote

# Letters that show as nothing (Hangul fillers) although Unicode calls them letters.
_BLANK_LETTERS = {"\u115f", "\u1160", "\u3164", "\uffa0"}
_HIDDEN_CATEGORIES = {"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"}


def _shows_as_itself(char: str, keep: str) -> bool:
    if char in keep or " " <= char <= "~":
        return True
    category = unicodedata.category(char)
    return not (category in _HIDDEN_CATEGORIES or category == "Zs" or char in _BLANK_LETTERS)


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def visible(text: object, keep: str = "\n") -> str:
    """``text`` with every invisible or display-changing character (controls, ESC, C1, U+202A-E,
    U+2066-9, U+200B-F, U+2060-4, U+FEFF, non-ASCII spaces...) written as its escape, ``\\u202e``;
    the characters of ``keep`` stay as they are."""
    text = str(text)
    if text.isascii() and all(" " <= c <= "~" or c in keep for c in text):
        return text
    return "".join(c if _shows_as_itself(c, keep) else _escape(c) for c in text)


def name_text(name: object) -> str:
    """A name (submission, student id, file) on one line, every character visible."""
    return visible(name, keep="")


def console_text(text: object, keep: str = "\n") -> str:
    """For rich's console (markup on): visible, and rich markup (``[red]``) shown as text."""
    from rich.markup import escape
    return escape(visible(text, keep))


def console_name(name: object) -> str:
    """A name for rich's console (markup on): on one line, visible, markup shown as text."""
    return console_text(name, keep="")


# A cell starting with one of these is a formula to a spreadsheet (OWASP, "CSV injection"); the
# full-width forms too, which some spreadsheets read as their ASCII twins.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def csv_cell(value: object) -> str:
    """A text cell of grades.csv: visible on one line, and never a formula (a leading ``'``)."""
    raw = str(value)
    text = name_text(raw)
    if raw.startswith(_FORMULA_STARTS) or raw.lstrip().startswith(_FORMULA_STARTS):
        return "'" + text
    return text


def html_text(text: object, keep: str = "\n") -> str:
    """Text for an HTML page: visible, then escaped (quotes too: safe in an attribute)."""
    return html.escape(visible(text, keep), quote=True)


def inert_name(name: object) -> str:
    """A name for a page that does not escape what it shows (copydetect's similarity report):
    visible, and the characters HTML gives a meaning to written as ``_``."""
    return name_text(name).translate(str.maketrans({c: "_" for c in "<>&\"'`"}))


def link_to(folder: str, page: str) -> str:
    """A relative link to ``folder/page`` for an ``href``: every character of the folder's name
    URL-encoded, so no name can become a scheme (``javascript:``), a query or another path."""
    return html.escape(f"./{quote(folder, safe='')}/{quote(page, safe='')}", quote=True)


# ------------------------------------------------------------------ a submission's words

# Marks around a submission's words inside a message, until :func:`present` replaces them.
# Private-use characters: never in what a submission says (taken out of it when marked).
_OPEN, _PART, _CLOSE = "\ue000", "\ue001", "\ue002"
_MARKS = str.maketrans("", "", _OPEN + _PART + _CLOSE)
QUOTE_PREFIX = "  > "             # each line of a quotation
INLINE_CHARS = 120                # a public one-line quotation up to this long stays on the label's line
HIDDEN_CHARS = 40                 # what a hidden check shows of a submission's message
FULL_CHARS = 6000                 # what a public check shows of one quotation at most


def first_line(text: str) -> str:
    """The first non-empty line of ``text`` (what a hidden check may show of a message)."""
    return next((line.strip() for line in str(text).splitlines() if line.strip()), "")


def student_words(label: str, full: object, short: object | None = None) -> str:
    """``label`` and the submission's words ``full``, marked for :func:`present`: a public check
    shows ``label:`` and ``full`` as a quotation; a hidden one ``label:`` and ``short`` (default:
    the first line of ``full``) cut to :data:`HIDDEN_CHARS`, or nothing at all when ``short`` is
    empty. ``label`` is the grader's: "Your code raised", "\\nYour code printed"..."""
    full = str(full).translate(_MARKS)[:FULL_CHARS]
    short = first_line(full) if short is None else str(short).translate(_MARKS)
    if not full.strip():
        return ""
    return f"{_OPEN}{str(label).translate(_MARKS)}{_PART}{full}{_PART}{first_line(short)}{_CLOSE}"


def _quotation(label: str, full: str, short: str, hidden: bool) -> str:
    if hidden:
        if not short:
            return ""
        cut = short[:HIDDEN_CHARS]
        note = f" (cut: a hidden check shows the first {HIDDEN_CHARS} characters)" if len(short) > len(cut) else ""
        return f"{label}: {cut!r}{note}"
    lines = full.rstrip().splitlines() or [""]
    if len(lines) == 1 and len(lines[0]) <= INLINE_CHARS:
        return f"{label}: {lines[0]!r}"
    return f"{label}:\n" + "\n".join(QUOTE_PREFIX + visible(line, keep="\t") for line in lines)


def present(text: str, hidden: bool) -> str:
    """A message as a result line shows it: each marked quotation of the submission's words
    written out (see :func:`student_words`), then every character visible (newlines kept)."""
    out, rest = [], str(text)
    while _OPEN in rest:
        before, _, rest = rest.partition(_OPEN)
        body, closed, after = rest.partition(_CLOSE)
        rest = after if closed else ""
        label, _, words = body.partition(_PART)
        full, _, short = words.partition(_PART)
        out += [before, _quotation(label, full, short, hidden)]
    out.append(rest)
    return visible("".join(out).translate(_MARKS), keep="\n\t")


# The style of every HTML page the engine writes (the submissions', the index, the class report).
STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; }
table { border-collapse: collapse; } td, th { padding: 0.3em 0.8em; border-bottom: 1px solid #ddd; text-align: left; }
.check { border-left: 4px solid #ccc; padding: 0.3em 1em; margin: 0.8em 0; }
.passed { border-color: #2a9d4b; } .failed { border-color: #d1495b; }
.status { font-weight: bold; } .passed .status { color: #2a9d4b; } .failed .status { color: #d1495b; }
pre { white-space: pre-wrap; background: #f6f6f6; padding: 0.6em; font-size: 0.9em; }
img { max-width: 100%; } .hidden-note { color: #777; font-size: 0.9em; }
.review { color: #9a5b00; background: #fff4e0; }
.plots svg { display: block; margin: 1em 0; } td pre { max-width: 40em; }
"""


def page(title: str, body: str) -> str:
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html_text(title, keep='')}</title>"
            f"<style>{STYLE}</style></head><body>{body}</body></html>\n")
