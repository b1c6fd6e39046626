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
from typing import Iterable, Sequence

import mido

DEFAULT_TEMPO = 500_000        # microseconds per beat when a file has no set_tempo (120 bpm)
MAX_TEMPO = 0xFFFFFF           # set_tempo holds 24 bits
TIE_MARGIN = Fraction(1, 1000)  # hundredths of a second


@dataclass(frozen=True)
class MidiCase:
    """A MIDI input of ``midi_to_tokens``."""
    name: str
    description: str
    midi: mido.MidiFile


@dataclass(frozen=True)
class TokensCase:
    """A valid input of ``tokens_to_midi``; ``expected``: the notes read back."""
    name: str
    description: str
    tokens: tuple[int, ...]
    bpm: int = 120
    expected: tuple[int, ...] | None = None   # None: the same notes as ``tokens``

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


# ---------------------------------------------------------------- helpers on tokens

def as_tuples(tokens: Sequence[int]) -> list[tuple[int, ...]]:
    """``[(onset, duration, note, instrument, velocity), ...]``; a short tail is dropped."""
    tokens = [int(t) for t in tokens]
    return [tuple(tokens[i:i + 5]) for i in range(0, len(tokens) - 4, 5)]


def note_multiset(tokens: Sequence[int]) -> Counter:
    """The notes of ``tokens`` as a multiset of 5-tuples (order forgotten)."""
    return Counter(as_tuples(tokens))


def same_up_to_simultaneous(got: Sequence[int], expected: Sequence[int]) -> bool:
    """Same notes in the same order, except that notes with the same onset may be swapped."""
    if len(got) != len(expected) or len(got) % 5:
        return False
    got, expected = as_tuples(got), as_tuples(expected)
    return [n[0] for n in got] == [n[0] for n in expected] and Counter(got) == Counter(expected)


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
    return cases


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


def _corpus_midi(path: str) -> mido.MidiFile:
    from music21 import corpus
    from music21.midi import translate

    score = corpus.parse(path)
    return mido.MidiFile(file=io.BytesIO(translate.streamToMidiFile(score).writestr()))


def drum_groove() -> mido.MidiFile:
    """16 bars of swung, humanised drums (channel 10) with a bass and electric piano, at 100 bpm.

    Deterministic (seeded); the piano changes program half-way.
    """
    rng = random.Random(2)
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


@functools.lru_cache(maxsize=1)
def _real_music() -> tuple[MidiCase, ...]:
    cases = []
    sources = [(name, _corpus_midi(path), description) for name, path, description in CORPUS_PIECES]
    sources.append(("drum_groove", drum_groove(),
                    "a purpose-built swung drum groove (channel 10) with bass and electric piano, 100 bpm"))
    for name, midi, description in sources:
        midi, scale = without_ties(_reloaded(midi))
        if scale != 1:
            description += f"; tempo scaled by {float(scale):g} to avoid rounding ties"
        cases.append(MidiCase(name, description, midi))
    return tuple(cases)


def real_music_midis() -> list[MidiCase]:
    """Real music: music21 corpus scores exported to MIDI and a drum groove, tie-free.

    A few seconds to build the first time (music21), then cached. Do not modify
    the returned files.
    """
    return list(_real_music())


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
        TokensCase("same_onset_same_pitch", "two notes of one pitch starting together, the longer given first",
                   _flat((0, 100, 60, 0, 90), (0, 50, 60, 0, 80))),
        TokensCase("overlapping_same_pitch", "notes of one pitch overlapping, ending in the order they start",
                   _flat((0, 100, 60, 0, 90), (50, 100, 60, 0, 80), (70, 80, 60, 0, 70))),
        TokensCase("drums", "drums only (instrument 128, channel 10)",
                   _flat((0, 10, 36, 128, 110), (0, 5, 42, 128, 60), (25, 5, 42, 128, 61), (50, 10, 38, 128, 100),
                         (50, 5, 42, 128, 62), (75, 5, 42, 128, 63), (75, 0, 49, 128, 127))),
        TokensCase("several_instruments", "instruments whose first notes are not in time order: "
                   "tracks 73, 0, 128, 40",
                   _flat((100, 50, 72, 73, 90), (0, 50, 60, 0, 80), (0, 10, 36, 128, 100), (20, 30, 48, 40, 70),
                         (150, 25, 74, 73, 91), (10, 10, 38, 128, 101))),
        TokensCase("fifteen_melodic_and_drums", "15 melodic instruments and drums: all 16 channels",
                   _flat(*[(10 * i, 40, 40 + i, instrument, 64 + i) for i, instrument in enumerate(fifteen[:8])],
                         (5, 20, 36, 128, 100),
                         *[(10 * i, 40, 40 + i, instrument, 64 + i) for i, instrument in enumerate(fifteen[8:], 8)],
                         (300, 10, 90, 0, 1), (310, 10, 91, 127, 127))),
        TokensCase("long_times", "onsets up to an hour and a note of 10 minutes",
                   _flat((0, 60000, 60, 0, 100), (359_999, 1, 62, 0, 100), (123_456, 7, 64, 0, 100))),
        TokensCase("empty", "no notes at all", ()),
        TokensCase("silent_note", "a note of velocity 0 cannot be written: it is left out",
                   _flat((0, 50, 60, 0, 100), (10, 50, 62, 0, 0), (20, 50, 64, 0, 90)),
                   expected=_flat((0, 50, 60, 0, 100), (20, 50, 64, 0, 90))),
    ]
    for bpm in (90, 100, 133, 60):
        cases.append(TokensCase(f"bpm_{bpm}", f"{bpm} bpm: {round(6000 / bpm)} ticks per beat, a tick is "
                                f"still 10 ms", _BPM_NOTES, bpm=bpm))
    return cases


def invalid_token_cases() -> list[InvalidTokensCase]:
    """Invalid token lists, each with the index of its first bad token."""
    good = _flat((0, 50, 60, 0, 100), (50, 50, 62, 0, 90), (100, 50, 64, 0, 80), (150, 50, 65, 0, 70))

    def bad(tokens_index: int, value: int) -> tuple[int, ...]:
        tokens = list(good)
        tokens[tokens_index] = value
        return tuple(tokens)

    seventeen = list(range(8)) + [128] + list(range(8, 15)) + [3, 100]    # 100 is the 16th melodic one
    too_many = _flat(*[(i, 10, 60, instrument, 100) for i, instrument in enumerate(seventeen)])
    return [
        InvalidTokensCase("sixteen_melodic", "a 16th melodic instrument (drums and repeats do not count)",
                          too_many, 5 * 17 + 3),
        InvalidTokensCase("length_not_multiple_of_5", "12 tokens: the tuple starting at token 10 is incomplete",
                          good[:12], 10),
        InvalidTokensCase("length_one_short", "19 tokens", good[:19], 15),
        InvalidTokensCase("single_token", "one token", (0,), 0),
        InvalidTokensCase("negative_onset", "an onset of -1", bad(10, -1), 10),
        InvalidTokensCase("negative_duration", "a duration of -5", bad(6, -5), 6),
        InvalidTokensCase("note_128", "a note of 128", bad(17, 128), 17),
        InvalidTokensCase("note_negative", "a note of -1", bad(2, -1), 2),
        InvalidTokensCase("velocity_negative", "a velocity of -1", bad(4, -1), 4),
        InvalidTokensCase("velocity_128", "a velocity of 128", bad(19, 128), 19),
        InvalidTokensCase("instrument_129", "an instrument of 129", bad(13, 129), 13),
        InvalidTokensCase("instrument_negative", "an instrument of -1", bad(8, -1), 8),
        InvalidTokensCase("first_of_two", "a velocity of 200 (token 9), then an onset of -5 (token 15)",
                          tuple(bad(9, 200)[:15]) + (-5,) + good[16:], 9),
        InvalidTokensCase("bad_before_incomplete", "an instrument of 129 (token 3) and 7 tokens",
                          bad(3, 129)[:7], 3),
        InvalidTokensCase("sixteenth_melodic_and_bad_velocity", "the 16th melodic instrument (token 88) "
                          "comes before a bad velocity in the same tuple (token 89)",
                          too_many[:89] + (128,), 88),
        InvalidTokensCase("bad_note_before_sixteenth_melodic", "a note of 200 (token 87) in the tuple "
                          "bringing the 16th melodic instrument",
                          too_many[:87] + (200,) + too_many[88:], 87),
    ]
