"""Hands-on 2, MIDI as tokens: the reference solution.

The function docstrings are the same as the student stub's
(``assignments/midi_tokens.py``): they are the contract. This file only adds
the code, written to be read: one pass over the messages, no vectorisation.

Like every function of the stub, none changes the arguments it is given (the
stub's module docstring: the graders check it after every call).
"""
from __future__ import annotations

import numbers
from collections import defaultdict, deque
from typing import Sequence

import mido

TIME_RESOLUTION = 100  # ticks per second, in tokens and in the MIDI files we write

DRUMS = 128            # the instrument of every note on MIDI channel 10
DRUM_CHANNEL = 9       # MIDI channel 10, counted from 0 as mido does
MELODIC_CHANNELS = [channel for channel in range(16) if channel != DRUM_CHANNEL]
FIELDS = ("onset", "duration", "note", "instrument", "velocity")
MAX_TICKS_PER_BEAT = 1677  # a tempo of 1677 * 10 ms per beat still fits set_tempo's 24 bits


def midi_to_tokens(midi: mido.MidiFile) -> list[int]:
    """The notes of ``midi`` as a flat list of tokens, five per note.

    Each note gives ``onset, duration, note, instrument, velocity``:

    - ``onset = round(100 * t_on)`` and ``duration = round(100 * (t_off - t_on))``,
      where ``t_on`` and ``t_off`` are the note's start and end in seconds
      (``TIME_RESOLUTION = 100`` ticks per second). Round the duration itself:
      ``round(100 * t_off) - round(100 * t_on)`` is sometimes one off.
      Seconds come from the tempo map: read the file the way ``for msg in midi``
      does (all tracks merged, ``msg.time`` in seconds, every ``set_tempo``
      applied, in whichever track it is).
    - ``note`` is the MIDI pitch (0-127) and ``velocity`` that of the note's
      ``note_on`` (1-127).
    - ``instrument`` is the program (0-127) of the last ``program_change`` on
      the note's channel before its ``note_on`` (0 if there was none); a later
      ``program_change`` does not change notes already started. Every note on
      MIDI channel 10 (``msg.channel == 9``) is a drum: instrument 128,
      whatever the program.

    Notes come in the order of their ``note_on`` messages in ``for msg in midi``
    (hence by onset; at one instant, in the order of the merged messages).

    Pairing note-ons with note-offs:

    - a ``note_on`` with velocity 0 is a note-off, exactly like ``note_off``;
    - a note-off ends a sounding note of the same channel and pitch (the
      track does not matter); if several are sounding, it ends the one that
      began first (the oldest);
    - a note-off with nothing sounding on its channel and pitch is ignored;
    - a note still sounding at the end of the file ends at the file's last
      event: the last message of ``for msg in midi``, ``end_of_track``
      included (so it ends at ``midi.length`` seconds);
    - a ``note_on`` and its note-off at the same instant make a note of
      duration 0, which is kept.

    Every value in the result is a plain ``int`` (no ``-1`` or other
    placeholder). A file without notes gives ``[]``. Type 2 files (tracks that
    are not played together) are refused, as mido's own iteration does, with
    ``TypeError``.

    Example: ``ticks_per_beat=480`` and no ``set_tempo`` (so the default
    120 bpm: a beat is 0.5 s, a tick 1/960 s), one track::

        program_change channel=0 program=40 time=0
        note_on  channel=0 note=60 velocity=90  time=0    # 0 s
        note_on  channel=9 note=36 velocity=100 time=0    # 0 s, a drum
        note_on  channel=9 note=36 velocity=0   time=240  # 0.25 s, ends the drum
        note_off channel=0 note=60 velocity=0   time=240  # 0.5 s, ends note 60
        note_on  channel=0 note=62 velocity=80  time=0    # 0.5 s, never ended
        end_of_track time=480                             # 1 s, the last event

    gives ``[0, 50, 60, 40, 90,  0, 25, 36, 128, 100,  50, 50, 62, 40, 80]``.

    Args:
        midi: a type 0 or type 1 ``mido.MidiFile``.

    Returns:
        ``[onset, duration, note, instrument, velocity, onset, ...]``, a list
        of ``int`` whose length is 5 times the number of notes.
    """
    program = [0] * 16
    notes = []                                 # [t_on, t_off or None, note, instrument, velocity]
    sounding = defaultdict(deque)              # (channel, note) -> indices in `notes`, oldest first
    now = 0.0
    for msg in midi:                           # TypeError for type 2 files, from mido
        now += msg.time
        if msg.type == "program_change":
            program[msg.channel] = msg.program
        elif msg.type == "note_on" and msg.velocity > 0:
            instrument = DRUMS if msg.channel == DRUM_CHANNEL else program[msg.channel]
            sounding[msg.channel, msg.note].append(len(notes))
            notes.append([now, None, msg.note, instrument, msg.velocity])
        elif msg.type in ("note_on", "note_off"):
            waiting = sounding[msg.channel, msg.note]
            if waiting:                        # else: a stray note-off, ignored
                notes[waiting.popleft()][1] = now
    tokens = []
    for t_on, t_off, note, instrument, velocity in notes:
        if t_off is None:                      # still sounding: ends at the last event
            t_off = now
        tokens += [round(TIME_RESOLUTION * t_on), round(TIME_RESOLUTION * (t_off - t_on)),
                   note, instrument, velocity]
    return tokens


def tokens_to_midi(tokens: Sequence[int], bpm: int = 120) -> mido.MidiFile:
    """A type 1 MIDI file that plays the notes ``tokens`` describe.

    ``tokens`` is what :func:`midi_to_tokens` returns: five integers per note,
    ``onset, duration, note, instrument, velocity``, times in hundredths of a
    second, in any order.

    The file:

    - has exactly 100 ticks per second whatever ``bpm``: ``ticks_per_beat =
      round(6000 / bpm)`` and a ``set_tempo`` of ``ticks_per_beat * 10000``
      microseconds per beat (a tick is 10 ms), so a note's onset and duration
      in ticks are its tokens. ``bpm`` only sets where the beats fall
      (``round(6000 / bpm)`` must be 1 to 1677, else ``ValueError``);
    - has one track per instrument, in the order the instruments first appear
      in ``tokens``. Each track starts with a ``program_change`` to its
      instrument (program 0 for drums); the first track then has the
      ``set_tempo``, at time 0. A track holds nothing else but its notes
      (``note_on`` at the onset, ``note_off`` of velocity 0 at onset +
      duration; a ``note_on`` of velocity 0 would do as well) and its
      ``end_of_track``, right after its last note-off;
    - plays drums (instrument 128) on MIDI channel 10 (``channel=9``) and
      gives each melodic instrument its own channel among the 15 others, here
      in order of first appearance: 0, 1, ..., 8, 10, ..., 15 (any other
      one-channel-per-instrument choice would do as well);
    - at one tick of a track, has the note-offs of the notes that began
      earlier first, then the note-ons (shorter notes first), then the
      note-offs of the notes of duration 0; so a repeated note is not cut short
      and a note of duration 0 is read back as one.

    A note of velocity 0 is silent and cannot be written (a ``note_on`` of
    velocity 0 means note-off): it is left out, though its instrument keeps
    its track. No tokens at all give a file with one track holding only the
    ``set_tempo``.

    Reading the file back with :func:`midi_to_tokens` gives the same notes
    (as a multiset of 5-tuples) whenever the notes have velocities 1-127 and
    overlapping notes of the same instrument and pitch end in the order they
    start (the only pairing a note-off can express).

    Invalid tokens raise ``ValueError`` naming the first bad token by its
    index in ``tokens``, counted from 0, as ``token <index>``, for example
    ``"token 7 (the note of tuple 1): 130 is outside 0-127"``. A token is bad
    if it is not an integer, if it is a negative onset or duration, a note or
    velocity outside 0-127, an instrument outside 0-128, or the instrument of
    a note bringing a 16th melodic instrument (only 15 channels are
    melodic); if ``len(tokens)`` is not a multiple of 5, the first token of
    the incomplete last tuple is bad.

    Example: ``tokens_to_midi([0, 50, 60, 40, 90,  50, 50, 60, 40, 80,
    25, 0, 36, 128, 100])`` (so 120 bpm) has ``ticks_per_beat=50`` and::

        track 0: program_change channel=0 program=40 time=0
                 set_tempo tempo=500000 time=0
                 note_on  channel=0 note=60 velocity=90 time=0   # tick 0
                 note_off channel=0 note=60 velocity=0  time=50  # tick 50: first the end
                 note_on  channel=0 note=60 velocity=80 time=0   # of the earlier note
                 note_off channel=0 note=60 velocity=0  time=50  # tick 100
                 end_of_track time=0
        track 1: program_change channel=9 program=0 time=0
                 note_on  channel=9 note=36 velocity=100 time=25  # tick 25
                 note_off channel=9 note=36 velocity=0   time=0   # duration 0
                 end_of_track time=0

    Args:
        tokens: a flat sequence of integers, five per note.
        bpm: the tempo written in the file, in beats per minute.

    Returns:
        the ``mido.MidiFile``.

    Raises:
        ValueError: invalid tokens or ``bpm``.
    """
    notes = _valid_notes(tokens)
    ticks_per_beat = round(60 * TIME_RESOLUTION / bpm) if bpm > 0 else 0
    if not 1 <= ticks_per_beat <= MAX_TICKS_PER_BEAT:
        raise ValueError(f"bpm={bpm} gives {ticks_per_beat} ticks per beat; "
                         f"it must give 1 to {MAX_TICKS_PER_BEAT}")
    tempo = mido.MetaMessage("set_tempo", tempo=ticks_per_beat * 1_000_000 // TIME_RESOLUTION)

    instruments = list(dict.fromkeys(note[3] for note in notes))   # order of first appearance
    free_channels = iter(MELODIC_CHANNELS)
    midi = mido.MidiFile(type=1, ticks_per_beat=ticks_per_beat)
    if not instruments:
        midi.tracks.append(mido.MidiTrack([tempo, mido.MetaMessage("end_of_track")]))
    for instrument in instruments:
        channel = DRUM_CHANNEL if instrument == DRUMS else next(free_channels)
        track = mido.MidiTrack()
        track.append(mido.Message("program_change", channel=channel,
                                  program=0 if instrument == DRUMS else instrument))
        if not midi.tracks:
            track.append(tempo)
        events = []           # (tick, 0: off of an earlier note / 1: on / 2: off at the onset, duration, message)
        for onset, duration, note, _, velocity in (n for n in notes if n[3] == instrument):
            if velocity == 0:
                continue
            events.append((onset, 1, duration,
                           mido.Message("note_on", channel=channel, note=note, velocity=velocity)))
            events.append((onset + duration, 0 if duration else 2, 0,
                           mido.Message("note_off", channel=channel, note=note, velocity=0)))
        events.sort(key=lambda event: event[:3])   # stable: ties keep the order of the tokens
        now = 0
        for tick, _, _, message in events:
            track.append(message.copy(time=tick - now))
            now = tick
        track.append(mido.MetaMessage("end_of_track"))
        midi.tracks.append(track)
    return midi


def _valid_notes(tokens: Sequence[int]) -> list[tuple[int, int, int, int, int]]:
    """``tokens`` as 5-tuples of ``int``; ``ValueError`` at the first bad token."""
    ranges = {"onset": None, "duration": None, "note": (0, 127),
              "instrument": (0, DRUMS), "velocity": (0, 127)}
    notes, melodic = [], set()
    complete = len(tokens) - len(tokens) % 5
    for start in range(0, complete, 5):
        values = []
        for offset, field in enumerate(FIELDS):
            index, value = start + offset, tokens[start + offset]
            where = f"token {index} (the {field} of tuple {start // 5})"
            if not isinstance(value, numbers.Integral):
                raise ValueError(f"{where}: {value!r} is not an integer")
            value = int(value)
            bounds = ranges[field]
            if bounds is None and value < 0:
                raise ValueError(f"{where}: {value} is negative")
            if bounds is not None and not bounds[0] <= value <= bounds[1]:
                raise ValueError(f"{where}: {value} is outside {bounds[0]}-{bounds[1]}")
            if field == "instrument" and value != DRUMS and value not in melodic:
                if len(melodic) == len(MELODIC_CHANNELS):
                    raise ValueError(f"{where}: instrument {value} would be a 16th melodic "
                                     f"instrument; only 15 MIDI channels are melodic")
                melodic.add(value)
            values.append(value)
        notes.append(tuple(values))
    if complete < len(tokens):
        raise ValueError(f"token {complete} (the start of an incomplete tuple): "
                         f"{len(tokens)} tokens is not a multiple of 5")
    return notes
