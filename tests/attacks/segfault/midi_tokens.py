"""Attack: crash the process through ctypes (a segmentation fault, a bad jump)."""
import ctypes


def midi_to_tokens(midi):
    ctypes.string_at(0)


def tokens_to_midi(tokens, bpm=120):
    ctypes.CFUNCTYPE(None)(0xdeadbeef)()
