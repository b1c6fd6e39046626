"""MIDI tokens, absolute-time style: absolute seconds when reading, absolute ticks when writing."""
from __future__ import annotations

from typing import Sequence

import mido

TIME_RESOLUTION = 100


def _timeline(midi):
    """(absolute seconds, message) for the merged tracks, as ``for msg in midi`` times them."""
    if midi.type == 2:
        raise TypeError("can't merge tracks in type 2 (asynchronous) file")
    tempo = 500000
    now = 0.0
    out = []
    for msg in mido.merge_tracks(midi.tracks):
        delta = mido.tick2second(msg.time, midi.ticks_per_beat, tempo) if msg.time > 0 else 0
        now += delta
        out.append((now, msg))
        if msg.type == "set_tempo":
            tempo = msg.tempo
    return out


def midi_to_tokens(midi: mido.MidiFile) -> list[int]:
    timeline = _timeline(midi)
    end = timeline[-1][0] if timeline else 0.0
    ons = []            # (t_on, pitch, instrument, velocity)
    offs = {}           # index in ons -> t_off
    waiting = {}        # (channel, pitch) -> list of indices in ons, oldest first
    program = {}
    for t, msg in timeline:
        if msg.type == "program_change":
            program[msg.channel] = msg.program
        elif msg.type == "note_on" and msg.velocity:
            ins = 128 if msg.channel == 9 else program.get(msg.channel, 0)
            waiting.setdefault((msg.channel, msg.note), []).append(len(ons))
            ons.append((t, msg.note, ins, msg.velocity))
        elif msg.type in ("note_on", "note_off"):
            pending = waiting.get((msg.channel, msg.note))
            if pending:
                offs[pending[0]] = t
                del pending[0]
    tokens = []
    for i, (t_on, pitch, ins, vel) in enumerate(ons):
        t_off = offs.get(i, end)
        tokens.extend((round(t_on * 100), round((t_off - t_on) * 100), pitch, ins, vel))
    return [int(x) for x in tokens]


def _check(tokens) -> list[list[int]]:
    import numbers
    what = ["onset", "duration", "note", "instrument", "velocity"]
    limits = [(0, float("inf")), (0, float("inf")), (0, 127), (0, 128), (0, 127)]
    complete = len(tokens) // 5 * 5
    seen = []
    for i in range(complete):
        v = tokens[i]
        f = i % 5
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            raise ValueError(f"token {i} (the {what[f]} of tuple {i // 5}): {v!r} is not an integer")
        lo, hi = limits[f]
        if not lo <= v <= hi:
            raise ValueError(f"token {i} (the {what[f]} of tuple {i // 5}): {v} is outside {lo}-{hi}")
        if f == 3 and v != 128 and v not in seen:
            seen.append(int(v))
            if len(seen) > 15:
                raise ValueError(f"token {i} (the instrument of tuple {i // 5}): {v} is a 16th melodic instrument")
    if complete < len(tokens):
        raise ValueError(f"token {complete}: incomplete last tuple ({len(tokens)} tokens)")
    return [[int(x) for x in tokens[i:i + 5]] for i in range(0, complete, 5)]


def tokens_to_midi(tokens: Sequence[int], bpm: int = 120) -> mido.MidiFile:
    tpb = round(6000 / bpm) if bpm else 0
    if not 1 <= tpb <= 1677:
        raise ValueError(f"bpm {bpm}: ticks per beat {tpb} not in 1-1677")
    notes = _check(tokens)

    instruments = list(dict.fromkeys(n[3] for n in notes))
    melodic = [c for c in range(16) if c != 9]
    chan, k = {}, 0
    for ins in instruments:
        if ins == 128:
            chan[ins] = 9
        else:
            chan[ins] = melodic[k]
            k += 1

    midi = mido.MidiFile(type=1, ticks_per_beat=tpb)
    tempo = mido.MetaMessage("set_tempo", tempo=tpb * 10000)
    if not instruments:
        midi.tracks.append(mido.MidiTrack([tempo]))
        return midi
    for t, ins in enumerate(instruments):
        ch = chan[ins]
        absolute = []   # (tick, group, duration, index, message with absolute time)
        for idx, (on, dur, pitch, i2, vel) in enumerate(notes):
            if i2 != ins or vel == 0:
                continue
            absolute.append((on, 1, dur, idx, mido.Message("note_on", channel=ch, note=pitch, velocity=vel, time=on)))
            absolute.append((on + dur, 0 if dur else 2, 0, idx,
                             mido.Message("note_off", channel=ch, note=pitch, velocity=0, time=on + dur)))
        absolute.sort(key=lambda e: e[:4])
        head = [mido.Message("program_change", channel=ch, program=0 if ins == 128 else ins, time=0)]
        if t == 0:
            head.append(tempo.copy(time=0))
        track = mido.MidiTrack(head)
        last = 0
        for e in absolute:
            msg = e[4]
            track.append(msg.copy(time=msg.time - last))
            last = msg.time
        track.append(mido.MetaMessage("end_of_track", time=0))
        midi.tracks.append(track)
    return midi
