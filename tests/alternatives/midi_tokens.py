"""Hands-on 2, a second correct solution, written unlike the reference.

It exists to keep the graders honest: everything the spec leaves free is done
differently here, and the graders must still give it full marks.

- midi_to_tokens never iterates ``for msg in midi``: it merges the tracks
  itself over absolute ticks and applies its own tempo map in exact
  ``Fraction`` arithmetic;
- note-offs are ``note_on`` messages of velocity 0;
- melodic instruments take the channels from 15 down (15, 14, ..., 10, 8, ..., 0);
- simultaneous note-ons are ordered by duration, then by falling pitch;
- the ``set_tempo`` is inserted into the first track once every track is written,
  and no ``end_of_track`` is written (mido adds it on saving);
- invalid tokens are found by one scan over the flat list.
"""
from __future__ import annotations

import bisect
import operator
from fractions import Fraction
from typing import Sequence

import mido

TIME_RESOLUTION = 100

_DEFAULT_TEMPO = 500_000
_NAMES = ("onset", "duration", "note", "instrument", "velocity")


def _merged(midi: mido.MidiFile) -> tuple[list[tuple[int, mido.Message]], int]:
    """(absolute tick, message) in playing order, and the tick of the last event."""
    if midi.type == 2:
        raise TypeError("type 2 MIDI files have no common time line")
    stamped, last_tick = [], 0
    for track_number, track in enumerate(midi.tracks):
        tick = 0
        for position, message in enumerate(track):
            tick += message.time
            stamped.append(((tick, track_number, position), message))
        last_tick = max(last_tick, tick)
    stamped.sort(key=lambda item: item[0])
    return [(key[0], message) for key, message in stamped], last_tick


class _TempoMap:
    """Seconds at any tick, exactly."""

    def __init__(self, events: list[tuple[int, mido.Message]], ticks_per_beat: int):
        self.per_tick = Fraction(1, ticks_per_beat * 1_000_000)   # seconds per (tick * microsecond)
        self.ticks, self.starts, self.tempi = [0], [Fraction(0)], [_DEFAULT_TEMPO]
        for tick, message in events:
            if message.type == "set_tempo":
                self.starts.append(self.seconds(tick))
                self.ticks.append(tick)
                self.tempi.append(message.tempo)

    def seconds(self, tick: int) -> Fraction:
        k = bisect.bisect_right(self.ticks, tick) - 1
        return self.starts[k] + (tick - self.ticks[k]) * self.tempi[k] * self.per_tick


def midi_to_tokens(midi: mido.MidiFile) -> list[int]:
    events, last_tick = _merged(midi)
    clock = _TempoMap(events, midi.ticks_per_beat)
    programs: dict[int, int] = {}
    started: list[list[int]] = []          # [on tick, off tick, pitch, instrument, velocity]
    waiting: dict[tuple[int, int], list[list[int]]] = {}
    for tick, message in events:
        kind = message.type
        if kind == "program_change":
            programs[message.channel] = message.program
            continue
        if kind not in ("note_on", "note_off"):
            continue
        key = (message.channel, message.note)
        if kind == "note_on" and message.velocity:
            note = [tick, last_tick, message.note,
                    128 if message.channel == 9 else programs.get(message.channel, 0),
                    message.velocity]
            started.append(note)
            waiting.setdefault(key, []).append(note)
        elif waiting.get(key):
            waiting[key].pop(0)[1] = tick
    result: list[int] = []
    for on, off, pitch, instrument, velocity in started:
        begin, end = clock.seconds(on), clock.seconds(off)
        result.extend((round(begin * TIME_RESOLUTION), round((end - begin) * TIME_RESOLUTION),
                       pitch, instrument, velocity))
    return result


def _check(tokens: Sequence[int]) -> list[tuple[int, ...]]:
    whole = len(tokens) // 5 * 5
    values: list[int] = []
    melodic: list[int] = []
    for i in range(len(tokens)):
        name = f"token {i} (the {_NAMES[i % 5]} of tuple {i // 5})"
        if i >= whole:
            raise ValueError(f"token {i}: starts a tuple of {len(tokens) - whole} tokens; "
                             f"the length {len(tokens)} is not a multiple of 5")
        try:
            v = operator.index(tokens[i])
        except TypeError:
            raise ValueError(f"{name}: not an integer: {tokens[i]!r}") from None
        field = i % 5
        if field < 2 and v < 0:
            raise ValueError(f"{name}: must not be negative, got {v}")
        if field in (2, 4) and (v < 0 or v > 127):
            raise ValueError(f"{name}: must be in 0-127, got {v}")
        if field == 3:
            if v < 0 or v > 128:
                raise ValueError(f"{name}: must be in 0-128, got {v}")
            if v != 128 and v not in melodic:
                melodic.append(v)
                if len(melodic) > 15:
                    raise ValueError(f"{name}: a 16th melodic instrument ({v}); 15 is the most")
        values.append(v)
    return [tuple(values[i:i + 5]) for i in range(0, whole, 5)]


def tokens_to_midi(tokens: Sequence[int], bpm: int = 120) -> mido.MidiFile:
    notes = _check(tokens)
    if not bpm > 0 or not 1 <= round(6000 / bpm) <= 1677:
        raise ValueError(f"unusable bpm: {bpm}")
    ticks_per_beat = round(6000 / bpm)
    midi = mido.MidiFile(type=1, ticks_per_beat=ticks_per_beat)

    order: list[int] = []
    for note in notes:
        if note[3] not in order:
            order.append(note[3])
    channels = [c for c in range(15, -1, -1) if c != 9]
    channel_of, melodic_used = {}, 0
    for instrument in order:
        if instrument == 128:
            channel_of[instrument] = 9
        else:
            channel_of[instrument] = channels[melodic_used]
            melodic_used += 1

    for instrument in order:
        channel = channel_of[instrument]
        timed = []
        for onset, duration, pitch, inst, velocity in notes:
            if inst != instrument or velocity == 0:
                continue
            end_phase = 2 if duration == 0 else 0
            timed.append(((onset, 1, duration, -pitch), mido.Message(
                "note_on", channel=channel, note=pitch, velocity=velocity)))
            timed.append(((onset + duration, end_phase, 0, 0), mido.Message(
                "note_on", channel=channel, note=pitch, velocity=0)))
        timed.sort(key=lambda item: item[0])
        track = mido.MidiTrack()
        track.append(mido.Message("program_change", channel=channel,
                                  program=0 if instrument == 128 else instrument))
        previous = 0
        for (tick, *_), message in timed:
            message.time = tick - previous
            previous = tick
            track.append(message)
        midi.tracks.append(track)

    if not midi.tracks:
        midi.tracks.append(mido.MidiTrack())
    midi.tracks[0].insert(1 if order else 0, mido.MetaMessage("set_tempo", tempo=10_000 * ticks_per_beat))
    return midi
