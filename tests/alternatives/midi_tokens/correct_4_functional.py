"""Hands-on 2: MIDI as tokens (correct 4: compact, functional).

Style: midi_to_tokens takes ``list(midi)`` once, gets absolute seconds with
``itertools.accumulate``, pairs note-offs with a dict of FIFO lists, and formats the
result with one comprehension. tokens_to_midi turns each note into two keyed events
and each track into one sorted comprehension. Channels: in order of first
appearance, 0..8, 10..15; note-offs are ``note_on`` of velocity 0; inside one phase
events are sorted by pitch (the docstring leaves that open).
"""
from __future__ import annotations

from itertools import accumulate
from typing import Sequence

import mido

TIME_RESOLUTION = 100  # ticks per second, in tokens and in the MIDI files you write


def midi_to_tokens(midi: mido.MidiFile) -> list[int]:
    messages = list(midi)                 # raises TypeError for type 2 files, as mido does
    times = list(accumulate(m.time for m in messages))
    end = times[-1] if times else 0.0
    program, open_notes, notes = {}, {}, []
    for t, m in zip(times, messages):
        if m.type == "program_change":
            program[m.channel] = m.program
        elif m.type == "note_on" and m.velocity:
            notes.append([t, None, m.note, 128 if m.channel == 9 else program.get(m.channel, 0), m.velocity])
            open_notes.setdefault((m.channel, m.note), []).append(notes[-1])
        elif m.type in ("note_on", "note_off") and open_notes.get((m.channel, m.note)):
            open_notes[m.channel, m.note].pop(0)[1] = t
    return [int(v) for on, off, p, i, v in notes
            for v in (round(100 * on), round(100 * ((end if off is None else off) - on)), p, i, v)]


_RANGES = ((0, float("inf"), "negative"), (0, float("inf"), "negative"), (0, 127, "outside 0-127"),
           (0, 128, "outside 0-128"), (0, 127, "outside 0-127"))


def _first_problem(tokens):
    """(index, why) of the first bad token, or None."""
    melodic = set()
    whole = len(tokens) // 5 * 5
    for i in range(whole):
        v, (low, high, why) = tokens[i], _RANGES[i % 5]
        if not (isinstance(v, int) or type(v).__module__ == "numpy" and hasattr(v, "__index__")) \
                or isinstance(v, bool):
            return i, f"{v!r} is not an integer"
        if not low <= v <= high:
            return i, f"{v} is {why}"
        if i % 5 == 3 and v != 128:
            if v not in melodic and len(melodic) == 15:
                return i, f"{v} brings a 16th melodic instrument (only 15 channels are melodic)"
            melodic.add(v)
    if whole < len(tokens):
        return whole, "the last tuple is incomplete"
    return None


def tokens_to_midi(tokens: Sequence[int], bpm: int = 120) -> mido.MidiFile:
    tokens = list(tokens)
    problem = _first_problem(tokens)
    if problem:
        i, why = problem
        raise ValueError(f"token {i} (the {['onset', 'duration', 'note', 'instrument', 'velocity'][i % 5]} "
                         f"of tuple {i // 5}): {why}")
    tpb = round(6000 / bpm) if bpm else 0
    if not 1 <= tpb <= 1677:
        raise ValueError(f"bpm {bpm}: ticks_per_beat round(6000 / bpm) must be 1 to 1677")

    notes = [tuple(map(int, tokens[i:i + 5])) for i in range(0, len(tokens), 5)]
    instruments = list(dict.fromkeys(n[3] for n in notes))
    melodic = [i for i in instruments if i != 128]
    channel = {i: (9 if i == 128 else [c for c in range(16) if c != 9][melodic.index(i)]) for i in instruments}

    def events(inst):
        ch = channel[inst]
        keyed = [((on, 1, dur, p), ("note_on", p, v)) for on, dur, p, i, v in notes if i == inst and v] + \
                [((on + dur, 0 if dur else 2, 0, p), ("note_on", p, 0)) for on, dur, p, i, v in notes if i == inst and v]
        ticks = [0] + [k[0] for k, _ in sorted(keyed)]
        return [mido.Message(kind, channel=ch, note=p, velocity=v, time=ticks[n + 1] - ticks[n])
                for n, (_, (kind, p, v)) in enumerate(sorted(keyed))]

    tempo = [mido.MetaMessage("set_tempo", tempo=tpb * 10000, time=0)]
    midi = mido.MidiFile(type=1, ticks_per_beat=tpb)
    midi.tracks = [mido.MidiTrack(
        [mido.Message("program_change", channel=channel[inst], program=inst % 128)]
        + (tempo if n == 0 else []) + events(inst) + [mido.MetaMessage("end_of_track", time=0)])
        for n, inst in enumerate(instruments)] or [mido.MidiTrack(tempo)]
    return midi
