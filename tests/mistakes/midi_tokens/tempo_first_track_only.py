"""MISTAKE: Only the set_tempo messages of the first track (the 'tempo track') are applied. (from correct_2_fractions.py)

(One change to my correct file; the rest is unchanged.)
"""
# loses: test_midi_to_tokens[tempo_in_later_track], test_midi_to_tokens[several_tempos_late_track]
from __future__ import annotations

import operator
from fractions import Fraction
from typing import Sequence

import mido

TIME_RESOLUTION = 100  # ticks per second, in tokens and in the MIDI files you write

_DEFAULT_TEMPO = 500_000


class _Sounding:
    """Open notes per (channel, pitch), oldest first."""

    def __init__(self):
        self.open: dict[tuple[int, int], list[int]] = {}

    def start(self, key, index):
        self.open.setdefault(key, []).append(index)

    def stop(self, key):
        waiting = self.open.get(key)
        return waiting.pop(0) if waiting else None


def _merged_ticks(midi: mido.MidiFile):
    """(absolute tick, track number, position, message), in playback order."""
    events = []
    for number, track in enumerate(midi.tracks):
        tick = 0
        for position, msg in enumerate(track):
            tick += msg.time
            events.append((tick, number, position, msg))
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    return events


def midi_to_tokens(midi: mido.MidiFile) -> list[int]:
    if midi.type == 2:
        raise TypeError("type 2 MIDI files (asynchronous tracks) cannot be merged")
    events = _merged_ticks(midi)
    tpb = midi.ticks_per_beat

    # tempo map: seconds at each tick, exactly
    seconds = Fraction(0)
    last_tick = 0
    tempo = _DEFAULT_TEMPO
    program = {}
    sounding = _Sounding()
    onsets: list[Fraction] = []
    ends: list[Fraction | None] = []
    rest: list[tuple[int, int, int]] = []      # pitch, instrument, velocity

    for tick, track_number, _, msg in events:
        seconds += Fraction((tick - last_tick) * tempo, 1_000_000 * tpb)
        last_tick = tick
        kind = msg.type
        if kind == "set_tempo":
            if track_number == 0:
                tempo = msg.tempo
        elif kind == "program_change":
            program[msg.channel] = msg.program
        elif kind == "note_on" and msg.velocity:
            sounding.start((msg.channel, msg.note), len(onsets))
            onsets.append(seconds)
            ends.append(None)
            rest.append((msg.note, 128 if msg.channel == 9 else program.get(msg.channel, 0), msg.velocity))
        elif kind in ("note_on", "note_off"):
            index = sounding.stop((msg.channel, msg.note))
            if index is not None:
                ends[index] = seconds
    # the last event: the largest tick of any message (end_of_track included)
    file_end = seconds

    out: list[int] = []
    for t_on, t_off, (pitch, instrument, velocity) in zip(onsets, ends, rest):
        t_off = file_end if t_off is None else t_off
        out.extend((round(100 * t_on), round(100 * (t_off - t_on)), pitch, instrument, velocity))
    return [int(v) for v in out]


_NAMES = ["onset", "duration", "note", "instrument", "velocity"]
_LIMITS = [(0, None), (0, None), (0, 127), (0, 128), (0, 127)]


def _bad(index: int, why: str) -> ValueError:
    return ValueError(f"token {index} (the {_NAMES[index % 5]} of tuple {index // 5}): {why}")


def _check(tokens: Sequence[int]):
    melodic = set()
    for index, value in enumerate(tokens):
        if len(tokens) - index < 5 and index % 5 == 0:
            raise ValueError(f"token {index}: the last tuple is incomplete "
                             f"({len(tokens)} tokens is not a multiple of 5)")
        if isinstance(value, bool):
            raise _bad(index, f"{value!r} is not an integer")
        try:
            value = operator.index(value)
        except TypeError:
            raise _bad(index, f"{value!r} is not an integer") from None
        low, high = _LIMITS[index % 5]
        if value < low or (high is not None and value > high):
            span = f"outside {low}-{high}" if high is not None else "negative"
            raise _bad(index, f"{value} is {span}")
        if index % 5 == 3 and value != 128 and value not in melodic:
            if len(melodic) == 15:
                raise _bad(index, f"{value} would be a 16th melodic instrument; only 15 channels are melodic")
            melodic.add(value)


def tokens_to_midi(tokens: Sequence[int], bpm: int = 120) -> mido.MidiFile:
    if not bpm or 6000 / bpm != 6000 / bpm:   # 0 or nan
        raise ValueError(f"bpm={bpm!r} gives no ticks per beat")
    tpb = round(6000 / bpm)
    if tpb < 1 or tpb > 1677:
        raise ValueError(f"bpm={bpm!r}: {tpb} ticks per beat is outside 1-1677")
    _check(tokens)
    notes = [tuple(int(v) for v in tokens[i:i + 5]) for i in range(0, len(tokens), 5)]

    instruments = list(dict.fromkeys(n[3] for n in notes))
    top = [15, 14, 13, 12, 11, 10, 8, 7, 6, 5, 4, 3, 2, 1, 0]
    channel_of = {}
    for instrument in instruments:
        channel_of[instrument] = 9 if instrument == 128 else top[len([c for c in channel_of.values() if c != 9])]

    midi = mido.MidiFile(type=1, ticks_per_beat=tpb)
    tempo = mido.MetaMessage("set_tempo", tempo=tpb * 10_000)
    if not instruments:
        midi.tracks.append(mido.MidiTrack([tempo]))
        return midi
    for i, instrument in enumerate(instruments):
        ch = channel_of[instrument]
        head = [mido.Message("program_change", channel=ch, program=instrument if instrument < 128 else 0)]
        if i == 0:
            head.append(tempo)
        timed = []
        for onset, duration, pitch, inst, velocity in notes:
            if inst == instrument and velocity > 0:
                timed.append(((onset, 1, duration), mido.Message("note_on", channel=ch, note=pitch,
                                                                  velocity=velocity)))
                phase = 2 if duration == 0 else 0
                timed.append(((onset + duration, phase, 0), mido.Message("note_on", channel=ch, note=pitch,
                                                                          velocity=0)))
        timed.sort(key=lambda pair: pair[0])       # stable: ties keep token order
        body, previous = [], 0
        for (tick, _, _), msg in timed:
            body.append(msg.copy(time=tick - previous))
            previous = tick
        track = mido.MidiTrack(head + body)
        track.append(mido.MetaMessage("end_of_track", time=0))
        midi.tracks.append(track)
    return midi
