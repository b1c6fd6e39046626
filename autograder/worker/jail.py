"""Linux confinement for one worker: namespaces, mounts, identity, limits.

Called by the warden (a fork of the zygote, still privileged) and by the worker
it forks, in that order. Only ``ctypes`` and the standard library: the calls
Python does not expose (unshare, mount, capset, prctl) go straight to libc.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import resource
import signal
import sys

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
LINUX = hasattr(_libc, "unshare")   # elsewhere (macOS: weak mode) only the rlimits below apply
if LINUX:
    _libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
    _libc.unshare.argtypes = [ctypes.c_int]
    _libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
PR_SET_PDEATHSIG, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, PR_SET_DUMPABLE = 1, 24, 38, 4
PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2
_LINUX_CAPABILITY_VERSION_3 = 0x20080522


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def unshare(flags: int) -> None:
    _check(_libc.unshare(flags), "unshare")


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    enc = lambda s: s.encode() if s is not None else None  # noqa: E731
    _check(_libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)), f"mount {target}")


def private_namespaces(network: bool) -> None:
    """New mount, PID and IPC namespaces (and network when asked); mounts made
    here stay invisible to every other worker."""
    unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | (CLONE_NEWNET if network else 0))
    mount(None, "/", None, MS_REC | MS_PRIVATE)


def mount_tmpfs(path: str, size_bytes: int, mode: int, uid: int, gid: int) -> None:
    mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV,
          f"size={size_bytes},mode={mode:o},uid={uid},gid={gid}")


def remount_readonly(path: str) -> None:
    mount(None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)


def mount_proc() -> None:
    """A /proc that shows only this PID namespace (no other process's folders)."""
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)


def die_with_parent() -> None:
    """SIGKILL this process when its parent dies (Linux; elsewhere nothing)."""
    if LINUX:
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> bool:
    """Make this process a child subreaper (Linux): a process its descendants leave orphaned
    (a daemon's double fork, ``setsid``) is re-parented to it instead of to init, so that
    :func:`kill_descendants` finds it. False elsewhere."""
    return LINUX and _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0


def _descendants(root: int) -> list[int]:
    """The live (not zombie) descendants of ``root``, from /proc."""
    parents: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as handle:
                    fields = handle.read().rsplit(b")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if fields[0] != b"Z":
                parents[int(name)] = int(fields[1])
    family, found = {root}, True
    while found:
        found = False
        for pid, parent in parents.items():
            if parent in family and pid not in family:
                family.add(pid)
                found = True
    return sorted(family - {root})


def kill_descendants(seconds: float = 10.0) -> int:
    """SIGKILL every descendant of this process, again and again until none is left (what
    they fork meanwhile, and orphans re-parented here, included), reaping its children; at
    most ``seconds``. How many were killed. A subreaper (:func:`become_subreaper`) has every
    process ever started below it among its descendants."""
    import time
    deadline, killed = time.monotonic() + seconds, 0
    while True:
        left = _descendants(os.getpid()) if os.path.isdir("/proc/self") else []
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except OSError:
                pass
        while True:   # reap what ended (children only; SIGCHLD ignored: nothing to reap)
            try:
                if os.waitpid(-1, os.WNOHANG)[0] == 0:
                    break
            except ChildProcessError:
                break
        if not left or time.monotonic() > deadline:
            return killed
        time.sleep(0.01)


def drop_privileges(uid: int | None, gid: int | None) -> None:
    """Become ``uid``/``gid`` with no capabilities, for good (no_new_privs).

    With ``uid=None`` (user-namespace mode: only one uid is mapped) the
    identity stays and every capability is dropped instead.
    """
    for cap in range(64):  # the bounding set first: nothing can be regained by exec
        if _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            break
    if uid is not None:
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)   # leaving uid 0 clears every capability
    else:
        header = (ctypes.c_uint32 * 2)(_LINUX_CAPABILITY_VERSION_3, 0)
        data = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable x 2: all zero
        _check(_libc.capset(header, data), "capset")
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    die_with_parent()  # credentials changed: the kernel cleared the earlier setting


# A seccomp filter for workers (after no_new_privs): an unprivileged process may still
# create a user namespace, where it holds every capability again (a door to the
# kernel's less-guarded code: mounts, netfilter...), and may use the kernel keyrings,
# which are shared by every process of one uid (so by the workers of one job slot).
# Both are refused; so are other kernel interfaces no student code needs, and any
# system call of another ABI (32-bit int 0x80, x32), which would bypass the filter.
_SECCOMP_ARCH = {   # machine -> (AUDIT_ARCH, clone, unshare, clone3, refused calls, x32 bit)
    "x86_64": (0xC000003E, 56, 272, 435, {"keyctl": 250, "add_key": 248, "request_key": 249, "bpf": 321,
                                         "perf_event_open": 298, "userfaultfd": 323, "io_uring_setup": 425},
               0x40000000),
    "aarch64": (0xC00000B7, 220, 97, 435, {"keyctl": 219, "add_key": 217, "request_key": 218, "bpf": 280,
                                          "perf_event_open": 241, "userfaultfd": 282, "io_uring_setup": 425},
                None),
}
CLONE_NEWUSER = 0x10000000


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint32)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


def seccomp_program(machine: str) -> list[tuple[int, int, int, int]] | None:
    """The filter as BPF instructions (code, jt, jf, k); None where the machine is not known."""
    if machine not in _SECCOMP_ARCH:
        return None
    arch, clone, unshare, clone3, refused, x32 = _SECCOMP_ARCH[machine]
    load, jeq, jge, jset, ret = 0x20, 0x15, 0x35, 0x45, 0x06
    allow, errno = 0x7FFF0000, lambda number: 0x00050000 | number
    eperm, enosys = errno(1), errno(38)
    program = [(load, 0, 0, 4), (jeq, 1, 0, arch), (ret, 0, 0, enosys), (load, 0, 0, 0)]
    if x32 is not None:
        program += [(jge, 0, 1, x32), (ret, 0, 0, enosys)]
    for number in refused.values():
        program += [(jeq, 0, 1, number), (ret, 0, 0, eperm)]
    program += [(jeq, 0, 1, clone3), (ret, 0, 0, enosys)]   # its flags are out of reach: libc falls back to clone
    for number in (clone, unshare):   # flags are the first argument (low 32 bits at offset 16)
        program += [(jeq, 0, 4, number), (load, 0, 0, 16), (jset, 0, 1, CLONE_NEWUSER), (ret, 0, 0, eperm),
                    (load, 0, 0, 0)]
    return program + [(ret, 0, 0, allow)]


def restrict_syscalls() -> bool:
    """Install the worker's seccomp filter (needs no_new_privs); False where unsupported."""
    program = seccomp_program(os.uname().machine) if LINUX and sys.byteorder == "little" else None
    if program is None:
        return False
    filters = (_SockFilter * len(program))(*[_SockFilter(*instruction) for instruction in program])
    fprog = _SockFprog(len(program), filters)
    _check(_libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(fprog), 0, 0), "seccomp")
    return True


def set_limits(memory_bytes: int, processes: int, file_bytes: int, open_files: int,
               cpu_seconds: int) -> None:
    """Resource limits of the worker and everything it starts."""
    def cap(which: int, value: int) -> None:
        soft, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, value))

    if LINUX:   # macOS refuses an address-space limit below what is already mapped
        cap(resource.RLIMIT_AS, memory_bytes)
    cap(resource.RLIMIT_NPROC, processes)
    cap(resource.RLIMIT_FSIZE, file_bytes)
    cap(resource.RLIMIT_NOFILE, open_files)
    cap(resource.RLIMIT_CPU, cpu_seconds)
    cap(resource.RLIMIT_CORE, 0)
