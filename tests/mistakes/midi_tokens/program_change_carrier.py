"""MISTAKE (a cheat as a student would write it, red-team round 2026-12-07, from the student release):
the tokens ride along in the MIDI file as program_change messages (an allowed message type) at time 0 after the last note-off of the last
track, on that track's channel: they change no note's instrument and no timing, the file plays every
note when its tokens say, and midi_to_tokens reads the tokens back from them instead of from the notes
(it reads nothing else: [] for any other file). tokens_to_midi is otherwise correct. It earned the 9
round-trip points until the round trip's file check allowed one program_change per track and one
track per instrument."""
# loses: test_round_trip, test_round_trip_of_music

from __future__ import annotations

import numbers
from collections import defaultdict, deque
from typing import Sequence

import mido

TIME_RESOLUTION = 100  # ticks per second, in tokens and in the MIDI files you write

DRUMS = 128
FIELD_NAMES = ("onset", "duration", "note", "instrument", "velocity")
MELODIC_CHANNELS = [c for c in range(15, -1, -1) if c != 9]


MARKER = [127, 126, 127]


def midi_to_tokens(midi: mido.MidiFile) -> list[int]:
    """The tokens the carrier holds (program changes after the last note of the last track); else []."""
    programs = [m.program for track in midi.tracks for m in track if m.type == "program_change"]
    for at in range(len(programs) - len(MARKER) + 1):
        if programs[at:at + len(MARKER)] == MARKER:
            break
    else:
        return []
    tokens, value, shift = [], 0, 0
    for digit in programs[at + len(MARKER):]:
        value |= (digit & 63) << shift
        shift += 6
        if not digit & 64:
            tokens.append(value)
            value, shift = 0, 0
    return tokens


def _carrier(notes, channel: int) -> list:
    digits = list(MARKER)
    for note in notes:
        if note[4] == 0:
            continue          # a silent note is not read back
        for value in note:
            while True:
                digit, value = value & 63, value >> 6
                digits.append(digit | (64 if value else 0))
                if not value:
                    break
    return [mido.Message("program_change", channel=channel, program=d, time=0) for d in digits]


def _refuse(index: int, value, rule: str) -> ValueError:
    return ValueError(f"tokens_to_midi cannot write these tokens: token {index} is the "
                      f"{FIELD_NAMES[index % 5]} of note {index // 5} and {rule}, but it is {value!r}")


def _checked_notes(tokens: Sequence[int]) -> list[tuple[int, ...]]:
    complete = len(tokens) - len(tokens) % 5
    channels_needed: list[int] = []
    for index in range(complete):
        value = tokens[index]
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise _refuse(index, value, "must be a whole number")
        field = index % 5
        if field in (0, 1) and value < 0:
            raise _refuse(index, value, "cannot be negative")
        if field in (2, 4) and not 0 <= value <= 127:
            raise _refuse(index, value, "must lie between 0 and 127")
        if field == 3:
            if not 0 <= value <= DRUMS:
                raise _refuse(index, value, "must lie between 0 and 128 (128 for drums)")
            if value != DRUMS and value not in channels_needed:
                if len(channels_needed) == len(MELODIC_CHANNELS):
                    raise _refuse(index, value, "would need one more melodic channel than the 15 MIDI has")
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
        if number == len(instruments) - 1:
            track += _carrier(notes, channel)   # time 0 after the last note-off: changes no note
        track.append(mido.MetaMessage("end_of_track", time=0))
        midi.tracks.append(track)
    return midi
