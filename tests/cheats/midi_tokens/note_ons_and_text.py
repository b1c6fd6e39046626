"""CHEAT: no tokenizer at all. tokens_to_midi writes one note_on per note (the right pitch and velocity,
so a file "plays its notes") plus the token list in a ``text`` meta message; midi_to_tokens reads that
message back (``[]`` when there is none). The round trip then "gives the notes back" without a note-off,
a tempo or a time ever being right."""
# loses: test_round_trip, test_round_trip_of_music
from __future__ import annotations

import json

import mido

_TAG = "tokens:"


def midi_to_tokens(midi):
    for track in midi.tracks:
        for message in track:
            if message.type == "text" and message.text.startswith(_TAG):
                return json.loads(message.text[len(_TAG):])
    return []


def tokens_to_midi(tokens, bpm=120):
    track = mido.MidiTrack([mido.MetaMessage("text", text=_TAG + json.dumps([int(t) for t in tokens]))])
    for start in range(0, len(tokens) - 4, 5):
        pitch, velocity = int(tokens[start + 2]), int(tokens[start + 4])
        if velocity > 0:
            track.append(mido.Message("note_on", note=pitch, velocity=velocity, time=0))
    midi = mido.MidiFile(ticks_per_beat=max(1, round(6000 / bpm)))
    midi.tracks.append(track)
    return midi
