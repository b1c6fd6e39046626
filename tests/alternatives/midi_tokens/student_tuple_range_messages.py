"""MIDI tokens, written from the docstrings alone (red-team round 2026-12-07). tokens_to_midi in another
style: every event of a track as (absolute tick, rank, ...) sorted once, then turned into delta times;
note-offs written as note_on of velocity 0 (the docstring allows it); melodic channels handed out from
the top (15, 14, ..., 10, 8, ..., 0: "any other one-channel-per-instrument choice would do as well");
at one tick, note-ons of equal duration by descending pitch (an order the docstring leaves free). The
ValueError messages name the bad token as "token <index>" and, to locate it, its note (counted from 1)
and that note's token range ("tokens 5-9"): one public case refused it (the range read as other
indices) until a message whose only "token <index>" is the right one was taken as pointing at it."""
from __future__ import annotations

import numbers
from collections import defaultdict, deque
from typing import Sequence

import mido

TIME_RESOLUTION = 100  # ticks per second, in tokens and in the MIDI files you write

DRUMS = 128
FIELD_NAMES = ("onset", "duration", "note", "instrument", "velocity")
MELODIC_CHANNELS = [c for c in range(15, -1, -1) if c != 9]


def midi_to_tokens(midi: mido.MidiFile) -> list[int]:
    programs = defaultdict(int)        # channel -> current program
    sounding = defaultdict(deque)      # (channel, pitch) -> indices of notes still sounding, oldest first
    notes: list[list] = []             # [t_on, t_off or None, pitch, instrument, velocity]
    now = 0.0
    for message in midi:               # TypeError for type 2, as mido does
        now += message.time
        kind = message.type
        if kind == "program_change":
            programs[message.channel] = message.program
        elif kind == "note_on" and message.velocity > 0:
            instrument = DRUMS if message.channel == 9 else programs[message.channel]
            sounding[message.channel, message.note].append(len(notes))
            notes.append([now, None, message.note, instrument, message.velocity])
        elif kind in ("note_on", "note_off"):
            waiting = sounding[message.channel, message.note]
            if waiting:
                notes[waiting.popleft()][1] = now
    tokens: list[int] = []
    for t_on, t_off, pitch, instrument, velocity in notes:
        end = now if t_off is None else t_off
        tokens += [int(round(TIME_RESOLUTION * t_on)), int(round(TIME_RESOLUTION * (end - t_on))),
                   int(pitch), int(instrument), int(velocity)]
    return tokens


def _refuse(index: int, value, rule: str) -> ValueError:
    first = index - index % 5
    return ValueError(f"token {index} is invalid ({FIELD_NAMES[index % 5]} of note #{index // 5 + 1}, "
                      f"tokens {first}-{first + 4}): {value!r} {rule}")


def _checked_notes(tokens: Sequence[int]) -> list[tuple[int, ...]]:
    complete = len(tokens) - len(tokens) % 5
    channels_needed: list[int] = []
    for index in range(complete):
        value = tokens[index]
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise _refuse(index, value, "is not an integer")
        field = index % 5
        if field in (0, 1) and value < 0:
            raise _refuse(index, value, "is negative")
        if field in (2, 4) and not 0 <= value <= 127:
            raise _refuse(index, value, "is outside 0-127")
        if field == 3:
            if not 0 <= value <= DRUMS:
                raise _refuse(index, value, "is outside 0-128")
            if value != DRUMS and value not in channels_needed:
                if len(channels_needed) == len(MELODIC_CHANNELS):
                    raise _refuse(index, value, "would be a 16th melodic instrument")
                channels_needed.append(value)
    if complete != len(tokens):
        raise ValueError(f"the token list has {len(tokens)} entries, not a multiple of five: the last note, "
                         f"from token {complete} on, is incomplete")
    return [tuple(int(v) for v in tokens[i:i + 5]) for i in range(0, complete, 5)]


def tokens_to_midi(tokens: Sequence[int], bpm: int = 120) -> mido.MidiFile:
    ticks_per_beat = round(6000 / bpm) if bpm > 0 else 0   # bpm 0 or less: no tempo at all
    if not 1 <= ticks_per_beat <= 1677:
        raise ValueError(f"bpm={bpm} gives {ticks_per_beat} ticks per beat; it must be 1 to 1677")
    notes = _checked_notes(tokens)
    midi = mido.MidiFile(type=1, ticks_per_beat=ticks_per_beat)
    instruments = list(dict.fromkeys(note[3] for note in notes))
    melodic = iter(MELODIC_CHANNELS)
    channel_of = {i: 9 if i == DRUMS else next(melodic) for i in instruments}
    tempo = mido.MetaMessage("set_tempo", tempo=ticks_per_beat * 10_000, time=0)
    if not instruments:
        midi.tracks.append(mido.MidiTrack([tempo, mido.MetaMessage("end_of_track", time=0)]))
        return midi
    for number, instrument in enumerate(instruments):
        channel = channel_of[instrument]
        head = [mido.Message("program_change", channel=channel, program=0 if instrument == DRUMS else instrument,
                             time=0)]
        if number == 0:
            head.append(tempo)
        # (tick, rank, key, message): rank 0 note-offs of earlier notes, 1 note-ons, 2 note-offs of length 0
        events = []
        for onset, duration, pitch, inst, velocity in notes:
            if inst != instrument or velocity == 0:
                continue
            events.append((onset, 1, (duration, -pitch), mido.Message("note_on", channel=channel, note=pitch,
                                                                       velocity=velocity)))
            off = mido.Message("note_on", channel=channel, note=pitch, velocity=0)
            events.append((onset + duration, 0 if duration else 2, (0, 0), off))
        events.sort(key=lambda event: event[:3])
        track = mido.MidiTrack(head)
        previous = 0
        for tick, _, _, message in events:
            track.append(message.copy(time=tick - previous))
            previous = tick
        track.append(mido.MetaMessage("end_of_track", time=0))
        midi.tracks.append(track)
    return midi
