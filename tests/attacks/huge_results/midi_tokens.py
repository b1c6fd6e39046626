"""Attack: make the grader slow or out of memory with what it has to read: a MIDI
file of millions of events, an answer of hundreds of MB, a list of millions of
items, a deeply nested list."""
import struct
import zlib

import mido
import numpy as np


def _pick(key, count):
    """A variant from the input: a worker stopped for its answer is replaced, and a
    counter in its memory would start again each time."""
    return zlib.crc32(repr(key).encode()) % count


class HugeMidi(mido.MidiFile):
    def __init__(self, megabytes):
        super().__init__()
        self.megabytes = megabytes

    def save(self, filename=None, file=None):
        body = b"\x00\x90\x3c\x40" + b"\x00\x3c\x40" * ((self.megabytes << 20) // 3)
        file.write(b"MThd" + struct.pack(">IHHH", 6, 1, 1, 100) + b"MTrk" + struct.pack(">I", len(body)) + body)


def midi_to_tokens(midi):
    kind = _pick([str(m) for m in midi], 3)
    if kind == 0:
        return np.zeros(200 << 20, dtype=np.uint8)    # 200 MB
    if kind == 1:
        return list(range(2_500_000))   # over 64 MiB as JSON
    nested = []
    for _ in range(100_000):
        nested = [nested]
    return nested


def tokens_to_midi(tokens, bpm=120):
    return HugeMidi(8 if _pick((tokens, bpm), 2) else 100)
