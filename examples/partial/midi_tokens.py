"""A plausible student submission for Hands-on 2, with two classic mistakes
left in on purpose (the demo shows how they are graded):

- a note_on with velocity 0 is treated as a new note instead of a note-off;
- tokens_to_midi writes no set_tempo, so only bpm=120 files have 10 ms ticks.
"""
import mido

TIME_RESOLUTION = 100


def midi_to_tokens(midi):
    programs = {}
    open_notes = {}
    notes = []
    t = 0.0
    for msg in midi:
        t += msg.time
        if msg.type == "program_change":
            programs[msg.channel] = msg.program
        elif msg.type == "note_on":            # mistake: velocity 0 should end a note
            instrument = 128 if msg.channel == 9 else programs.get(msg.channel, 0)
            note = [t, None, msg.note, instrument, msg.velocity]
            open_notes.setdefault((msg.channel, msg.note), []).append(note)
            notes.append(note)
        elif msg.type == "note_off":
            waiting = open_notes.get((msg.channel, msg.note))
            if waiting:
                waiting.pop(0)[1] = t
    tokens = []
    for start, end, pitch, instrument, velocity in notes:
        end = t if end is None else end
        tokens.extend([round(100 * start), round(100 * (end - start)), pitch, instrument, velocity])
    return tokens


def tokens_to_midi(tokens, bpm=120):
    if len(tokens) % 5:
        raise ValueError(f"token {len(tokens) - len(tokens) % 5}: length is not a multiple of 5")
    notes = [tokens[i:i + 5] for i in range(0, len(tokens), 5)]
    for i, (onset, duration, pitch, instrument, velocity) in enumerate(notes):
        for offset, value, low, high in ((0, onset, 0, None), (1, duration, 0, None), (2, pitch, 0, 127),
                                         (3, instrument, 0, 128), (4, velocity, 0, 127)):
            if value < low or (high is not None and value > high):
                raise ValueError(f"token {5 * i + offset} is out of range: {value}")
    midi = mido.MidiFile(ticks_per_beat=round(6000 / bpm))   # mistake: no set_tempo
    channels = iter([c for c in range(16) if c != 9])
    instruments = []
    for note in notes:
        if note[3] not in instruments:
            instruments.append(note[3])
    if len([i for i in instruments if i != 128]) > 15:
        raise ValueError("more than 15 melodic instruments")
    for instrument in instruments:
        channel = 9 if instrument == 128 else next(channels)
        track = mido.MidiTrack()
        track.append(mido.Message("program_change", channel=channel, program=instrument % 128))
        events = []
        for onset, duration, pitch, inst, velocity in notes:
            if inst == instrument:
                events.append((onset, 1, mido.Message("note_on", channel=channel, note=pitch, velocity=velocity)))
                events.append((onset + duration, 0 if duration else 2,
                               mido.Message("note_off", channel=channel, note=pitch)))
        events.sort(key=lambda e: (e[0], e[1]))
        now = 0
        for tick, _, message in events:
            track.append(message.copy(time=tick - now))
            now = tick
        midi.tracks.append(track)
    return midi
