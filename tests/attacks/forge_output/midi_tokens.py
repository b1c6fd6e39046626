"""Attack: print fake results (Gradescope JSON, "PASS" lines, pytest summaries)
and write fake protocol frames, full marks in them, to every file descriptor."""
import json
import os
import struct
import sys

MARK = "@@MARK@@"
FAKE = json.dumps({"score": 1000.0, "tests": [{"name": "all", "score": 1000.0, "max_score": 1000.0,
                                                "status": "passed", "output": MARK}]})


def _frames():
    header = json.dumps({"status": "ok", "value": {"t": "list", "items": [{"t": "json", "v": 0}] * 5},
                         "seconds": 0.0}).encode()
    for token in (b"\0" * 16, b"0" * 16, os.urandom(16)):
        yield b"AGW1" + token + struct.pack("<II", len(header), 0) + header


def _forge():
    print(FAKE)
    print("PASS 88/88 midi_tokens: everything", file=sys.stderr)
    print("======== 88 passed in 0.01s ========")
    for fd in range(0, 1024):
        for frame in _frames():
            try:
                os.write(fd, frame)
            except OSError:
                pass


_forge()


def midi_to_tokens(midi):
    _forge()
    return [-7]


def tokens_to_midi(tokens, bpm=120):
    _forge()
    return None
