"""How Hands-on 2's fixtures are made: inputs from ``inputs.py``, expected values
from the reference. Run by ``autograder fixtures regen``.

Which inputs are public (students see them and their expected tokens) and which
are hidden is decided here, in one place.
"""
from __future__ import annotations

from fractions import Fraction

from ...engine.fixtures import require
from . import inputs

PUBLIC_MIDI = ("velocity_zero_note_off", "oldest_closed_first", "stray_note_offs", "open_at_end",
               "drums_channel_10", "bach_bwv66_6")
PUBLIC_TOKENS = ("repeated_note", "drums", "bpm_90")
PUBLIC_INVALID = ("length_not_multiple_of_5", "note_128", "negative_duration", "sixteen_melodic")
# The spec leaves open what a note of velocity 0 becomes in a file: not graded.
UNGRADED_TOKENS = ("silent_note",)

# What each purpose-built file is about, said to the student when their tokens differ.
HINTS = {
    "velocity_zero_note_off": "a note_on with velocity 0 is a note-off.",
    "oldest_closed_first": "when several notes of one channel and pitch are sounding, a note-off ends "
                           "the one that began first (the oldest).",
    "stray_note_offs": "a note-off with no sounding note of its channel and pitch is ignored.",
    "open_at_end": "a note still sounding at the end of the file ends at the file's last event "
                   "(the last message, end_of_track included: midi.length seconds).",
    "drums_channel_10": "notes on channel 10 (msg.channel == 9) are drums: instrument 128.",
    "program_changes_mid_file": "a note's instrument is the program of its channel at its onset; "
                                "a later program_change does not change it.",
    "several_tracks": "all tracks are merged in time (iterate the MidiFile itself, not one track).",
    "tempo_changes": "every set_tempo applies from its time on, whichever track holds it.",
    "not_120_bpm": "times come from the file's tempo and ticks per beat (msg.time in seconds when "
                   "iterating the MidiFile).",
    "repeated_notes": "when a note ends and the same pitch starts again at one tick, the note-off "
                      "ends the older note whatever the order of the two messages.",
    "zero_length_notes": "a note-on and its note-off at the same instant make a note of duration 0, "
                         "which is kept.",
    "duration_not_end_rounded": "duration is round(100 * (t_off - t_on)), not "
                                "round(100 * t_off) - round(100 * t_on).",
    "everything": "this file mixes every edge case; check each rule of the docstring.",
}


def _exact_times(midi) -> list:
    """Each note's exact onset and offset in hundredths of a second, keyed by the
    note's expected tokens; lets the grader recognise rounding mistakes."""
    events, last_tick = inputs._merged_events(midi)
    spans = inputs._note_spans(events, last_tick)
    denominator = Fraction(midi.ticks_per_beat * 10_000)
    return [[float(start / denominator), float(end / denominator)] for start, end in spans]


def build(public, hidden, reference) -> None:
    midis = inputs.edge_case_midis() + inputs.real_music_midis()
    for case in midis:
        require(inputs.is_tie_free(case.midi), case.name, "a note time is within 1e-3 hundredth of a second of "
                "k + 0.5: its rounding would be ambiguous")   # exact arithmetic (Fractions): the same everywhere
        require(not inputs.ambiguous_program_changes(case.midi), case.name,
                "a program_change and a note-on of its channel share a tick: the instrument would be ambiguous")
        writer = public if case.name in PUBLIC_MIDI else hidden
        tokens = reference.midi_to_tokens(case.midi)
        fields = {"description": case.description, "midi": writer.add_bytes(f"{case.name}.mid",
                                                                              inputs.midi_bytes(case.midi)),
                  "expected": writer.add_json(f"{case.name}.tokens.json", tokens)}
        if case.name in HINTS:
            fields["mistake_hint"] = HINTS[case.name]
            notes = inputs.as_tuples(tokens)
            times = _exact_times(case.midi)
            if len(times) == len(notes):
                fields["exact_times"] = [[list(n), t] for n, t in zip(notes, times)]
        writer.add_case("midi_to_tokens", case.name, **fields)

    for case in inputs.token_edge_cases():
        if case.name in UNGRADED_TOKENS:
            continue
        writer = public if case.name in PUBLIC_TOKENS else hidden
        midi = reference.tokens_to_midi(list(case.tokens), bpm=case.bpm)
        writer.add_case("tokens_to_midi", case.name, description=case.description, bpm=case.bpm,
                        tokens=writer.add_json(f"{case.name}.in.json", list(case.tokens)),
                        expected_midi=writer.add_bytes(f"{case.name}.expected.mid", inputs.midi_bytes(midi)))

    for case in inputs.invalid_token_cases():
        writer = public if case.name in PUBLIC_INVALID else hidden
        writer.add_case("invalid", case.name, why=case.description, tokens=list(case.tokens),
                        bpm=case.bpm, bad_index=case.bad_index)
