"""Attack: flood stdout and stderr with hundreds of MB (at import and in calls)."""
import os
import sys

CHUNK = b"AG-ATTACK flood " * (1 << 16)   # 1 MiB


def _flood(megabytes):
    for _ in range(megabytes):
        for fd in (1, 2):
            try:
                os.write(fd, CHUNK)
            except OSError:
                pass
    print("x" * (1 << 20))
    print("y" * (1 << 20), file=sys.stderr)


_flood(300)


def midi_to_tokens(midi):
    _flood(200)
    raise ValueError("after the flood")   # the failure's message shows what was printed: capped


def tokens_to_midi(tokens, bpm=120):
    _flood(200)
    return None
