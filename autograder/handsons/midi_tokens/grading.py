"""Grader-side checks for Hands-on 2, shared by the public and hidden graders.

Tokens are compared note by note (5-tuples), in onset order; notes that start
at the same hundredth of a second may come in any order. A MIDI file from
``tokens_to_midi`` is compared with the expected file through a canonical form
that keeps what the spec fixes (timing, tracks in order of first appearance,
program changes, drums on channel 9, at one tick: earlier notes' note-offs,
then note-ons, then zero-length notes' note-offs) and drops what it leaves
open (which melodic channel, note_off vs note_on velocity 0, note-off
velocity, order within one group, meta-only tracks).
"""
from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass

import mido

from ...engine.compare import describe, expect_int_list, fail
from ...worker.wire import Ext

TICKS_PER_SECOND = 100
DRUMS, DRUM_CHANNEL = 128, 9
MISTAKES = {
    "velocity_zero": "a note_on with velocity 0 is a note-off; it looks like it was treated as a new note "
                     "(velocity-0 note-on ignored).",
    "placeholder": "the tokens hold -1: a placeholder was left in. A note still open at the end of the file "
                   "ends at the file's last event.",
    "drums": "notes on channel 10 (index 9) are drums: their instrument is 128, whatever the program.",
    "end_rounded": "duration is round(100 * (t_off - t_on)); it looks like the end time was rounded instead "
                   "(round(100 * t_off) - round(100 * t_on)).",
    "note_on_first": "at one tick, the note-offs of notes that began earlier must come before the note-ons; "
                     "here a note-on came first, so a repeated note is cut (note-on before note-off at one tick).",
    "no_tempo": "no set_tempo: without one a MIDI file plays at 120 bpm, so for another bpm a tick is not "
                "10 ms (no tempo for bpm other than 120).",
}


def midi_arg(data: bytes) -> Ext:
    """A MIDI file as an argument: student code receives a ``mido.MidiFile``."""
    return Ext("midi", {}, [bytes(data)])


def notes_of(tokens: list[int]) -> list[tuple[int, ...]]:
    return [tuple(tokens[i:i + 5]) for i in range(0, len(tokens), 5)]


# ------------------------------------------------------------ midi_to_tokens

def check_tokens(value: object, expected: list[int], case: dict) -> None:
    """Fail with an explanation unless ``value`` holds the expected notes."""
    got = expect_int_list(value, "midi_to_tokens(...)")
    if len(got) % 5:
        fail(f"midi_to_tokens returned {len(got)} ints, not a multiple of 5: the result is a flat list "
             f"of (onset, duration, note, instrument, velocity) tuples.")
    if -1 in got:
        fail(f"{_first_difference(got, expected)}\nLikely cause: {MISTAKES['placeholder']}")
    got_notes, want_notes = notes_of(got), notes_of(expected)
    for index in range(1, len(got_notes)):
        if got_notes[index][0] < got_notes[index - 1][0]:
            fail(f"note {index} starts at {got_notes[index][0]}, before note {index - 1} "
                 f"({got_notes[index - 1][0]}): notes come in the order their note-ons occur in the file.")
    if _grouped(got_notes) == _grouped(want_notes):
        return
    message = _first_difference(got, expected)
    cause = diagnose_tokens(got_notes, want_notes, case)
    fail(f"{message}\nLikely cause: {cause}" if cause else message)


def _grouped(notes: list[tuple]) -> list[Counter]:
    """Notes grouped by onset (multisets), in onset order."""
    groups: list[Counter] = []
    last = None
    for note in notes:
        if note[0] != last:
            groups.append(Counter())
            last = note[0]
        groups[-1][note] += 1
    return groups


def _first_difference(got: list[int], expected: list[int]) -> str:
    got_notes, want_notes = notes_of(got), notes_of(expected)
    # Align same-onset groups so that an allowed reordering is not reported.
    got_sorted, want_sorted = sorted(got_notes), sorted(want_notes)
    order = {n: i for i, n in enumerate(want_notes)}
    for index, (g, w) in enumerate(zip(got_sorted, want_sorted)):
        if g != w:
            position = order.get(w, index)
            return (f"the notes differ: expected note {position} = {_fmt(w)}, got {_fmt(g)} "
                    f"(you returned {len(got_notes)} notes, {len(want_notes)} expected).")
    if len(got_notes) != len(want_notes):
        extra = (got_sorted[len(want_sorted)] if len(got_sorted) > len(want_sorted)
                 else want_sorted[len(got_sorted)])
        which = "an extra note" if len(got_sorted) > len(want_sorted) else "a missing note"
        return (f"you returned {len(got_notes)} notes; {len(want_notes)} expected. First {which}: "
                f"{_fmt(extra)}.")
    return "the notes differ."


def _fmt(note: tuple) -> str:
    if len(note) != 5:
        return str(note)
    onset, duration, pitch, instrument, velocity = note
    return (f"(onset={onset}, duration={duration}, note={pitch}, instrument={instrument}, "
            f"velocity={velocity})")


def diagnose_tokens(got: list[tuple], want: list[tuple], case: dict) -> str | None:
    """Name the classic mistake the difference looks like, if any."""
    got_c, want_c = Counter(got), Counter(want)
    extra, missing = got_c - want_c, want_c - got_c
    if any(n[4] == 0 for n in got) and not any(n[4] == 0 for n in want):
        return MISTAKES["velocity_zero"]   # a note's velocity is its note-on's: never 0
    if missing and all(n[3] == DRUMS for n in missing.elements()) and \
            sorted(n[:3] + n[4:] for n in extra.elements()) == sorted(n[:3] + n[4:] for n in missing.elements()):
        return MISTAKES["drums"]
    exact = {tuple(k): v for k, v in case.get("exact_times", [])}
    if exact and len(got) == len(want) and extra:
        def end_rounded(note: tuple) -> tuple:
            times = exact.get(note)
            if not times:
                return note
            return note[:1] + (round(times[1]) - round(times[0]),) + note[2:]
        if Counter(end_rounded(n) for n in want) == got_c:
            return MISTAKES["end_rounded"]
    return case.get("mistake_hint")


def show_piano_rolls(artifacts, expected: list[int], got: object) -> None:
    """Expected and returned notes side by side, for the HTML report."""
    import numpy as np
    if isinstance(got, list) and len(got) % 5 == 0 and all(type(v) is int for v in got):
        artifacts.piano_roll("notes: expected and yours", expected=np.array(expected).reshape(-1, 5),
                             yours=np.array(got).reshape(-1, 5))


# ------------------------------------------------------------ tokens_to_midi

@dataclass
class TrackView:
    index: int
    instrument: int | None      # 128 for drums; the first program_change's program otherwise
    channels: set
    starts_with_program: bool
    ticks: dict                 # tick -> tuple of phases ("off", pitches) / ("on", (pitch, velocity)s)


MAX_MIDI_BYTES = 1 << 20   # the graded files are a few KB; parsing a huge one would stall the grader


def read_midi(value: object, what: str) -> mido.MidiFile:
    if not isinstance(value, Ext) or value.kind != "midi" or len(value.blobs) != 1:
        fail(f"{what} should return a mido.MidiFile; got {describe(value)}.")
    if len(value.blobs[0]) > MAX_MIDI_BYTES:
        fail(f"{what} returned a MIDI file of {len(value.blobs[0]) / (1 << 20):.1f} MiB; the expected files "
             f"are a few KB, and files over {MAX_MIDI_BYTES >> 20} MiB are not read.")
    try:
        return mido.MidiFile(file=io.BytesIO(value.blobs[0]))
    except Exception as error:
        fail(f"{what} returned a MidiFile that cannot be saved and read back: {type(error).__name__}: {error}")


def _track_view(index: int, track: mido.MidiTrack) -> TrackView | None:
    tick, channels, first_channel_message, program = 0, set(), None, None
    events: dict[int, list] = {}
    for message in track:
        tick += message.time
        if message.is_meta or not hasattr(message, "channel"):
            continue
        if first_channel_message is None:
            first_channel_message = message
        if message.type == "program_change":
            if program is None:
                program = (message.channel, message.program)
            continue
        if message.type not in ("note_on", "note_off"):
            continue
        channels.add(message.channel)
        off = message.type == "note_off" or message.velocity == 0
        kind, item = ("off", message.note) if off else ("on", (message.note, message.velocity))
        phases = events.setdefault(tick, [])
        if phases and phases[-1][0] == kind:
            phases[-1][1].append(item)
        else:
            phases.append((kind, [item]))
    if first_channel_message is None:
        return None  # a meta-only track (tempo map, names): allowed, not an instrument
    instrument = DRUMS if DRUM_CHANNEL in channels or (program and program[0] == DRUM_CHANNEL) else \
        (program[1] if program else None)
    ticks = {t: tuple((k, tuple(sorted(items))) for k, items in phases) for t, phases in events.items()}
    return TrackView(index, instrument, channels,
                     first_channel_message is not None and first_channel_message.type == "program_change", ticks)


def instrument_tracks(midi: mido.MidiFile) -> list[TrackView]:
    views = [_track_view(i, t) for i, t in enumerate(midi.tracks)]
    return [v for v in views if v is not None]


def timing_problem(midi: mido.MidiFile, bpm: int) -> str | None:
    """Why the file does not run at exactly 100 ticks per second, if it does not."""
    want_tpb = round(6000 / bpm)
    if midi.ticks_per_beat != want_tpb:
        return (f"ticks_per_beat is {midi.ticks_per_beat}; for bpm={bpm} it should be "
                f"round(6000 / {bpm}) = {want_tpb}.")
    want_tempo = want_tpb * 10_000
    tempos = [m.tempo for track in midi.tracks for m in track if m.type == "set_tempo"]
    if not tempos and want_tempo != 500_000:
        return (f"there is no set_tempo, so a tick lasts {500_000 / want_tpb / 1000:.2f} ms instead of 10 ms.\n"
                f"Likely cause: {MISTAKES['no_tempo']}")
    wrong = [t for t in tempos if t != want_tempo]
    if wrong:
        return (f"set_tempo is {wrong[0]} microseconds per beat; with {want_tpb} ticks per beat a tick "
                f"lasts 10 ms only with tempo {want_tempo}.")
    return None


def check_midi(value: object, expected_bytes: bytes, bpm: int) -> None:
    """Fail unless the returned MIDI file is what the spec asks for ``bpm``."""
    midi = read_midi(value, "tokens_to_midi")
    expected = mido.MidiFile(file=io.BytesIO(expected_bytes))
    problem = timing_problem(midi, bpm)
    if problem:
        fail(problem)
    got_tracks, want_tracks = instrument_tracks(midi), instrument_tracks(expected)
    got_instruments = [t.instrument for t in got_tracks]
    want_instruments = [t.instrument for t in want_tracks]
    if got_instruments != want_instruments:
        fail(f"the tracks' instruments are {got_instruments}; expected {want_instruments} "
             f"(one track per instrument, in order of first appearance; drums = channel 9).")
    used: set = set()
    for got, want in zip(got_tracks, want_tracks):
        label = f"track {got.index} (instrument {got.instrument})"
        if not got.starts_with_program:
            fail(f"{label} does not start with its program_change.")
        if got.instrument == DRUMS and got.channels - {DRUM_CHANNEL}:
            fail(f"{label}: drums go on channel 9 only; notes found on {sorted(got.channels)}.")
        if got.instrument != DRUMS and DRUM_CHANNEL in got.channels:
            fail(f"{label}: channel 9 is for drums only; melodic notes use the other 15 channels.")
        if len(got.channels) > 1 or got.channels & used:
            fail(f"{label}: each instrument needs a channel of its own; this track uses {sorted(got.channels)}.")
        used |= got.channels
        for tick in sorted(set(got.ticks) | set(want.ticks)):
            g, w = got.ticks.get(tick, ()), want.ticks.get(tick, ())
            if g != w:
                fail(_tick_message(label, tick, g, w))


def _phases_text(phases: tuple) -> str:
    if not phases:
        return "nothing"
    parts = []
    for kind, items in phases:
        if kind == "on":
            parts.append("note-on " + ", ".join(f"{p} (velocity {v})" for p, v in items))
        else:
            parts.append("note-off " + ", ".join(str(p) for p in items))
    return " then ".join(parts)


def _tick_message(label: str, tick: int, got: tuple, want: tuple) -> str:
    message = (f"{label}, tick {tick} ({tick / TICKS_PER_SECOND:.2f} s): expected {_phases_text(want)}; "
               f"your file has {_phases_text(got)}.")
    got_order = [k for k, _ in got]
    want_order = [k for k, _ in want]
    same_events = Counter((k, i) for k, items in got for i in items) == \
        Counter((k, i) for k, items in want for i in items)
    if same_events and want_order[:2] == ["off", "on"] and got_order[:1] == ["on"]:
        message += f"\nLikely cause: {MISTAKES['note_on_first']}"
    elif same_events and want_order[-2:] == ["on", "off"] and got_order[:1] == ["off"]:
        message += ("\nLikely cause: a zero-length note's note-off must come after its note-on at the "
                    "same tick, after every note-on there.")
    return message


def check_round_trip(tokens: list[int], back: object) -> None:
    """Fail unless ``back`` holds the notes of ``tokens`` (as a multiset)."""
    got = expect_int_list(back, "midi_to_tokens(tokens_to_midi(tokens))")
    if len(got) % 5:
        fail(f"midi_to_tokens returned {len(got)} ints, not a multiple of 5.")
    want_c, got_c = Counter(notes_of(tokens)), Counter(notes_of(got))
    if want_c == got_c:
        return
    missing, extra = want_c - got_c, got_c - want_c
    parts = [f"for tokens {tokens}, midi_to_tokens(tokens_to_midi(tokens)) gives {got}."]
    if missing:
        parts.append(f"Lost: {', '.join(_fmt(n) for n in list(missing.elements())[:3])}.")
    if extra:
        parts.append(f"Appeared: {', '.join(_fmt(n) for n in list(extra.elements())[:3])}.")
    fail(" ".join(parts))


def check_rejected(call, case: dict) -> None:
    """``call()`` must raise a ValueError whose message names the first bad token."""
    from ...engine.client import StudentCodeError
    bad = case["bad_index"]
    try:
        value = call()
    except StudentCodeError as error:
        if error.kind == "exception" and error.exception != "ValueError":
            fail(f"tokens_to_midi should raise a ValueError naming token {bad} ({case['why']}); "
                 f"instead {error}")
        if error.exception != "ValueError":
            raise
        if not re.search(rf"(?<![\d.]){bad}(?![\d.])", error.detail):
            fail(f"the ValueError should name the first bad token (index {bad}: {case['why']}); "
                 f"its message was: {error.detail!r}")
        # A message naming every index would name the bad one too, whatever it is: it must
        # point at one token. (Even a message quoting the whole token list names far fewer.)
        count = len(case["tokens"])
        named = {int(n) for n in re.findall(r"(?<![\d.])\d+(?![\d.])", error.detail) if int(n) < count}
        if len(named) > max(3, count // 2):
            fail(f"the ValueError should name the first bad token (index {bad}: {case['why']}); its message "
                 f"names {len(named)} of the {count} token indices: {error.detail[:300]!r}")
        return
    fail(f"tokens_to_midi accepted invalid tokens ({case['why']}) and returned {describe(value)}; "
         f"it should raise a ValueError naming token {bad}.")
