"""Grader-side checks for Hands-on 2, shared by the public and hidden graders.

Tokens are compared note by note (5-tuples), in order: notes that start at one
instant too, in the order of their note-ons in the merged file. A MIDI file from
``tokens_to_midi`` is compared with the expected file through a canonical form
that keeps what the spec fixes (timing, one track per instrument in order of
first appearance and no other, each starting with its program change, the first
then with the set_tempo, no other meta message, drums on channel 9, at one tick:
earlier notes' note-offs, then note-ons, then zero-length notes' note-offs, and
each note-on's duration as a note-off reads it back) and drops what it leaves
open (which melodic channel, note_off vs note_on velocity 0, note-off velocity,
order within one group of the same kind).

``RULES``: every rule the stub's docstrings state; the recipe tags each case with the
rules it exercises (see ``engine/rules.py`` and ``RULES.md``).
"""
from __future__ import annotations

import io
import itertools
import re
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field

import mido
import numpy as np
import pytest

from ...engine.client import StudentCodeError
from ...engine.compare import describe, expect_int_list, fail
from ...engine.errors import expect_value_error, missing_numbers, named_others
from ...engine.reruns import failure_of, message_of, passes_alone
from ...engine.diagnoses import Diagnosis, slug
from ...engine.display import student_words
from ...engine.rules import Rule
from ...worker.wire import Ext

M2T, T2M = "midi_to_tokens", "tokens_to_midi"
RULES = {
    # midi_to_tokens
    "rounding": Rule(M2T, "``onset = round(100 * t_on)`` and ``duration = round(100 * (t_off - t_on))``"),
    "duration-rounded-itself": Rule(M2T, "Round the duration itself: ``round(100 * t_off) - round(100 * t_on)`` "
                                         "is sometimes one off."),
    "tracks-merged": Rule(M2T, "all tracks merged, ``msg.time`` in seconds"),
    "every-set-tempo": Rule(M2T, "every ``set_tempo`` applied, in whichever track it is"),
    "note-velocity": Rule(M2T, "``note`` is the MIDI pitch (0-127) and ``velocity`` that of the note's "
                               "``note_on`` (1-127)."),
    "program-at-onset": Rule(M2T, "``instrument`` is the program (0-127) of the last ``program_change`` on the "
                                  "note's channel before its ``note_on`` (0 if there was none)"),
    "later-program-change": Rule(M2T, "a later ``program_change`` does not change notes already started."),
    "drums-128": Rule(M2T, "Every note on MIDI channel 10 (``msg.channel == 9``) is a drum: instrument 128, "
                           "whatever the program."),
    "note-on-order": Rule(M2T, "Notes come in the order of their ``note_on`` messages in ``for msg in midi``"),
    "same-instant-order": Rule(M2T, "at one instant, in the order of the merged messages"),
    "velocity-0-is-off": Rule(M2T, "a ``note_on`` with velocity 0 is a note-off, exactly like ``note_off``"),
    "any-track-same-channel": Rule(M2T, "a note-off ends a sounding note of the same channel and pitch (the "
                                        "track does not matter)"),
    "oldest-first": Rule(M2T, "if several are sounding, it ends the one that began first (the oldest)"),
    "stray-note-off": Rule(M2T, "a note-off with nothing sounding on its channel and pitch is ignored"),
    "open-until-last-event": Rule(M2T, "a note still sounding at the end of the file ends at the file's last "
                                       "event: the last message of ``for msg in midi``, ``end_of_track`` included "
                                       "(so it ends at ``midi.length`` seconds)"),
    "zero-length-kept": Rule(M2T, "a ``note_on`` and its note-off at the same instant make a note of duration 0, "
                                  "which is kept."),
    "plain-ints": Rule(M2T, "Every value in the result is a plain ``int`` (no ``-1`` or other placeholder)."),
    "no-notes": Rule(M2T, "A file without notes gives ``[]``."),
    "type-2-refused": Rule(M2T, "Type 2 files (tracks that are not played together) are refused, as mido's own "
                                "iteration does, with ``TypeError``."),
    # tokens_to_midi
    "t2m-any-order": Rule(T2M, "times in hundredths of a second, in any order"),
    "ticks-per-beat": Rule(T2M, "``ticks_per_beat = round(6000 / bpm)``"),
    "tempo-10ms": Rule(T2M, "a ``set_tempo`` of ``ticks_per_beat * 10000`` microseconds per beat (a tick is 10 "
                            "ms), so a note's onset and duration in ticks are its tokens"),
    "tempo-at-time-0": Rule(T2M, "the first track then has the ``set_tempo``, at time 0"),
    "bpm-range": Rule(T2M, "(``round(6000 / bpm)`` must be 1 to 1677, else ``ValueError``)"),
    "track-per-instrument": Rule(T2M, "has one track per instrument, in the order the instruments first appear "
                                      "in ``tokens``."),
    "program-change-first": Rule(T2M, "Each track starts with a ``program_change`` to its instrument (program 0 "
                                      "for drums)"),
    "track-holds-only-notes": Rule(T2M, "A track holds nothing else but its notes (``note_on`` at the onset, "
                                        "``note_off`` of velocity 0 at onset + duration; a ``note_on`` of velocity "
                                        "0 would do as well) and its ``end_of_track``, right after its last "
                                        "note-off"),
    "drums-channel-9": Rule(T2M, "plays drums (instrument 128) on MIDI channel 10 (``channel=9``)"),
    "own-channel": Rule(T2M, "gives each melodic instrument its own channel among the 15 others"),
    "order-at-one-tick": Rule(T2M, "at one tick of a track, has the note-offs of the notes that began earlier "
                                   "first, then the note-ons (shorter notes first), then the note-offs of the "
                                   "notes of duration 0"),
    "silent-note-left-out": Rule(T2M, "it is left out, though its instrument keeps its track."),
    "no-tokens": Rule(T2M, "No tokens at all give a file with one track holding only the ``set_tempo``."),
    "round-trip": Rule(T2M, "Reading the file back with :func:`midi_to_tokens` gives the same notes (as a "
                            "multiset of 5-tuples) whenever the notes have velocities 1-127 and overlapping "
                            "notes of the same instrument and pitch end in the order they start"),
    "error-names-first-bad-token": Rule(T2M, "Invalid tokens raise ``ValueError`` naming the first bad token by "
                                             "its index in ``tokens``, counted from 0, as ``token <index>``"),
    "first-bad-token": Rule(T2M, "naming the first bad token"),
    "not-an-integer": Rule(T2M, "A token is bad if it is not an integer"),
    "negative-time": Rule(T2M, "a negative onset or duration"),
    "note-velocity-range": Rule(T2M, "a note or velocity outside 0-127"),
    "instrument-range": Rule(T2M, "an instrument outside 0-128"),
    "sixteenth-melodic": Rule(T2M, "the instrument of a note bringing a 16th melodic instrument (only 15 channels "
                                   "are melodic)"),
    "incomplete-tuple": Rule(T2M, "if ``len(tokens)`` is not a multiple of 5, the first token of the incomplete "
                                  "last tuple is bad."),
}

TICKS_PER_SECOND = 100
ROUND_HALF_EVEN = "Python's round() takes a half to the even neighbour"
DRUMS, DRUM_CHANNEL = 128, 9
MISTAKES = {
    "velocity_zero": Diagnosis("midi_tokens/velocity-zero",
        "a note_on with velocity 0 is a note-off; it looks like it was treated as a new note "
        "(velocity-0 note-on ignored)."),
    "placeholder": Diagnosis("midi_tokens/placeholder",
        "the tokens hold -1: a placeholder was left in. A note still open at the end of the file "
        "ends at the file's last event."),
    "drums": Diagnosis("midi_tokens/drums",
        "notes on channel 10 (index 9) are drums: their instrument is 128, whatever the program."),
    "end_rounded": Diagnosis("midi_tokens/end-rounded",
        "duration is round(100 * (t_off - t_on)); it looks like the end time was rounded instead "
        "(round(100 * t_off) - round(100 * t_on))."),
    "note_on_first": Diagnosis("midi_tokens/note-on-first",
        "at one tick, the note-offs of notes that began earlier must come before the note-ons; "
        "here a note-on came first, so a repeated note is cut (note-on before note-off at one tick)."),
    "no_tempo": Diagnosis("midi_tokens/no-tempo",
        "no set_tempo: without one a MIDI file plays at 120 bpm, so for another bpm a tick is not "
        "10 ms (no tempo for bpm other than 120)."),
    "zero_length": Diagnosis("midi_tokens/zero-length",
        "notes of duration 0 are missing: a note_on and its note-off at the same instant make a "
        "note of duration 0, which is kept."),
    "numpy_ints": Diagnosis("midi_tokens/numpy-ints",
        "numpy integers (np.int64...) in the list: convert them with int(...) or build the list "
        "with .tolist()."),
    "instrument": Diagnosis("midi_tokens/instrument",
        "only the instruments differ: a note's instrument is the program of the last program_change "
        "on its channel before its note_on in this file (0 if there was none); drums (channel 9) are "
        "128."),
    "silent_written": Diagnosis("midi_tokens/silent-written",
        "a note of velocity 0 cannot be written and is left out (its note_on of velocity 0 would "
        "be a note-off, here one that ends nothing)."),
    "later_program": Diagnosis("midi_tokens/later-program",
        "a note's instrument is its channel's program at its note_on; it looks like another "
        "program was used (the one in force at the note-off?): a program_change while a note "
        "sounds does not change it."),
    "end_of_file": Diagnosis("midi_tokens/end-of-file",
        "a note never ended lasts until the file's last event, end_of_track included "
        "(midi.length); it looks like it ended earlier (at the last note message, or at the end "
        "of its own track)."),
    "longer_first": Diagnosis("midi_tokens/longer-first",
        "at one tick, note-ons of one pitch go shorter notes first: a note-off ends the oldest "
        "sounding note, so with the longer note first it is read back with the shorter duration "
        "(and the velocities swap)."),
    "same_onset_order": Diagnosis("midi_tokens/same-onset-order",
        "the notes of one onset look sorted by {key}; they keep the order of their note_on "
        "messages in the merged file (sorting by onset alone, with a stable sort, keeps it)."),
    "state": Diagnosis("midi_tokens/state",
        "state kept between calls: a module-level channel allocator, program table, table of sounding "
        "notes or cache (keyed without bpm, say) that is not reset at each call."),
    "type2_merged": Diagnosis("midi_tokens/type2-merged",
        "the tracks were read one by one or merged by hand (mido.merge_tracks); iterating the MidiFile itself "
        "raises {wanted} for type 2 files."),
    "zero_length_order": Diagnosis("midi_tokens/zero-length-order",
        "a zero-length note's note-off must come after its note-on at the same tick, after every note-on there."),
    "bpm_unchecked": Diagnosis("midi_tokens/bpm-unchecked", "6000 / bpm was computed before bpm was checked."),
}


def midi_arg(data: bytes) -> Ext:
    """A MIDI file as an argument: student code receives a ``mido.MidiFile``."""
    return Ext("midi", {}, [bytes(data)])


def notes_of(tokens: list[int]) -> list[tuple[int, ...]]:
    return [tuple(tokens[i:i + 5]) for i in range(0, len(tokens), 5)]


# ------------------------------------------------------------ midi_to_tokens

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


def show_piano_rolls(artifacts, expected: list[int], got: object) -> None:
    """Expected and returned notes side by side, for the HTML report."""
    if isinstance(got, list) and len(got) % 5 == 0 and all(type(v) is int for v in got):
        artifacts.piano_roll("notes: expected and yours", expected=np.array(expected).reshape(-1, 5),
                             yours=np.array(got).reshape(-1, 5))


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


def run_midi_to_tokens(student, fixture_set, case: dict, artifacts=None) -> None:
    """One ``midi_to_tokens`` case: tokens (or the error) of its file, and of its companion file
    when it has one (then an answer that fits every file, ``[]`` or an exception, earns nothing)."""
    if case.get("raises"):
        check_refused(lambda: student.call(M2T, midi_arg(fixture_set.read_bytes(case["midi"]))), case)
        done = f"midi_to_tokens refused the type 2 file with {case['raises']}, as it should"
        companion = "the same tracks as a type 1 file"
    else:
        got = student.call(M2T, midi_arg(fixture_set.read_bytes(case["midi"])))
        expected = fixture_set.read_json(case["expected"])
        if artifacts is not None:
            show_piano_rolls(artifacts, expected, got)
        check_tokens(got, expected, case)
        done = "midi_to_tokens gave [] for the file without notes, as it should"
        companion = "the same file with a note added"
    if "companion_midi" in case:
        got = student.call(M2T, midi_arg(fixture_set.read_bytes(case["companion_midi"])))
        check_tokens(got, fixture_set.read_json(case["companion_expected"]), case,
                     prefix=f"{done}; this check also reads {companion} (so that one answer for every file "
                            f"earns nothing), and there: ")


def run_round_trip(student, tokens: list[int], bpm: int = 120, reference=None) -> None:
    """``midi_to_tokens(tokens_to_midi(tokens, bpm))`` must give back the notes of ``tokens``, from a file
    that holds only what the docstring allows (so the tokens cannot ride along in a text event, say),
    read back as a file: the student's reader gets it with every note-off's velocity 0 (a free value a
    reader ignores, so it carries nothing either). With ``reference`` (its module: hidden checks; the
    student release has none), the reference's reader must read the notes from the file too."""
    midi = student.call(T2M, tokens, bpm=bpm) if bpm != 120 else student.call(T2M, tokens)
    written = read_midi(midi, "tokens_to_midi")
    check_notes_played(tokens, written)
    check_holds_only_notes(tokens, written)
    check_note_timing(tokens, written)
    if reference is not None:
        try:
            read = reference.midi_to_tokens(written)
        except Exception as error:
            fail(f"for tokens {_shown(tokens)}, the reference's midi_to_tokens cannot read the file of your "
                 f"tokens_to_midi: {type(error).__name__}: {str(error)[:300]}")
        check_round_trip(tokens, read, reader="the reference's midi_to_tokens")
    check_round_trip(tokens, student.call(M2T, midi_arg(_silent_note_offs(written))))


# What a file of tokens_to_midi may hold ("A track holds nothing else but its notes ... and its
# end_of_track", the first track also its program_change and set_tempo).
ROUND_TRIP_MESSAGES = frozenset({"note_on", "note_off", "program_change", "set_tempo", "end_of_track"})


def check_holds_only_notes(tokens: list[int], midi: mido.MidiFile) -> None:
    instruments = len({instrument for _, _, _, instrument, _ in notes_of(tokens)})
    if len(midi.tracks) > max(1, instruments):   # extra tracks could carry the tokens
        fail(f"for tokens {_shown(tokens)}, the file of tokens_to_midi has {len(midi.tracks)} tracks for "
             f"{instruments} instrument(s): it has one track per instrument, and the round trip reads the notes "
             f"the file plays.")
    tempi = 0
    for index, track in enumerate(midi.tracks):
        programs = sum(message.type == "program_change" for message in track)
        if programs > 1:   # program values could carry the tokens (after the last note they change no note)
            fail(f"for tokens {_shown(tokens)}, track {index} of the file of tokens_to_midi holds {programs} "
                 f"program_change messages: each track starts with one, to its instrument, and holds nothing "
                 f"else but its notes, and the round trip reads the notes the file plays.")
        for message in track:
            tempi += message.type == "set_tempo"
            if message.type not in ROUND_TRIP_MESSAGES:
                fail(f"for tokens {_shown(tokens)}, track {index} of the file of tokens_to_midi holds a "
                     f"{message.type} message: a track holds nothing else but its program_change, its notes and "
                     f"its end_of_track (the first track also the set_tempo), and the round trip reads the "
                     f"notes the file plays.")
    if tempi > 1:   # set_tempo values could carry the tokens (after the last note they change no timing)
        fail(f"for tokens {_shown(tokens)}, the file of tokens_to_midi holds {tempi} set_tempo messages: it has "
             f"one, in the first track, and the round trip reads the notes the file plays.")


def check_note_timing(tokens: list[int], midi: mido.MidiFile) -> None:
    """The file must play each note when its tokens say, in seconds as a player hears it (a tick is 10
    ms): every note-on (velocity 1-127) at its onset, every note-off at onset + duration, per pitch.
    A note of velocity 0 plays nothing: whatever the file writes for it is left out."""
    starts, ends, free = Counter(), Counter(), Counter()
    for onset, duration, pitch, _, velocity in notes_of(tokens):
        if velocity:
            starts[pitch, onset * 10_000] += 1
            ends[pitch, (onset + duration) * 10_000] += 1
        else:
            free[pitch, onset * 10_000] += 1
            free[pitch, (onset + duration) * 10_000] += 1
    got_starts, got_ends, seconds = Counter(), Counter(), 0.0
    for message in midi:   # merged tracks, times in seconds with every set_tempo applied
        seconds += message.time
        if message.type in ("note_on", "note_off"):
            key = message.note, round(seconds * 1e6)
            (got_starts if message.type == "note_on" and message.velocity else got_ends)[key] += 1
    wrong = (starts - got_starts) + (got_starts - starts) + (ends - got_ends) + ((got_ends - ends) - free)
    if wrong:
        pitch, micros = next(iter(wrong))
        fail(f"for tokens {_shown(tokens)}, the file of tokens_to_midi does not play its notes when the tokens "
             f"say (a tick is 10 ms): e.g. a note-on or note-off of pitch {pitch} at {micros / 1e6:g} s, as a "
             f"player reads the file (every set_tempo applied).")


def _silent_note_offs(midi: mido.MidiFile) -> bytes:
    """The file's bytes with every note_off's velocity 0 (what it is "of velocity 0" in the docstring)."""
    for track in midi.tracks:
        for index, message in enumerate(track):
            if message.type == "note_off" and message.velocity:
                track[index] = message.copy(velocity=0)
    out = io.BytesIO()
    midi.save(file=out)
    return out.getvalue()


def for_generated(strategy, check, examples: int = 40) -> None:
    """``check(value)`` for ``examples`` values of the hypothesis ``strategy``, derandomized (the
    same values on every run and machine), without shrinking: it can cost minutes of calls into a
    wrong submission (examples start small, so the first failing one is usually short already).
    Student code that fails (a crash, a time-out) stops the run and is raised as it is."""
    from hypothesis import HealthCheck, Phase, given, settings

    stopped: list[StudentCodeError] = []

    @settings(max_examples=examples, derandomize=True, database=None, deadline=None,
              phases=(Phase.explicit, Phase.generate), suppress_health_check=list(HealthCheck))
    @given(strategy)
    def generated(value):
        if stopped:   # report the student code's failure, without more calls into it
            return
        try:
            check(value)
        except StudentCodeError as error:
            stopped.append(error)

    generated()
    if stopped:
        raise stopped[0]


def check_notes_played(tokens: list[int], midi: mido.MidiFile) -> None:
    """The file must play the notes: a note_on of each note's pitch and velocity (a file that
    carried the tokens some other way, in a text event say, would read back without a note)."""
    played = Counter((m.note, m.velocity) for track in midi.tracks for m in track
                     if m.type == "note_on" and m.velocity > 0)
    wanted = Counter((n[2], n[4]) for n in notes_of(tokens) if n[4] > 0)
    if played != wanted:
        fail(f"for tokens {_shown(tokens)}, the file of tokens_to_midi has {sum(played.values())} note_on "
             f"messages (of velocity 1-127) for {sum(wanted.values())} notes, or other pitches or velocities: "
             f"the file plays each note as a note_on of its pitch and velocity.")


# ------------------------------------------------------------ tokens_to_midi

@dataclass
class TrackView:
    index: int
    instrument: int | None      # 128 for drums; the first program_change's program otherwise
    program: int | None         # the first program_change's program
    channels: set
    starts_with_program: bool
    ticks: dict                 # tick -> tuple of phases ("off", pitches) / ("on", (pitch, velocity, duration)s)
    others: list = field(default_factory=list)   # channel messages besides the program_change and the notes
    stray_offs: set = field(default_factory=set)  # ticks of note-offs that end nothing
    end_tick: int = 0           # where the track ends (its end_of_track)
    last_event_tick: int = 0    # its last channel message


MAX_MIDI_BYTES = 1 << 20   # the graded files are a few KB; parsing a huge one would stall the grader


def read_midi(value: object, what: str) -> mido.MidiFile:
    if not isinstance(value, Ext) or value.kind != "midi" or len(value.blobs) != 1:
        fail(f"{what} should return a mido.MidiFile; got {describe(value)}.")
    if len(value.blobs[0]) > MAX_MIDI_BYTES:
        fail(f"{what} returned a MIDI file of {len(value.blobs[0]) / (1 << 20):.1f} MiB; the expected files "
             f"are a few KB, and files over {MAX_MIDI_BYTES >> 20} MiB are not read.")
    try:
        return mido.MidiFile(file=io.BytesIO(value.blobs[0]))
    except Exception as error:
        fail(f"{what} returned a MidiFile that cannot be saved and read back: {type(error).__name__}: {error}")


def _track_view(index: int, track: mido.MidiTrack) -> TrackView | None:
    """A track as the spec sees it. Each note-on carries the duration a reader gives it (a
    note-off ends the oldest sounding note of its pitch), so that the order of same-pitch
    note-ons at one tick, which decides how they are read back, is compared too."""
    tick, channels, first_channel_message, program, others, last_event, stray = 0, set(), None, None, [], 0, set()
    events: dict[int, list] = {}
    sounding: dict[int, deque] = defaultdict(deque)   # pitch -> [on tick, pitch, velocity, duration], oldest first
    for message in track:
        tick += message.time
        if message.is_meta:
            continue
        if not hasattr(message, "channel"):   # sysex
            others.append((tick, message))
            continue
        last_event = tick
        if first_channel_message is None:
            first_channel_message = message
        if message.type == "program_change":
            if program is None:
                program = (message.channel, message.program)
            else:
                others.append((tick, message))
            continue
        if message.type not in ("note_on", "note_off"):
            others.append((tick, message))
            continue
        channels.add(message.channel)
        off = message.type == "note_off" or message.velocity == 0
        if off:
            kind, item = "off", message.note
            if sounding[message.note]:
                note = sounding[message.note].popleft()
                note[3] = tick - note[0]
            else:
                stray.add(tick)
        else:
            kind, item = "on", [tick, message.note, message.velocity, -1]   # -1: never ended
            sounding[message.note].append(item)
        phases = events.setdefault(tick, [])
        if phases and phases[-1][0] == kind:
            phases[-1][1].append(item)
        else:
            phases.append((kind, [item]))
    if first_channel_message is None:
        return None  # a meta-only track (tempo map, names): not an instrument
    instrument = DRUMS if DRUM_CHANNEL in channels or (program and program[0] == DRUM_CHANNEL) else \
        (program[1] if program else None)
    ticks = {t: tuple((k, tuple(sorted(i if k == "off" else tuple(i[1:]) for i in items))) for k, items in phases)
             for t, phases in events.items()}
    return TrackView(index, instrument, program[1] if program else None, channels,
                     first_channel_message.type == "program_change", ticks, others, stray, tick, last_event)


def instrument_tracks(midi: mido.MidiFile) -> list[TrackView]:
    views = [_track_view(i, t) for i, t in enumerate(midi.tracks)]
    return [v for v in views if v is not None]


def timing_problem(midi: mido.MidiFile, bpm: int) -> str | None:
    """Why the file does not run at exactly 100 ticks per second, if it does not."""
    want_tpb = round(6000 / bpm)
    if midi.ticks_per_beat != want_tpb:
        exact = 6000 / bpm
        note = (f" (6000 / {bpm} = {exact:g}: {ROUND_HALF_EVEN})"
                if exact % 1 == 0.5 else "")
        return (f"ticks_per_beat is {midi.ticks_per_beat}; for bpm={bpm} it should be "
                f"round(6000 / {bpm}) = {want_tpb}{note}.")
    want_tempo = want_tpb * 10_000
    tempos = []   # (tick, tempo) in every track
    for track in midi.tracks:
        tick = 0
        for message in track:
            tick += message.time
            if message.type == "set_tempo":
                tempos.append((tick, message.tempo))
    if not tempos and want_tempo != 500_000:
        return (f"there is no set_tempo, so a tick lasts {500_000 / want_tpb / 1000:.2f} ms instead of 10 ms.\n"
                f"Likely cause: {MISTAKES['no_tempo']}")
    wrong = [t for _, t in tempos if t != want_tempo]
    if wrong:
        return (f"set_tempo is {wrong[0]} microseconds per beat; with {want_tpb} ticks per beat a tick "
                f"lasts 10 ms only with tempo {want_tempo}.")
    first = min(tick for tick, _ in tempos) if tempos else 0
    if first > 0 and want_tempo != 500_000:
        return (f"the set_tempo comes at tick {first}: until then the file plays at the default 120 bpm, so "
                f"its first ticks are not 10 ms. The set_tempo goes at time 0.")
    return None


def check_midi(value: object, expected_bytes: bytes, bpm: int, prefix: str = "") -> None:
    """Fail unless the returned MIDI file is what the spec asks for ``bpm``; ``prefix`` opens
    every message."""
    def failed(message: str) -> None:
        fail(prefix + message)

    try:
        midi = read_midi(value, "tokens_to_midi")
    except pytest.fail.Exception as error:
        failed(str(error.msg))
    expected = mido.MidiFile(file=io.BytesIO(expected_bytes))
    got_tracks, want_tracks = instrument_tracks(midi), instrument_tracks(expected)
    if not want_tracks and len(midi.tracks) != 1:
        failed(f"for no tokens the file should have one track, holding only the set_tempo; it has "
               f"{len(midi.tracks)} tracks.")
    problem = timing_problem(midi, bpm)
    if problem:
        failed(problem)
    if not want_tracks:
        kinds = [m.type for m in midi.tracks[0] if m.type != "end_of_track"]
        if kinds != ["set_tempo"]:
            failed(f"for no tokens the file's one track should hold only the set_tempo; it holds "
                   f"{', '.join(kinds) or 'nothing'}.")
    got_instruments = [t.instrument for t in got_tracks]
    want_instruments = [t.instrument for t in want_tracks]
    if got_instruments != want_instruments:
        silent = "; an instrument whose notes are all of velocity 0 keeps its track" \
            if set(want_instruments) - set(got_instruments) else ""
        failed(f"the tracks' instruments are {got_instruments}; expected {want_instruments} "
               f"(one track per instrument, in order of first appearance; drums = channel 9{silent}).")
    meta_only = [(i, track) for i, track in enumerate(midi.tracks) if want_tracks and all(m.is_meta for m in track)]
    if meta_only:
        index, track = meta_only[0]
        kinds = ", ".join(m.type for m in track)
        failed(f"track {index} holds only meta messages ({kinds}): the file has one track per instrument and no "
               f"other (no conductor track); the set_tempo goes in the first track, right after its "
               f"program_change.")
    used: set = set()
    for got, want in zip(got_tracks, want_tracks):
        label = f"track {got.index} (instrument {got.instrument})"
        first = midi.tracks[got.index][0]
        if first.is_meta:
            failed(f"{label} starts with a {first.type} meta message: each track starts with its program_change "
                   f"(the first track then has the set_tempo).")
        if not got.starts_with_program:
            failed(f"{label} does not start with its program_change.")
        problem = _meta_problem(midi.tracks[got.index], first_track=got is got_tracks[0])
        if problem:
            failed(f"{label} {problem}")
        if got.instrument == DRUMS and got.program not in (None, 0):
            failed(f"{label}: the drum track's program_change should be to program 0 (drums are channel 9 "
                   f"whatever the program); it is to program {got.program}.")
        if got.instrument == DRUMS and got.channels - {DRUM_CHANNEL}:
            failed(f"{label}: drums go on channel 9 only; notes found on {sorted(got.channels)}.")
        if got.instrument != DRUMS and DRUM_CHANNEL in got.channels:
            failed(f"{label}: channel 9 is for drums only; melodic notes use the other 15 channels.")
        if len(got.channels) > 1 or got.channels & used:
            failed(f"{label}: each instrument needs a channel of its own; this track uses {sorted(got.channels)}.")
        used |= got.channels
        if got.others:
            tick, message = got.others[0]
            failed(f"{label} holds a {message.type} at tick {tick}: a track holds only its program_change, "
                   f"its notes and its end_of_track.")
        for tick in sorted(set(got.ticks) | set(want.ticks)):
            g, w = got.ticks.get(tick, ()), want.ticks.get(tick, ())
            if g != w:
                silent = f"\nLikely cause: {MISTAKES['silent_written']}" \
                    if tick in got.stray_offs and tick not in want.stray_offs else ""
                failed(_tick_message(label, tick, g, w) + silent)
        if got.end_tick != got.last_event_tick:
            failed(f"{label} ends (its end_of_track) at tick {got.end_tick}, {got.end_tick - got.last_event_tick} "
                   f"ticks after its last note-off (tick {got.last_event_tick}): the end_of_track comes right "
                   f"after the last note-off.")


def _meta_problem(track: mido.MidiTrack, first_track: bool) -> str | None:
    """What is wrong with the meta messages of an instrument track that starts with its
    program_change (None: nothing). The first track holds one, the set_tempo, right after its
    program_change, at time 0; the others none (an end_of_track aside)."""
    ticks = list(itertools.accumulate(message.time for message in track))
    metas = [(i, ticks[i], m) for i, m in enumerate(track) if m.is_meta and m.type != "end_of_track"]
    if first_track:
        if not (len(track) > 1 and track[1].type == "set_tempo" and ticks[1] == 0):
            tempi = [(i, tick) for i, tick, m in metas if m.type == "set_tempo"]
            intruders = [(i, tick, m) for i, tick, m in metas if m.type != "set_tempo"]
            if intruders and (not tempi or intruders[0][0] < tempi[0][0]):   # another meta took its place
                index, tick, message = intruders[0]
                return (f"holds a {message.type} meta message (message {index}, at tick {tick}): a track holds "
                        f"nothing else but its program_change, its notes and its end_of_track (the first track "
                        f"also the set_tempo, right after its program_change).")
            if not tempi:
                return ("has no set_tempo: the first track has it right after its program_change, at time 0, "
                        "whatever the bpm (120 too).")
            return (f"has its set_tempo as message {tempi[0][0]}, at tick {tempi[0][1]}: it comes right after "
                    f"the program_change (message 1), at time 0.")
        metas = metas[1:]
    if not metas:
        return None
    _, tick, message = metas[0]
    if message.type == "set_tempo":
        return (f"holds a set_tempo at tick {tick}: the file has one set_tempo, in the first track, right after "
                f"its program_change.")
    return (f"holds a {message.type} meta message at tick {tick}: a track holds nothing else but its "
            f"program_change, its notes and its end_of_track (the first track also the set_tempo).")


def _phases_text(phases: tuple) -> str:
    if not phases:
        return "nothing"
    parts = []
    for kind, items in phases:
        if kind == "on":
            parts.append("note-on " + ", ".join(
                f"{p} (velocity {v}, " + (f"read back as lasting {d} ticks)" if d >= 0 else "never ended)")
                for p, v, d in items))
        else:
            parts.append("note-off " + ", ".join(str(p) for p in items))
    return " then ".join(parts)


def _tick_message(label: str, tick: int, got: tuple, want: tuple) -> str:
    message = (f"{label}, tick {tick} ({tick / TICKS_PER_SECOND:.2f} s): expected {_phases_text(want)}; "
               f"your file has {_phases_text(got)}.")
    got_order = [k for k, _ in got]
    want_order = [k for k, _ in want]

    def events(phases: tuple, with_duration: bool = True) -> Counter:
        return Counter((k, i if k == "off" or with_duration else i[:2]) for k, items in phases for i in items)

    same_events = events(got) == events(want)
    if same_events and want_order[:2] == ["off", "on"] and got_order[:1] == ["on"]:
        message += f"\nLikely cause: {MISTAKES['note_on_first']}"
    elif same_events and want_order[-2:] == ["on", "off"] and got_order[:1] == ["off"]:
        message += f"\nLikely cause: {MISTAKES['zero_length_order']}"
    elif not same_events and events(got, False) == events(want, False) and got_order == want_order:
        message += f"\nLikely cause: {MISTAKES['longer_first']}"
    return message


def _shown(tokens: list[int]) -> str:
    return str(tokens) if len(tokens) <= 60 else f"{tokens[:60]} ... ({len(tokens) // 5} notes)"


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
    parts = [f"for tokens {_shown(tokens)}, {reader}(tokens_to_midi(tokens)) does not give them back."]
    if missing:
        parts.append(f"Lost: {', '.join(_fmt(n) for n in list(missing.elements())[:3])}.")
    if extra:
        parts.append(f"Appeared: {', '.join(_fmt(n) for n in list(extra.elements())[:3])}.")
    fail(" ".join(parts))


def run_tokens_to_midi(student, fixture_set, case: dict) -> None:
    """One ``tokens_to_midi`` case, and its companion tokens at the same bpm when it has them
    (no tokens: then one file for every input earns nothing)."""
    got = student.call(T2M, fixture_set.read_json(case["tokens"]), bpm=case["bpm"])
    check_midi(got, fixture_set.read_bytes(case["expected_midi"]), case["bpm"])
    if "companion_tokens" in case:
        got = student.call(T2M, fixture_set.read_json(case["companion_tokens"]), bpm=case["bpm"])
        check_midi(got, fixture_set.read_bytes(case["companion_midi"]), case["bpm"],
                   prefix=f"tokens_to_midi([], bpm={case['bpm']}) gave the right file; this check also writes "
                          f"a few notes at the same bpm (so that one file for every input earns nothing), "
                          f"and there: ")


def run_bad_bpm(student, fixture_set, case: dict) -> None:
    """``tokens_to_midi`` must refuse ``case["bpm"]`` with ``ValueError`` and accept the valid
    ``companion_bpm`` near it (so that refusing every bpm earns nothing)."""
    bpm, tokens = case["bpm"], case["tokens"]
    ticks = f"round(6000 / {bpm}) = {round(6000 / bpm)}" if bpm else "6000 / 0 is undefined"
    try:
        value = student.call(T2M, tokens, bpm=bpm)
    except StudentCodeError as error:
        if error.kind != "exception":
            raise
        if error.exception != "ValueError":
            cause = f"\nLikely cause: {MISTAKES['bpm_unchecked']}" \
                if error.exception == "ZeroDivisionError" else ""
            fail(f"tokens_to_midi(tokens, bpm={bpm}) should raise ValueError ({ticks} is outside 1-1677); "
                 f"instead {error}{cause}")
    else:
        half = f" ({ROUND_HALF_EVEN}: round(0.5) = 0)" if bpm and (6000 / bpm) % 1 == 0.5 else ""
        what = "a MidiFile" if isinstance(value, Ext) and value.kind == "midi" else describe(value)
        fail(f"tokens_to_midi(tokens, bpm={bpm}) returned {what}; {ticks}{half} is outside 1-1677 "
             f"ticks per beat, so it should raise ValueError.")
    companion = case["companion_bpm"]
    try:
        got = student.call(T2M, tokens, bpm=companion)
    except StudentCodeError as error:
        if error.kind != "exception":
            raise
        fail(f"tokens_to_midi raised ValueError for bpm={bpm}, as it should, but it must accept bpm={companion} "
             f"(round(6000 / {companion}) = {round(6000 / companion)} is within 1-1677); instead {error}")
    check_midi(got, fixture_set.read_bytes(case["companion_midi"]), companion,
               prefix=f"tokens_to_midi raised ValueError for bpm={bpm}, as it should; this check also writes the "
                      f"same tokens at bpm={companion} (valid: so that refusing every bpm earns nothing), and "
                      f"there: ")


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


# ------------------------------------------------------------ several calls in one worker

def _run_step(student, fixture_set, step: dict) -> None:
    """One call of a sequence, its answer checked."""
    if step["function"] == M2T:
        got = student.call(M2T, midi_arg(fixture_set.read_bytes(step["midi"])))
        check_tokens(got, fixture_set.read_json(step["expected"]), {})
    else:
        got = student.call(T2M, fixture_set.read_json(step["tokens"]), bpm=step["bpm"])
        check_midi(got, fixture_set.read_bytes(step["expected_midi"]), step["bpm"])


def run_sequence(student, fixture_set, case: dict) -> None:
    """The calls of ``case["steps"]`` one after the other in one fresh worker, each checked;
    a wrong answer is tried again alone in a fresh worker, to tell state kept between calls
    from a plain mistake."""
    steps = case["steps"]
    student.fresh()
    for number, step in enumerate(steps, 1):
        label = f"call {number} of {len(steps)} in one worker: {step['function']} on {step['what']}"
        if step["function"] == T2M:
            label += f" (bpm={step['bpm']})"
        failure = failure_of(lambda: _run_step(student, fixture_set, step))
        if failure is None:
            continue
        problem = message_of(failure)
        earlier = next((n for n, s in enumerate(steps[:number - 1], 1) if s == step), None)
        # the first call already came first in its worker
        if number > 1 and passes_alone(student, lambda: _run_step(student, fixture_set, step)):
            repeat = f" (call {earlier} was the same call, and was right)" if earlier else ""
            fail(f"{label}: {problem}\nThe same call made alone, in a fresh worker, gives the right answer"
                 f"{repeat}: what the earlier calls left behind changed this one.\n"
                 f"Likely cause: {MISTAKES['state']}")
        fail(f"{label}: {problem}")
