"""Hands-on 2: MIDI as tokens (correct 3: a state machine over mido.merge_tracks, a heap writer).

Style: midi_to_tokens is a small class fed the merged track of ``mido.merge_tracks``
(delta ticks), converting each delta to seconds with ``mido.tick2second`` under the
tempo in force, exactly as ``for msg in midi`` does. tokens_to_midi pushes every
event of every track on one heap keyed (track, tick, phase, duration, order) and
pops them in order. Channels: melodic instruments take 1, 2, ..., 8, 10, ..., 15, 0;
note-offs are ``note_off`` of velocity 0; among note-ons of equal duration at one
tick, the later token comes first (the docstring leaves that order open).
"""
from __future__ import annotations

import heapq
from collections import defaultdict, deque
from typing import Sequence

import mido

TIME_RESOLUTION = 100  # ticks per second, in tokens and in the MIDI files you write


class _Reader:
    def __init__(self, ticks_per_beat: int):
        self.tpb = ticks_per_beat
        self.tempo = 500000
        self.now = 0.0
        self.program = defaultdict(int)
        self.open = defaultdict(deque)
        self.notes = []   # dicts, in note_on order

    def feed(self, msg):
        if msg.time:
            self.now += mido.tick2second(msg.time, self.tpb, self.tempo)
        handler = getattr(self, "on_" + msg.type, None)
        if handler is not None:
            handler(msg)

    def on_set_tempo(self, msg):
        self.tempo = msg.tempo

    def on_program_change(self, msg):
        self.program[msg.channel] = msg.program

    def on_note_on(self, msg):
        if msg.velocity == 0:
            return self.on_note_off(msg)
        note = {"on": self.now, "off": None, "pitch": msg.note, "velocity": msg.velocity,
                "instrument": 128 if msg.channel == 9 else self.program[msg.channel]}
        self.notes.append(note)
        self.open[msg.channel, msg.note].append(note)

    def on_note_off(self, msg):
        waiting = self.open.get((msg.channel, msg.note))
        if waiting:
            waiting.popleft()["off"] = self.now

    def tokens(self):
        result = []
        for note in self.notes:
            off = self.now if note["off"] is None else note["off"]
            result += [int(round(100 * note["on"])), int(round(100 * (off - note["on"]))),
                       note["pitch"], note["instrument"], note["velocity"]]
        return result


def midi_to_tokens(midi: mido.MidiFile) -> list[int]:
    if midi.type == 2:
        raise TypeError("can't merge tracks in type 2 (asynchronous) file")
    reader = _Reader(midi.ticks_per_beat)
    for msg in mido.merge_tracks(midi.tracks):
        reader.feed(msg)
    return reader.tokens()


def _fail(i, what):
    field = ("onset", "duration", "note", "instrument", "velocity")[i % 5]
    raise ValueError(f"token {i} (the {field} of tuple {i // 5}): {what}")


def _notes(tokens):
    n = len(tokens)
    melodic = []
    out = []
    for t in range(n // 5):
        row = []
        for k in range(5):
            i = 5 * t + k
            v = tokens[i]
            if type(v) is bool or not hasattr(v, "__index__"):
                _fail(i, f"{v!r} is not an integer")
            v = int(v)
            if k < 2 and v < 0:
                _fail(i, f"{v} is negative")
            if k in (2, 4) and (v < 0 or v > 127):
                _fail(i, f"{v} is outside 0-127")
            if k == 3:
                if v < 0 or v > 128:
                    _fail(i, f"{v} is outside 0-128")
                if v < 128 and v not in melodic:
                    if len(melodic) >= 15:
                        _fail(i, f"instrument {v} would be the 16th melodic one (only 15 channels are melodic)")
                    melodic.append(v)
            row.append(v)
        out.append(row)
    if n % 5:
        raise ValueError(f"token {n - n % 5}: incomplete last tuple ({n % 5} tokens)")
    return out


def tokens_to_midi(tokens: Sequence[int], bpm: int = 120) -> mido.MidiFile:
    notes = _notes(list(tokens))
    if bpm == 0:
        raise ValueError("bpm must not be 0")
    ticks_per_beat = round(6000 / bpm)
    if not 0 < ticks_per_beat < 1678:
        raise ValueError(f"round(6000 / {bpm}) = {ticks_per_beat} must be 1 to 1677")

    instruments = []
    for note in notes:
        if note[3] not in instruments:
            instruments.append(note[3])
    pool = [1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15, 0]
    channel = {}
    for inst in instruments:
        channel[inst] = 9 if inst == 128 else pool.pop(0)

    midi = mido.MidiFile(type=1, ticks_per_beat=ticks_per_beat)
    tracks = [mido.MidiTrack() for _ in instruments] or [mido.MidiTrack()]
    midi.tracks.extend(tracks)
    for number, inst in enumerate(instruments):
        tracks[number].append(mido.Message("program_change", channel=channel[inst],
                                           program=0 if inst == 128 else inst))
    tracks[0].append(mido.MetaMessage("set_tempo", tempo=ticks_per_beat * 10000))

    number_of = {inst: k for k, inst in enumerate(instruments)}
    heap = []
    for order, (onset, duration, pitch, inst, velocity) in enumerate(notes):
        if velocity == 0:
            continue
        k = number_of[inst]
        heapq.heappush(heap, (k, onset, 1, duration, -order, "note_on", pitch, velocity))
        heapq.heappush(heap, (k, onset + duration, 0 if duration else 2, 0, order, "note_off", pitch, 0))
    last = [0] * len(tracks)
    while heap:
        k, tick, _, _, _, kind, pitch, velocity = heapq.heappop(heap)
        tracks[k].append(mido.Message(kind, channel=channel[instruments[k]], note=pitch,
                                      velocity=velocity, time=tick - last[k]))
        last[k] = tick
    for track in tracks:
        track.append(mido.MetaMessage("end_of_track", time=0))
    return midi
