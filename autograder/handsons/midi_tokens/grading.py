"""Hands-on 2's grader: the docstrings' rules, the classic mistakes' texts and what its parts share.

Shared by the public and hidden graders; the rest is split by job into the modules beside it:

- ``token_checks.py``: token answers judged, note by note, with the classic mistake named
  (``check_``, ``diagnose_``): ``midi_to_tokens``' tokens, a round trip's notes, refusals and errors;
- ``midi_checks.py``: the MIDI files of ``tokens_to_midi`` judged (``check_``): the file the spec asks
  for, and a file that plays its notes and holds nothing else;
- ``runs.py``: the calls in the sandbox for each case (``run_``) and sequences of calls in one worker;
- ``strategies.py`` (the recipe's, not shipped): the hypothesis strategies that drew the round trip's
  stored token lists.

``RULES``: every rule the stub's docstrings state; the recipe tags each case with the
rules it exercises (see ``engine/rules.py`` and ``RULES.md``).
"""
from __future__ import annotations

from ...engine.diagnoses import Diagnosis
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
    """``tokens`` as (onset, duration, note, instrument, velocity) tuples (a short tail as a short one)."""
    return [tuple(tokens[i:i + 5]) for i in range(0, len(tokens), 5)]


def shown_tokens(tokens: list[int]) -> str:
    """``tokens`` as a message shows them: the first 60, then how many notes."""
    return str(tokens) if len(tokens) <= 60 else f"{tokens[:60]} ... ({len(tokens) // 5} notes)"
