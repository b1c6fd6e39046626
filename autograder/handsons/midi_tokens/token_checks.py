"""Token answers judged for Hands-on 2, with the classic mistake named.

- :func:`check_tokens` (:func:`diagnose_tokens` names the mistake): ``midi_to_tokens``' tokens,
  compared note by note (5-tuples), in order: notes that start at one instant too, in the order
  of their note-ons in the merged file;
- :func:`check_refused`: the ``TypeError`` that a type 2 file must raise;
- :func:`check_round_trip`: the notes read back from the file of ``tokens_to_midi`` (a multiset);
- :func:`check_rejected`: the ``ValueError`` that must name the first bad token.
"""
from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from ...engine.client import StudentCodeError
from ...engine.compare import describe, expect_int_list, fail
from ...engine.diagnoses import Diagnosis, slug
from ...engine.display import student_words
from ...engine.errors import expect_value_error, missing_numbers, named_others
from .grading import DRUMS, MISTAKES, notes_of, shown_tokens


def check_tokens(value: object, expected: list[int], case: dict, prefix: str = "") -> None:
    """Fail with an explanation unless ``value`` holds the expected notes (plain ints only);
    ``prefix`` opens every message."""
    def failed(message: str) -> None:
        fail(prefix + message)

    if isinstance(value, list):
        # A numpy integer reaches the grader as a numpy scalar or a one-element array.
        wrong = next(((i, v) for i, v in enumerate(value) if type(v) is not int), None)
        if wrong is not None and isinstance(wrong[1], (np.integer, np.ndarray)) and \
                np.asarray(wrong[1]).dtype.kind in "iu":
            failed(f"every value in the result must be a plain int; item {wrong[0]} is a numpy "
                   f"{np.asarray(wrong[1]).dtype} integer.\nLikely cause: {MISTAKES['numpy_ints']}")
    got = _int_list(value, failed)
    if len(got) % 5:
        failed(f"midi_to_tokens returned {len(got)} ints, not a multiple of 5: the result is a flat list "
               f"of (onset, duration, note, instrument, velocity) tuples.")
    if -1 in got:
        failed(f"{_first_difference(got, expected)}\nLikely cause: {MISTAKES['placeholder']}")
    got_notes, want_notes = notes_of(got), notes_of(expected)
    for index in range(1, len(got_notes)):
        if got_notes[index][0] < got_notes[index - 1][0]:
            failed(f"note {index} starts at {got_notes[index][0]}, before note {index - 1} "
                   f"({got_notes[index - 1][0]}): notes come in the order their note-ons occur in the file.")
    if got_notes == want_notes:
        return
    if _grouped(got_notes) == _grouped(want_notes):
        failed(_order_message(got_notes, want_notes))
    message = _first_difference(got, expected)
    cause = diagnose_tokens(got_notes, want_notes, case)
    failed(f"{message}\nLikely cause: {cause}" if cause else message)


def _int_list(value: object, failed) -> list[int]:
    try:
        return expect_int_list(value, "midi_to_tokens(...)")
    except pytest.fail.Exception as error:
        failed(str(error.msg))


def _grouped(notes: list[tuple]) -> list[Counter]:
    """Notes grouped by onset (multisets), in onset order."""
    groups: list[Counter] = []
    last = None
    for note in notes:
        if note[0] != last:
            groups.append(Counter())
            last = note[0]
        groups[-1][note] += 1
    return groups


def _order_message(got: list[tuple], want: list[tuple]) -> str:
    """The right notes, each at its onset, but notes of one onset in another order."""
    index = next(i for i, (g, w) in enumerate(zip(got, want)) if g != w)
    onset = want[index][0]
    group = [i for i, note in enumerate(want) if note[0] == onset]
    got_group, want_group = [got[i] for i in group], [want[i] for i in group]
    message = (f"the right notes, but those starting at {onset} come in another order (notes {group[0]} to "
               f"{group[-1]}): expected {', '.join(_fmt(n) for n in want_group)}; got "
               f"{', '.join(_fmt(n) for n in got_group)}. At one instant, notes come in the order of their "
               f"note_on messages in `for msg in midi` (the tracks merged: at one tick, an earlier track's "
               f"messages first, and each track's in its own order).")
    for key, what in ((lambda n: n[2], "pitch"), (lambda n: n[3], "instrument"), (lambda n: n[1], "duration")):
        for reverse in (False, True):
            if got_group == sorted(want_group, key=key, reverse=reverse):
                return message + f"\nLikely cause: {MISTAKES['same_onset_order'].format(key=what)}"
    return message


def _first_difference(got: list[int], expected: list[int]) -> str:
    got_notes, want_notes = notes_of(got), notes_of(expected)
    # Align sorted notes: what differs is reported, not where (an order difference is reported apart).
    got_sorted, want_sorted = sorted(got_notes), sorted(want_notes)
    order = {n: i for i, n in enumerate(want_notes)}
    for index, (g, w) in enumerate(zip(got_sorted, want_sorted)):
        if g != w:
            position = order.get(w, index)
            return (f"the notes differ: expected note {position} = {_fmt(w)}, got {_fmt(g)} "
                    f"(you returned {len(got_notes)} notes, {len(want_notes)} expected).")
    if len(got_notes) != len(want_notes):
        extra = (got_sorted[len(want_sorted)] if len(got_sorted) > len(want_sorted)
                 else want_sorted[len(got_sorted)])
        which = "an extra note" if len(got_sorted) > len(want_sorted) else "a missing note"
        return (f"you returned {len(got_notes)} notes; {len(want_notes)} expected. First {which}: "
                f"{_fmt(extra)}.")
    return "the notes differ."


def _fmt(note: tuple) -> str:
    if len(note) != 5:
        return str(note)
    onset, duration, pitch, instrument, velocity = note
    return (f"(onset={onset}, duration={duration}, note={pitch}, instrument={instrument}, "
            f"velocity={velocity})")


def diagnose_tokens(got: list[tuple], want: list[tuple], case: dict) -> str | None:
    """Name the classic mistake the difference looks like, if any."""
    if not got:
        return None   # nothing found: no single mistake to name
    got_c, want_c = Counter(got), Counter(want)
    extra, missing = got_c - want_c, want_c - got_c
    if any(n[4] == 0 for n in got) and not any(n[4] == 0 for n in want):
        return MISTAKES["velocity_zero"]   # a note's velocity is its note-on's: never 0
    if missing and not extra and all(n[1] == 0 for n in missing.elements()):
        return MISTAKES["zero_length"]
    if missing and all(n[3] == DRUMS for n in missing.elements()) and \
            sorted(n[:3] + n[4:] for n in extra.elements()) == sorted(n[:3] + n[4:] for n in missing.elements()):
        return MISTAKES["drums"]
    if missing and len(got) == len(want) and \
            sorted(n[:3] + n[4:] for n in got) == sorted(n[:3] + n[4:] for n in want):   # only instruments differ
        return MISTAKES["later_program" if "later-program-change" in case.get("rules", ()) else "instrument"]
    if missing and len(got) == len(want) and "open-until-last-event" in case.get("rules", ()) and \
            all(g[1] < w[1] for g, w in zip(sorted(extra.elements()), sorted(missing.elements()))) and \
            sorted(n[:1] + n[2:] for n in extra.elements()) == sorted(n[:1] + n[2:] for n in missing.elements()):
        return MISTAKES["end_of_file"]     # only some notes shorter: those never ended
    exact = {tuple(k): v for k, v in case.get("exact_times", [])}
    if exact and len(got) == len(want) and extra:
        def end_rounded(note: tuple) -> tuple:
            times = exact.get(note)
            if not times:
                return note
            return note[:1] + (round(times[1]) - round(times[0]),) + note[2:]
        if Counter(end_rounded(n) for n in want) == got_c:
            return MISTAKES["end_rounded"]
    hint = case.get("mistake_hint")   # what this purpose-built file is about (the recipe's HINTS)
    return Diagnosis(f"midi_tokens/case-{slug(case['id'])}", hint) if hint else None


def check_refused(call, case: dict) -> None:
    """``call()`` (``midi_to_tokens`` on a type 2 file) must raise ``case["raises"]``."""
    wanted = case["raises"]
    try:
        value = call()
    except StudentCodeError as error:
        if error.kind != "exception":
            raise
        if error.exception != wanted:
            fail(f"midi_to_tokens should refuse a type 2 file (tracks not played together) with {wanted}, "
                 f"as `for msg in midi` does; instead {error}")
        return
    fail(f"midi_to_tokens should refuse a type 2 file (tracks not played together) with {wanted}, as "
         f"`for msg in midi` does; it returned {describe(value)}.\nLikely cause: "
         f"{MISTAKES['type2_merged'].format(wanted=wanted)}")


def check_round_trip(tokens: list[int], back: object, reader: str = "midi_to_tokens") -> None:
    """Fail unless ``back`` (what ``reader`` read from the file of ``tokens``) holds the notes of
    ``tokens`` (as a multiset)."""
    got = expect_int_list(back, f"{reader}(tokens_to_midi(tokens))")
    if len(got) % 5:
        fail(f"{reader} returned {len(got)} ints, not a multiple of 5.")
    want_c, got_c = Counter(notes_of(tokens)), Counter(notes_of(got))
    if want_c == got_c:
        return
    missing, extra = want_c - got_c, got_c - want_c
    parts = [f"for tokens {shown_tokens(tokens)}, {reader}(tokens_to_midi(tokens)) does not give them back."]
    if missing:
        parts.append(f"Lost: {', '.join(_fmt(n) for n in list(missing.elements())[:3])}.")
    if extra:
        parts.append(f"Appeared: {', '.join(_fmt(n) for n in list(extra.elements())[:3])}.")
    fail(" ".join(parts))


def check_rejected(call, case: dict) -> None:
    """``call()`` must raise a ValueError whose message names the first bad token (and points at it:
    few other indices of the list, ``errors.named_others``)."""
    bad, why, count = case["bad_index"], case["why"], len(case["tokens"])

    def returned(value: object) -> str:
        return (f"tokens_to_midi accepted invalid tokens ({why}) and returned {describe(value)}; "
                f"it should raise a ValueError naming token {bad}.")

    try:
        error = expect_value_error(call, returned, lambda error: f"tokens_to_midi should raise a ValueError naming "
                                                                 f"token {bad} ({why}); instead {error}")
    except StudentCodeError as error:
        if error.kind == "bad_return":   # accepted, and made a file that cannot be saved
            fail(f"tokens_to_midi accepted invalid tokens ({why}); it should raise a ValueError naming "
                 f"token {bad}. Instead {error}")
        raise
    if missing_numbers(error.detail, [bad]):
        fail(f"the ValueError should name the first bad token (index {bad}: {why})."
             + student_words(" Its message was", error.detail))
    # Naming many indices names the bad one too, whatever it is: a message must point at one token.
    too_many = named_others(error.detail, bad, count)
    if too_many:
        fail(f"the ValueError should name the first bad token (index {bad}: {why}); its message {too_many}."
             + student_words(" Its message", error.detail))
