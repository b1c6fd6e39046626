"""Checks of raised errors: "a ValueError whose message gives N", one mechanic for every hands-on.

A docstring may ask for a ``ValueError`` whose message gives a number (the minimum length, both
rates, the index of the first bad token). :func:`expect_value_error` runs the call and gets the
error; :func:`missing_numbers` says which numbers its message does not write; :func:`named_others`
says whether it writes too many other candidates, so that a message naming every possible index (or half of
them: whichever is the bad one, it is named) does not pass for one pointing at the right one.
"""
from __future__ import annotations

import re
from typing import Callable, Iterable

from .client import StudentCodeError
from .compare import describe, fail

_PLAIN = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)(\s*khz)?", re.IGNORECASE)
_GROUPED = re.compile(r"(?<![\w.])(\d{1,3}(?:[,_ ]\d{3})+(?:\.\d+)?)(\s*khz)?", re.IGNORECASE)
# How many other candidates an honest message writes beside the right one, at most: "token 88 (the
# instrument of tuple 17): instrument 71 would be a 16th melodic instrument; only 15 channels are
# melodic" writes 17, 71, 16 and 15 as well. Never more than a third of the candidates but the right
# one (a message naming a third of the indices of a short list would name the bad one a third of the
# time). Written as the docstring's "token <index>", at most one other (a tuple "starting at token 85").
OTHERS, OTHER_TOKENS = 6, 1
_TOKEN = re.compile(r"\btokens? (\d+)\b", re.IGNORECASE)
_ONE_TOKEN = re.compile(r"\btoken (\d+)\b", re.IGNORECASE)


def numbers_in(text: str) -> list[float]:
    """Every number the text writes, as ``24000``, ``24000.0``, ``24,000``, ``24_000`` or ``24 kHz``
    (a list ``[2,100]`` is read both as 2 and 100 and as 2100: a number is looked for, not parsed)."""
    found = []
    for pattern in (_PLAIN, _GROUPED):
        for match in pattern.finditer(text or ""):
            value = float(re.sub(r"[,_ ]", "", match.group(1)))
            found.append(value)
            if match.group(2):
                found.append(value * 1000)   # "24 kHz"
    return found


def mentions(text: str, number: float) -> bool:
    return any(abs(value - number) <= 1e-9 * max(1.0, abs(number)) for value in numbers_in(text))


def missing_numbers(text: str, wanted: Iterable[float]) -> list[float]:
    """The numbers of ``wanted`` the text does not write."""
    return [number for number in wanted if not mentions(text, number)]


def named_others(text: str, right: int, candidates: int) -> str | None:
    """Why the text does not point at candidate ``right`` of ``0 .. candidates - 1`` (None: it
    does): it names too many other candidates, as numbers (``OTHERS``, at most a third of the rest)
    or as ``token <index>`` (``OTHER_TOKENS``). A text whose only ``token <index>`` is the right one
    points at it whatever else it writes ("token 3 is invalid (the instrument of note 1, tokens 0-4):
    129 is outside 0-128"): a guess written that way names one index, as an honest message does."""
    if {int(n) for n in _ONE_TOKEN.findall(text or "")} == {right}:
        return None
    written = {int(value) for value in numbers_in(text) if value == int(value) and 0 <= value < candidates}
    tokens = {int(n) for n in _TOKEN.findall(text or "") if int(n) < candidates} - {right}
    if len(tokens) > OTHER_TOKENS:
        return f"names {len(tokens) + 1} of the {candidates} token indices (as token <index>)"
    if len(written - {right}) > min(OTHERS, (candidates - 1) // 3):
        return f"names {len(written | {right})} of the {candidates} token indices"
    return None


def expect_value_error(call: Callable[[], object], returned: Callable[[object], str],
                       other: Callable[[StudentCodeError], str] | None = None) -> StudentCodeError:
    """Run ``call()``, which must raise a ``ValueError`` (or a subclass): the error, its message in
    ``detail``. A returned value fails with ``returned(value)``; another exception with
    ``other(error)`` (default: that it should be a ValueError); the worker's other failures (time,
    memory, a crash, a value that could not be sent) propagate, for the caller or the plug-in."""
    try:
        value = call()
    except StudentCodeError as error:
        if error.kind == "exception" and error.exception != "ValueError":
            fail(other(error) if other else f"it should raise a ValueError; instead {error}")
        if error.kind != "exception":
            raise
        return error
    fail(returned(value))


__all__ = ["describe", "expect_value_error", "mentions", "missing_numbers", "named_others", "numbers_in"]
