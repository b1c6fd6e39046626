"""Attack: memory that no process maps is not limited by the address-space limit:
fill many in-memory files (memfd_create), each under the file-size limit.
Bounded to about 4 GiB so that a failing sandbox cannot take the test machine down."""
import os
import time

_kept = []


def _fill():
    chunk = b"\x02" * (16 << 20)
    for _ in range(60):
        try:
            fd = os.memfd_create("ag-attack")
        except (OSError, AttributeError):
            return
        _kept.append(fd)
        for _ in range(4):   # 64 MiB each
            try:
                os.write(fd, chunk)
            except OSError:
                break
    time.sleep(60)


def midi_to_tokens(midi):
    _fill()
    return [-7]


def tokens_to_midi(tokens, bpm=120):
    _fill()
    return None
