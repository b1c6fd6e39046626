"""Attack: the memory limit is per process, so fork and allocate in each child
(detached in new sessions), hoping for several times the limit in all. Bounded
to 5 x 1 GiB so that a failing sandbox cannot take the test machine down."""
import os
import time


def _children():
    pids = []
    for _ in range(5):
        pid = os.fork()
        if pid == 0:
            try:
                os.setsid()
                block = b"\x01" * (1 << 30)   # written, so really in memory
                time.sleep(120)
            finally:
                os._exit(0)
        pids.append(pid)
    time.sleep(60)
    return pids


def midi_to_tokens(midi):
    _children()
    return [-7]


def tokens_to_midi(tokens, bpm=120):
    _children()
    return None
