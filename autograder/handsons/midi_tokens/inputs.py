"""The grading inputs of hands-on 2 (MIDI as tokens), built here, deterministically.

For ``midi_to_tokens``:

- :func:`edge_case_midis`: small purpose-built files, one per edge case of
  the spec, and one "everything" file mixing them;
- :func:`real_music_midis`: public-domain scores of music21's corpus exported
  to MIDI, and a purpose-built drum groove.

For ``tokens_to_midi``:

- :func:`token_edge_cases`: valid token lists, one per edge case;
- :func:`invalid_token_cases`: invalid token lists, each with the index of
  its first bad token;
- the hypothesis strategies for the round trip are in ``strategies.py``
  (that module ships to students with the public checks; this one does not:
  it pairs notes exactly, which is half of the assignment).

Every MIDI input is returned as mido reads it back from its bytes (what
student code receives through the sandbox) and is free of rounding near-ties
(:func:`near_ties`): the times of its notes, in hundredths of a second, are at
least ``TIE_MARGIN`` away from any ``k + 0.5``, so that correct
implementations that compute seconds a little differently (float sums, exact
fractions, round half up) all give the same tokens.
"""
from __future__ import annotations

import functools
import io
import random
import re
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Iterable, Sequence

import mido

DEFAULT_TEMPO = 500_000        # microseconds per beat when a file has no set_tempo (120 bpm)
MAX_TEMPO = 0xFFFFFF           # set_tempo holds 24 bits
TIE_MARGIN = Fraction(1, 1000)  # hundredths of a second


@dataclass(frozen=True)
class MidiCase:
    """A MIDI input of ``midi_to_tokens``.

    ``raises``: the exception it must raise instead of returning tokens. ``companion``: a
    file graded in the same check (its tokens must be right too), for a case whose right
    answer (``[]``, an exception) a function could give for every file.
    """
    name: str
    description: str
    midi: mido.MidiFile
    raises: str | None = None
    companion: mido.MidiFile | None = None


@dataclass(frozen=True)
class TokensCase:
    """A valid input of ``tokens_to_midi``; ``expected``: the notes read back.

    ``companion``: tokens graded in the same check at the same ``bpm`` (for the empty list,
    whose file a function could return for every input)."""
    name: str
    description: str
    tokens: tuple[int, ...]
    bpm: int = 120
    expected: tuple[int, ...] | None = None   # None: the same notes as ``tokens``
    companion: tuple[int, ...] | None = None

    @property
    def expected_notes(self) -> Counter:
        return note_multiset(self.tokens if self.expected is None else self.expected)


@dataclass(frozen=True)
class InvalidTokensCase:
    """An input of ``tokens_to_midi`` that must raise ``ValueError`` naming ``bad_index``."""
    name: str
    description: str
    tokens: tuple[int, ...]
    bad_index: int
    bpm: int = 120


@dataclass(frozen=True)
class BadBpmCase:
    """A ``bpm`` that ``tokens_to_midi`` must refuse with ``ValueError``, and a valid
    ``companion_bpm`` near it that it must accept (graded together: a function that
    refuses every ``bpm`` earns nothing)."""
    name: str
    description: str
    bpm: int
    companion_bpm: int
    tokens: tuple[int, ...]


@dataclass(frozen=True)
class Step:
    """One call of a sequence made in one worker: ``midi_to_tokens(midi)`` (``midi`` given)
    or ``tokens_to_midi(tokens, bpm)``. ``name`` names its input (the same name, the same
    input: repeated calls must give the same answer)."""
    name: str
    midi: mido.MidiFile | None = None
    tokens: tuple[int, ...] = ()
    bpm: int = 120

    @property
    def function(self) -> str:
        return "midi_to_tokens" if self.midi is not None else "tokens_to_midi"


@dataclass(frozen=True)
class SequenceCase:
    """Calls made one after the other in one fresh worker, the way the course notebook makes
    them: state kept between calls (a channel allocator, a program table, a cache keyed
    without ``bpm``) changes a later answer."""
    name: str
    description: str
    steps: tuple[Step, ...]


# ---------------------------------------------------------------- helpers on tokens

def as_tuples(tokens: Sequence[int]) -> list[tuple[int, ...]]:
    """``[(onset, duration, note, instrument, velocity), ...]``; a short tail is dropped."""
    tokens = [int(t) for t in tokens]
    return [tuple(tokens[i:i + 5]) for i in range(0, len(tokens) - 4, 5)]


def note_multiset(tokens: Sequence[int]) -> Counter:
    """The notes of ``tokens`` as a multiset of 5-tuples (order forgotten)."""
    return Counter(as_tuples(tokens))


def named_token_index(message: str) -> int | None:
    """The index a ``ValueError`` message names as ``token <index>`` (the first one), or None."""
    match = re.search(r"\btoken (\d+)\b", str(message))
    return int(match.group(1)) if match else None


# ---------------------------------------------------------------- exact times and near-ties

def _merged_events(midi: mido.MidiFile) -> tuple[list[tuple[int, mido.Message]], int]:
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


def _note_spans(events, last_tick: int, scale: Fraction = Fraction(1)) -> list[tuple[int, int]]:
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
    events, last_tick = _merged_events(midi)
    spans = _note_spans(events, last_tick)
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
    events, last_tick = _merged_events(midi)
    denominator = Fraction(midi.ticks_per_beat * 10_000)
    return any(round(end / denominator) - round(start / denominator) != round((end - start) / denominator)
               for start, end in _note_spans(events, last_tick))


def ambiguous_program_changes(midi: mido.MidiFile) -> list[str]:
    """Program changes that change a channel's program at the very tick of a note-on
    that comes before them on that channel: "the program at the note's onset" could
    be read either way there. Grading inputs have none.
    """
    events, _ = _merged_events(midi)
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
    return _reloaded(copy)


def without_ties(midi: mido.MidiFile, margin: Fraction = TIE_MARGIN,
                 tries: int = 2000) -> tuple[mido.MidiFile, Fraction]:
    """``midi`` with every tempo scaled by the first factor 1, 1.001, 1.002, ... that
    leaves no near-tie; and that factor. ``ValueError`` if none of ``tries`` works.
    """
    events, last_tick = _merged_events(midi)
    denominator = midi.ticks_per_beat * 10_000
    tempi = [m.tempo for _, m in events if m.type == "set_tempo"] + [DEFAULT_TEMPO]
    for k in range(tries):
        scale = Fraction(1000 + k, 1000)
        if max(round(t * scale) for t in tempi) > MAX_TEMPO:
            break
        spans = _note_spans(events, last_tick, scale)
        if not _ties((s for s, _ in spans), denominator, margin) and \
                not _ties((e - s for s, e in spans), denominator, margin):
            result = midi if k == 0 else _scaled(midi, scale)
            assert is_tie_free(result, margin)
            return result, scale
    raise ValueError("no tempo scale removes the rounding near-ties")


# ---------------------------------------------------------------- building MIDI files

def _reloaded(midi: mido.MidiFile) -> mido.MidiFile:
    """``midi`` saved and read back: exactly what student code receives."""
    buffer = io.BytesIO()
    midi.save(file=buffer)
    return mido.MidiFile(file=io.BytesIO(buffer.getvalue()))


def midi_bytes(midi: mido.MidiFile) -> bytes:
    """The bytes of ``midi`` as a ``.mid`` file."""
    buffer = io.BytesIO()
    midi.save(file=buffer)
    return buffer.getvalue()


def _on(tick, note, velocity=100, channel=0):
    return tick, mido.Message("note_on", channel=channel, note=note, velocity=velocity)


def _on0(tick, note, channel=0):
    """A note_on of velocity 0: a note-off."""
    return tick, mido.Message("note_on", channel=channel, note=note, velocity=0)


def _off(tick, note, channel=0, velocity=0):
    return tick, mido.Message("note_off", channel=channel, note=note, velocity=velocity)


def _program(tick, program, channel=0):
    return tick, mido.Message("program_change", channel=channel, program=program)


def _tempo(tick, tempo):
    return tick, mido.MetaMessage("set_tempo", tempo=tempo)


def _meta(tick, kind, **fields):
    return tick, mido.MetaMessage(kind, **fields)


def _track(events) -> mido.MidiTrack:
    """A track from (absolute tick, message) in playing order; an ``end_of_track``
    event sets where the track ends (else at its last message)."""
    track, now = mido.MidiTrack(), 0
    for tick, message in events:
        assert tick >= now, "events must be in time order"
        track.append(message.copy(time=tick - now))
        now = tick
    if not track or track[-1].type != "end_of_track":
        track.append(mido.MetaMessage("end_of_track", time=0))
    return track


def _file(*tracks, ticks_per_beat=480, type=None) -> mido.MidiFile:
    midi = mido.MidiFile(type=(0 if len(tracks) == 1 else 1) if type is None else type,
                         ticks_per_beat=ticks_per_beat)
    midi.tracks.extend(_track(events) for events in tracks)
    return _reloaded(midi)


def edge_case_midis() -> list[MidiCase]:
    """Purpose-built files, one per edge case of ``midi_to_tokens``.

    Unless said otherwise: 480 ticks per beat and no ``set_tempo`` (120 bpm), so
    48 ticks are 5 hundredths of a second. The expected tokens are written by
    hand, from the spec, in ``tests/test_midi_reference.py``.
    """
    cases = []

    def case(name, description, midi):
        cases.append(MidiCase(name, description, midi))

    case("velocity_zero_note_off", "note_on messages of velocity 0 end notes, like note_off",
         _file([_on(0, 60, 90), _on0(480, 60), _on(480, 64, 80), _on0(960, 64),
                _on(960, 67, 70), _off(1440, 67)]))

    case("oldest_closed_first", "notes of one pitch overlap: each note-off ends the oldest",
         _file([_on(0, 60, 100), _on(240, 60, 50), _off(480, 60), _off(960, 60),
                _on(1056, 62, 31), _on(1152, 62, 32), _on(1248, 62, 33),
                _off(1344, 62), _off(1440, 62), _off(1536, 62)]))

    case("stray_note_offs", "note-offs with nothing to end (before, after, on another channel) are ignored",
         _file([_off(0, 62), _off(0, 60), _on(0, 60, 100), _on(0, 64, 90), _off(240, 64, channel=1),
                _off(480, 60), _off(720, 60), _on0(720, 60), _off(960, 64), _on0(960, 64),
                _on(960, 65, 80), _off(1200, 65), _off(1200, 65, velocity=64)]))

    case("open_at_end", "notes never ended end at the file's last event (here a stray note-off)",
         _file([_on(0, 60, 100), _on(480, 64, 90), _off(960, 64), _on(1200, 67, 80), _off(1440, 72)]))

    case("drums_channel_10", "notes on MIDI channel 10 (channel=9) are instrument 128 whatever the program; "
         "channel=10 is melodic",
         _file([_program(0, 25, 9), _on(0, 36, 100, 9), _on(0, 42, 60, 9), _on0(48, 42, 9),
                _off(96, 36, 9), _on(240, 42, 61, 9), _on0(288, 42, 9), _on(480, 38, 110, 9),
                _on(480, 42, 62, 9), _on0(528, 42, 9), _off(576, 38, 9)],
               [_program(0, 33, 0), _on(0, 40, 90, 0), _off(960, 40, 0)],
               [_program(0, 5, 10), _on(240, 64, 70, 10), _off(720, 64, 10)]))

    case("program_changes_mid_file", "a note's instrument is its channel's program at its onset; "
         "each channel has its own",
         _file([_program(0, 40, 0), _on(0, 60, 100, 0), _on(0, 48, 80, 1), _program(240, 70, 2),
                _off(480, 60, 0), _program(480, 41, 0), _on(480, 62, 101, 0), _program(720, 42, 0),
                _off(960, 62, 0), _off(960, 48, 1), _on(960, 64, 102, 0), _on(960, 50, 81, 1),
                _off(1440, 64, 0), _off(1440, 50, 1)]))

    case("several_tracks", "a type 1 file: a conductor track with meta events and three instrument "
         "tracks, merged in time",
         _file([_meta(0, "track_name", name="conductor"), _tempo(0, 500000),
                _meta(0, "time_signature", numerator=4, denominator=4), _meta(120, "marker", text="a"),
                _meta(600, "marker", text="b"), _meta(1000, "marker", text="c")],
               [_meta(0, "track_name", name="flute"), _program(0, 73, 0), _on(0, 72, 100, 0),
                _off(240, 72, 0), _on(240, 74, 101, 0), _off(480, 74, 0), _on(480, 76, 102, 0),
                _off(960, 76, 0)],
               [_meta(0, "track_name", name="bass"), _program(0, 32, 1), _on(0, 48, 90, 1),
                (300, mido.Message("control_change", channel=1, control=64, value=127)),
                (400, mido.Message("pitchwheel", channel=1, pitch=512)), _off(960, 48, 1)],
               [_meta(0, "track_name", name="piano"), _on(96, 60, 80, 2), _off(336, 60, 2),
                _on(480, 64, 81, 2), _off(720, 64, 2)]))

    case("tempo_changes", "set_tempo changes (in the conductor track and in a later track) apply "
         "to every track; one note spans two changes",
         _file([_tempo(0, 500000), _tempo(480, 1000000)],
               [_program(0, 0, 0), _on(0, 60, 100), _on(240, 72, 104), _off(480, 60), _on(480, 62, 101),
                _off(960, 62), _on(960, 64, 102), _off(1152, 72), _off(1440, 64)],
               [_meta(0, "track_name", name="tempo, late"), _tempo(960, 250000)]))

    case("not_120_bpm", "one set_tempo of 100 bpm (600000 us per beat), 96 ticks per beat",
         _file([_tempo(0, 600000), _on(0, 60, 100), _off(96, 60), _on(96, 62, 101), _off(144, 62),
                _on(144, 64, 102), _off(336, 64), _on(336, 65, 103), _off(344, 65)], ticks_per_beat=96))

    case("repeated_notes", "a note ends and the same pitch starts again at one tick, note-off first "
         "(pitch 60) or note-on first (pitch 64)",
         _file([_on(0, 60, 100), _on(0, 64, 90), _off(240, 60), _on(240, 60, 101), _on(240, 64, 91),
                _off(240, 64), _off(480, 60), _on(480, 60, 102), _on(480, 64, 92), _on0(480, 64),
                _off(720, 60), _off(720, 64)]))

    case("zero_length_notes", "a note-on and its note-off at one tick make a note of duration 0",
         _file([_on(240, 60, 100), _off(240, 60), _on(480, 62, 90), _on0(480, 62), _on(480, 42, 80, 9),
                _off(480, 42, 9), _on(720, 64, 70), _off(720, 64), _on(720, 64, 71), _off(960, 64)]))

    case("duration_not_end_rounded", "1 ms ticks: onsets and durations rounded from exact seconds "
         "(rounding the end instead is one off here)",
         _file([_tempo(0, 1000000), _on(3, 60, 100), _off(16, 60), _on(1234, 62, 101), _off(1987, 62),
                _on(2046, 64, 102), _off(2114, 64)], ticks_per_beat=1000))

    # The "everything" file: 384 ticks per beat at 125 bpm (8 ticks = 1 hundredth), then
    # from tick 1536 (1.92 s) at 78.125 bpm (5 ticks = 1 hundredth).
    case("everything", "tempo change, program changes, drums, velocity-0 note-offs, one pitch "
         "overlapping across two tracks of one channel, stray note-offs, repeated and zero-length "
         "notes, notes still sounding when the last track ends",
         _file([_meta(0, "track_name", name="conductor"), _tempo(0, 480000),
                _meta(0, "time_signature", numerator=3, denominator=4), _tempo(1536, 768000)],
               [_program(0, 19, 0), _on(0, 60, 100), _on(192, 60, 50), _on0(384, 60), _off(768, 60),
                _program(768, 20, 0), _on(768, 62, 90), _off(1152, 62), _on(1152, 62, 91), _off(1536, 62),
                _off(1536, 62), _on(1600, 64, 92), _program(1700, 21, 0), _off(1800, 64), _on(1800, 65, 93)],
               [_on(96, 60, 70), _off(1000, 60)],
               [_program(0, 0, 9), _on(0, 36, 110, 9), _off(80, 36, 9), _on(384, 38, 100, 9), _off(464, 38, 9),
                _on(768, 42, 60, 9), _off(768, 42, 9), _off(800, 49, 9), _on(1536, 36, 111, 9),
                _on0(1546, 36, 9), _on(2000, 38, 101, 9)],
               [_on(400, 72, 80, 1), _off(400, 72, 1), _meta(2304, "end_of_track")],
               ticks_per_beat=384))

    # Tempo: 600000 us per beat from tick 0 (track 1), 400000 from 960 (track 1), 1000000 from
    # 1440 (track 2, beside notes): 480 ticks are 60, then 40, then 100 hundredths.
    case("tempo_in_later_track", "every set_tempo is in a later track than the first notes, and there are "
         "three of them; a note_off of velocity 64 (a note's velocity is its note-on's)",
         _file([_program(0, 52, 0), _on(0, 60, 100), _off(480, 60, velocity=64), _on(720, 64, 90),
                _off(1200, 64), _on(1440, 67, 80), _off(1920, 67)],
               [_meta(0, "track_name", name="tempo map"), _tempo(0, 600000), _tempo(960, 400000)],
               [_on(240, 48, 70, 1), _tempo(1440, 1000000), _off(1680, 48, 1)]))

    # 96 ticks per beat at 0.8 s per beat (75 bpm): 12 ticks = 10 hundredths; from tick 192 (160)
    # 0.4 s per beat: 12 ticks = 5 hundredths; from tick 384 (240) 1.2 s per beat: 12 ticks = 15.
    case("several_tempos_late_track", "the only set_tempo messages are in the last track, four of them "
         "(one repeating the tempo in force); notes in two earlier tracks span the changes",
         _file([_program(0, 11, 0), _on(0, 72, 100), _off(204, 72), _on(240, 74, 101), _off(420, 74)],
               [_program(0, 12, 1), _on(96, 48, 90, 1), _off(396, 48, 1), _on(408, 50, 91, 1)],
               [_meta(0, "track_name", name="tempi, last"), _tempo(0, 800000), _tempo(192, 400000),
                _tempo(288, 400000), _tempo(384, 1200000), _meta(444, "end_of_track")],
               ticks_per_beat=96))

    case("program_change_while_sounding", "a program_change while a note of its channel sounds: the "
         "sounding note keeps its instrument, the next one gets the new one; channel 1 gets its "
         "program only after its note began",
         _file([_program(0, 10, 0), _on(0, 60, 100), _on(96, 55, 80, 1), _program(240, 20, 0),
                _program(300, 99, 1), _on(480, 62, 90), _off(576, 55, 1), _off(720, 60), _program(720, 30, 0),
                _off(960, 62)]))

    # Channel 3: program 7 from 0, 8 at 240 (note 60 sounds), 9 at 600 (note 62 sounds); drums
    # change program too (still 128); channel 4 never gets one.
    case("program_changes_while_sounding_2", "program changes while notes sound, on two channels, across "
         "tracks (a program_change in another track than the notes); drums whatever the program",
         _file([_program(0, 7, 3), _on(0, 60, 100, 3), _on(0, 36, 110, 9), _off(96, 36, 9),
                _on(480, 62, 101, 3), _off(960, 60, 3), _on(960, 64, 102, 3), _off(1200, 62, 3),
                _off(1440, 64, 3)],
               [_program(240, 8, 3), _program(240, 16, 9), _on(480, 38, 111, 9), _off(528, 38, 9),
                _program(600, 9, 3), _on(720, 50, 80, 4), _off(1200, 50, 4)]))

    case("note_off_in_another_track", "note-offs in another track than their note-ons still end them "
         "(the track does not matter); the same pitch on another channel is another note",
         _file([_program(0, 40, 0), _on(0, 60, 100), _on(480, 64, 90)],
               [_program(0, 41, 1), _on(240, 60, 80, 1), _off(480, 60, 0), _off(720, 60, 1), _off(960, 64, 0)]))

    case("end_of_track_delay", "end_of_track comes 960 ticks after the last message: a note never ended "
         "ends there (midi.length), not at the last note message",
         _file([_on(0, 60, 100), _off(480, 60), _on(480, 64, 90), _on(720, 67, 80), _off(960, 67),
                _meta(1920, "end_of_track")]))

    case("end_of_track_delay_later_track", "notes never ended in the first track, whose end_of_track "
         "comes early; a later meta-only track ends last: the notes end there",
         _file([_program(0, 3, 0), _on(0, 60, 100), _on(240, 62, 90), _off(480, 62), _on(480, 48, 70, 1),
                _meta(960, "end_of_track")],
               [_meta(0, "track_name", name="long"), _meta(1200, "marker", text="end"),
                _meta(2400, "end_of_track")]))

    case("open_note_other_track_ends_later", "a note never ended in the first track, whose last event comes "
         "early; the other track's notes go on: the note ends at the file's last event, in that other track",
         _file([_program(0, 3, 0), _on(0, 60, 100), _on(240, 62, 90), _off(480, 62)],
               [_program(0, 20, 1), _on(240, 48, 70, 1), _off(1440, 48, 1)]))

    case("open_note_in_later_track", "a note never ended in the last track, which ends early; the first "
         "track ends last (an end_of_track 480 ticks after its last note-off): the note ends there",
         _file([_program(0, 7, 0), _on(0, 60, 100), _off(480, 60), _on(960, 64, 90), _off(1920, 64),
                _meta(2400, "end_of_track")],
               [_program(0, 30, 1), _on(480, 48, 70, 1), _on(720, 50, 71, 1), _off(960, 50, 1)]))

    case("same_instant_order", "notes starting together in two tracks, neither by pitch nor by instrument: "
         "they come in the order of the merged messages (track 0's, then track 1's); onset 50 is ticks 480 "
         "(track 1) and 481 (track 0)",
         _file([_program(0, 40, 0), _on(0, 67, 90), _on(0, 60, 91), _on(0, 64, 92), _off(480, 67), _off(480, 60),
                _off(480, 64), _on(481, 72, 93), _off(960, 72)],
               [_program(0, 5, 1), _on(0, 36, 100, 9), _on(0, 48, 80, 1), _on(0, 42, 60, 9), _off(96, 36, 9),
                _off(96, 42, 9), _off(480, 48, 1), _on(480, 45, 81, 1), _on(480, 38, 101, 9), _off(528, 38, 9),
                _off(960, 45, 1)]))

    # 480 ticks per beat at 0.4 s per beat: 12 ticks = 1 hundredth.
    case("same_instant_order_2", "a conductor track, then chords and drums starting together in two tracks, "
         "in no sorted order, a zero-length drum among them; onset 20 is ticks 236 (track 2) and 240",
         _file([_meta(0, "track_name", name="tempo"), _tempo(0, 400000)],
               [_program(0, 70, 2), _on(0, 72, 90, 2), _on(0, 55, 91, 2), _on(0, 38, 100, 9), _on(0, 36, 101, 9),
                _off(120, 38, 9), _off(120, 36, 9), _off(240, 72, 2), _on(240, 79, 92, 2), _on(240, 50, 93, 2),
                _on(240, 49, 102, 9), _off(240, 49, 9), _off(480, 55, 2), _off(480, 79, 2), _off(480, 50, 2)],
               [_program(0, 12, 3), _on(0, 30, 80, 3), _on(236, 90, 81, 3), _on(240, 42, 103, 9), _off(288, 42, 9),
                _off(480, 30, 3), _off(480, 90, 3)]))

    case("docstring_example", "the example of the docstring: drums, a velocity-0 note-off, a note never "
         "ended while end_of_track comes 480 ticks later",
         _file([_program(0, 40, 0), _on(0, 60, 90), _on(0, 36, 100, 9), _on0(240, 36, 9), _off(480, 60),
                _on(480, 62, 80), _meta(960, "end_of_track")]))

    # 1 ms ticks (1000 per beat at 1 s per beat). 7 -> 24: onset 0.7 -> 1, duration 1.7 -> 2 (the
    # rounded end gives 2 - 1 = 1); 1236 -> 1443: 123.6 -> 124, 20.7 -> 21 (not 144 - 124 = 20).
    case("duration_rounded_itself", "1 ms ticks: durations rounded from exact seconds (rounding the "
         "end instead is one off)",
         _file([_tempo(0, 1000000), _on(7, 60, 100), _off(24, 60), _on(1236, 62, 101), _off(1443, 62)],
               ticks_per_beat=1000))
    return cases


def _no_notes_events(with_note: bool) -> list:
    """A track with a tempo, a program change, a controller, stray note-offs and a note_on of
    velocity 0 (a note-off): no notes. ``with_note``: the same and one note."""
    events = [_tempo(0, 500000), _program(0, 24), (96, mido.Message("control_change", control=7, value=100)),
              _off(240, 60), _on0(480, 62)]
    if with_note:
        events[3:3] = [_on(144, 64, 88), _off(240, 64)]
    return events


def no_notes_midis() -> list[MidiCase]:
    """Files without notes (their tokens are ``[]``), each with a companion: the same file with
    notes, graded together."""
    conductor = [_meta(0, "track_name", name="conductor"), _tempo(0, 750000),
                 _meta(0, "time_signature", numerator=3, denominator=4)]
    silent = [_program(0, 73, 2), _off(0, 72, 2), _on0(480, 72, 2), _off(960, 74, 2)]
    sounding = [_program(0, 73, 2), _off(0, 72, 2), _on(192, 72, 77, 2), _on0(480, 72, 2), _off(960, 74, 2)]
    return [
        MidiCase("no_notes", "no note at all: a tempo, a program change, a controller, stray note-offs and "
                 "a note_on of velocity 0 (a note-off); graded with the same file plus one note",
                 _file(_no_notes_events(False)), companion=_file(_no_notes_events(True))),
        MidiCase("no_notes_several_tracks", "a conductor track and a track of program changes, stray "
                 "note-offs and velocity-0 note-ons: no notes; graded with the same file plus one note",
                 _file(conductor, silent), companion=_file(conductor, sounding)),
    ]


def _docstring_example_tracks() -> list[list]:
    """The example of ``midi_to_tokens``'s docstring, split in two tracks."""
    return [[_program(0, 40, 0), _on(0, 60, 90), _off(480, 60), _on(480, 62, 80), _meta(960, "end_of_track")],
            [_on(0, 36, 100, 9), _on0(240, 36, 9)]]


def type_2_midis(real_music: list[MidiCase] | None = None) -> list[MidiCase]:
    """Type 2 files (tracks not played together), refused with ``TypeError``; each graded with
    the same tracks as a type 1 file (the chorale: the one of ``real_music``'s ``bach_bwv269`` case)."""
    bach = next(case.midi for case in (real_music or real_music_midis()) if case.name == "bach_bwv269")
    bach_tracks = [list(track) for track in bach.tracks]

    def retyped(tracks: list[list], ticks_per_beat: int, kind: int) -> mido.MidiFile:
        midi = mido.MidiFile(type=kind, ticks_per_beat=ticks_per_beat)
        midi.tracks.extend(mido.MidiTrack(m.copy() for m in track) for track in tracks)
        return _reloaded(midi)

    example = _docstring_example_tracks()
    return [
        MidiCase("type_2_refused", "a type 2 file (the docstring's example, in two tracks): TypeError; graded "
                 "with the same tracks as a type 1 file",
                 _file(*example, type=2), raises="TypeError", companion=_file(*example, type=1)),
        MidiCase("type_2_chorale", "a chorale's tracks in a type 2 file: TypeError; graded with the same "
                 "tracks as a type 1 file",
                 retyped(bach_tracks, bach.ticks_per_beat, 2), raises="TypeError",
                 companion=retyped(bach_tracks, bach.ticks_per_beat, 1)),
    ]


# ---------------------------------------------------------------- real music

CORPUS_PIECES = (
    # (name, music21 corpus path, description)
    ("bach_bwv66_6", "bach/bwv66.6", "J. S. Bach, chorale BWV 66.6 (4 voices on one channel, 96 bpm)"),
    ("bach_bwv269", "bach/bwv269", "J. S. Bach, chorale BWV 269 (4 voices on one channel)"),
    ("mozart_k458_minuet", "mozart/k458/movement3",
     "W. A. Mozart, string quartet K. 458, 3rd movement (violins 40, viola 41, cello 42; "
     "both violins on channel 0)"),
    ("joplin_maple_leaf_rag", "joplin/maple_leaf_rag",
     "S. Joplin, Maple Leaf Rag (piano, two staves on one channel, a tempo change)"),
)


def chorale_paths() -> list[str]:
    """Bach chorales of music21's corpus (``bach/bwvNNN.N``), sorted: what variants draw from."""
    from music21 import corpus
    found = {Path(str(p)).stem for p in corpus.getComposer("bach")}
    plain = sorted(name for name in found if re.fullmatch(r"bwv\d+\.\d+", name))
    return [f"bach/{name}" for name in plain]


@functools.lru_cache(maxsize=None)
def _corpus_midi(path: str) -> mido.MidiFile:
    from music21 import corpus
    from music21.midi import translate

    score = corpus.parse(path)
    return mido.MidiFile(file=io.BytesIO(translate.streamToMidiFile(score).writestr()))


def drum_groove(seed: int = 2) -> mido.MidiFile:
    """16 bars of swung, humanised drums (channel 10) with a bass and electric piano, at 100 bpm.

    Deterministic (seeded); the piano changes program half-way.
    """
    rng = random.Random(seed)
    ticks_per_beat, beat = 480, 480
    swing = [0, 320]                           # swung eighths
    drums, bass, keys = [], [], []
    roots = [40, 45, 43, 38]                   # E2 A2 G2 D2
    for bar in range(16):
        start = bar * 4 * beat
        for b in range(4):
            for half, offset in enumerate(swing):
                at = start + b * beat + offset + rng.randint(-9, 9) if (b or half) else start + b * beat + offset
                at = max(at, 0)
                drums.append((at, 42 if (bar, b, half) != (15, 3, 1) else 46, rng.randint(50, 80), 30))
            if b in (0, 2):
                drums.append((start + b * beat, 36, rng.randint(100, 120), 60))
            if b in (1, 3):
                drums.append((start + b * beat + rng.randint(-4, 4), 38, rng.randint(95, 115), 60))
        if bar % 4 == 0:
            drums.append((start, 49, 110, 0))  # crash, zero-length hit
        root = roots[bar % 4]
        for b, step in enumerate((0, 7, 12, 7)):
            bass.append((start + b * beat, root + step, rng.randint(85, 100), beat - 40 - rng.randint(0, 30)))
        for b in (0, 2):
            for step in (12, 16, 19):
                keys.append((start + b * beat + 320, root + 24 + step, rng.randint(55, 70), 2 * beat - 400))

    def events(notes, channel):
        timed = []
        for at, note, velocity, length in notes:
            timed.append((at, 1, mido.Message("note_on", channel=channel, note=note, velocity=velocity)))
            timed.append((at + length, 0 if length else 2, mido.Message("note_off", channel=channel, note=note)))
        timed.sort(key=lambda item: item[:2])
        return [(at, message) for at, _, message in timed]

    key_events = events(keys, 2)
    middle = 8 * 4 * beat
    split = next(i for i, (at, _) in enumerate(key_events) if at >= middle)
    key_events.insert(split, _program(middle, 5, 2))
    return _file([_meta(0, "track_name", name="groove"), _tempo(0, 600000)],
                 [_program(0, 0, 9)] + events(drums, 9),
                 [_program(0, 33, 1)] + events(bass, 1),
                 [_program(0, 4, 2)] + key_events,
                 ticks_per_beat=ticks_per_beat)


@functools.lru_cache(maxsize=None)
def _real_music(pieces: tuple = CORPUS_PIECES, groove_seed: int = 2) -> tuple[MidiCase, ...]:
    cases = []
    sources = [(name, _corpus_midi(path), description) for name, path, description in pieces]
    sources.append(("drum_groove", drum_groove(groove_seed),
                    "a purpose-built swung drum groove (channel 10) with bass and electric piano, 100 bpm"))
    for name, midi, description in sources:
        midi, scale = without_ties(_reloaded(midi))
        if scale != 1:
            description += f"; tempo scaled by {float(scale):g} to avoid rounding ties"
        cases.append(MidiCase(name, description, midi))
    return tuple(cases)


def real_music_midis(pieces: tuple = CORPUS_PIECES, groove_seed: int = 2) -> list[MidiCase]:
    """Real music: music21 corpus scores exported to MIDI and a drum groove, tie-free.
    ``pieces``: (case name, corpus path, description), by default :data:`CORPUS_PIECES`;
    ``groove_seed``: the drum groove's.

    A few seconds to build the first time (music21), then cached. Do not modify
    the returned files.
    """
    return list(_real_music(tuple(pieces), groove_seed))


# ---------------------------------------------------------------- tokens_to_midi

def _flat(*notes: tuple[int, int, int, int, int]) -> tuple[int, ...]:
    return tuple(value for note in notes for value in note)


_BPM_NOTES = _flat((0, 50, 60, 0, 100), (50, 50, 60, 0, 90), (25, 0, 62, 0, 80), (0, 133, 36, 128, 120),
                   (37, 91, 64, 41, 70), (128, 7, 64, 41, 71), (1234, 567, 67, 41, 72))


def token_edge_cases() -> list[TokensCase]:
    """Valid token lists, one per edge case of ``tokens_to_midi``."""
    fifteen = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 40, 73, 126, 127]
    cases = [
        TokensCase("repeated_note", "the same pitch ends and starts again at one tick, twice",
                   _flat((0, 50, 60, 0, 100), (50, 50, 60, 0, 90), (100, 50, 60, 0, 80))),
        TokensCase("repeated_note_unsorted", "repeated notes given out of time order",
                   _flat((100, 50, 60, 0, 80), (0, 50, 60, 0, 100), (50, 50, 60, 0, 90))),
        TokensCase("zero_length_notes", "notes of duration 0, alone, beside a longer note of the same "
                   "pitch and onset (given first), and where one ends",
                   _flat((10, 30, 60, 0, 90), (10, 0, 60, 0, 100), (40, 0, 60, 0, 80), (50, 0, 36, 128, 100),
                         (60, 0, 62, 5, 70))),
        TokensCase("order_at_one_tick", "at tick 10, one pitch: a note ends, three start (lasting 30, 0 "
                   "and 5, given in that order): its note-off, then the note-ons shortest first, then "
                   "the zero-length note's note-off",
                   _flat((10, 30, 60, 0, 90), (0, 10, 60, 0, 80), (10, 0, 60, 0, 100), (10, 5, 60, 0, 70),
                         (10, 10, 64, 0, 60))),
        TokensCase("same_onset_same_pitch", "two notes of one pitch starting together, the longer given first",
                   _flat((0, 100, 60, 0, 90), (0, 50, 60, 0, 80))),
        TokensCase("overlapping_same_pitch", "notes of one pitch overlapping, ending in the order they start",
                   _flat((0, 100, 60, 0, 90), (50, 100, 60, 0, 80), (70, 80, 60, 0, 70))),
        TokensCase("drums", "drums only (instrument 128, channel 10)",
                   _flat((0, 10, 36, 128, 110), (0, 5, 42, 128, 60), (25, 5, 42, 128, 61), (50, 10, 38, 128, 100),
                         (50, 5, 42, 128, 62), (75, 5, 42, 128, 63), (75, 0, 49, 128, 127))),
        TokensCase("three_instruments_unsorted", "tokens out of time order; instruments first appear as "
                   "25, 128, 0 (not in time order): tracks 25, 128, 0",
                   _flat((100, 50, 60, 25, 90), (0, 20, 36, 128, 100), (50, 50, 64, 0, 80), (0, 50, 67, 25, 70),
                         (20, 20, 38, 128, 101))),
        TokensCase("several_instruments", "instruments whose first notes are not in time order: "
                   "tracks 73, 0, 128, 40",
                   _flat((100, 50, 72, 73, 90), (0, 50, 60, 0, 80), (0, 10, 36, 128, 100), (20, 30, 48, 40, 70),
                         (150, 25, 74, 73, 91), (10, 10, 38, 128, 101))),
        TokensCase("fifteen_melodic_and_drums", "15 melodic instruments and drums: all 16 channels",
                   _flat(*[(10 * i, 40, 40 + i, instrument, 64 + i) for i, instrument in enumerate(fifteen[:8])],
                         (5, 20, 36, 128, 100),
                         *[(10 * i, 40, 40 + i, instrument, 64 + i) for i, instrument in enumerate(fifteen[8:], 8)],
                         (300, 10, 90, 0, 1), (310, 10, 91, 127, 127))),
        TokensCase("twelve_melodic_and_drums", "12 melodic instruments and drums (given 5th): channel 9 (MIDI "
                   "channel 10) is the drums' only, so a melodic instrument past the 9th takes 10 or above",
                   _flat(*[(5 * i, 20, 48 + i, instrument, 70 + i) for i, instrument in enumerate([24, 25, 26, 0])],
                         (12, 8, 38, 128, 100),
                         *[(5 * i, 20, 48 + i, instrument, 70 + i)
                           for i, instrument in enumerate([1, 2, 40, 41, 42, 56, 57, 73], 4)])),
        TokensCase("docstring_example", "the example of the docstring",
                   _flat((0, 50, 60, 40, 90), (50, 50, 60, 40, 80), (25, 0, 36, 128, 100))),
        TokensCase("long_times", "onsets up to an hour and a note of 10 minutes",
                   _flat((0, 60000, 60, 0, 100), (359_999, 1, 62, 0, 100), (123_456, 7, 64, 0, 100))),
        TokensCase("empty", "no notes at all (graded with a list of notes at the same bpm)", (),
                   companion=_flat((0, 50, 60, 0, 100), (25, 0, 36, 128, 90))),
        TokensCase("empty_bpm_90", "no notes at all, at 90 bpm (graded with a list of notes at the same bpm)",
                   (), bpm=90, companion=_flat((10, 20, 62, 5, 70))),
        TokensCase("empty_bpm_133", "no notes at all, at 133 bpm (graded with a list of notes at the same bpm)",
                   (), bpm=133, companion=_flat((0, 10, 38, 128, 100), (3, 10, 60, 0, 90))),
        TokensCase("silent_note", "a note of velocity 0 cannot be written: it is left out",
                   _flat((0, 50, 60, 0, 100), (10, 50, 62, 0, 0), (20, 50, 64, 0, 90)),
                   expected=_flat((0, 50, 60, 0, 100), (20, 50, 64, 0, 90))),
        TokensCase("silent_instrument", "instrument 40 has only a note of velocity 0: left out, but 40 keeps "
                   "its track (program_change and end_of_track only), between tracks 0 and 128",
                   _flat((0, 50, 60, 0, 100), (10, 50, 62, 40, 0), (20, 50, 36, 128, 90), (30, 10, 64, 0, 0),
                         (40, 10, 65, 0, 80)),
                   expected=_flat((0, 50, 60, 0, 100), (20, 50, 36, 128, 90), (40, 10, 65, 0, 80))),
        TokensCase("silent_drums_first", "the first tokens are silent drums: the drum track comes first and "
                   "holds no note; then instrument 3, and instrument 7 with only silent notes",
                   _flat((50, 10, 36, 128, 0), (5, 10, 60, 3, 90), (5, 10, 38, 128, 0), (0, 20, 62, 7, 0),
                         (15, 0, 62, 3, 91)),
                   expected=_flat((5, 10, 60, 3, 90), (15, 0, 62, 3, 91))),
    ]
    # round(6000 / bpm): 66.67 -> 67, 62.5 -> 62 and 37.5 -> 38 (Python rounds halves to even), 60,
    # 45.11 -> 45, 100, 187.5 -> 188, 12.5 -> 12, 2.5 -> 2.
    for bpm in (90, 96, 160, 100, 133, 60, 32, 480, 2400):
        cases.append(TokensCase(f"bpm_{bpm}", f"{bpm} bpm: round(6000 / {bpm}) = {round(6000 / bpm)} ticks per "
                                f"beat (6000 / {bpm} = {6000 / bpm:g}), a tick is still 10 ms", _BPM_NOTES, bpm=bpm))
    return cases


def bad_bpm_cases() -> list[BadBpmCase]:
    """``bpm`` values whose ``round(6000 / bpm)`` is outside 1-1677, each with a valid one near it."""
    tokens = _flat((0, 50, 60, 0, 100), (25, 10, 36, 128, 90))
    return [
        BadBpmCase("bpm_12000", "bpm=12000: round(6000 / 12000) = round(0.5) = 0 ticks per beat (graded with "
                   "bpm=8000: round(0.75) = 1)", 12000, 8000, tokens),
        BadBpmCase("bpm_0", "bpm=0 (graded with bpm=4: 1500 ticks per beat)", 0, 4, tokens),
        BadBpmCase("bpm_negative", "bpm=-120 (graded with bpm=10000: round(0.6) = 1 tick per beat)",
                   -120, 10000, tokens),
        BadBpmCase("bpm_3", "bpm=3: 2000 ticks per beat, more than 1677 (graded with bpm=4: 1500)", 3, 4, tokens),
        BadBpmCase("bpm_0_drums", "bpm=0 (graded with bpm=10000: round(0.6) = 1 tick per beat)", 0, 10000,
                   _flat((5, 5, 42, 128, 70), (0, 30, 50, 3, 80))),
        BadBpmCase("bpm_20000", "bpm=20000: round(0.3) = 0 (graded with bpm=3600: round(1.67) = 2)",
                   20000, 3600, tokens),
    ]


def invalid_token_cases() -> list[InvalidTokensCase]:
    """Invalid token lists, each with the index of its first bad token."""
    good = _flat((0, 50, 60, 0, 100), (50, 50, 62, 0, 90), (100, 50, 64, 0, 80), (150, 50, 65, 0, 70))

    def bad(tokens_index: int, value) -> tuple:
        tokens = list(good)
        tokens[tokens_index] = value
        return tuple(tokens)

    seventeen = list(range(8)) + [128] + list(range(8, 15)) + [3, 100]    # 100 is the 16th melodic one
    too_many = _flat(*[(i, 10, 60, instrument, 100) for i, instrument in enumerate(seventeen)])
    # A silent note's instrument keeps its track, so it needs a channel too.
    silent_sixteenth = _flat(*[(i, 10, 60 + i, instrument, 100) for i, instrument in enumerate(range(20, 35))],
                             (15, 10, 40, 128, 90), (16, 10, 41, 99, 0), (17, 10, 42, 20, 80))
    silent_fifteenth = _flat(*[(i, 5, 50 + i, i, 90) for i in range(14)], (14, 5, 64, 50, 0), (15, 5, 36, 128, 100),
                             (16, 5, 70, 3, 95), (17, 5, 65, 60, 91))
    silent_several = _flat((0, 10, 60, 128, 0), *[(5 * i, 10, 40 + i, 100 + i, 0 if i % 3 == 0 else 70)
                                                  for i in range(15)], (99, 1, 1, 127, 0))
    return [
        InvalidTokensCase("sixteen_melodic", "a 16th melodic instrument (drums and repeats do not count)",
                          too_many, 5 * 17 + 3),
        InvalidTokensCase("length_not_multiple_of_5", "12 tokens: the tuple starting at token 10 is incomplete",
                          good[:12], 10),
        InvalidTokensCase("length_one_short", "19 tokens", good[:19], 15),
        InvalidTokensCase("single_token", "one token", (0,), 0),
        InvalidTokensCase("negative_onset", "an onset of -1", bad(10, -1), 10),
        InvalidTokensCase("negative_onset_last_note", "an onset of -2 (token 15, the last note's)", bad(15, -2), 15),
        InvalidTokensCase("sixteenth_melodic_silent", "a 16th melodic instrument (99, token 83) brought by a note "
                          "of velocity 0: it would keep its track, so it needs a channel too", silent_sixteenth, 83),
        InvalidTokensCase("silent_instrument_among_fifteen", "15 melodic instruments, one of them (50) only in a "
                          "note of velocity 0, then a 16th (60, token 88)", silent_fifteenth, 88),
        InvalidTokensCase("sixteenth_melodic_silent_several", "silent drums, 15 melodic instruments (some only "
                          "silent), then a silent 16th (127, token 83)", silent_several, 83),
        InvalidTokensCase("negative_duration", "a duration of -5", bad(6, -5), 6),
        InvalidTokensCase("note_128", "a note of 128", bad(17, 128), 17),
        InvalidTokensCase("note_negative", "a note of -1", bad(2, -1), 2),
        InvalidTokensCase("velocity_negative", "a velocity of -1", bad(4, -1), 4),
        InvalidTokensCase("velocity_128", "a velocity of 128", bad(19, 128), 19),
        InvalidTokensCase("instrument_129", "an instrument of 129", bad(13, 129), 13),
        InvalidTokensCase("instrument_negative", "an instrument of -1", bad(8, -1), 8),
        InvalidTokensCase("not_an_integer", "a note of 62.5 (token 7): not an integer", bad(7, 62.5), 7),
        InvalidTokensCase("string_token", "an onset given as the string '100' (token 10): not an integer",
                          bad(10, "100"), 10),
        InvalidTokensCase("none_token", "a velocity of None (token 14): not an integer", bad(14, None), 14),
        InvalidTokensCase("first_of_two", "a velocity of 200 (token 9), then an onset of -5 (token 15)",
                          tuple(bad(9, 200)[:15]) + (-5,) + good[16:], 9),
        InvalidTokensCase("bad_before_incomplete", "an instrument of 129 (token 3) and 7 tokens",
                          bad(3, 129)[:7], 3),
        InvalidTokensCase("negative_before_incomplete", "a duration of -1 (token 11), then 3 tokens of an "
                          "incomplete tuple (from token 15)", bad(11, -1)[:18], 11),
        InvalidTokensCase("sixteenth_melodic_and_bad_velocity", "the 16th melodic instrument (token 88) "
                          "comes before a bad velocity in the same tuple (token 89)",
                          too_many[:89] + (128,), 88),
        InvalidTokensCase("bad_note_before_sixteenth_melodic", "a note of 200 (token 87) in the tuple "
                          "bringing the 16th melodic instrument",
                          too_many[:87] + (200,) + too_many[88:], 87),
    ]


# ---------------------------------------------------------------- several calls in one worker

def _instruments_tokens(instruments: Sequence[int], first_pitch: int, drums_at: int | None = None) -> tuple:
    """One short note per instrument (in that order), and a drum hit at position ``drums_at``."""
    notes = [(7 * i, 20 + i, first_pitch + i, instrument, 60 + i) for i, instrument in enumerate(instruments)]
    if drums_at is not None:
        notes.insert(drums_at, (3, 10, 38, 128, 100))
    return _flat(*notes)


def sequence_cases() -> list[SequenceCase]:
    """Sequences of calls in one fresh worker. Together the melodic instruments of one sequence's
    files are more than 15 (a channel allocator kept between calls runs out), files with
    program changes come before files without (a program table kept between calls shows), notes
    left sounding come before note-offs of the same pitch (a table of sounding notes kept between
    calls shows), and each ``bpm`` comes back after another (a cache keyed without it shows)."""
    with_programs = _file([_program(0, 40, 0), _program(0, 41, 1), _on(0, 60, 100), _on(96, 48, 90, 1),
                           _off(480, 48, 1), _on(480, 64, 80), _meta(960, "end_of_track")])
    without_programs = _file([_off(0, 60), _on(48, 60, 101), _on(96, 48, 91, 1), _off(480, 60), _off(576, 48, 1)])
    nine_a = _instruments_tokens([0, 5, 10, 20, 30, 40, 50, 60, 70], 50, drums_at=4)
    nine_b = _instruments_tokens([1, 6, 11, 21, 31, 41, 51, 61, 71], 60)
    session = SequenceCase("notebook_session", "midi_to_tokens on a file with program changes and a note left "
                           "sounding, then on one without program changes; tokens_to_midi at 90 bpm, 133 bpm "
                           "(9 new melodic instruments), 90 bpm again; the first file again",
                           (Step("a file with program changes", midi=with_programs),
                            Step("a file without program changes", midi=without_programs),
                            Step("9 melodic instruments and drums at 90 bpm", tokens=nine_a, bpm=90),
                            Step("9 other melodic instruments at 133 bpm", tokens=nine_b, bpm=133),
                            Step("9 melodic instruments and drums at 90 bpm", tokens=nine_a, bpm=90),
                            Step("a file with program changes", midi=with_programs)))

    drums_and_programs = _file([_program(0, 33, 2), _program(0, 25, 9), _on(0, 40, 90, 2), _on(0, 36, 100, 9),
                                _off(96, 36, 9), _program(240, 34, 2), _on(480, 41, 91, 2), _off(720, 40, 2)],
                               [_tempo(0, 400000), _on(240, 70, 70, 3), _off(480, 70, 3)])
    plain = _file([_on(0, 41, 80, 2), _off(240, 41, 2), _on(240, 40, 81, 2), _off(480, 40, 2),
                   _on(480, 36, 82, 9), _off(528, 36, 9)])
    twelve = _instruments_tokens([90, 91, 92, 93, 94, 95, 96, 97, 98, 99, 100, 101], 40, drums_at=0)
    eight = _instruments_tokens([2, 4, 8, 16, 32, 64, 126, 127], 70, drums_at=8)
    hidden = [
        SequenceCase("tokens_first", "tokens_to_midi at 60 bpm (12 melodic instruments), at 100 bpm (8 "
                     "others), no tokens at 75 bpm, 60 bpm again; then midi_to_tokens on a file with drums and "
                     "program changes, on one without, and the first again",
                     (Step("12 melodic instruments and drums at 60 bpm", tokens=twelve, bpm=60),
                      Step("8 other melodic instruments and drums at 100 bpm", tokens=eight, bpm=100),
                      Step("no tokens at 75 bpm", tokens=(), bpm=75),
                      Step("12 melodic instruments and drums at 60 bpm", tokens=twelve, bpm=60),
                      Step("a file with drums, tempo and program changes", midi=drums_and_programs),
                      Step("a file without program changes", midi=plain),
                      Step("a file with drums, tempo and program changes", midi=drums_and_programs))),
        SequenceCase("alternating", "midi_to_tokens and tokens_to_midi in turn: a file with program "
                     "changes, tokens at 120 bpm, a file without, the same tokens at 96 bpm, at 120 again",
                     (Step("a file with program changes", midi=with_programs),
                      Step("8 melodic instruments and drums at 120 bpm", tokens=eight, bpm=120),
                      Step("a file without program changes", midi=without_programs),
                      Step("8 melodic instruments and drums at 96 bpm", tokens=eight, bpm=96),
                      Step("12 melodic instruments and drums at 160 bpm", tokens=twelve, bpm=160),
                      Step("8 melodic instruments and drums at 120 bpm", tokens=eight, bpm=120))),
    ]
    return [session, *hidden]
