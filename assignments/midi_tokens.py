"""Hands-on 2: MIDI as tokens.

Turn MIDI files into flat lists of integer tokens and back, the way the
Anticipatory Music Transformer sees music: every note is five integers,
``onset, duration, note, instrument, velocity``, with times in hundredths of
a second. You work with ``mido`` (https://mido.readthedocs.io): a
``mido.MidiFile`` has ``tracks`` of messages whose ``time`` is in ticks, and
``for msg in midi`` gives all tracks merged, with ``msg.time`` in seconds
since the previous message.

What to do: write the bodies of :func:`midi_to_tokens` and
:func:`tokens_to_midi` (replace the ``raise NotImplementedError``). Keep the
names, signatures and ``TIME_RESOLUTION``; you may add helper functions. Only
``mido``, ``numpy`` and the standard library are available.

Read the docstrings closely: real MIDI files are full of edge cases
(``note_on`` with velocity 0, the same pitch played twice at once, note-offs
with no note, notes never ended, drums, tempo changes...), and the graders
check each one.

Neither function changes the arguments it is given: the MIDI file and the
token list are the caller's, who uses them again (the notebook's later cells
do). Build new lists and files. The graders check the token list after each
call: a changed one fails the check.

How to check your work::

    autograder check midi_tokens

runs the public graders on this file and tells you what passes. A quick test
of your own: ``midi_to_tokens(tokens_to_midi(tokens))`` should give back the
notes of ``tokens``, perhaps in another order (the docstring of
:func:`tokens_to_midi` says for which ``tokens``).
"""
from __future__ import annotations

from typing import Sequence

import mido

TIME_RESOLUTION = 100  # ticks per second, in tokens and in the MIDI files you write


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
    raise NotImplementedError("midi_to_tokens: write this function")


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
    raise NotImplementedError("tokens_to_midi: write this function")
