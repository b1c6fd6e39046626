"""Attack: sys.exit while being imported (then os._exit, if that is caught)."""
import os
import sys

try:
    sys.exit(0)
finally:
    os._exit(0)


def midi_to_tokens(midi):
    return [-7]


def tokens_to_midi(tokens, bpm=120):
    return None
