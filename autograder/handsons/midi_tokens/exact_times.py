"""A MIDI file's exact note times, and where they make its tokens ambiguous.

Times are exact (integers and Fractions, the same on every machine), the notes paired as the
spec pairs them:

- :func:`near_ties`, :func:`is_tie_free`: note times, in hundredths of a second, within
  ``TIE_MARGIN`` of some ``k + 0.5``, where correct implementations that compute seconds a
  little differently (float sums, exact fractions, round half up) could round apart;
- :func:`without_ties`: the file with its tempi scaled until it has none;
- :func:`ambiguous_program_changes`: program changes at the very tick of a note-on of their
  channel, where "the program at the note's onset" could be read either way;
- :func:`end_rounding_shows`: whether the classic end-rounding mistake changes a token of the file;
- :func:`merged_events`, :func:`note_spans`: the exact times themselves (the recipe stores them,
  for the grader to recognise rounding mistakes).
"""
from __future__ import annotations

from fractions import Fraction
from typing import Iterable

import mido

from .midi_files import reloaded

DEFAULT_TEMPO = 500_000        # microseconds per beat when a file has no set_tempo (120 bpm)
MAX_TEMPO = 0xFFFFFF           # set_tempo holds 24 bits
TIE_MARGIN = Fraction(1, 1000)  # hundredths of a second


def merged_events(midi: mido.MidiFile) -> tuple[list[tuple[int, mido.Message]], int]:
    """(absolute tick, message) in the order of ``for msg in midi``; the tick of the last event."""
    if midi.type == 2:
        raise TypeError("type 2 MIDI files have no common time line")
    stamped, last = [], 0
    for number, track in enumerate(midi.tracks):
        tick = 0
        for position, message in enumerate(track):
            tick += message.time
            stamped.append((tick, number, position, message))
        last = max(last, tick)
    stamped.sort(key=lambda item: item[:3])
    return [(tick, message) for tick, _, _, message in stamped], last


def note_spans(events, last_tick: int, scale: Fraction = Fraction(1)) -> list[tuple[int, int]]:
    """Each note's (start, end) as integers N with seconds = N / (ticks_per_beat * 10**6).

    Notes are paired as the spec says (velocity-0 note-ons end notes, the oldest
    sounding note of a channel and pitch ends first, stray note-offs are ignored,
    notes never ended end at the last event). Every tempo is multiplied by
    ``scale`` and rounded, as :func:`without_ties` writes it.
    """
    tempo, now_tick, now = round(DEFAULT_TEMPO * scale), 0, 0
    spans: list[list[int]] = []
    sounding: dict[tuple[int, int], list[int]] = {}
    for tick, message in events:
        now += (tick - now_tick) * tempo
        now_tick = tick
        if message.type == "set_tempo":
            tempo = round(message.tempo * scale)
        elif message.type == "note_on" and message.velocity > 0:
            sounding.setdefault((message.channel, message.note), []).append(len(spans))
            spans.append([now, -1])
        elif message.type in ("note_on", "note_off"):
            waiting = sounding.get((message.channel, message.note))
            if waiting:
                spans[waiting.pop(0)][1] = now
    end = now + (last_tick - now_tick) * tempo
    return [(start, stop if stop >= 0 else end) for start, stop in spans]


def _ties(values: Iterable[int], denominator: int, margin: Fraction) -> list[Fraction]:
    """The values ``v / denominator`` within ``margin`` of some ``k + 1/2``."""
    bad = []
    for value in set(values):
        distance = abs(2 * (value % denominator) - denominator)   # = 2 * denominator * |frac - 1/2|
        if distance * margin.denominator < 2 * margin.numerator * denominator:
            bad.append(Fraction(value, denominator))
    return sorted(bad)


def near_ties(midi: mido.MidiFile, margin: Fraction = TIE_MARGIN) -> list[str]:
    """Where ``midi`` is ambiguous to round: every ``100 * t_on`` and ``100 * (t_off - t_on)``
    (exact, in hundredths of a second) that is closer than ``margin`` to some ``k + 0.5``.

    ``[]`` means the file is tie-free.
    """
    events, last_tick = merged_events(midi)
    spans = note_spans(events, last_tick)
    denominator = midi.ticks_per_beat * 10_000      # N / denominator = hundredths of a second
    problems = [f"onset {float(x):.6f} hundredths" for x in _ties((s for s, _ in spans), denominator, margin)]
    problems += [f"duration {float(x):.6f} hundredths"
                 for x in _ties((e - s for s, e in spans), denominator, margin)]
    return problems


def is_tie_free(midi: mido.MidiFile, margin: Fraction = TIE_MARGIN) -> bool:
    """No note time of ``midi`` is within ``margin`` hundredths of a rounding tie."""
    return not near_ties(midi, margin)


def end_rounding_shows(midi: mido.MidiFile) -> bool:
    """Whether a note of ``midi`` has round(100 * t_off) - round(100 * t_on) != round(100 * (t_off -
    t_on)) (exact arithmetic): whether the classic end-rounding mistake shows on this file."""
    events, last_tick = merged_events(midi)
    denominator = Fraction(midi.ticks_per_beat * 10_000)
    return any(round(end / denominator) - round(start / denominator) != round((end - start) / denominator)
               for start, end in note_spans(events, last_tick))


def ambiguous_program_changes(midi: mido.MidiFile) -> list[str]:
    """Program changes that change a channel's program at the very tick of a note-on
    that comes before them on that channel: "the program at the note's onset" could
    be read either way there. Grading inputs have none.
    """
    events, _ = merged_events(midi)
    program = [0] * 16
    started_at: dict[int, int] = {}      # channel -> tick of its latest note-on
    problems = []
    for tick, message in events:
        if message.type == "note_on" and message.velocity > 0:
            started_at[message.channel] = tick
        elif message.type == "program_change":
            if started_at.get(message.channel) == tick and program[message.channel] != message.program:
                problems.append(f"channel {message.channel}, tick {tick}: program {message.program}")
            program[message.channel] = message.program
    return problems


def _scaled(midi: mido.MidiFile, scale: Fraction) -> mido.MidiFile:
    """A copy of ``midi`` whose tempi are all multiplied by ``scale`` (and rounded)."""
    copy = mido.MidiFile(type=midi.type, ticks_per_beat=midi.ticks_per_beat)
    tick_zero_tempo = False
    for track in midi.tracks:
        new, tick = mido.MidiTrack(), 0
        for message in track:
            tick += message.time
            if message.type == "set_tempo":
                tick_zero_tempo |= tick == 0
                message = message.copy(tempo=round(message.tempo * scale))
            new.append(message)
        copy.tracks.append(new)
    if not tick_zero_tempo:
        copy.tracks[0].insert(0, mido.MetaMessage("set_tempo", tempo=round(DEFAULT_TEMPO * scale)))
    return reloaded(copy)


def without_ties(midi: mido.MidiFile, margin: Fraction = TIE_MARGIN,
                 tries: int = 2000) -> tuple[mido.MidiFile, Fraction]:
    """``midi`` with every tempo scaled by the first factor 1, 1.001, 1.002, ... that
    leaves no near-tie; and that factor. ``ValueError`` if none of ``tries`` works.
    """
    events, last_tick = merged_events(midi)
    denominator = midi.ticks_per_beat * 10_000
    tempi = [m.tempo for _, m in events if m.type == "set_tempo"] + [DEFAULT_TEMPO]
    for k in range(tries):
        scale = Fraction(1000 + k, 1000)
        if max(round(t * scale) for t in tempi) > MAX_TEMPO:
            break
        spans = note_spans(events, last_tick, scale)
        if not _ties((s for s, _ in spans), denominator, margin) and \
                not _ties((e - s for s, e in spans), denominator, margin):
            result = midi if k == 0 else _scaled(midi, scale)
            assert is_tie_free(result, margin)
            return result, scale
    raise ValueError("no tempo scale removes the rounding near-ties")
