"""MIDI files from Hands-on 2's ``tokens_to_midi`` judged: the file the spec asks for, one that plays its notes.

A file from ``tokens_to_midi`` is compared with the expected file through a canonical form
that keeps what the spec fixes (timing, one track per instrument in order of
first appearance and no other, each starting with its program change, the first
then with the set_tempo, no other meta message, drums on channel 9, at one tick:
earlier notes' note-offs, then note-ons, then zero-length notes' note-offs, and
each note-on's duration as a note-off reads it back) and drops what it leaves
open (which melodic channel, note_off vs note_on velocity 0, note-off velocity,
order within one group of the same kind). A round trip's file must play its notes
when the tokens say and hold nothing else (so the tokens cannot ride along).
"""
from __future__ import annotations

import io
import itertools
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field

import mido
import pytest

from ...engine.compare import describe, fail
from ...worker.wire import Ext
from .grading import DRUM_CHANNEL, DRUMS, MISTAKES, ROUND_HALF_EVEN, notes_of, shown_tokens

TICKS_PER_SECOND = 100


# ------------------------------------------------------------ a round trip's file: its notes, and nothing else

# What a file of tokens_to_midi may hold ("A track holds nothing else but its notes ... and its
# end_of_track", the first track also its program_change and set_tempo).
ROUND_TRIP_MESSAGES = frozenset({"note_on", "note_off", "program_change", "set_tempo", "end_of_track"})


def check_holds_only_notes(tokens: list[int], midi: mido.MidiFile) -> None:
    instruments = len({instrument for _, _, _, instrument, _ in notes_of(tokens)})
    if len(midi.tracks) > max(1, instruments):   # extra tracks could carry the tokens
        fail(f"for tokens {shown_tokens(tokens)}, the file of tokens_to_midi has {len(midi.tracks)} tracks for "
             f"{instruments} instrument(s): it has one track per instrument, and the round trip reads the notes "
             f"the file plays.")
    tempi = 0
    for index, track in enumerate(midi.tracks):
        programs = sum(message.type == "program_change" for message in track)
        if programs > 1:   # program values could carry the tokens (after the last note they change no note)
            fail(f"for tokens {shown_tokens(tokens)}, track {index} of the file of tokens_to_midi holds {programs} "
                 f"program_change messages: each track starts with one, to its instrument, and holds nothing "
                 f"else but its notes, and the round trip reads the notes the file plays.")
        for message in track:
            tempi += message.type == "set_tempo"
            if message.type not in ROUND_TRIP_MESSAGES:
                fail(f"for tokens {shown_tokens(tokens)}, track {index} of the file of tokens_to_midi holds a "
                     f"{message.type} message: a track holds nothing else but its program_change, its notes and "
                     f"its end_of_track (the first track also the set_tempo), and the round trip reads the "
                     f"notes the file plays.")
    if tempi > 1:   # set_tempo values could carry the tokens (after the last note they change no timing)
        fail(f"for tokens {shown_tokens(tokens)}, the file of tokens_to_midi holds {tempi} set_tempo messages: it has "
             f"one, in the first track, and the round trip reads the notes the file plays.")


def check_note_timing(tokens: list[int], midi: mido.MidiFile) -> None:
    """The file must play each note when its tokens say, in seconds as a player hears it (a tick is 10
    ms): every note-on (velocity 1-127) at its onset, every note-off at onset + duration, per pitch.
    A note of velocity 0 plays nothing: whatever the file writes for it is left out."""
    starts, ends, free = Counter(), Counter(), Counter()
    for onset, duration, pitch, _, velocity in notes_of(tokens):
        if velocity:
            starts[pitch, onset * 10_000] += 1
            ends[pitch, (onset + duration) * 10_000] += 1
        else:
            free[pitch, onset * 10_000] += 1
            free[pitch, (onset + duration) * 10_000] += 1
    got_starts, got_ends, seconds = Counter(), Counter(), 0.0
    for message in midi:   # merged tracks, times in seconds with every set_tempo applied
        seconds += message.time
        if message.type in ("note_on", "note_off"):
            key = message.note, round(seconds * 1e6)
            (got_starts if message.type == "note_on" and message.velocity else got_ends)[key] += 1
    wrong = (starts - got_starts) + (got_starts - starts) + (ends - got_ends) + ((got_ends - ends) - free)
    if wrong:
        pitch, micros = next(iter(wrong))
        fail(f"for tokens {shown_tokens(tokens)}, the file of tokens_to_midi does not play its notes when the tokens "
             f"say (a tick is 10 ms): e.g. a note-on or note-off of pitch {pitch} at {micros / 1e6:g} s, as a "
             f"player reads the file (every set_tempo applied).")


def check_notes_played(tokens: list[int], midi: mido.MidiFile) -> None:
    """The file must play the notes: a note_on of each note's pitch and velocity (a file that
    carried the tokens some other way, in a text event say, would read back without a note)."""
    played = Counter((m.note, m.velocity) for track in midi.tracks for m in track
                     if m.type == "note_on" and m.velocity > 0)
    wanted = Counter((n[2], n[4]) for n in notes_of(tokens) if n[4] > 0)
    if played != wanted:
        fail(f"for tokens {shown_tokens(tokens)}, the file of tokens_to_midi has {sum(played.values())} note_on "
             f"messages (of velocity 1-127) for {sum(wanted.values())} notes, or other pitches or velocities: "
             f"the file plays each note as a note_on of its pitch and velocity.")


# ------------------------------------------------------------ the file the spec asks for

@dataclass
class TrackView:
    index: int
    instrument: int | None      # 128 for drums; the first program_change's program otherwise
    program: int | None         # the first program_change's program
    channels: set
    starts_with_program: bool
    ticks: dict                 # tick -> tuple of phases ("off", pitches) / ("on", (pitch, velocity, duration)s)
    others: list = field(default_factory=list)   # channel messages besides the program_change and the notes
    stray_offs: set = field(default_factory=set)  # ticks of note-offs that end nothing
    end_tick: int = 0           # where the track ends (its end_of_track)
    last_event_tick: int = 0    # its last channel message


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
    """A track as the spec sees it. Each note-on carries the duration a reader gives it (a
    note-off ends the oldest sounding note of its pitch), so that the order of same-pitch
    note-ons at one tick, which decides how they are read back, is compared too."""
    tick, channels, first_channel_message, program, others, last_event, stray = 0, set(), None, None, [], 0, set()
    events: dict[int, list] = {}
    sounding: dict[int, deque] = defaultdict(deque)   # pitch -> [on tick, pitch, velocity, duration], oldest first
    for message in track:
        tick += message.time
        if message.is_meta:
            continue
        if not hasattr(message, "channel"):   # sysex
            others.append((tick, message))
            continue
        last_event = tick
        if first_channel_message is None:
            first_channel_message = message
        if message.type == "program_change":
            if program is None:
                program = (message.channel, message.program)
            else:
                others.append((tick, message))
            continue
        if message.type not in ("note_on", "note_off"):
            others.append((tick, message))
            continue
        channels.add(message.channel)
        off = message.type == "note_off" or message.velocity == 0
        if off:
            kind, item = "off", message.note
            if sounding[message.note]:
                note = sounding[message.note].popleft()
                note[3] = tick - note[0]
            else:
                stray.add(tick)
        else:
            kind, item = "on", [tick, message.note, message.velocity, -1]   # -1: never ended
            sounding[message.note].append(item)
        phases = events.setdefault(tick, [])
        if phases and phases[-1][0] == kind:
            phases[-1][1].append(item)
        else:
            phases.append((kind, [item]))
    if first_channel_message is None:
        return None  # a meta-only track (tempo map, names): not an instrument
    instrument = DRUMS if DRUM_CHANNEL in channels or (program and program[0] == DRUM_CHANNEL) else \
        (program[1] if program else None)
    ticks = {t: tuple((k, tuple(sorted(i if k == "off" else tuple(i[1:]) for i in items))) for k, items in phases)
             for t, phases in events.items()}
    return TrackView(index, instrument, program[1] if program else None, channels,
                     first_channel_message.type == "program_change", ticks, others, stray, tick, last_event)


def instrument_tracks(midi: mido.MidiFile) -> list[TrackView]:
    views = [_track_view(i, t) for i, t in enumerate(midi.tracks)]
    return [v for v in views if v is not None]


def timing_problem(midi: mido.MidiFile, bpm: int) -> str | None:
    """Why the file does not run at exactly 100 ticks per second, if it does not."""
    want_tpb = round(6000 / bpm)
    if midi.ticks_per_beat != want_tpb:
        exact = 6000 / bpm
        note = (f" (6000 / {bpm} = {exact:g}: {ROUND_HALF_EVEN})"
                if exact % 1 == 0.5 else "")
        return (f"ticks_per_beat is {midi.ticks_per_beat}; for bpm={bpm} it should be "
                f"round(6000 / {bpm}) = {want_tpb}{note}.")
    want_tempo = want_tpb * 10_000
    tempos = []   # (tick, tempo) in every track
    for track in midi.tracks:
        tick = 0
        for message in track:
            tick += message.time
            if message.type == "set_tempo":
                tempos.append((tick, message.tempo))
    if not tempos and want_tempo != 500_000:
        return (f"there is no set_tempo, so a tick lasts {500_000 / want_tpb / 1000:.2f} ms instead of 10 ms.\n"
                f"Likely cause: {MISTAKES['no_tempo']}")
    wrong = [t for _, t in tempos if t != want_tempo]
    if wrong:
        return (f"set_tempo is {wrong[0]} microseconds per beat; with {want_tpb} ticks per beat a tick "
                f"lasts 10 ms only with tempo {want_tempo}.")
    first = min(tick for tick, _ in tempos) if tempos else 0
    if first > 0 and want_tempo != 500_000:
        return (f"the set_tempo comes at tick {first}: until then the file plays at the default 120 bpm, so "
                f"its first ticks are not 10 ms. The set_tempo goes at time 0.")
    return None


def check_midi(value: object, expected_bytes: bytes, bpm: int, prefix: str = "") -> None:
    """Fail unless the returned MIDI file is what the spec asks for ``bpm``; ``prefix`` opens
    every message."""
    def failed(message: str) -> None:
        fail(prefix + message)

    try:
        midi = read_midi(value, "tokens_to_midi")
    except pytest.fail.Exception as error:
        failed(str(error.msg))
    expected = mido.MidiFile(file=io.BytesIO(expected_bytes))
    got_tracks, want_tracks = instrument_tracks(midi), instrument_tracks(expected)
    if not want_tracks and len(midi.tracks) != 1:
        failed(f"for no tokens the file should have one track, holding only the set_tempo; it has "
               f"{len(midi.tracks)} tracks.")
    problem = timing_problem(midi, bpm)
    if problem:
        failed(problem)
    if not want_tracks:
        kinds = [m.type for m in midi.tracks[0] if m.type != "end_of_track"]
        if kinds != ["set_tempo"]:
            failed(f"for no tokens the file's one track should hold only the set_tempo; it holds "
                   f"{', '.join(kinds) or 'nothing'}.")
    got_instruments = [t.instrument for t in got_tracks]
    want_instruments = [t.instrument for t in want_tracks]
    if got_instruments != want_instruments:
        silent = "; an instrument whose notes are all of velocity 0 keeps its track" \
            if set(want_instruments) - set(got_instruments) else ""
        failed(f"the tracks' instruments are {got_instruments}; expected {want_instruments} "
               f"(one track per instrument, in order of first appearance; drums = channel 9{silent}).")
    meta_only = [(i, track) for i, track in enumerate(midi.tracks) if want_tracks and all(m.is_meta for m in track)]
    if meta_only:
        index, track = meta_only[0]
        kinds = ", ".join(m.type for m in track)
        failed(f"track {index} holds only meta messages ({kinds}): the file has one track per instrument and no "
               f"other (no conductor track); the set_tempo goes in the first track, right after its "
               f"program_change.")
    used: set = set()
    for got, want in zip(got_tracks, want_tracks):
        label = f"track {got.index} (instrument {got.instrument})"
        first = midi.tracks[got.index][0]
        if first.is_meta:
            failed(f"{label} starts with a {first.type} meta message: each track starts with its program_change "
                   f"(the first track then has the set_tempo).")
        if not got.starts_with_program:
            failed(f"{label} does not start with its program_change.")
        problem = _meta_problem(midi.tracks[got.index], first_track=got is got_tracks[0])
        if problem:
            failed(f"{label} {problem}")
        if got.instrument == DRUMS and got.program not in (None, 0):
            failed(f"{label}: the drum track's program_change should be to program 0 (drums are channel 9 "
                   f"whatever the program); it is to program {got.program}.")
        if got.instrument == DRUMS and got.channels - {DRUM_CHANNEL}:
            failed(f"{label}: drums go on channel 9 only; notes found on {sorted(got.channels)}.")
        if got.instrument != DRUMS and DRUM_CHANNEL in got.channels:
            failed(f"{label}: channel 9 is for drums only; melodic notes use the other 15 channels.")
        if len(got.channels) > 1 or got.channels & used:
            failed(f"{label}: each instrument needs a channel of its own; this track uses {sorted(got.channels)}.")
        used |= got.channels
        if got.others:
            tick, message = got.others[0]
            failed(f"{label} holds a {message.type} at tick {tick}: a track holds only its program_change, "
                   f"its notes and its end_of_track.")
        for tick in sorted(set(got.ticks) | set(want.ticks)):
            g, w = got.ticks.get(tick, ()), want.ticks.get(tick, ())
            if g != w:
                silent = f"\nLikely cause: {MISTAKES['silent_written']}" \
                    if tick in got.stray_offs and tick not in want.stray_offs else ""
                failed(_tick_message(label, tick, g, w) + silent)
        if got.end_tick != got.last_event_tick:
            failed(f"{label} ends (its end_of_track) at tick {got.end_tick}, {got.end_tick - got.last_event_tick} "
                   f"ticks after its last note-off (tick {got.last_event_tick}): the end_of_track comes right "
                   f"after the last note-off.")


def _meta_problem(track: mido.MidiTrack, first_track: bool) -> str | None:
    """What is wrong with the meta messages of an instrument track that starts with its
    program_change (None: nothing). The first track holds one, the set_tempo, right after its
    program_change, at time 0; the others none (an end_of_track aside)."""
    ticks = list(itertools.accumulate(message.time for message in track))
    metas = [(i, ticks[i], m) for i, m in enumerate(track) if m.is_meta and m.type != "end_of_track"]
    if first_track:
        if not (len(track) > 1 and track[1].type == "set_tempo" and ticks[1] == 0):
            tempi = [(i, tick) for i, tick, m in metas if m.type == "set_tempo"]
            intruders = [(i, tick, m) for i, tick, m in metas if m.type != "set_tempo"]
            if intruders and (not tempi or intruders[0][0] < tempi[0][0]):   # another meta took its place
                index, tick, message = intruders[0]
                return (f"holds a {message.type} meta message (message {index}, at tick {tick}): a track holds "
                        f"nothing else but its program_change, its notes and its end_of_track (the first track "
                        f"also the set_tempo, right after its program_change).")
            if not tempi:
                return ("has no set_tempo: the first track has it right after its program_change, at time 0, "
                        "whatever the bpm (120 too).")
            return (f"has its set_tempo as message {tempi[0][0]}, at tick {tempi[0][1]}: it comes right after "
                    f"the program_change (message 1), at time 0.")
        metas = metas[1:]
    if not metas:
        return None
    _, tick, message = metas[0]
    if message.type == "set_tempo":
        return (f"holds a set_tempo at tick {tick}: the file has one set_tempo, in the first track, right after "
                f"its program_change.")
    return (f"holds a {message.type} meta message at tick {tick}: a track holds nothing else but its "
            f"program_change, its notes and its end_of_track (the first track also the set_tempo).")


def _phases_text(phases: tuple) -> str:
    if not phases:
        return "nothing"
    parts = []
    for kind, items in phases:
        if kind == "on":
            parts.append("note-on " + ", ".join(
                f"{p} (velocity {v}, " + (f"read back as lasting {d} ticks)" if d >= 0 else "never ended)")
                for p, v, d in items))
        else:
            parts.append("note-off " + ", ".join(str(p) for p in items))
    return " then ".join(parts)


def _tick_message(label: str, tick: int, got: tuple, want: tuple) -> str:
    message = (f"{label}, tick {tick} ({tick / TICKS_PER_SECOND:.2f} s): expected {_phases_text(want)}; "
               f"your file has {_phases_text(got)}.")
    got_order = [k for k, _ in got]
    want_order = [k for k, _ in want]

    def events(phases: tuple, with_duration: bool = True) -> Counter:
        return Counter((k, i if k == "off" or with_duration else i[:2]) for k, items in phases for i in items)

    same_events = events(got) == events(want)
    if same_events and want_order[:2] == ["off", "on"] and got_order[:1] == ["on"]:
        message += f"\nLikely cause: {MISTAKES['note_on_first']}"
    elif same_events and want_order[-2:] == ["on", "off"] and got_order[:1] == ["off"]:
        message += f"\nLikely cause: {MISTAKES['zero_length_order']}"
    elif not same_events and events(got, False) == events(want, False) and got_order == want_order:
        message += f"\nLikely cause: {MISTAKES['longer_first']}"
    return message
