"""The MIDI files graded on ``midi_to_tokens``, built here, deterministically.

- :func:`edge_case_midis`: small purpose-built files, one per edge case of
  the spec, and one "everything" file mixing them;
- :func:`no_notes_midis`, :func:`type_2_midis`: files whose answer (``[]``, a
  ``TypeError``) is graded together with a companion file;
- :func:`real_music_midis`: public-domain scores of music21's corpus exported
  to MIDI, and a purpose-built drum groove.

The inputs of ``tokens_to_midi`` are in ``token_inputs.py``; the round trip's
generated token lists in ``strategies.py`` (stored as fixtures, the public ones
shipped to students; these modules are not: they pair notes exactly, which is
half of the assignment).

Every file is returned as mido reads it back from its bytes (what student code
receives through the sandbox) and is free of rounding near-ties
(``exact_times.py``): the times of its notes, in hundredths of a second, are at
least ``TIE_MARGIN`` away from any ``k + 0.5``, so that correct implementations
that compute seconds a little differently (float sums, exact fractions, round
half up) all give the same tokens.
"""
from __future__ import annotations

import functools
import io
import random
import re
from dataclasses import dataclass
from pathlib import Path

import mido

from .exact_times import without_ties
# Short names: the cases below are tables of events.
from .midi_files import (meta as _meta, midi_file as _file, note_off as _off, note_on as _on,
                         program_change as _program, reloaded, set_tempo as _tempo, silent_note_on as _on0)


@dataclass(frozen=True)
class MidiCase:
    """A MIDI input of ``midi_to_tokens``.

    ``raises``: the exception it must raise instead of returning tokens. ``companion``: a
    file graded in the same check (its tokens must be right too), for a case whose right
    answer (``[]``, an exception) a function could give for every file.
    """
    name: str
    description: str
    midi: mido.MidiFile
    raises: str | None = None
    companion: mido.MidiFile | None = None


def edge_case_midis() -> list[MidiCase]:
    """Purpose-built files, one per edge case of ``midi_to_tokens``.

    Unless said otherwise: 480 ticks per beat and no ``set_tempo`` (120 bpm), so
    48 ticks are 5 hundredths of a second. The expected tokens are written by
    hand, from the spec, in ``tests/test_midi_reference.py``.
    """
    cases = []

    def case(name, description, midi):
        cases.append(MidiCase(name, description, midi))

    case("velocity_zero_note_off", "note_on messages of velocity 0 end notes, like note_off",
         _file([_on(0, 60, 90), _on0(480, 60), _on(480, 64, 80), _on0(960, 64),
                _on(960, 67, 70), _off(1440, 67)]))

    case("oldest_closed_first", "notes of one pitch overlap: each note-off ends the oldest",
         _file([_on(0, 60, 100), _on(240, 60, 50), _off(480, 60), _off(960, 60),
                _on(1056, 62, 31), _on(1152, 62, 32), _on(1248, 62, 33),
                _off(1344, 62), _off(1440, 62), _off(1536, 62)]))

    case("stray_note_offs", "note-offs with nothing to end (before, after, on another channel) are ignored",
         _file([_off(0, 62), _off(0, 60), _on(0, 60, 100), _on(0, 64, 90), _off(240, 64, channel=1),
                _off(480, 60), _off(720, 60), _on0(720, 60), _off(960, 64), _on0(960, 64),
                _on(960, 65, 80), _off(1200, 65), _off(1200, 65, velocity=64)]))

    case("open_at_end", "notes never ended end at the file's last event (here a stray note-off)",
         _file([_on(0, 60, 100), _on(480, 64, 90), _off(960, 64), _on(1200, 67, 80), _off(1440, 72)]))

    case("drums_channel_10", "notes on MIDI channel 10 (channel=9) are instrument 128 whatever the program; "
         "channel=10 is melodic",
         _file([_program(0, 25, 9), _on(0, 36, 100, 9), _on(0, 42, 60, 9), _on0(48, 42, 9),
                _off(96, 36, 9), _on(240, 42, 61, 9), _on0(288, 42, 9), _on(480, 38, 110, 9),
                _on(480, 42, 62, 9), _on0(528, 42, 9), _off(576, 38, 9)],
               [_program(0, 33, 0), _on(0, 40, 90, 0), _off(960, 40, 0)],
               [_program(0, 5, 10), _on(240, 64, 70, 10), _off(720, 64, 10)]))

    case("program_changes_mid_file", "a note's instrument is its channel's program at its onset; "
         "each channel has its own",
         _file([_program(0, 40, 0), _on(0, 60, 100, 0), _on(0, 48, 80, 1), _program(240, 70, 2),
                _off(480, 60, 0), _program(480, 41, 0), _on(480, 62, 101, 0), _program(720, 42, 0),
                _off(960, 62, 0), _off(960, 48, 1), _on(960, 64, 102, 0), _on(960, 50, 81, 1),
                _off(1440, 64, 0), _off(1440, 50, 1)]))

    case("several_tracks", "a type 1 file: a conductor track with meta events and three instrument "
         "tracks, merged in time",
         _file([_meta(0, "track_name", name="conductor"), _tempo(0, 500000),
                _meta(0, "time_signature", numerator=4, denominator=4), _meta(120, "marker", text="a"),
                _meta(600, "marker", text="b"), _meta(1000, "marker", text="c")],
               [_meta(0, "track_name", name="flute"), _program(0, 73, 0), _on(0, 72, 100, 0),
                _off(240, 72, 0), _on(240, 74, 101, 0), _off(480, 74, 0), _on(480, 76, 102, 0),
                _off(960, 76, 0)],
               [_meta(0, "track_name", name="bass"), _program(0, 32, 1), _on(0, 48, 90, 1),
                (300, mido.Message("control_change", channel=1, control=64, value=127)),
                (400, mido.Message("pitchwheel", channel=1, pitch=512)), _off(960, 48, 1)],
               [_meta(0, "track_name", name="piano"), _on(96, 60, 80, 2), _off(336, 60, 2),
                _on(480, 64, 81, 2), _off(720, 64, 2)]))

    case("tempo_changes", "set_tempo changes (in the conductor track and in a later track) apply "
         "to every track; one note spans two changes",
         _file([_tempo(0, 500000), _tempo(480, 1000000)],
               [_program(0, 0, 0), _on(0, 60, 100), _on(240, 72, 104), _off(480, 60), _on(480, 62, 101),
                _off(960, 62), _on(960, 64, 102), _off(1152, 72), _off(1440, 64)],
               [_meta(0, "track_name", name="tempo, late"), _tempo(960, 250000)]))

    case("not_120_bpm", "one set_tempo of 100 bpm (600000 us per beat), 96 ticks per beat",
         _file([_tempo(0, 600000), _on(0, 60, 100), _off(96, 60), _on(96, 62, 101), _off(144, 62),
                _on(144, 64, 102), _off(336, 64), _on(336, 65, 103), _off(344, 65)], ticks_per_beat=96))

    case("repeated_notes", "a note ends and the same pitch starts again at one tick, note-off first "
         "(pitch 60) or note-on first (pitch 64)",
         _file([_on(0, 60, 100), _on(0, 64, 90), _off(240, 60), _on(240, 60, 101), _on(240, 64, 91),
                _off(240, 64), _off(480, 60), _on(480, 60, 102), _on(480, 64, 92), _on0(480, 64),
                _off(720, 60), _off(720, 64)]))

    case("zero_length_notes", "a note-on and its note-off at one tick make a note of duration 0",
         _file([_on(240, 60, 100), _off(240, 60), _on(480, 62, 90), _on0(480, 62), _on(480, 42, 80, 9),
                _off(480, 42, 9), _on(720, 64, 70), _off(720, 64), _on(720, 64, 71), _off(960, 64)]))

    case("duration_not_end_rounded", "1 ms ticks: onsets and durations rounded from exact seconds "
         "(rounding the end instead is one off here)",
         _file([_tempo(0, 1000000), _on(3, 60, 100), _off(16, 60), _on(1234, 62, 101), _off(1987, 62),
                _on(2046, 64, 102), _off(2114, 64)], ticks_per_beat=1000))

    # The "everything" file: 384 ticks per beat at 125 bpm (8 ticks = 1 hundredth), then
    # from tick 1536 (1.92 s) at 78.125 bpm (5 ticks = 1 hundredth).
    case("everything", "tempo change, program changes, drums, velocity-0 note-offs, one pitch "
         "overlapping across two tracks of one channel, stray note-offs, repeated and zero-length "
         "notes, notes still sounding when the last track ends",
         _file([_meta(0, "track_name", name="conductor"), _tempo(0, 480000),
                _meta(0, "time_signature", numerator=3, denominator=4), _tempo(1536, 768000)],
               [_program(0, 19, 0), _on(0, 60, 100), _on(192, 60, 50), _on0(384, 60), _off(768, 60),
                _program(768, 20, 0), _on(768, 62, 90), _off(1152, 62), _on(1152, 62, 91), _off(1536, 62),
                _off(1536, 62), _on(1600, 64, 92), _program(1700, 21, 0), _off(1800, 64), _on(1800, 65, 93)],
               [_on(96, 60, 70), _off(1000, 60)],
               [_program(0, 0, 9), _on(0, 36, 110, 9), _off(80, 36, 9), _on(384, 38, 100, 9), _off(464, 38, 9),
                _on(768, 42, 60, 9), _off(768, 42, 9), _off(800, 49, 9), _on(1536, 36, 111, 9),
                _on0(1546, 36, 9), _on(2000, 38, 101, 9)],
               [_on(400, 72, 80, 1), _off(400, 72, 1), _meta(2304, "end_of_track")],
               ticks_per_beat=384))

    # Tempo: 600000 us per beat from tick 0 (track 1), 400000 from 960 (track 1), 1000000 from
    # 1440 (track 2, beside notes): 480 ticks are 60, then 40, then 100 hundredths.
    case("tempo_in_later_track", "every set_tempo is in a later track than the first notes, and there are "
         "three of them; a note_off of velocity 64 (a note's velocity is its note-on's)",
         _file([_program(0, 52, 0), _on(0, 60, 100), _off(480, 60, velocity=64), _on(720, 64, 90),
                _off(1200, 64), _on(1440, 67, 80), _off(1920, 67)],
               [_meta(0, "track_name", name="tempo map"), _tempo(0, 600000), _tempo(960, 400000)],
               [_on(240, 48, 70, 1), _tempo(1440, 1000000), _off(1680, 48, 1)]))

    # 96 ticks per beat at 0.8 s per beat (75 bpm): 12 ticks = 10 hundredths; from tick 192 (160)
    # 0.4 s per beat: 12 ticks = 5 hundredths; from tick 384 (240) 1.2 s per beat: 12 ticks = 15.
    case("several_tempos_late_track", "the only set_tempo messages are in the last track, four of them "
         "(one repeating the tempo in force); notes in two earlier tracks span the changes",
         _file([_program(0, 11, 0), _on(0, 72, 100), _off(204, 72), _on(240, 74, 101), _off(420, 74)],
               [_program(0, 12, 1), _on(96, 48, 90, 1), _off(396, 48, 1), _on(408, 50, 91, 1)],
               [_meta(0, "track_name", name="tempi, last"), _tempo(0, 800000), _tempo(192, 400000),
                _tempo(288, 400000), _tempo(384, 1200000), _meta(444, "end_of_track")],
               ticks_per_beat=96))

    case("program_change_while_sounding", "a program_change while a note of its channel sounds: the "
         "sounding note keeps its instrument, the next one gets the new one; channel 1 gets its "
         "program only after its note began",
         _file([_program(0, 10, 0), _on(0, 60, 100), _on(96, 55, 80, 1), _program(240, 20, 0),
                _program(300, 99, 1), _on(480, 62, 90), _off(576, 55, 1), _off(720, 60), _program(720, 30, 0),
                _off(960, 62)]))

    # Channel 3: program 7 from 0, 8 at 240 (note 60 sounds), 9 at 600 (note 62 sounds); drums
    # change program too (still 128); channel 4 never gets one.
    case("program_changes_while_sounding_2", "program changes while notes sound, on two channels, across "
         "tracks (a program_change in another track than the notes); drums whatever the program",
         _file([_program(0, 7, 3), _on(0, 60, 100, 3), _on(0, 36, 110, 9), _off(96, 36, 9),
                _on(480, 62, 101, 3), _off(960, 60, 3), _on(960, 64, 102, 3), _off(1200, 62, 3),
                _off(1440, 64, 3)],
               [_program(240, 8, 3), _program(240, 16, 9), _on(480, 38, 111, 9), _off(528, 38, 9),
                _program(600, 9, 3), _on(720, 50, 80, 4), _off(1200, 50, 4)]))

    case("note_off_in_another_track", "note-offs in another track than their note-ons still end them "
         "(the track does not matter); the same pitch on another channel is another note",
         _file([_program(0, 40, 0), _on(0, 60, 100), _on(480, 64, 90)],
               [_program(0, 41, 1), _on(240, 60, 80, 1), _off(480, 60, 0), _off(720, 60, 1), _off(960, 64, 0)]))

    case("end_of_track_delay", "end_of_track comes 960 ticks after the last message: a note never ended "
         "ends there (midi.length), not at the last note message",
         _file([_on(0, 60, 100), _off(480, 60), _on(480, 64, 90), _on(720, 67, 80), _off(960, 67),
                _meta(1920, "end_of_track")]))

    case("end_of_track_delay_later_track", "notes never ended in the first track, whose end_of_track "
         "comes early; a later meta-only track ends last: the notes end there",
         _file([_program(0, 3, 0), _on(0, 60, 100), _on(240, 62, 90), _off(480, 62), _on(480, 48, 70, 1),
                _meta(960, "end_of_track")],
               [_meta(0, "track_name", name="long"), _meta(1200, "marker", text="end"),
                _meta(2400, "end_of_track")]))

    case("open_note_other_track_ends_later", "a note never ended in the first track, whose last event comes "
         "early; the other track's notes go on: the note ends at the file's last event, in that other track",
         _file([_program(0, 3, 0), _on(0, 60, 100), _on(240, 62, 90), _off(480, 62)],
               [_program(0, 20, 1), _on(240, 48, 70, 1), _off(1440, 48, 1)]))

    case("open_note_in_later_track", "a note never ended in the last track, which ends early; the first "
         "track ends last (an end_of_track 480 ticks after its last note-off): the note ends there",
         _file([_program(0, 7, 0), _on(0, 60, 100), _off(480, 60), _on(960, 64, 90), _off(1920, 64),
                _meta(2400, "end_of_track")],
               [_program(0, 30, 1), _on(480, 48, 70, 1), _on(720, 50, 71, 1), _off(960, 50, 1)]))

    case("same_instant_order", "notes starting together in two tracks, neither by pitch nor by instrument: "
         "they come in the order of the merged messages (track 0's, then track 1's); onset 50 is ticks 480 "
         "(track 1) and 481 (track 0)",
         _file([_program(0, 40, 0), _on(0, 67, 90), _on(0, 60, 91), _on(0, 64, 92), _off(480, 67), _off(480, 60),
                _off(480, 64), _on(481, 72, 93), _off(960, 72)],
               [_program(0, 5, 1), _on(0, 36, 100, 9), _on(0, 48, 80, 1), _on(0, 42, 60, 9), _off(96, 36, 9),
                _off(96, 42, 9), _off(480, 48, 1), _on(480, 45, 81, 1), _on(480, 38, 101, 9), _off(528, 38, 9),
                _off(960, 45, 1)]))

    # 480 ticks per beat at 0.4 s per beat: 12 ticks = 1 hundredth.
    case("same_instant_order_2", "a conductor track, then chords and drums starting together in two tracks, "
         "in no sorted order, a zero-length drum among them; onset 20 is ticks 236 (track 2) and 240",
         _file([_meta(0, "track_name", name="tempo"), _tempo(0, 400000)],
               [_program(0, 70, 2), _on(0, 72, 90, 2), _on(0, 55, 91, 2), _on(0, 38, 100, 9), _on(0, 36, 101, 9),
                _off(120, 38, 9), _off(120, 36, 9), _off(240, 72, 2), _on(240, 79, 92, 2), _on(240, 50, 93, 2),
                _on(240, 49, 102, 9), _off(240, 49, 9), _off(480, 55, 2), _off(480, 79, 2), _off(480, 50, 2)],
               [_program(0, 12, 3), _on(0, 30, 80, 3), _on(236, 90, 81, 3), _on(240, 42, 103, 9), _off(288, 42, 9),
                _off(480, 30, 3), _off(480, 90, 3)]))

    case("docstring_example", "the example of the docstring: drums, a velocity-0 note-off, a note never "
         "ended while end_of_track comes 480 ticks later",
         _file([_program(0, 40, 0), _on(0, 60, 90), _on(0, 36, 100, 9), _on0(240, 36, 9), _off(480, 60),
                _on(480, 62, 80), _meta(960, "end_of_track")]))

    # 1 ms ticks (1000 per beat at 1 s per beat). 7 -> 24: onset 0.7 -> 1, duration 1.7 -> 2 (the
    # rounded end gives 2 - 1 = 1); 1236 -> 1443: 123.6 -> 124, 20.7 -> 21 (not 144 - 124 = 20).
    case("duration_rounded_itself", "1 ms ticks: durations rounded from exact seconds (rounding the "
         "end instead is one off)",
         _file([_tempo(0, 1000000), _on(7, 60, 100), _off(24, 60), _on(1236, 62, 101), _off(1443, 62)],
               ticks_per_beat=1000))
    return cases


def _no_notes_events(with_note: bool) -> list:
    """A track with a tempo, a program change, a controller, stray note-offs and a note_on of
    velocity 0 (a note-off): no notes. ``with_note``: the same and one note."""
    events = [_tempo(0, 500000), _program(0, 24), (96, mido.Message("control_change", control=7, value=100)),
              _off(240, 60), _on0(480, 62)]
    if with_note:
        events[3:3] = [_on(144, 64, 88), _off(240, 64)]
    return events


def no_notes_midis() -> list[MidiCase]:
    """Files without notes (their tokens are ``[]``), each with a companion: the same file with
    notes, graded together."""
    conductor = [_meta(0, "track_name", name="conductor"), _tempo(0, 750000),
                 _meta(0, "time_signature", numerator=3, denominator=4)]
    silent = [_program(0, 73, 2), _off(0, 72, 2), _on0(480, 72, 2), _off(960, 74, 2)]
    sounding = [_program(0, 73, 2), _off(0, 72, 2), _on(192, 72, 77, 2), _on0(480, 72, 2), _off(960, 74, 2)]
    return [
        MidiCase("no_notes", "no note at all: a tempo, a program change, a controller, stray note-offs and "
                 "a note_on of velocity 0 (a note-off); graded with the same file plus one note",
                 _file(_no_notes_events(False)), companion=_file(_no_notes_events(True))),
        MidiCase("no_notes_several_tracks", "a conductor track and a track of program changes, stray "
                 "note-offs and velocity-0 note-ons: no notes; graded with the same file plus one note",
                 _file(conductor, silent), companion=_file(conductor, sounding)),
    ]


def _docstring_example_tracks() -> list[list]:
    """The example of ``midi_to_tokens``'s docstring, split in two tracks."""
    return [[_program(0, 40, 0), _on(0, 60, 90), _off(480, 60), _on(480, 62, 80), _meta(960, "end_of_track")],
            [_on(0, 36, 100, 9), _on0(240, 36, 9)]]


def type_2_midis(real_music: list[MidiCase] | None = None) -> list[MidiCase]:
    """Type 2 files (tracks not played together), refused with ``TypeError``; each graded with
    the same tracks as a type 1 file (the chorale: the one of ``real_music``'s ``bach_bwv269`` case)."""
    bach = next(case.midi for case in (real_music or real_music_midis()) if case.name == "bach_bwv269")
    bach_tracks = [list(track) for track in bach.tracks]

    def retyped(tracks: list[list], ticks_per_beat: int, kind: int) -> mido.MidiFile:
        midi = mido.MidiFile(type=kind, ticks_per_beat=ticks_per_beat)
        midi.tracks.extend(mido.MidiTrack(m.copy() for m in track) for track in tracks)
        return reloaded(midi)

    example = _docstring_example_tracks()
    return [
        MidiCase("type_2_refused", "a type 2 file (the docstring's example, in two tracks): TypeError; graded "
                 "with the same tracks as a type 1 file",
                 _file(*example, type=2), raises="TypeError", companion=_file(*example, type=1)),
        MidiCase("type_2_chorale", "a chorale's tracks in a type 2 file: TypeError; graded with the same "
                 "tracks as a type 1 file",
                 retyped(bach_tracks, bach.ticks_per_beat, 2), raises="TypeError",
                 companion=retyped(bach_tracks, bach.ticks_per_beat, 1)),
    ]


# ---------------------------------------------------------------- real music

CORPUS_PIECES = (
    # (name, music21 corpus path, description)
    ("bach_bwv66_6", "bach/bwv66.6", "J. S. Bach, chorale BWV 66.6 (4 voices on one channel, 96 bpm)"),
    ("bach_bwv269", "bach/bwv269", "J. S. Bach, chorale BWV 269 (4 voices on one channel)"),
    ("mozart_k458_minuet", "mozart/k458/movement3",
     "W. A. Mozart, string quartet K. 458, 3rd movement (violins 40, viola 41, cello 42; "
     "both violins on channel 0)"),
    ("joplin_maple_leaf_rag", "joplin/maple_leaf_rag",
     "S. Joplin, Maple Leaf Rag (piano, two staves on one channel, a tempo change)"),
)


def chorale_paths() -> list[str]:
    """Bach chorales of music21's corpus (``bach/bwvNNN.N``), sorted: what variants draw from."""
    from music21 import corpus
    found = {Path(str(p)).stem for p in corpus.getComposer("bach")}
    plain = sorted(name for name in found if re.fullmatch(r"bwv\d+\.\d+", name))
    return [f"bach/{name}" for name in plain]


@functools.lru_cache(maxsize=None)
def corpus_midi(path: str) -> mido.MidiFile:
    from music21 import corpus
    from music21.midi import translate

    score = corpus.parse(path)
    return mido.MidiFile(file=io.BytesIO(translate.streamToMidiFile(score).writestr()))


def drum_groove(seed: int = 2) -> mido.MidiFile:
    """16 bars of swung, humanised drums (channel 10) with a bass and electric piano, at 100 bpm.

    Deterministic (seeded); the piano changes program half-way.
    """
    rng = random.Random(seed)
    ticks_per_beat, beat = 480, 480
    swing = [0, 320]                           # swung eighths
    drums, bass, keys = [], [], []
    roots = [40, 45, 43, 38]                   # E2 A2 G2 D2
    for bar in range(16):
        start = bar * 4 * beat
        for b in range(4):
            for half, offset in enumerate(swing):
                at = start + b * beat + offset + rng.randint(-9, 9) if (b or half) else start + b * beat + offset
                at = max(at, 0)
                drums.append((at, 42 if (bar, b, half) != (15, 3, 1) else 46, rng.randint(50, 80), 30))
            if b in (0, 2):
                drums.append((start + b * beat, 36, rng.randint(100, 120), 60))
            if b in (1, 3):
                drums.append((start + b * beat + rng.randint(-4, 4), 38, rng.randint(95, 115), 60))
        if bar % 4 == 0:
            drums.append((start, 49, 110, 0))  # crash, zero-length hit
        root = roots[bar % 4]
        for b, step in enumerate((0, 7, 12, 7)):
            bass.append((start + b * beat, root + step, rng.randint(85, 100), beat - 40 - rng.randint(0, 30)))
        for b in (0, 2):
            for step in (12, 16, 19):
                keys.append((start + b * beat + 320, root + 24 + step, rng.randint(55, 70), 2 * beat - 400))

    def events(notes, channel):
        timed = []
        for at, note, velocity, length in notes:
            timed.append((at, 1, mido.Message("note_on", channel=channel, note=note, velocity=velocity)))
            timed.append((at + length, 0 if length else 2, mido.Message("note_off", channel=channel, note=note)))
        timed.sort(key=lambda item: item[:2])
        return [(at, message) for at, _, message in timed]

    key_events = events(keys, 2)
    middle = 8 * 4 * beat
    split = next(i for i, (at, _) in enumerate(key_events) if at >= middle)
    key_events.insert(split, _program(middle, 5, 2))
    return _file([_meta(0, "track_name", name="groove"), _tempo(0, 600000)],
                 [_program(0, 0, 9)] + events(drums, 9),
                 [_program(0, 33, 1)] + events(bass, 1),
                 [_program(0, 4, 2)] + key_events,
                 ticks_per_beat=ticks_per_beat)


@functools.lru_cache(maxsize=None)
def _real_music(pieces: tuple = CORPUS_PIECES, groove_seed: int = 2) -> tuple[MidiCase, ...]:
    cases = []
    sources = [(name, corpus_midi(path), description) for name, path, description in pieces]
    sources.append(("drum_groove", drum_groove(groove_seed),
                    "a purpose-built swung drum groove (channel 10) with bass and electric piano, 100 bpm"))
    for name, midi, description in sources:
        midi, scale = without_ties(reloaded(midi))
        if scale != 1:
            description += f"; tempo scaled by {float(scale):g} to avoid rounding ties"
        cases.append(MidiCase(name, description, midi))
    return tuple(cases)


def real_music_midis(pieces: tuple = CORPUS_PIECES, groove_seed: int = 2) -> list[MidiCase]:
    """Real music: music21 corpus scores exported to MIDI and a drum groove, tie-free.
    ``pieces``: (case name, corpus path, description), by default :data:`CORPUS_PIECES`;
    ``groove_seed``: the drum groove's.

    A few seconds to build the first time (music21), then cached. Do not modify
    the returned files.
    """
    return list(_real_music(tuple(pieces), groove_seed))

