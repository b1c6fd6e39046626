"""Hands-on 2 (MIDI as tokens): the reference and a second, differently written
solution against the spec, on every grading input.

The expected tokens of the purpose-built files are written here by hand, from
the spec (see the comments), not taken from either implementation.
"""
from __future__ import annotations

import ast
import importlib.util
from collections import Counter
from fractions import Fraction
from pathlib import Path

import mido
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograder.handsons.midi_tokens import exact_times, inputs, midi_files, strategies, token_inputs
from autograder.handsons.midi_tokens.midi_files import (midi_file, note_off, note_on, program_change, reloaded,
                                                        set_tempo)

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


REFERENCE = _load("midi_tokens_reference", ROOT / "solutions" / "midi_tokens.py")
ALTERNATIVE = _load("midi_tokens_alternative", ROOT / "tests" / "alternatives" / "midi_tokens.py")
IMPLEMENTATIONS = [pytest.param(REFERENCE, id="reference"), pytest.param(ALTERNATIVE, id="alternative")]

EDGE_CASES = {case.name: case for case in inputs.edge_case_midis()}
TOKEN_CASES = token_inputs.token_edge_cases()
INVALID_CASES = token_inputs.invalid_token_cases()

# ------------------------------------------------------------------ expected tokens, by hand
# Unless said otherwise the files have 480 ticks per beat at 120 bpm: a tick is 1/960 s,
# so 48 ticks = 5 hundredths, 240 = 25, 480 = 50, 960 = 100.
EXPECTED = {
    # note_on velocity 0 at 480 and 960 end the notes begun at 0 and 480.
    "velocity_zero_note_off": [(0, 50, 60, 0, 90), (50, 50, 64, 0, 80), (100, 50, 67, 0, 70)],
    # 60: on 0, on 240, off 480 ends the one of 0, off 960 the one of 240.
    # 62: on at 110, 120, 130 hundredths, offs at 140, 150, 160: oldest first, 30 each.
    "oldest_closed_first": [(0, 50, 60, 0, 100), (25, 75, 60, 0, 50), (110, 30, 62, 0, 31),
                            (120, 30, 62, 0, 32), (130, 30, 62, 0, 33)],
    # Offs before any on, a second off, an off on channel 1 for a channel-0 note: all ignored.
    "stray_note_offs": [(0, 50, 60, 0, 100), (0, 100, 64, 0, 90), (100, 25, 65, 0, 80)],
    # The last event is the stray note-off at 1440 ticks = 150 hundredths.
    "open_at_end": [(0, 150, 60, 0, 100), (50, 50, 64, 0, 90), (125, 25, 67, 0, 80)],
    # channel 9 = drums (128) despite program 25; channel 10 is melodic with program 5.
    # Merged order at tick 0: track 0 (kick, hat) then track 1 (bass); at 240: hat, then track 2.
    "drums_channel_10": [(0, 10, 36, 128, 100), (0, 5, 42, 128, 60), (0, 100, 40, 33, 90),
                         (25, 5, 42, 128, 61), (25, 50, 64, 5, 70), (50, 10, 38, 128, 110),
                         (50, 5, 42, 128, 62)],
    # Channel 0: programs 40, then 41 at 480 (before its note-on), 42 at 720 (during note 62).
    # Channel 1 never gets a program (the 70 is channel 2's): instrument 0.
    "program_changes_mid_file": [(0, 50, 60, 40, 100), (0, 100, 48, 0, 80), (50, 50, 62, 41, 101),
                                 (100, 50, 64, 42, 102), (100, 50, 50, 0, 81)],
    # Merged order: tick 0 flute then bass, tick 96 piano, 240 flute, 480 flute then piano.
    "several_tracks": [(0, 25, 72, 73, 100), (0, 100, 48, 32, 90), (10, 25, 60, 0, 80),
                       (25, 25, 74, 73, 101), (50, 50, 76, 73, 102), (50, 25, 64, 0, 81)],
    # 0-480 at 0.5 s/beat: 0.5 s; 480-960 at 1 s/beat: 1 s; from 960 at 0.25 s/beat.
    # Note 72: 240 -> 0.25 s; 1152 -> 1.5 s + 192/480 * 0.25 s = 1.6 s: duration 135.
    "tempo_changes": [(0, 50, 60, 0, 100), (25, 135, 72, 0, 104), (50, 100, 62, 0, 101),
                      (150, 25, 64, 0, 102)],
    # 96 ticks per beat at 0.6 s per beat: 8 ticks = 5 hundredths.
    "not_120_bpm": [(0, 60, 60, 0, 100), (60, 30, 62, 0, 101), (90, 120, 64, 0, 102),
                    (210, 5, 65, 0, 103)],
    # Off-then-on (60) and on-then-off (64) at one tick both end the older note.
    "repeated_notes": [(0, 25, 60, 0, 100), (0, 25, 64, 0, 90), (25, 25, 60, 0, 101),
                       (25, 25, 64, 0, 91), (50, 25, 60, 0, 102), (50, 25, 64, 0, 92)],
    # At 720: on 64 (70), off (ends it: duration 0), on 64 (71) ended at 960.
    "zero_length_notes": [(25, 0, 60, 0, 100), (50, 0, 62, 0, 90), (50, 0, 42, 128, 80),
                          (75, 0, 64, 0, 70), (75, 25, 64, 0, 71)],
    # 1 tick = 1 ms = 0.1 hundredth. 3-16: onset 0.3 -> 0, duration 1.3 -> 1 (not 2 - 0);
    # 1234-1987: 123.4 -> 123, 75.3 -> 75 (not 199 - 123); 2046-2114: 204.6 -> 205, 6.8 -> 7.
    "duration_not_end_rounded": [(0, 1, 60, 0, 100), (123, 75, 62, 0, 101), (205, 7, 64, 0, 102)],
    # 384 ticks per beat; 8 ticks = 1 hundredth up to tick 1536 (192), then 5 ticks = 1 hundredth.
    # Pitch 60 on channel 0: A (track 1, tick 0), B (track 2, 96 -> 12), C (track 1, 192 -> 24);
    # velocity-0 on at 384 (48) ends A, off at 768 (96) ends B, track 2's off at 1000 (125) ends C.
    # 64: 1600 -> 204.8 -> 205, to 1800 (244.8): 40. 65 from 244.8 and drum 38 from 2000 (284.8)
    # never end: the last event is track 4's end_of_track at 2304 = 345.6 hundredths.
    "everything": [(0, 48, 60, 19, 100), (0, 10, 36, 128, 110), (12, 84, 60, 19, 70),
                   (24, 101, 60, 19, 50), (48, 10, 38, 128, 100), (50, 0, 72, 0, 80),
                   (96, 48, 62, 20, 90), (96, 0, 42, 128, 60), (144, 48, 62, 20, 91),
                   (192, 2, 36, 128, 111), (205, 40, 64, 20, 92), (245, 101, 65, 21, 93),
                   (285, 61, 38, 128, 101)],
    # Tempo 600000 (1.25 ms a tick) to tick 960 (1.2 s), 400000 to 1440 (1.6 s), then 1000000:
    # 60: 0-480 -> 0-60; 48: 240 (0.3 s) - 1680 (1.6 + 0.5 s); 64: 720 (0.9 s) - 1200 (1.2 + 0.2 s);
    # 67: 1440 - 1920 (2.6 s). The note_off of velocity 64 does not change 60's velocity.
    "tempo_in_later_track": [(0, 60, 60, 52, 100), (30, 180, 48, 0, 70), (90, 50, 64, 52, 90),
                             (160, 100, 67, 52, 80)],
    # 96 ticks per beat: 12 ticks = 10 hundredths to tick 192 (160), then 5 to tick 384 (240),
    # then 15. 72: 0-204 (165); 48: 96 (80) - 396 (255); 74: 240 (180) - 420 (285);
    # 50: 408 (270), never ended, to the last track's end at 444 (315).
    "several_tempos_late_track": [(0, 165, 72, 11, 100), (80, 175, 48, 12, 90), (180, 105, 74, 11, 101),
                                  (270, 45, 50, 12, 91)],
    # 60 starts under program 10 (20 comes at 240, while it sounds); 62 starts under 20; channel 1's
    # note starts before its program_change: 0.
    "program_change_while_sounding": [(0, 75, 60, 10, 100), (10, 50, 55, 0, 80), (50, 50, 62, 20, 90)],
    # Channel 3: 7, then 8 at 240 (track 1), 9 at 600; drums 128 whatever program 16; channel 4: 0.
    "program_changes_while_sounding_2": [(0, 100, 60, 7, 100), (0, 10, 36, 128, 110), (50, 75, 62, 8, 101),
                                         (50, 5, 38, 128, 111), (75, 50, 50, 0, 80), (100, 50, 64, 9, 102)],
    # Track 1's note-offs end track 0's channel-0 notes; its channel-1 60 is another note.
    "note_off_in_another_track": [(0, 50, 60, 40, 100), (25, 50, 60, 41, 80), (50, 50, 64, 40, 90)],
    # 64 (from 480) never ends: end_of_track at 1920 = 200 hundredths.
    "end_of_track_delay": [(0, 50, 60, 0, 100), (50, 150, 64, 0, 90), (75, 25, 67, 0, 80)],
    # 60 and 48 never end: the meta-only track ends last, at 2400 = 250 hundredths.
    "end_of_track_delay_later_track": [(0, 250, 60, 3, 100), (25, 25, 62, 3, 90), (50, 200, 48, 0, 70)],
    # 60 never ends: track 1 ends last, at 1440 = 150 hundredths. At 240, track 0's 62 before track 1's 48.
    "open_note_other_track_ends_later": [(0, 150, 60, 3, 100), (25, 25, 62, 3, 90), (25, 125, 48, 20, 70)],
    # 48 (track 1, from 480) never ends: track 0's end_of_track at 2400 = 250 hundredths comes last.
    "open_note_in_later_track": [(0, 50, 60, 7, 100), (50, 200, 48, 30, 70), (75, 25, 50, 30, 71),
                                 (100, 100, 64, 7, 90)],
    # Tick 0: track 0 (67, 60, 64 as written), then track 1 (drum 36, 48 on channel 1, drum 42). Onset 50:
    # track 1's 45 and drum 38 at tick 480, then track 0's 72 at tick 481 (50.1 -> 50; 479 ticks -> 49.9 -> 50).
    "same_instant_order": [(0, 50, 67, 40, 90), (0, 50, 60, 40, 91), (0, 50, 64, 40, 92), (0, 10, 36, 128, 100),
                           (0, 50, 48, 5, 80), (0, 10, 42, 128, 60), (50, 50, 45, 5, 81), (50, 5, 38, 128, 101),
                           (50, 50, 72, 40, 93)],
    # 12 ticks = 1 hundredth. Tick 0: track 1 (72, 55, drums 38, 36), then track 2 (30). Onset 20: track 2's
    # 90 at tick 236 (19.7 -> 20; 244 ticks -> 20.3 -> 20), then tick 240: track 1 (79, 50, the zero-length
    # drum 49), then track 2 (drum 42, 48 ticks = 4).
    "same_instant_order_2": [(0, 20, 72, 70, 90), (0, 40, 55, 70, 91), (0, 10, 38, 128, 100), (0, 10, 36, 128, 101),
                             (0, 40, 30, 12, 80), (20, 20, 90, 12, 81), (20, 20, 79, 70, 92), (20, 20, 50, 70, 93),
                             (20, 0, 49, 128, 102), (20, 4, 42, 128, 103)],
    # The docstring's own example and answer.
    "docstring_example": [(0, 50, 60, 40, 90), (0, 25, 36, 128, 100), (50, 50, 62, 40, 80)],
    # 1 tick = 0.1 hundredth: 7-24 -> onset 0.7 -> 1, duration 1.7 -> 2; 1236-1443 -> 124, 20.7 -> 21.
    "duration_rounded_itself": [(1, 2, 60, 0, 100), (124, 21, 62, 0, 101)],
}
# The companions of the files without notes: the same files with one note.
COMPANIONS = {"no_notes": [(15, 10, 64, 24, 88)],              # 144-240 ticks, program 24
              "no_notes_several_tracks": [(30, 45, 72, 73, 77)]}  # 750000 us a beat: 192-480 ticks


# ------------------------------------------------------------------ the inputs themselves

def test_every_edge_case_has_hand_written_tokens():
    assert set(EDGE_CASES) == set(EXPECTED)


def test_inputs_are_deterministic():
    again = {case.name: midi_files.midi_bytes(case.midi) for case in inputs.edge_case_midis()}
    assert again == {name: midi_files.midi_bytes(case.midi) for name, case in EDGE_CASES.items()}
    assert midi_files.midi_bytes(inputs.drum_groove()) == midi_files.midi_bytes(inputs.drum_groove())
    assert token_inputs.token_edge_cases() == TOKEN_CASES
    assert token_inputs.invalid_token_cases() == INVALID_CASES


def test_case_names_are_unique():
    for names in ([c.name for c in EDGE_CASES.values()] + [c.name for c in inputs.real_music_midis()],
                  [c.name for c in TOKEN_CASES], [c.name for c in INVALID_CASES]):
        assert len(names) == len(set(names))


@pytest.mark.parametrize("case", list(EDGE_CASES.values()) + inputs.real_music_midis(), ids=lambda c: c.name)
def test_midi_inputs_are_tie_free_and_unambiguous(case):
    assert exact_times.near_ties(case.midi) == []
    assert exact_times.ambiguous_program_changes(case.midi) == []
    assert midi_files.midi_bytes(reloaded(case.midi)) == midi_files.midi_bytes(case.midi)


def test_real_music_is_substantial():
    cases = {case.name: case for case in inputs.real_music_midis()}
    assert len(cases) >= 5
    tokens = {name: REFERENCE.midi_to_tokens(case.midi) for name, case in cases.items()}
    assert all(len(t) >= 5 * 150 for t in tokens.values())
    assert {note[3] for note in token_inputs.as_tuples(tokens["mozart_k458_minuet"])} == {40, 41, 42}
    assert 128 in {note[3] for note in token_inputs.as_tuples(tokens["drum_groove"])}
    tempi = {m.tempo for m in cases["joplin_maple_leaf_rag"].midi.merged_track if m.type == "set_tempo"}
    assert len(tempi) >= 2


def test_near_ties_are_found_and_removed():
    # 16th notes at 120 bpm: 12.5 hundredths each, exact ties.
    track = [note_on(0, 60), note_off(120, 60), note_on(120, 62), note_off(240, 62)]
    midi = midi_file(track)
    assert exact_times.near_ties(midi) and not exact_times.is_tie_free(midi)
    fixed, scale = exact_times.without_ties(midi)
    assert scale > 1 and exact_times.is_tie_free(fixed)
    assert [m.tempo for m in fixed.merged_track if m.type == "set_tempo"] == [round(500000 * scale)]
    # A near-tie, not an exact one: 0.0005 hundredths from 12.5.
    midi = midi_file([set_tempo(0, 1_000_040), note_on(0, 60), note_off(125, 60)], ticks_per_beat=1000)
    assert Fraction(125 * 1_000_040, 1000 * 10_000) - Fraction(25, 2) == Fraction(1, 2000)
    assert exact_times.near_ties(midi) and exact_times.is_tie_free(midi, margin=Fraction(1, 10_000))


def test_the_ambiguity_check_finds_a_late_program_change():
    midi = midi_file([note_on(0, 60), program_change(0, 5), note_off(96, 60)])
    assert exact_times.ambiguous_program_changes(midi)


def test_invalid_cases_name_a_real_index():
    for case in INVALID_CASES:
        assert 0 <= case.bad_index < len(case.tokens), case.name


def test_helpers():
    assert token_inputs.named_token_index("token 7 (the note of tuple 1): 130 is outside 0-127") == 7
    assert token_inputs.named_token_index("bad tokens") is None
    assert token_inputs.note_multiset([1, 2, 3, 4, 5, 1, 2, 3, 4, 5]) == Counter({(1, 2, 3, 4, 5): 2})


def ends_in_order(tokens) -> bool:
    """The round-trip condition: overlapping notes of one instrument and pitch end in start order."""
    notes = token_inputs.as_tuples(tokens)
    for a in notes:
        for b in notes:
            if a[2:4] == b[2:4] and a[0] < b[0] and a[0] + a[1] > b[0] + b[1]:
                return False
    return True


@settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(st.one_of(strategies.valid_token_lists(), strategies.crowded_token_lists()))
def test_generated_token_lists_are_valid(tokens):
    assert len(tokens) % 5 == 0 and ends_in_order(tokens)
    notes = token_inputs.as_tuples(tokens)
    assert all(n[0] >= 0 and n[1] >= 0 and 0 <= n[2] <= 127 and 0 <= n[3] <= 128 and 1 <= n[4] <= 127
               for n in notes)
    assert len({n[3] for n in notes} - {128}) <= 15


# ------------------------------------------------------------------ midi_to_tokens

@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_edge_case_tokens(implementation, name):
    got = implementation.midi_to_tokens(EDGE_CASES[name].midi)
    assert all(type(value) is int for value in got)
    assert token_inputs.as_tuples(got) == EXPECTED[name]   # in order: at one instant, that of the merged messages


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
def test_docstring_example(implementation):
    track = mido.MidiTrack([
        mido.Message("program_change", channel=0, program=40, time=0),
        mido.Message("note_on", channel=0, note=60, velocity=90, time=0),
        mido.Message("note_on", channel=9, note=36, velocity=100, time=0),
        mido.Message("note_on", channel=9, note=36, velocity=0, time=240),
        mido.Message("note_off", channel=0, note=60, velocity=0, time=240),
        mido.Message("note_on", channel=0, note=62, velocity=80, time=0),
        mido.MetaMessage("end_of_track", time=480)])
    midi = reloaded(mido.MidiFile(type=0, ticks_per_beat=480, tracks=[track]))
    assert implementation.midi_to_tokens(midi) == [0, 50, 60, 40, 90, 0, 25, 36, 128, 100, 50, 50, 62, 40, 80]


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@pytest.mark.parametrize("case", inputs.no_notes_midis(), ids=lambda c: c.name)
def test_files_without_notes_and_their_companions(implementation, case):
    assert implementation.midi_to_tokens(case.midi) == []
    assert token_inputs.as_tuples(implementation.midi_to_tokens(case.companion)) == COMPANIONS[case.name]
    for midi in (case.midi, case.companion):
        assert exact_times.is_tie_free(midi) and not exact_times.ambiguous_program_changes(midi)


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@pytest.mark.parametrize("case", inputs.type_2_midis(), ids=lambda c: c.name)
def test_type_2_files_are_refused_and_their_type_1_companions_read(implementation, case):
    assert case.midi.type == 2 and case.companion.type == 1 and case.raises == "TypeError"
    assert [list(t) for t in case.midi.tracks] == [list(t) for t in case.companion.tracks]
    with pytest.raises(TypeError):
        implementation.midi_to_tokens(case.midi)
    assert implementation.midi_to_tokens(case.companion)
    if case.name == "type_2_refused":
        assert token_inputs.as_tuples(implementation.midi_to_tokens(case.companion)) == EXPECTED["docstring_example"]


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
def test_no_notes_and_type_2(implementation):
    empty = reloaded(mido.MidiFile(type=1, tracks=[mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=400000)])]))
    assert implementation.midi_to_tokens(empty) == []
    assert implementation.midi_to_tokens(mido.MidiFile()) == []
    with pytest.raises(TypeError):
        implementation.midi_to_tokens(mido.MidiFile(type=2, tracks=[mido.MidiTrack()]))


@pytest.mark.parametrize("case", inputs.real_music_midis(), ids=lambda c: c.name)
def test_implementations_agree_on_real_music(case):
    reference = REFERENCE.midi_to_tokens(case.midi)
    assert ALTERNATIVE.midi_to_tokens(case.midi) == reference
    assert -1 not in reference and len(reference) % 5 == 0
    onsets = [note[0] for note in token_inputs.as_tuples(reference)]
    assert onsets == sorted(onsets)


# ------------------------------------------------------------------ tokens_to_midi

def check_structure(midi: mido.MidiFile, tokens, bpm: int) -> None:
    """What the spec fixes about the file, whatever the implementation: one track per instrument
    (one track for no tokens), each starting with its program_change, the first then with the one
    set_tempo, at time 0; no other meta message than each track's end_of_track."""
    ticks_per_beat = round(6000 / bpm)
    assert midi.type == 1 and midi.ticks_per_beat == ticks_per_beat
    tempo = mido.MetaMessage("set_tempo", tempo=ticks_per_beat * 10_000, time=0)
    notes = token_inputs.as_tuples(tokens)
    order = list(dict.fromkeys(note[3] for note in notes))
    tracks = list(midi.tracks)
    assert [m.type for m in tracks[0][:-1] if m.is_meta] == ["set_tempo"]
    assert all(m.type == "end_of_track" for track in tracks[1:] for m in track if m.is_meta)
    assert all(track[-1].type == "end_of_track" for track in tracks)
    if not order:
        assert len(tracks) == 1 and list(tracks[0][:-1]) == [tempo]
        return
    assert len(tracks) == len(order) and tracks[0][1] == tempo
    channels = []
    for track, instrument in zip(tracks, order):
        first = track[0]
        assert first.type == "program_change" and first.time == 0
        assert first.program == (0 if instrument == 128 else instrument)
        used = {m.channel for m in track if not m.is_meta}
        assert len(used) == 1
        channels.append(used.pop())
        assert (channels[-1] == 9) == (instrument == 128)
    assert len(set(channels)) == len(channels)


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@pytest.mark.parametrize("case", TOKEN_CASES, ids=lambda c: c.name)
def test_token_edge_cases(implementation, case):
    midi = implementation.tokens_to_midi(list(case.tokens), bpm=case.bpm)
    assert isinstance(midi, mido.MidiFile)
    midi = reloaded(midi)
    check_structure(midi, case.tokens, case.bpm)
    for reader in (REFERENCE, ALTERNATIVE):
        assert token_inputs.note_multiset(reader.midi_to_tokens(midi)) == case.expected_notes
    if not case.tokens:   # one track holding only the set_tempo; graded beside a companion with notes
        assert len(midi.tracks) == 1 and all(m.is_meta for m in midi.tracks[0])
        assert case.companion
        back = REFERENCE.midi_to_tokens(reloaded(implementation.tokens_to_midi(list(case.companion), bpm=case.bpm)))
        assert token_inputs.note_multiset(back) == token_inputs.note_multiset(case.companion)


def test_the_bpm_cases_cover_rounding_of_halves():
    halves = {case.bpm: round(6000 / case.bpm) for case in TOKEN_CASES
              if case.name.startswith("bpm_") and (6000 / case.bpm) % 1 == 0.5}
    assert halves == {96: 62, 160: 38, 32: 188, 480: 12, 2400: 2}   # to the even neighbour, up or down


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@pytest.mark.parametrize("case", token_inputs.bad_bpm_cases(), ids=lambda c: c.name)
def test_bad_bpm_and_its_valid_companion(implementation, case):
    assert not 1 <= (round(6000 / case.bpm) if case.bpm else 0) <= 1677
    assert 1 <= round(6000 / case.companion_bpm) <= 1677
    with pytest.raises(ValueError):
        implementation.tokens_to_midi(list(case.tokens), bpm=case.bpm)
    midi = reloaded(implementation.tokens_to_midi(list(case.tokens), bpm=case.companion_bpm))
    check_structure(midi, case.tokens, case.companion_bpm)


def test_silent_instruments_keep_their_tracks():
    case = next(c for c in TOKEN_CASES if c.name == "silent_instrument")
    midi = reloaded(REFERENCE.tokens_to_midi(list(case.tokens)))
    assert [[m.type for m in track] for track in midi.tracks][1] == ["program_change", "end_of_track"]
    assert [m.program for m in midi.tracks[1] if m.type == "program_change"] == [40]


def test_sequences_cross_what_state_would_break():
    """Each sequence of calls in one worker needs more than 15 melodic channels in all, reads a file
    without program changes after one with them, and comes back to an earlier call."""
    for case in token_inputs.sequence_cases():
        names = [step.name for step in case.steps]
        assert len(set(names)) < len(names), case.name   # a call repeated
        melodic = set()
        for step in case.steps:
            if step.midi is None:
                melodic |= {(step.name, n[3]) for n in token_inputs.as_tuples(step.tokens) if n[3] != 128}
        counts = Counter(name for name, _ in melodic)
        assert sum(counts.values()) > 15, case.name
        programs = [bool([m for m in s.midi.merged_track if m.type == "program_change"])
                    for s in case.steps if s.midi is not None]
        assert True in programs and False in programs[programs.index(True):], case.name


def test_reference_docstring_example_file():
    midi = REFERENCE.tokens_to_midi([0, 50, 60, 40, 90, 50, 50, 60, 40, 80, 25, 0, 36, 128, 100])
    described = [[(m.type, getattr(m, "channel", None), getattr(m, "note", None), getattr(m, "velocity", None),
                   m.time) for m in track] for track in midi.tracks]
    assert midi.ticks_per_beat == 50
    assert midi.tracks[0][1] == mido.MetaMessage("set_tempo", tempo=500000)
    assert described == [
        [("program_change", 0, None, None, 0), ("set_tempo", None, None, None, 0),
         ("note_on", 0, 60, 90, 0), ("note_off", 0, 60, 0, 50), ("note_on", 0, 60, 80, 0),
         ("note_off", 0, 60, 0, 50), ("end_of_track", None, None, None, 0)],
        [("program_change", 9, None, None, 0), ("note_on", 9, 36, 100, 25), ("note_off", 9, 36, 0, 0),
         ("end_of_track", None, None, None, 0)]]


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
def test_order_at_one_tick(implementation):
    # Pitch 60: a note ending at 10, one starting at 10 (given first, longer), a zero-length one at 10.
    tokens = [10, 30, 60, 0, 90, 0, 10, 60, 0, 80, 10, 0, 60, 0, 100]
    track = reloaded(implementation.tokens_to_midi(tokens)).tracks[0]
    at_ten, tick = [], 0
    for message in track:
        tick += message.time
        if tick == 10 and message.type in ("note_on", "note_off"):
            off = message.type == "note_off" or message.velocity == 0
            at_ten.append("off" if off else ("on", message.velocity))
    assert at_ten == ["off", ("on", 100), ("on", 90), "off"]


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@pytest.mark.parametrize("case", INVALID_CASES, ids=lambda c: c.name)
def test_invalid_tokens(implementation, case):
    with pytest.raises(ValueError) as error:
        implementation.tokens_to_midi(list(case.tokens), bpm=case.bpm)
    assert token_inputs.named_token_index(str(error.value)) == case.bad_index, str(error.value)


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
def test_non_integers_and_bad_bpm(implementation):
    for tokens, index in (([0, 50, 60.0, 0, 100], 2), ([0, 50, 60, 0, 100, "1", 2, 3, 4, 5], 5),
                          ([0, 50, 60, 0, None], 4)):
        with pytest.raises(ValueError) as error:
            implementation.tokens_to_midi(tokens)
        assert token_inputs.named_token_index(str(error.value)) == index
    for bpm in (0, -120, 20_000, 3):
        with pytest.raises(ValueError):
            implementation.tokens_to_midi([0, 50, 60, 0, 100], bpm=bpm)
    assert reloaded(implementation.tokens_to_midi([0, 50, 60, 0, 100], bpm=4)).ticks_per_beat == 1500


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@settings(max_examples=250, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(tokens=st.one_of(strategies.valid_token_lists(), strategies.crowded_token_lists()),
       bpm=st.one_of(st.just(120), strategies.valid_bpms()))
def test_round_trip(implementation, tokens, bpm):
    midi = reloaded(implementation.tokens_to_midi(tokens, bpm=bpm))
    check_structure(midi, tokens, bpm)
    for reader in (REFERENCE, ALTERNATIVE):
        assert token_inputs.note_multiset(reader.midi_to_tokens(midi)) == token_inputs.note_multiset(tokens)


@settings(max_examples=150, derandomize=True, database=None, deadline=None)
@given(strategies.valid_token_lists())
def test_midi_tokens_midi_is_stable(tokens):
    """Tokens read from any file written from tokens are written and read back unchanged."""
    once = REFERENCE.midi_to_tokens(reloaded(ALTERNATIVE.tokens_to_midi(tokens)))
    twice = ALTERNATIVE.midi_to_tokens(reloaded(REFERENCE.tokens_to_midi(once)))
    assert token_inputs.note_multiset(twice) == token_inputs.note_multiset(once) == token_inputs.note_multiset(tokens)


# ------------------------------------------------------------------ the stub

def _functions(path: Path) -> dict[str, ast.FunctionDef]:
    tree = ast.parse(path.read_text())
    return {node.name: node for node in tree.body
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_")}


def test_stub_matches_reference():
    stub_path = ROOT / "assignments" / "midi_tokens.py"
    stub, reference = _functions(stub_path), _functions(ROOT / "solutions" / "midi_tokens.py")
    assert set(stub) == set(reference) == {"midi_to_tokens", "tokens_to_midi"}
    for name in stub:
        assert ast.get_docstring(stub[name], clean=False) == ast.get_docstring(reference[name], clean=False)
        assert ast.unparse(stub[name].args) == ast.unparse(reference[name].args)
        assert ast.unparse(stub[name].returns) == ast.unparse(reference[name].returns)
    module = _load("midi_tokens_stub", stub_path)
    assert module.TIME_RESOLUTION == REFERENCE.TIME_RESOLUTION == 100
    with pytest.raises(NotImplementedError):
        module.midi_to_tokens(mido.MidiFile())
    with pytest.raises(NotImplementedError):
        module.tokens_to_midi([])
    assert "autograder check midi_tokens" in ast.get_docstring(ast.parse(stub_path.read_text()))


def test_reference_imports_nothing_from_the_autograder():
    tree = ast.parse((ROOT / "solutions" / "midi_tokens.py").read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert imported <= {"__future__", "numbers", "collections", "typing", "mido", "numpy"}
