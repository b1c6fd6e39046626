"""Small MIDI files built from (absolute tick, message) events, as student code receives them.

What the recipe's inputs (``inputs.py``, ``token_inputs.py``) and the tests write their files
with: each helper makes one event, :func:`midi_file` makes the tracks and saves and reads the
file back (:func:`reloaded`), the way it reaches student code through the sandbox.
"""
from __future__ import annotations

import io

import mido


def reloaded(midi: mido.MidiFile) -> mido.MidiFile:
    """``midi`` saved and read back: exactly what student code receives."""
    return mido.MidiFile(file=io.BytesIO(midi_bytes(midi)))


def midi_bytes(midi: mido.MidiFile) -> bytes:
    """The bytes of ``midi`` as a ``.mid`` file."""
    buffer = io.BytesIO()
    midi.save(file=buffer)
    return buffer.getvalue()


def note_on(tick, note, velocity=100, channel=0):
    return tick, mido.Message("note_on", channel=channel, note=note, velocity=velocity)


def silent_note_on(tick, note, channel=0):
    """A note_on of velocity 0: a note-off."""
    return tick, mido.Message("note_on", channel=channel, note=note, velocity=0)


def note_off(tick, note, channel=0, velocity=0):
    return tick, mido.Message("note_off", channel=channel, note=note, velocity=velocity)


def program_change(tick, program, channel=0):
    return tick, mido.Message("program_change", channel=channel, program=program)


def set_tempo(tick, tempo):
    return tick, mido.MetaMessage("set_tempo", tempo=tempo)


def meta(tick, kind, **fields):
    return tick, mido.MetaMessage(kind, **fields)


def track(events) -> mido.MidiTrack:
    """A track from (absolute tick, message) in playing order; an ``end_of_track``
    event sets where the track ends (else at its last message)."""
    built, now = mido.MidiTrack(), 0
    for tick, message in events:
        assert tick >= now, "events must be in time order"
        built.append(message.copy(time=tick - now))
        now = tick
    if not built or built[-1].type != "end_of_track":
        built.append(mido.MetaMessage("end_of_track", time=0))
    return built


def midi_file(*tracks, ticks_per_beat=480, type=None) -> mido.MidiFile:
    """A file of ``tracks`` (each a list of events for :func:`track`), read back as student code gets it;
    type 0 for one track and 1 for more unless ``type`` says."""
    midi = mido.MidiFile(type=(0 if len(tracks) == 1 else 1) if type is None else type,
                         ticks_per_beat=ticks_per_beat)
    midi.tracks.extend(track(events) for events in tracks)
    return reloaded(midi)
