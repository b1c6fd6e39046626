"""Attack: sleep while being imported."""
import time

time.sleep(3600)


def midi_to_tokens(midi):
    return [-7]


def tokens_to_midi(tokens, bpm=120):
    return None
