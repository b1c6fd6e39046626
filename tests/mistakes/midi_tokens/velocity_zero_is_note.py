"""MISTAKE: A note_on of velocity 0 starts a note (only note_off messages end notes). (from correct_1_iter.py)

(One change to my correct file; the rest is unchanged.)
"""
# loses: test_midi_to_tokens[velocity_zero_note_off], test_midi_to_tokens[no_notes], test_midi_to_tokens[repeated_notes]
from __future__ import annotations

import numbers
from collections import deque
from typing import Sequence

import mido

TIME_RESOLUTION = 100  # ticks per second, in tokens and in the MIDI files you write

DRUMS = 128
DRUM_CHANNEL = 9
MELODIC_CHANNELS = [c for c in range(16) if c != DRUM_CHANNEL]
FIELDS = ("onset", "duration", "note", "instrument", "velocity")


def midi_to_tokens(midi: mido.MidiFile) -> list[int]:
    if midi.type == 2:
        raise TypeError("can't merge tracks in type 2 (asynchronous) file")
    programs = [0] * 16
    sounding: dict[tuple[int, int], deque] = {}
    notes: list[list] = []          # [t_on, t_off or None, pitch, instrument, velocity]
    now = 0.0
    for msg in midi:
        now += msg.time
        if msg.type == "program_change":
            programs[msg.channel] = msg.program
        elif msg.type == "note_on":
            instrument = DRUMS if msg.channel == DRUM_CHANNEL else programs[msg.channel]
            note = [now, None, msg.note, instrument, msg.velocity]
            notes.append(note)
            sounding.setdefault((msg.channel, msg.note), deque()).append(note)
        elif msg.type == "note_off":
            queue = sounding.get((msg.channel, msg.note))
            if queue:
                queue.popleft()[1] = now
    end = now   # the last message, end_of_track included
    tokens: list[int] = []
    for t_on, t_off, pitch, instrument, velocity in notes:
        if t_off is None:
            t_off = end
        tokens += [round(TIME_RESOLUTION * t_on), round(TIME_RESOLUTION * (t_off - t_on)),
                   int(pitch), int(instrument), int(velocity)]
    return tokens


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _validate(tokens: Sequence[int]) -> list[tuple[int, int, int, int, int]]:
    complete = len(tokens) - len(tokens) % 5
    melodic: set[int] = set()
    notes = []
    for start in range(0, complete, 5):
        for offset in range(5):
            index = start + offset
            value = tokens[index]
            where = f"token {index} (the {FIELDS[offset]} of tuple {start // 5})"
            if not _is_int(value):
                raise ValueError(f"{where}: {value!r} is not an integer")
            if offset in (0, 1) and value < 0:
                raise ValueError(f"{where}: {value} is negative")
            if offset in (2, 4) and not 0 <= value <= 127:
                raise ValueError(f"{where}: {value} is outside 0-127")
            if offset == 3:
                if not 0 <= value <= 128:
                    raise ValueError(f"{where}: {value} is outside 0-128")
                if value != DRUMS and value not in melodic:
                    if len(melodic) == len(MELODIC_CHANNELS):
                        raise ValueError(f"{where}: {value} would be a 16th melodic instrument "
                                         f"(only 15 channels are melodic)")
                    melodic.add(value)
        notes.append(tuple(int(v) for v in tokens[start:start + 5]))
    if complete != len(tokens):
        raise ValueError(f"token {complete}: it starts an incomplete tuple "
                         f"(len(tokens) = {len(tokens)} is not a multiple of 5)")
    return notes


def _ticks_per_beat(bpm) -> int:
    try:
        tpb = round(6000 / bpm)
    except (ZeroDivisionError, OverflowError, ValueError, TypeError):
        raise ValueError(f"bpm={bpm!r}: round(6000 / bpm) must be 1 to 1677") from None
    if not 1 <= tpb <= 1677:
        raise ValueError(f"bpm={bpm!r}: round(6000 / bpm) = {tpb} is outside 1-1677")
    return tpb


def tokens_to_midi(tokens: Sequence[int], bpm: int = 120) -> mido.MidiFile:
    notes = _validate(tokens)
    tpb = _ticks_per_beat(bpm)
    midi = mido.MidiFile(type=1, ticks_per_beat=tpb)
    tempo = mido.MetaMessage("set_tempo", tempo=tpb * 10000, time=0)

    order: list[int] = []           # instruments in order of first appearance
    for note in notes:
        if note[3] not in order:
            order.append(note[3])
    if not order:
        midi.tracks.append(mido.MidiTrack([tempo, mido.MetaMessage("end_of_track", time=0)]))
        return midi

    channels: dict[int, int] = {}
    free = iter(MELODIC_CHANNELS)
    for instrument in order:
        channels[instrument] = DRUM_CHANNEL if instrument == DRUMS else next(free)

    for number, instrument in enumerate(order):
        channel = channels[instrument]
        track = mido.MidiTrack()
        track.append(mido.Message("program_change", channel=channel,
                                  program=0 if instrument == DRUMS else instrument, time=0))
        if number == 0:
            track.append(tempo)
        events = []   # (tick, phase, key, message type, pitch, velocity)
        for onset, duration, pitch, inst, velocity in notes:
            if inst != instrument or velocity == 0:
                continue
            events.append((onset, 1, duration, "note_on", pitch, velocity))
            events.append((onset + duration, 0 if duration > 0 else 2, 0, "note_off", pitch, 0))
        events.sort(key=lambda e: e[:3])
        tick = 0
        for when, _, _, kind, pitch, velocity in events:
            track.append(mido.Message(kind, channel=channel, note=pitch, velocity=velocity, time=when - tick))
            tick = when
        track.append(mido.MetaMessage("end_of_track", time=0))
        midi.tracks.append(track)
    return midi
