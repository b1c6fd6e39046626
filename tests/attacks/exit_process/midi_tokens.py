"""Attack: leave in the middle of a call (os._exit, sys.exit, abort, exec)."""
import os
import sys

_calls = [0]


def midi_to_tokens(midi):
    _calls[0] += 1
    if _calls[0] % 2:
        os._exit(0)
    sys.exit(0)


def tokens_to_midi(tokens, bpm=120):
    _calls[0] += 1
    if _calls[0] % 3 == 0:
        os.abort()
    if _calls[0] % 3 == 1:
        os.execv("/bin/true", ["true"])
    raise SystemExit(0)
