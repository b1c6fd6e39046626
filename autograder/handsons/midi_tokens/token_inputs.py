"""The token lists graded on ``tokens_to_midi``, alone and in sequences of calls, built here.

- :func:`token_edge_cases`: valid token lists, one per edge case;
- :func:`bad_bpm_cases`: ``bpm`` values to refuse, each with a valid one near it;
- :func:`invalid_token_cases`: invalid token lists, each with the index of
  its first bad token;
- :func:`sequence_cases`: calls of both functions one after the other in one
  worker, where state kept between calls would show.

The MIDI files of ``midi_to_tokens`` are in ``inputs.py``.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

import mido

# Short names: the files below are tables of events.
from .midi_files import (meta as _meta, midi_file as _file, note_off as _off, note_on as _on,
                         program_change as _program, set_tempo as _tempo)


@dataclass(frozen=True)
class TokensCase:
    """A valid input of ``tokens_to_midi``; ``expected``: the notes read back.

    ``companion``: tokens graded in the same check at the same ``bpm`` (for the empty list,
    whose file a function could return for every input)."""
    name: str
    description: str
    tokens: tuple[int, ...]
    bpm: int = 120
    expected: tuple[int, ...] | None = None   # None: the same notes as ``tokens``
    companion: tuple[int, ...] | None = None

    @property
    def expected_notes(self) -> Counter:
        return note_multiset(self.tokens if self.expected is None else self.expected)


@dataclass(frozen=True)
class InvalidTokensCase:
    """An input of ``tokens_to_midi`` that must raise ``ValueError`` naming ``bad_index``."""
    name: str
    description: str
    tokens: tuple[int, ...]
    bad_index: int
    bpm: int = 120


@dataclass(frozen=True)
class BadBpmCase:
    """A ``bpm`` that ``tokens_to_midi`` must refuse with ``ValueError``, and a valid
    ``companion_bpm`` near it that it must accept (graded together: a function that
    refuses every ``bpm`` earns nothing)."""
    name: str
    description: str
    bpm: int
    companion_bpm: int
    tokens: tuple[int, ...]


@dataclass(frozen=True)
class Step:
    """One call of a sequence made in one worker: ``midi_to_tokens(midi)`` (``midi`` given)
    or ``tokens_to_midi(tokens, bpm)``. ``name`` names its input (the same name, the same
    input: repeated calls must give the same answer)."""
    name: str
    midi: mido.MidiFile | None = None
    tokens: tuple[int, ...] = ()
    bpm: int = 120

    @property
    def function(self) -> str:
        return "midi_to_tokens" if self.midi is not None else "tokens_to_midi"


@dataclass(frozen=True)
class SequenceCase:
    """Calls made one after the other in one fresh worker, the way the course notebook makes
    them: state kept between calls (a channel allocator, a program table, a cache keyed
    without ``bpm``) changes a later answer."""
    name: str
    description: str
    steps: tuple[Step, ...]


# ---------------------------------------------------------------- helpers on tokens

def as_tuples(tokens: Sequence[int]) -> list[tuple[int, ...]]:
    """``[(onset, duration, note, instrument, velocity), ...]``; a short tail is dropped."""
    tokens = [int(t) for t in tokens]
    return [tuple(tokens[i:i + 5]) for i in range(0, len(tokens) - 4, 5)]


def note_multiset(tokens: Sequence[int]) -> Counter:
    """The notes of ``tokens`` as a multiset of 5-tuples (order forgotten)."""
    return Counter(as_tuples(tokens))


def named_token_index(message: str) -> int | None:
    """The index a ``ValueError`` message names as ``token <index>`` (the first one), or None."""
    match = re.search(r"\btoken (\d+)\b", str(message))
    return int(match.group(1)) if match else None


# ---------------------------------------------------------------- tokens_to_midi alone

def _flat(*notes: tuple[int, int, int, int, int]) -> tuple[int, ...]:
    return tuple(value for note in notes for value in note)


_BPM_NOTES = _flat((0, 50, 60, 0, 100), (50, 50, 60, 0, 90), (25, 0, 62, 0, 80), (0, 133, 36, 128, 120),
                   (37, 91, 64, 41, 70), (128, 7, 64, 41, 71), (1234, 567, 67, 41, 72))


def token_edge_cases() -> list[TokensCase]:
    """Valid token lists, one per edge case of ``tokens_to_midi``."""
    fifteen = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 40, 73, 126, 127]
    cases = [
        TokensCase("repeated_note", "the same pitch ends and starts again at one tick, twice",
                   _flat((0, 50, 60, 0, 100), (50, 50, 60, 0, 90), (100, 50, 60, 0, 80))),
        TokensCase("repeated_note_unsorted", "repeated notes given out of time order",
                   _flat((100, 50, 60, 0, 80), (0, 50, 60, 0, 100), (50, 50, 60, 0, 90))),
        TokensCase("zero_length_notes", "notes of duration 0, alone, beside a longer note of the same "
                   "pitch and onset (given first), and where one ends",
                   _flat((10, 30, 60, 0, 90), (10, 0, 60, 0, 100), (40, 0, 60, 0, 80), (50, 0, 36, 128, 100),
                         (60, 0, 62, 5, 70))),
        TokensCase("order_at_one_tick", "at tick 10, one pitch: a note ends, three start (lasting 30, 0 "
                   "and 5, given in that order): its note-off, then the note-ons shortest first, then "
                   "the zero-length note's note-off",
                   _flat((10, 30, 60, 0, 90), (0, 10, 60, 0, 80), (10, 0, 60, 0, 100), (10, 5, 60, 0, 70),
                         (10, 10, 64, 0, 60))),
        TokensCase("same_onset_same_pitch", "two notes of one pitch starting together, the longer given first",
                   _flat((0, 100, 60, 0, 90), (0, 50, 60, 0, 80))),
        TokensCase("overlapping_same_pitch", "notes of one pitch overlapping, ending in the order they start",
                   _flat((0, 100, 60, 0, 90), (50, 100, 60, 0, 80), (70, 80, 60, 0, 70))),
        TokensCase("drums", "drums only (instrument 128, channel 10)",
                   _flat((0, 10, 36, 128, 110), (0, 5, 42, 128, 60), (25, 5, 42, 128, 61), (50, 10, 38, 128, 100),
                         (50, 5, 42, 128, 62), (75, 5, 42, 128, 63), (75, 0, 49, 128, 127))),
        TokensCase("three_instruments_unsorted", "tokens out of time order; instruments first appear as "
                   "25, 128, 0 (not in time order): tracks 25, 128, 0",
                   _flat((100, 50, 60, 25, 90), (0, 20, 36, 128, 100), (50, 50, 64, 0, 80), (0, 50, 67, 25, 70),
                         (20, 20, 38, 128, 101))),
        TokensCase("several_instruments", "instruments whose first notes are not in time order: "
                   "tracks 73, 0, 128, 40",
                   _flat((100, 50, 72, 73, 90), (0, 50, 60, 0, 80), (0, 10, 36, 128, 100), (20, 30, 48, 40, 70),
                         (150, 25, 74, 73, 91), (10, 10, 38, 128, 101))),
        TokensCase("fifteen_melodic_and_drums", "15 melodic instruments and drums: all 16 channels",
                   _flat(*[(10 * i, 40, 40 + i, instrument, 64 + i) for i, instrument in enumerate(fifteen[:8])],
                         (5, 20, 36, 128, 100),
                         *[(10 * i, 40, 40 + i, instrument, 64 + i) for i, instrument in enumerate(fifteen[8:], 8)],
                         (300, 10, 90, 0, 1), (310, 10, 91, 127, 127))),
        TokensCase("twelve_melodic_and_drums", "12 melodic instruments and drums (given 5th): channel 9 (MIDI "
                   "channel 10) is the drums' only, so a melodic instrument past the 9th takes 10 or above",
                   _flat(*[(5 * i, 20, 48 + i, instrument, 70 + i) for i, instrument in enumerate([24, 25, 26, 0])],
                         (12, 8, 38, 128, 100),
                         *[(5 * i, 20, 48 + i, instrument, 70 + i)
                           for i, instrument in enumerate([1, 2, 40, 41, 42, 56, 57, 73], 4)])),
        TokensCase("docstring_example", "the example of the docstring",
                   _flat((0, 50, 60, 40, 90), (50, 50, 60, 40, 80), (25, 0, 36, 128, 100))),
        TokensCase("long_times", "onsets up to an hour and a note of 10 minutes",
                   _flat((0, 60000, 60, 0, 100), (359_999, 1, 62, 0, 100), (123_456, 7, 64, 0, 100))),
        TokensCase("empty", "no notes at all (graded with a list of notes at the same bpm)", (),
                   companion=_flat((0, 50, 60, 0, 100), (25, 0, 36, 128, 90))),
        TokensCase("empty_bpm_90", "no notes at all, at 90 bpm (graded with a list of notes at the same bpm)",
                   (), bpm=90, companion=_flat((10, 20, 62, 5, 70))),
        TokensCase("empty_bpm_133", "no notes at all, at 133 bpm (graded with a list of notes at the same bpm)",
                   (), bpm=133, companion=_flat((0, 10, 38, 128, 100), (3, 10, 60, 0, 90))),
        TokensCase("silent_note", "a note of velocity 0 cannot be written: it is left out",
                   _flat((0, 50, 60, 0, 100), (10, 50, 62, 0, 0), (20, 50, 64, 0, 90)),
                   expected=_flat((0, 50, 60, 0, 100), (20, 50, 64, 0, 90))),
        TokensCase("silent_instrument", "instrument 40 has only a note of velocity 0: left out, but 40 keeps "
                   "its track (program_change and end_of_track only), between tracks 0 and 128",
                   _flat((0, 50, 60, 0, 100), (10, 50, 62, 40, 0), (20, 50, 36, 128, 90), (30, 10, 64, 0, 0),
                         (40, 10, 65, 0, 80)),
                   expected=_flat((0, 50, 60, 0, 100), (20, 50, 36, 128, 90), (40, 10, 65, 0, 80))),
        TokensCase("silent_drums_first", "the first tokens are silent drums: the drum track comes first and "
                   "holds no note; then instrument 3, and instrument 7 with only silent notes",
                   _flat((50, 10, 36, 128, 0), (5, 10, 60, 3, 90), (5, 10, 38, 128, 0), (0, 20, 62, 7, 0),
                         (15, 0, 62, 3, 91)),
                   expected=_flat((5, 10, 60, 3, 90), (15, 0, 62, 3, 91))),
    ]
    # round(6000 / bpm): 66.67 -> 67, 62.5 -> 62 and 37.5 -> 38 (Python rounds halves to even), 60,
    # 45.11 -> 45, 100, 187.5 -> 188, 12.5 -> 12, 2.5 -> 2.
    for bpm in (90, 96, 160, 100, 133, 60, 32, 480, 2400):
        cases.append(TokensCase(f"bpm_{bpm}", f"{bpm} bpm: round(6000 / {bpm}) = {round(6000 / bpm)} ticks per "
                                f"beat (6000 / {bpm} = {6000 / bpm:g}), a tick is still 10 ms", _BPM_NOTES, bpm=bpm))
    return cases


def bad_bpm_cases() -> list[BadBpmCase]:
    """``bpm`` values whose ``round(6000 / bpm)`` is outside 1-1677, each with a valid one near it."""
    tokens = _flat((0, 50, 60, 0, 100), (25, 10, 36, 128, 90))
    return [
        BadBpmCase("bpm_12000", "bpm=12000: round(6000 / 12000) = round(0.5) = 0 ticks per beat (graded with "
                   "bpm=8000: round(0.75) = 1)", 12000, 8000, tokens),
        BadBpmCase("bpm_0", "bpm=0 (graded with bpm=4: 1500 ticks per beat)", 0, 4, tokens),
        BadBpmCase("bpm_negative", "bpm=-120 (graded with bpm=10000: round(0.6) = 1 tick per beat)",
                   -120, 10000, tokens),
        BadBpmCase("bpm_3", "bpm=3: 2000 ticks per beat, more than 1677 (graded with bpm=4: 1500)", 3, 4, tokens),
        BadBpmCase("bpm_0_drums", "bpm=0 (graded with bpm=10000: round(0.6) = 1 tick per beat)", 0, 10000,
                   _flat((5, 5, 42, 128, 70), (0, 30, 50, 3, 80))),
        BadBpmCase("bpm_20000", "bpm=20000: round(0.3) = 0 (graded with bpm=3600: round(1.67) = 2)",
                   20000, 3600, tokens),
    ]


def invalid_token_cases() -> list[InvalidTokensCase]:
    """Invalid token lists, each with the index of its first bad token."""
    good = _flat((0, 50, 60, 0, 100), (50, 50, 62, 0, 90), (100, 50, 64, 0, 80), (150, 50, 65, 0, 70))

    def bad(tokens_index: int, value) -> tuple:
        tokens = list(good)
        tokens[tokens_index] = value
        return tuple(tokens)

    seventeen = list(range(8)) + [128] + list(range(8, 15)) + [3, 100]    # 100 is the 16th melodic one
    too_many = _flat(*[(i, 10, 60, instrument, 100) for i, instrument in enumerate(seventeen)])
    # A silent note's instrument keeps its track, so it needs a channel too.
    silent_sixteenth = _flat(*[(i, 10, 60 + i, instrument, 100) for i, instrument in enumerate(range(20, 35))],
                             (15, 10, 40, 128, 90), (16, 10, 41, 99, 0), (17, 10, 42, 20, 80))
    silent_fifteenth = _flat(*[(i, 5, 50 + i, i, 90) for i in range(14)], (14, 5, 64, 50, 0), (15, 5, 36, 128, 100),
                             (16, 5, 70, 3, 95), (17, 5, 65, 60, 91))
    silent_several = _flat((0, 10, 60, 128, 0), *[(5 * i, 10, 40 + i, 100 + i, 0 if i % 3 == 0 else 70)
                                                  for i in range(15)], (99, 1, 1, 127, 0))
    return [
        InvalidTokensCase("sixteen_melodic", "a 16th melodic instrument (drums and repeats do not count)",
                          too_many, 5 * 17 + 3),
        InvalidTokensCase("length_not_multiple_of_5", "12 tokens: the tuple starting at token 10 is incomplete",
                          good[:12], 10),
        InvalidTokensCase("length_one_short", "19 tokens", good[:19], 15),
        InvalidTokensCase("single_token", "one token", (0,), 0),
        InvalidTokensCase("negative_onset", "an onset of -1", bad(10, -1), 10),
        InvalidTokensCase("negative_onset_last_note", "an onset of -2 (token 15, the last note's)", bad(15, -2), 15),
        InvalidTokensCase("sixteenth_melodic_silent", "a 16th melodic instrument (99, token 83) brought by a note "
                          "of velocity 0: it would keep its track, so it needs a channel too", silent_sixteenth, 83),
        InvalidTokensCase("silent_instrument_among_fifteen", "15 melodic instruments, one of them (50) only in a "
                          "note of velocity 0, then a 16th (60, token 88)", silent_fifteenth, 88),
        InvalidTokensCase("sixteenth_melodic_silent_several", "silent drums, 15 melodic instruments (some only "
                          "silent), then a silent 16th (127, token 83)", silent_several, 83),
        InvalidTokensCase("negative_duration", "a duration of -5", bad(6, -5), 6),
        InvalidTokensCase("note_128", "a note of 128", bad(17, 128), 17),
        InvalidTokensCase("note_negative", "a note of -1", bad(2, -1), 2),
        InvalidTokensCase("velocity_negative", "a velocity of -1", bad(4, -1), 4),
        InvalidTokensCase("velocity_128", "a velocity of 128", bad(19, 128), 19),
        InvalidTokensCase("instrument_129", "an instrument of 129", bad(13, 129), 13),
        InvalidTokensCase("instrument_negative", "an instrument of -1", bad(8, -1), 8),
        InvalidTokensCase("not_an_integer", "a note of 62.5 (token 7): not an integer", bad(7, 62.5), 7),
        InvalidTokensCase("string_token", "an onset given as the string '100' (token 10): not an integer",
                          bad(10, "100"), 10),
        InvalidTokensCase("none_token", "a velocity of None (token 14): not an integer", bad(14, None), 14),
        InvalidTokensCase("first_of_two", "a velocity of 200 (token 9), then an onset of -5 (token 15)",
                          tuple(bad(9, 200)[:15]) + (-5,) + good[16:], 9),
        InvalidTokensCase("bad_before_incomplete", "an instrument of 129 (token 3) and 7 tokens",
                          bad(3, 129)[:7], 3),
        InvalidTokensCase("negative_before_incomplete", "a duration of -1 (token 11), then 3 tokens of an "
                          "incomplete tuple (from token 15)", bad(11, -1)[:18], 11),
        InvalidTokensCase("sixteenth_melodic_and_bad_velocity", "the 16th melodic instrument (token 88) "
                          "comes before a bad velocity in the same tuple (token 89)",
                          too_many[:89] + (128,), 88),
        InvalidTokensCase("bad_note_before_sixteenth_melodic", "a note of 200 (token 87) in the tuple "
                          "bringing the 16th melodic instrument",
                          too_many[:87] + (200,) + too_many[88:], 87),
    ]


# ---------------------------------------------------------------- several calls in one worker

def _instruments_tokens(instruments: Sequence[int], first_pitch: int, drums_at: int | None = None) -> tuple:
    """One short note per instrument (in that order), and a drum hit at position ``drums_at``."""
    notes = [(7 * i, 20 + i, first_pitch + i, instrument, 60 + i) for i, instrument in enumerate(instruments)]
    if drums_at is not None:
        notes.insert(drums_at, (3, 10, 38, 128, 100))
    return _flat(*notes)


def sequence_cases() -> list[SequenceCase]:
    """Sequences of calls in one fresh worker. Together the melodic instruments of one sequence's
    files are more than 15 (a channel allocator kept between calls runs out), files with
    program changes come before files without (a program table kept between calls shows), notes
    left sounding come before note-offs of the same pitch (a table of sounding notes kept between
    calls shows), and each ``bpm`` comes back after another (a cache keyed without it shows)."""
    with_programs = _file([_program(0, 40, 0), _program(0, 41, 1), _on(0, 60, 100), _on(96, 48, 90, 1),
                           _off(480, 48, 1), _on(480, 64, 80), _meta(960, "end_of_track")])
    without_programs = _file([_off(0, 60), _on(48, 60, 101), _on(96, 48, 91, 1), _off(480, 60), _off(576, 48, 1)])
    nine_a = _instruments_tokens([0, 5, 10, 20, 30, 40, 50, 60, 70], 50, drums_at=4)
    nine_b = _instruments_tokens([1, 6, 11, 21, 31, 41, 51, 61, 71], 60)
    session = SequenceCase("notebook_session", "midi_to_tokens on a file with program changes and a note left "
                           "sounding, then on one without program changes; tokens_to_midi at 90 bpm, 133 bpm "
                           "(9 new melodic instruments), 90 bpm again; the first file again",
                           (Step("a file with program changes", midi=with_programs),
                            Step("a file without program changes", midi=without_programs),
                            Step("9 melodic instruments and drums at 90 bpm", tokens=nine_a, bpm=90),
                            Step("9 other melodic instruments at 133 bpm", tokens=nine_b, bpm=133),
                            Step("9 melodic instruments and drums at 90 bpm", tokens=nine_a, bpm=90),
                            Step("a file with program changes", midi=with_programs)))

    drums_and_programs = _file([_program(0, 33, 2), _program(0, 25, 9), _on(0, 40, 90, 2), _on(0, 36, 100, 9),
                                _off(96, 36, 9), _program(240, 34, 2), _on(480, 41, 91, 2), _off(720, 40, 2)],
                               [_tempo(0, 400000), _on(240, 70, 70, 3), _off(480, 70, 3)])
    plain = _file([_on(0, 41, 80, 2), _off(240, 41, 2), _on(240, 40, 81, 2), _off(480, 40, 2),
                   _on(480, 36, 82, 9), _off(528, 36, 9)])
    twelve = _instruments_tokens([90, 91, 92, 93, 94, 95, 96, 97, 98, 99, 100, 101], 40, drums_at=0)
    eight = _instruments_tokens([2, 4, 8, 16, 32, 64, 126, 127], 70, drums_at=8)
    hidden = [
        SequenceCase("tokens_first", "tokens_to_midi at 60 bpm (12 melodic instruments), at 100 bpm (8 "
                     "others), no tokens at 75 bpm, 60 bpm again; then midi_to_tokens on a file with drums and "
                     "program changes, on one without, and the first again",
                     (Step("12 melodic instruments and drums at 60 bpm", tokens=twelve, bpm=60),
                      Step("8 other melodic instruments and drums at 100 bpm", tokens=eight, bpm=100),
                      Step("no tokens at 75 bpm", tokens=(), bpm=75),
                      Step("12 melodic instruments and drums at 60 bpm", tokens=twelve, bpm=60),
                      Step("a file with drums, tempo and program changes", midi=drums_and_programs),
                      Step("a file without program changes", midi=plain),
                      Step("a file with drums, tempo and program changes", midi=drums_and_programs))),
        SequenceCase("alternating", "midi_to_tokens and tokens_to_midi in turn: a file with program "
                     "changes, tokens at 120 bpm, a file without, the same tokens at 96 bpm, at 120 again",
                     (Step("a file with program changes", midi=with_programs),
                      Step("8 melodic instruments and drums at 120 bpm", tokens=eight, bpm=120),
                      Step("a file without program changes", midi=without_programs),
                      Step("8 melodic instruments and drums at 96 bpm", tokens=eight, bpm=96),
                      Step("12 melodic instruments and drums at 160 bpm", tokens=twelve, bpm=160),
                      Step("8 melodic instruments and drums at 120 bpm", tokens=eight, bpm=120))),
    ]
    return [session, *hidden]
