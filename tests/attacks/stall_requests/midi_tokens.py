"""Attack: stop reading requests once a big one arrives (by patching the worker's
own frame reader), so that the grader blocks writing it. A big request comes when
the grader sends our own (big) MIDI file back for the round trip."""
import time

import mido

try:
    import agworker.wire as _wire
    _original_fill = _wire.FrameReader._fill

    def _fill(self, need, deadline):
        if need > 60000:
            time.sleep(10 ** 6)
        _original_fill(self, need, deadline)
    _wire.FrameReader._fill = _fill
except ImportError:
    pass


def midi_to_tokens(midi):
    return [-7]


def tokens_to_midi(tokens, bpm=120):
    midi = mido.MidiFile()
    track = mido.MidiTrack()
    midi.tracks.append(track)
    for _ in range(40000):   # about 160 KB: more than a pipe holds
        track.append(mido.Message("note_on", note=60, velocity=64, time=1))
    return midi
