"""Attack: talk to, or spy on, other workers: leave a note in every folder this
worker can write (its scratch folder, /tmp, /dev/shm...) and in System V and
POSIX shared memory and abstract Unix sockets, then look everywhere for notes left by
other workers: another submission graded at the same time (the test grades a
twin of this attack beside it), or an earlier worker of this one. Each worker's
notes carry its own random id; any note with another id is a finding."""
import ctypes
import os
import socket
import uuid

MARK = "@@MARK@@"
ME = uuid.uuid4().hex[:12]
NOTE = f"{MARK}-note-"
FOUND = []
KEEP = []


def _leave():
    for folder in ("/scratch", "/tmp", "/dev/shm", "/var/tmp", "/run", os.path.expanduser("~"), os.getcwd()):
        try:
            with open(os.path.join(folder, NOTE + ME), "w") as handle:
                handle.write(ME)
        except OSError:
            pass
    try:   # an abstract socket: one namespace for every process in a network namespace
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind("\0" + NOTE + ME)
        server.listen(1)
        KEEP.append(server)
    except OSError:
        pass
    libc = ctypes.CDLL(None, use_errno=True)
    libc.shmget(0x4147, 4096, 0o1666)   # System V shared memory, key 0x4147, IPC_CREAT


def _look():
    del FOUND[:]
    for root, dirs, files in os.walk("/", onerror=lambda error: None):
        if root.startswith(("/proc", "/sys", "/usr", "/opt")) or "site-packages" in root:
            dirs[:] = []
            continue
        FOUND.extend(os.path.join(root, n) for n in files if n.startswith(NOTE) and not n.endswith(ME))
    try:
        with open("/proc/net/unix") as handle:
            FOUND.extend(line.split()[-1] for line in handle if NOTE in line and ME not in line)
    except OSError:
        pass
    try:
        with open("/proc/sysvipc/shm") as handle:
            keys = [line.split()[0] for line in handle.readlines()[1:]]
        if len(keys) > 1:
            FOUND.append(f"{len(keys)} System V segments: {keys[:5]}")
    except OSError:
        pass
    return FOUND


_leave()


def midi_to_tokens(midi):
    _leave()
    found = _look()
    raise RuntimeError(f"AG-ATTACK report: {len(found)} found: {found[:10]}")


def tokens_to_midi(tokens, bpm=120):
    _leave()
    return None
