"""MISTAKE: A note never ended ends at the end of the track holding its note_on, not at the file's last event. (from correct_5_tempomap.py)

(One change to my correct file; the rest is unchanged.)
"""
# loses: test_midi_to_tokens[open_note_other_track_ends_later], test_midi_to_tokens[open_note_in_later_track]
from __future__ import annotations

import bisect
import heapq
from dataclasses import dataclass
from typing import Sequence

import mido

TIME_RESOLUTION = 100  # ticks per second, in tokens and in the MIDI files you write


@dataclass
class _Note:
    on_tick: int
    pitch: int
    instrument: int
    velocity: int
    off_tick: int | None = None


class _TempoMap:
    def __init__(self, changes: list[tuple[int, int]], tpb: int):
        self.ticks, self.seconds, self.tempos = [0], [0.0], [500000]
        self.tpb = tpb
        for tick, tempo in changes:
            start = self.to_seconds(tick)
            if tick == self.ticks[-1]:
                self.seconds[-1], self.tempos[-1] = start, tempo
            else:
                self.ticks.append(tick)
                self.seconds.append(start)
                self.tempos.append(tempo)

    def to_seconds(self, tick: int) -> float:
        k = bisect.bisect_right(self.ticks, tick) - 1
        return self.seconds[k] + (tick - self.ticks[k]) * self.tempos[k] * 1e-6 / self.tpb


def _absolute(track, number):
    tick = 0
    for position, msg in enumerate(track):
        tick += msg.time
        yield tick, number, position, msg


def midi_to_tokens(midi: mido.MidiFile) -> list[int]:
    if midi.type == 2:
        raise TypeError("type 2 file: its tracks are not played together")
    merged = list(heapq.merge(*(_absolute(t, n) for n, t in enumerate(midi.tracks)),
                              key=lambda e: (e[0], e[1], e[2])))
    tempo_map = _TempoMap([(t, m.tempo) for t, _, _, m in merged if m.type == "set_tempo"],
                          midi.ticks_per_beat)
    last_tick = merged[-1][0] if merged else 0
    last_tick = max([last_tick] + [sum(m.time for m in t) for t in midi.tracks])

    programs: dict[int, int] = {}
    open_notes: dict[tuple[int, int], list[_Note]] = {}
    notes: list[_Note] = []
    for tick, number, _, msg in merged:
        if msg.type == "program_change":
            programs[msg.channel] = msg.program
            continue
        if msg.type not in ("note_on", "note_off"):
            continue
        key = (msg.channel, msg.note)
        if msg.type == "note_on" and msg.velocity > 0:
            note = _Note(tick, msg.note, 128 if msg.channel == 9 else programs.get(msg.channel, 0), msg.velocity)
            note.track = number
            notes.append(note)
            open_notes.setdefault(key, []).append(note)
        elif open_notes.get(key):
            open_notes[key].pop(0).off_tick = tick

    result: list[int] = []
    for note in notes:
        t_on = tempo_map.to_seconds(note.on_tick)
        own_end = sum(m.time for m in midi.tracks[note.track])
        t_off = tempo_map.to_seconds(own_end if note.off_tick is None else note.off_tick)
        result.extend([round(100 * t_on), round(100 * (t_off - t_on)), note.pitch, note.instrument, note.velocity])
    return result


def _parse(tokens: Sequence[int]) -> list[tuple[int, ...]]:
    names = ("onset", "duration", "note", "instrument", "velocity")
    tops = (None, None, 127, 128, 127)
    melodic: set[int] = set()
    rows = []
    full = len(tokens) // 5
    for row in range(full):
        values = []
        for column in range(5):
            index = row * 5 + column
            value = tokens[index]
            label = f"token {index} (the {names[column]} of tuple {row})"
            if isinstance(value, bool) or not isinstance(value, int) and not hasattr(value, "dtype"):
                raise ValueError(f"{label}: {value!r} is not an integer")
            if hasattr(value, "dtype") and value.dtype.kind not in "iu":
                raise ValueError(f"{label}: {value!r} is not an integer")
            value = int(value)
            if value < 0 or (tops[column] is not None and value > tops[column]):
                raise ValueError(f"{label}: {value} is " + ("negative" if value < 0 and tops[column] is None
                                                          else f"outside 0-{tops[column]}"))
            if column == 3 and value != 128 and value not in melodic:
                if len(melodic) == 15:
                    raise ValueError(f"{label}: {value} is a 16th melodic instrument; only 15 channels are melodic")
                melodic.add(value)
            values.append(value)
        rows.append(tuple(values))
    if len(tokens) % 5:
        raise ValueError(f"token {full * 5}: the last tuple has only {len(tokens) % 5} of 5 tokens")
    return rows


def _channels(instruments: list[int]) -> dict[int, int]:
    free = [c for c in range(16) if c != 9]
    channel = {}
    for inst in instruments:
        if inst == 128:
            channel[inst] = 9
        elif inst % 16 in free:
            channel[inst] = inst % 16
            free.remove(inst % 16)
        else:
            channel[inst] = free.pop(0)
    return channel


def tokens_to_midi(tokens: Sequence[int], bpm: int = 120) -> mido.MidiFile:
    rows = _parse(tokens)
    try:
        tpb = round(6000 / bpm)
    except ZeroDivisionError:
        raise ValueError("bpm 0: round(6000 / bpm) is undefined") from None
    if tpb not in range(1, 1678):
        raise ValueError(f"bpm {bpm}: round(6000 / bpm) = {tpb}, not 1 to 1677")

    instruments = list(dict.fromkeys(r[3] for r in rows))
    channel = _channels(instruments)
    midi = mido.MidiFile(type=1, ticks_per_beat=tpb)
    set_tempo = mido.MetaMessage("set_tempo", tempo=10000 * tpb)
    if not instruments:
        midi.tracks.append(mido.MidiTrack([set_tempo, mido.MetaMessage("end_of_track")]))
    for number, inst in enumerate(instruments):
        ch = channel[inst]
        absolute = []   # (sort key, message with absolute tick)
        for onset, duration, pitch, i, velocity in rows:
            if i != inst or velocity == 0:
                continue
            absolute.append(((onset, 1, duration, -velocity),
                             mido.Message("note_on", channel=ch, note=pitch, velocity=velocity, time=onset)))
            end = onset + duration
            absolute.append(((end, 2 if duration == 0 else 0, 0, -pitch),
                             mido.Message("note_off", channel=ch, note=pitch, velocity=0, time=end)))
        absolute.sort(key=lambda a: a[0])
        track = mido.MidiTrack([mido.Message("program_change", channel=ch, program=0 if inst == 128 else inst)])
        if number == 0:
            track.append(set_tempo)
        now = 0
        for _, msg in absolute:
            track.append(msg.copy(time=msg.time - now))
            now = msg.time
        track.append(mido.MetaMessage("end_of_track", time=0))
        midi.tracks.append(track)
    return midi
