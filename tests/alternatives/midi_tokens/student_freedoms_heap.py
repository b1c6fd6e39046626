"""MIDI tokens, heap style, using the freedoms the docstring leaves: note_on velocity 0 as note-off,
another channel assignment, reversed order within a group of note-offs."""
from __future__ import annotations

import heapq
from collections import defaultdict, deque
from typing import Sequence

import mido
import numpy as np

TIME_RESOLUTION = 100


def midi_to_tokens(midi: mido.MidiFile) -> list[int]:
    if midi.type == 2:
        raise TypeError("type 2 MIDI files cannot be played together")
    programs = defaultdict(int)
    sounding = defaultdict(deque)   # (channel, pitch) -> deque of note indices
    notes = []                      # [t_on, t_off or None, pitch, instrument, velocity]
    now = 0.0
    for msg in midi:
        now += msg.time
        kind = msg.type
        if kind == "program_change":
            programs[msg.channel] = msg.program
        elif kind == "note_on" and msg.velocity > 0:
            instrument = 128 if msg.channel == 9 else programs[msg.channel]
            sounding[(msg.channel, msg.note)].append(len(notes))
            notes.append([now, None, msg.note, instrument, msg.velocity])
        elif kind in ("note_on", "note_off"):
            queue = sounding.get((msg.channel, msg.note))
            if queue:
                notes[queue.popleft()][1] = now
    end = now
    out: list[int] = []
    for t_on, t_off, pitch, instrument, velocity in notes:
        if t_off is None:
            t_off = end
        out += [int(round(TIME_RESOLUTION * t_on)), int(round(TIME_RESOLUTION * (t_off - t_on))),
                int(pitch), int(instrument), int(velocity)]
    return out


_FIELDS = ("onset", "duration", "note", "instrument", "velocity")


def _is_int(x) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def _validate(tokens) -> list[tuple[int, int, int, int, int]]:
    n = len(tokens)
    full = n - n % 5
    melodic = set()
    notes = []
    for i in range(0, full, 5):
        for j in range(5):
            idx = i + j
            tok = tokens[idx]
            name = _FIELDS[j]
            where = f"token {idx} (the {name} of tuple {i // 5})"
            if not _is_int(tok):
                raise ValueError(f"{where}: {tok!r} is not an integer")
            tok = int(tok)
            if j in (0, 1) and tok < 0:
                raise ValueError(f"{where}: {tok} is negative")
            if j in (2, 4) and not 0 <= tok <= 127:
                raise ValueError(f"{where}: {tok} is outside 0-127")
            if j == 3:
                if not 0 <= tok <= 128:
                    raise ValueError(f"{where}: {tok} is outside 0-128")
                if tok != 128 and tok not in melodic:
                    if len(melodic) == 15:
                        raise ValueError(f"{where}: {tok} would be a 16th melodic instrument")
                    melodic.add(tok)
        notes.append(tuple(int(t) for t in tokens[i:i + 5]))
    if full != n:
        raise ValueError(f"token {full} (the onset of tuple {full // 5}): the tuple is incomplete "
                         f"({n} tokens is not a multiple of 5)")
    return notes


def tokens_to_midi(tokens: Sequence[int], bpm: int = 120) -> mido.MidiFile:
    try:
        tpb = round(6000 / bpm)
    except ZeroDivisionError:
        raise ValueError("bpm 0 gives no ticks per beat") from None
    if not 1 <= tpb <= 1677:
        raise ValueError(f"bpm {bpm} gives {tpb} ticks per beat, outside 1-1677")
    notes = _validate(tokens)

    order: list[int] = []
    for note in notes:
        if note[3] not in order:
            order.append(note[3])
    free = iter([15, 14, 13, 12, 11, 10, 8, 7, 6, 5, 4, 3, 2, 1, 0])
    channel = {ins: (9 if ins == 128 else next(free)) for ins in order}

    # one heap of timed events per instrument
    heaps: dict[int, list] = {ins: [] for ins in order}
    for k, (onset, duration, pitch, ins, vel) in enumerate(notes):
        if vel == 0:
            continue
        ch = channel[ins]
        heap = heaps[ins]
        if duration == 0:
            heapq.heappush(heap, (onset, 1, 0, k, "note_on", ch, pitch, vel))
            heapq.heappush(heap, (onset, 2, 0, -k, "note_on", ch, pitch, 0))
        else:
            heapq.heappush(heap, (onset, 1, duration, k, "note_on", ch, pitch, vel))
            heapq.heappush(heap, (onset + duration, 0, 0, -k, "note_on", ch, pitch, 0))

    midi = mido.MidiFile(type=1, ticks_per_beat=tpb)
    tempo = mido.MetaMessage("set_tempo", tempo=tpb * 10000, time=0)
    if not order:
        track = mido.MidiTrack()
        track.append(tempo)
        midi.tracks.append(track)
        return midi
    for n, ins in enumerate(order):
        track = mido.MidiTrack()
        track.append(mido.Message("program_change", channel=channel[ins],
                                  program=0 if ins == 128 else ins, time=0))
        if n == 0:
            track.append(tempo)
        heap = heaps[ins]
        last = 0
        while heap:
            tick, _, _, _, kind, ch, pitch, vel = heapq.heappop(heap)
            track.append(mido.Message(kind, channel=ch, note=pitch, velocity=vel, time=tick - last))
            last = tick
        track.append(mido.MetaMessage("end_of_track", time=0))
        midi.tracks.append(track)
    return midi
