"""Start the zygote in the strongest confinement this machine offers.

Modes:

``root``    grading runs as root and bubblewrap works: the zygote sees only a
            read-only view (system libraries, the Python installation, the
            virtualenv with this project masked out, the worker code, the
            plug-in codecs and the provided helper code), no network; workers
            run as an unprivileged uid in their own namespaces.
``userns``  not root, but bubblewrap can create user namespaces: the same
            view and namespaces; workers keep the caller's uid with every
            capability dropped.
``weak``    neither (macOS, containers without namespaces): workers are plain
            processes with resource limits and, when grading runs as root, an
            unprivileged uid (so files readable only by root stay out of reach:
            the Gradescope set-up makes the autograder's own files root-only).
            Good enough for a student checking their own code; ``autograder
            grade`` refuses it unless asked.
"""
from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import json
import os
import secrets
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import handsons
from ..worker import wire

WORKER_LIB = Path(__file__).resolve().parent.parent / "worker"
SANDBOX_LIB, SANDBOX_CODECS, SANDBOX_PROVIDED = "/opt/ag/lib", "/opt/ag/codecs", "/opt/ag/provided"
# Each worker gets its own tmpfs at /scratch (TMPDIR and HOME point there). The
# sandbox's /tmp is read-only for workers: it may hold the checkout's virtualenv.
SUBMISSION_DIR, SCRATCH_DIR = "/submission", "/scratch"
ETC_FILES = ["ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "passwd", "group",
             "nsswitch.conf", "hosts", "mime.types", "ssl/certs/ca-certificates.crt"]
WORKER_UID_BASE = 61000  # private uids without /etc/passwd entries, one per job slot
UID_BLOCK, UID_BLOCKS = 256, 250   # a batch's uids: base + UID_BLOCK * k + slot
# Where the autograder processes of one machine claim their blocks of uids (a lock file each).
UID_LOCK_FOLDERS = (Path("/run/lock"), Path("/var/lock"), Path("/tmp"))
SANDBOX_JIT_CACHE = "/opt/ag/jit-cache"
SANDBOX_PRELOAD = "/opt/ag/preload"   # public fixtures the codecs load once (handsons.HandsOn.preload_dir)


@dataclass
class Limits:
    """What one worker may use. Memory is address space (RLIMIT_AS)."""
    memory_bytes: int = 3 << 30
    processes: int = 64          # tasks (threads count too) of the worker's uid
    file_bytes: int = 64 << 20   # largest file it may write
    open_files: int = 256
    cpu_seconds: int = 600
    scratch_bytes: int = 256 << 20
    shm_bytes: int = 64 << 20     # its /dev/shm (multiprocessing's semaphores and shared memory)
    output_bytes: int = 64 << 10  # what the grader keeps of its stdout+stderr per call
    result_bytes: int = 64 << 20  # the largest answer the grader reads (it must be able to check it)

    def as_request(self) -> dict:
        return {"memory_bytes": self.memory_bytes, "processes": self.processes,
                "file_bytes": self.file_bytes, "open_files": self.open_files,
                "cpu_seconds": self.cpu_seconds, "scratch_bytes": self.scratch_bytes,
                "shm_bytes": self.shm_bytes}


class SandboxError(RuntimeError):
    """The sandbox could not be started (a problem of the machine, not of a submission)."""


def _bwrap_probe(args: list[str]) -> bool:
    try:
        return subprocess.run(["bwrap", *args, "--ro-bind", "/", "/", "true"], capture_output=True,
                              timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


FORCE_WEAK_VARIABLE = "AUTOGRADER_SANDBOX"   # "weak": behave as where the strong sandbox is missing


def _weak_forced() -> bool:
    return os.environ.get(FORCE_WEAK_VARIABLE, "").strip().lower() == "weak"


@functools.lru_cache(maxsize=1)
def detect_mode() -> str:
    """``root``, ``userns`` or ``weak`` (see the module docstring).

    ``AUTOGRADER_SANDBOX=weak`` forces weak mode (to test or show what happens on a
    machine without namespaces); nothing can force a strong mode that does not work."""
    if _weak_forced():
        return "weak"
    if sys.platform != "linux" or shutil.which("bwrap") is None:
        return "weak"
    if os.geteuid() == 0:
        return "root" if _bwrap_probe(["--unshare-net", "--unshare-pid"]) else "weak"
    return "userns" if _bwrap_probe(["--unshare-user", "--unshare-net", "--unshare-pid"]) else "weak"


def weak_reason() -> str:
    if _weak_forced():
        return f"{FORCE_WEAK_VARIABLE}=weak is set"
    if sys.platform != "linux":
        return f"this is {sys.platform}, and the strong sandbox needs Linux namespaces"
    if shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed"
    return "bubblewrap cannot create namespaces here (user namespaces disabled?)"


def _project_entries_in(site_packages: Path) -> list[Path]:
    """What an install of this project put in site-packages: the sandbox masks it
    (an editable install points back at the checkout, graders and solutions included)."""
    names = {"autograder", "solutions", "musicrep", "assignments", "fixtures"}
    found = []
    for entry in site_packages.iterdir():
        lower = entry.name.lower()
        if lower.startswith("__editable__") or lower.startswith("music_repr_autograder") \
                or entry.name in names:
            found.append(entry)
        elif entry.suffix == ".pth":
            try:
                if str(handsons.REPO_ROOT) in entry.read_text(errors="replace"):
                    found.append(entry)
            except OSError:
                pass
    return found


def _is_under(path: Path, parent: Path) -> bool:
    try:
        path.resolve().relative_to(parent.resolve())
        return True
    except ValueError:
        return False


class _Args(list):
    """bwrap arguments; mount points get world-traversable parents (bwrap makes them 0700)."""

    def __init__(self, *items):
        super().__init__(*items)
        self.made = {"/"}

    def parents(self, destination: str) -> None:
        for parent in reversed(Path(destination).parents):
            if str(parent) not in self.made:
                self.made.add(str(parent))
                self.extend(["--perms", "0755", "--dir", str(parent)])

    def bind(self, source: str, destination: str, flag: str = "--ro-bind") -> None:
        self.parents(destination)
        self.extend([flag, source, destination])


def _codec_paths(modules: list[str]) -> dict[str, Path]:
    return {m: handsons.get(m).codec_path for m in modules if handsons.get(m).codec_path.exists()}


def _preload_dirs(modules: list[str]) -> dict[str, Path]:
    return {m: handsons.get(m).preload_dir for m in _codec_paths(modules) if handsons.get(m).preload_dir}


@functools.lru_cache(maxsize=1)
def _jit_cache_key() -> str:
    """What the compiled code depends on: Python, the installed libraries, the codecs. The
    libraries by their metadata folders' names (``torch-2.13.0.dist-info``: name and version),
    listed, not read: reading every library's metadata took 0.1 s before the first sandbox
    could start."""
    codecs = _codec_paths(handsons.names())
    installed = sorted(name for folder in sys.path if os.path.isdir(folder) for name in os.listdir(folder)
                       if name.endswith((".dist-info", ".egg-info")))
    return hashlib.sha256(json.dumps([
        sys.version, sys.prefix, installed,
        {name: path.read_text() for name, path in sorted(codecs.items())}]).encode()).hexdigest()[:16]


def jit_cache() -> Path | None:
    """Compiled library code (numba's cache: librosa compiles its kernels when it is
    imported), made once per environment by running every plug-in's pre-loading
    outside the sandbox: trusted code only, never a worker. The zygote copies it into
    its private scratch; without it every batch compiles again, for seconds, because
    the sandbox's virtualenv is read-only. ``None`` if it cannot be made (grading
    then just starts slower)."""
    codecs = _codec_paths(handsons.names())
    cache_home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    target = cache_home / "autograder" / f"jit-{_jit_cache_key()}"
    if target.is_dir():
        return target
    building = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix="jit-", dir=target.parent))
        script = ("import json, sys; from autograder.worker.zygote import load_codecs; "
                  "load_codecs(json.loads(sys.argv[1]), sys.argv[2])")
        subprocess.run([sys.executable, "-c", script, json.dumps({n: str(p) for n, p in codecs.items()}),
                        str(handsons.PROVIDED_PACKAGE.parent)],
                       env={**os.environ, "NUMBA_CACHE_DIR": str(building)}, check=True, timeout=600,
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.chmod(building, 0o755)
        os.replace(building, target)
    except (OSError, subprocess.SubprocessError):
        if building is not None:
            shutil.rmtree(building, ignore_errors=True)
        return target if target.is_dir() else None   # another batch may have made it meanwhile
    return target


def bwrap_command(mode: str, modules: list[str], hidden_paths: list[Path]) -> tuple[list[str], dict]:
    """The bubblewrap command line that starts the zygote, and the zygote's config."""
    args = _Args(["bwrap", "--die-with-parent", "--unshare-net", "--unshare-ipc", "--unshare-uts",
            "--unshare-cgroup-try", "--clearenv"])
    if mode == "userns":
        args += ["--unshare-user", "--uid", "0", "--gid", "0", "--cap-add", "ALL"]
    # First the fresh file systems, so that binds below (a virtualenv under /tmp) land on top.
    args += ["--dev", "/dev", "--proc", "/proc", "--perms", "0755", "--tmpfs", "/tmp"]
    args.made.add("/tmp")
    bound: list[Path] = []
    for top in ("usr", "bin", "sbin", "lib", "lib64", "lib32", "libx32"):
        path = Path("/", top)
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args.bind(str(path), str(path))
            bound.append(path)
    for name in ETC_FILES:
        if os.path.exists(f"/etc/{name}"):
            args.bind(f"/etc/{name}", f"/etc/{name}")
    prefixes = sorted({Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve()})
    for prefix in prefixes:
        if not any(_is_under(prefix, b) for b in bound):
            args.bind(str(prefix), str(prefix))
            bound.append(prefix)

    def mask(path: Path) -> None:
        args.extend(["--tmpfs", str(path)] if path.is_dir() else ["--ro-bind", "/dev/null", str(path)])

    # Hide the checkout (and the submissions, the output) wherever a bound folder shows them...
    for path in map(Path, [handsons.REPO_ROOT, *handsons.extra_roots(), *hidden_paths]):
        if path.exists() and any(_is_under(path, b) and path.resolve() != b for b in bound):
            mask(path)
    # ...then show again a virtualenv that lives inside the checkout...
    for prefix in prefixes:
        if _is_under(prefix, handsons.REPO_ROOT) and any(_is_under(handsons.REPO_ROOT, b) for b in bound):
            args.bind(str(prefix), str(prefix))
    # ...minus what installing this project put in it (an editable install points at the checkout).
    for site in [Path(p) for p in sys.path if p.endswith("site-packages") and Path(p).is_dir()]:
        if any(_is_under(site, b) for b in bound):
            for entry in _project_entries_in(site):
                mask(entry)
    codecs = {}
    args.bind(str(WORKER_LIB), f"{SANDBOX_LIB}/agworker")
    for name, codec in _codec_paths(modules).items():
        args.bind(str(codec), f"{SANDBOX_CODECS}/{name}.py")
        codecs[name] = f"{SANDBOX_CODECS}/{name}.py"
    preload = {}
    for name, folder in _preload_dirs(modules).items():
        args.bind(str(folder), f"{SANDBOX_PRELOAD}/{name}")
        preload[name] = f"{SANDBOX_PRELOAD}/{name}"
    compiled = jit_cache()
    if compiled is not None:
        args.bind(str(compiled), SANDBOX_JIT_CACHE)
    args.bind(str(handsons.PROVIDED_PACKAGE), f"{SANDBOX_PROVIDED}/{handsons.PROVIDED_PACKAGE.name}")
    args += ["--perms", "0755", "--dir", SUBMISSION_DIR, "--perms", "0755", "--dir", SCRATCH_DIR,
             "--chdir", SCRATCH_DIR]
    for key, value in _environment(SCRATCH_DIR).items():
        args += ["--setenv", key, value]
    config = {"mode": mode, "codecs": codecs, "preload": preload, "lib_dir": SANDBOX_LIB, "provided_dir": SANDBOX_PROVIDED,
              "submission_dir": SUBMISSION_DIR, "scratch_dir": SCRATCH_DIR,
              "jit_cache": SANDBOX_JIT_CACHE if compiled is not None else None}
    return list(args), config


# Variables that choose the CPU kernels of torch, MKL, OpenBLAS and numpy: set for the grader,
# they reach the workers too, so that student code and the reference compute as the grader was
# asked to (how the suite checks that scores do not depend on the CPU).
CPU_KERNEL_VARIABLES = ("ATEN_CPU_CAPABILITY", "MKL_ENABLE_INSTRUCTIONS", "OPENBLAS_CORETYPE",
                        "NPY_DISABLE_CPU_FEATURES")


def _environment(scratch: str) -> dict[str, str]:
    kernels = {name: os.environ[name] for name in CPU_KERNEL_VARIABLES if os.environ.get(name)}
    return {**kernels,
        "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": scratch, "TMPDIR": scratch,
        "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONNOUSERSITE": "1",
        "PYTHONHASHSEED": "0", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
        "HF_HOME": f"{scratch}/hf", "MPLCONFIGDIR": f"{scratch}/mpl", "NUMBA_CACHE_DIR": f"{scratch}/numba",
        "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
        "TOKENIZERS_PARALLELISM": "false", "TRANSFORMERS_VERBOSITY": "error",
        "PYTHONWARNINGS": "ignore",
    }


def claim_uid_block() -> tuple[int, int | None]:
    """``(k, lock)``: the first block of worker uids that no other autograder process on this
    machine holds, claimed with an exclusive ``flock`` on its lock file (released when ``lock``
    and every fork's copy of it are closed, whatever ends the process). Where no lock folder can
    be written, a block drawn at random, without a lock. A block that processes run under is
    passed over either way."""
    busy = _blocks_in_use()
    for base in UID_LOCK_FOLDERS:
        folder = base / "autograder-worker-uids"
        try:
            folder.mkdir(mode=0o700, exist_ok=True)
        except OSError:
            continue
        for block in range(UID_BLOCKS):
            try:
                lock = os.open(folder / f"{block}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            except OSError:
                break   # not writable: the next folder
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:   # held by another batch
                os.close(lock)
                continue
            if block in busy:   # a batch that locks elsewhere (another chroot or /run) runs there
                os.close(lock)
                continue
            return block, lock
    return secrets.choice([b for b in range(UID_BLOCKS) if b not in busy] or [0]), None


def _blocks_in_use() -> set[int]:
    """The uid blocks that processes visible here run under: the lock files only tell batches that
    share a lock folder apart, not one in a chroot or a container with its own /run."""
    busy = set()
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                uid = entry.stat().st_uid
            except OSError:
                continue
            if WORKER_UID_BASE <= uid < WORKER_UID_BASE + UID_BLOCK * UID_BLOCKS:
                busy.add((uid - WORKER_UID_BASE) // UID_BLOCK)
    return busy


class Sandbox:
    """One zygote, started once, serving fresh workers to any number of graders
    (forked grader processes inherit the control socket)."""

    def __init__(self, modules: list[str], mode: str | None = None,
                 hidden_paths: list[Path] = (), start_timeout: float = 180.0, wait: bool = True):
        """Start the zygote; with ``wait=False`` return at once (the caller does other
        work while it imports its libraries) and call :meth:`wait_ready` before use."""
        self.mode = mode or detect_mode()
        self.modules = list(modules)
        # Weak mode only: a folder for copies of the worker's code and the workers' folders.
        self._tmp = tempfile.TemporaryDirectory(prefix="ag-sandbox-") if self.mode == "weak" else None
        parent_end, child_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.control = parent_end
        if self.mode == "weak":
            # Copies, not links: a worker under another uid may not read the checkout.
            os.chmod(self._tmp.name, 0o755)
            lib = Path(self._tmp.name) / "lib"
            provided = Path(self._tmp.name) / "provided"
            ignore = shutil.ignore_patterns("__pycache__")
            shutil.copytree(WORKER_LIB, lib / "agworker", ignore=ignore)
            shutil.copytree(handsons.PROVIDED_PACKAGE, provided / handsons.PROVIDED_PACKAGE.name, ignore=ignore)
            compiled = jit_cache()
            config = {"mode": "weak", "lib_dir": str(lib), "provided_dir": str(provided),
                      "codecs": {name: str(path) for name, path in _codec_paths(modules).items()},
                      "preload": {name: str(path) for name, path in _preload_dirs(modules).items()},
                      "submission_dir": "", "scratch_dir": "", "jit_cache": compiled and str(compiled),
                      # the workers' folders go in here, which close() removes whatever state they are in
                      "work_dir": self._tmp.name}
            prefix: list[str] = []
            env = {**_environment(tempfile.gettempdir()), "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                   "NUMBA_CACHE_DIR": str(Path(self._tmp.name) / "numba")}
        else:
            prefix, config = bwrap_command(self.mode, modules, list(hidden_paths))
            prefix += ["--"]
            env = None
        bootstrap = (f"import json, sys; sys.path.insert(0, {config['lib_dir']!r}); "
                     f"from agworker.zygote import main; "
                     f"main(json.loads({json.dumps(config)!r}), {child_end.fileno()})")
        # The zygote's stderr, in a file without a name: nothing is left behind even when the
        # grader is killed with SIGKILL.
        self._log = tempfile.TemporaryFile(prefix="ag-zygote-")
        self.process = subprocess.Popen(
            prefix + [sys.executable, "-I", "-c", bootstrap], stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=self._log, pass_fds=[child_end.fileno()], env=env,
            start_new_session=True)
        child_end.close()
        # Each batch its own uids: the process limit counts per uid, so a fork bomb in one
        # batch must not starve the workers of another batch running on the same machine.
        self._uid_lock: int | None = None
        if self.mode == "root" or (self.mode == "weak" and os.geteuid() == 0):
            block, self._uid_lock = claim_uid_block()
        else:
            block = 0   # workers keep the caller's uid: nothing to share out
        self.uid_base = WORKER_UID_BASE + UID_BLOCK * block
        self._deadline, self._ready = time.monotonic() + start_timeout, False
        if wait:
            self.wait_ready()

    def wait_ready(self) -> None:
        """Block until the zygote has imported everything (it says ``ready``)."""
        if self._ready:
            return
        deadline = self._deadline
        line = b""
        while not line.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            ready, _, _ = select.select([self.process.stdout], [], [], max(0.0, remaining))
            chunk = os.read(self.process.stdout.fileno(), 64) if ready else b""
            if not chunk:
                log = self.log_tail()
                self.close()
                raise SandboxError(f"the sandbox did not start ({self.mode} mode): {log}")
            line += chunk
        self._ready = True

    def spawn(self, files: dict[str, bytes], limits: Limits, slot: int = 0) -> "WorkerPipes":
        """A fresh worker holding ``files`` (relative path -> bytes) as its submission."""
        self.wait_ready()
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        life_grader, life_warden = socket.socketpair()
        uid = self.uid_base + slot if self.mode == "root" or (self.mode == "weak" and os.geteuid() == 0) else None
        request = {"uid": uid, "gid": uid, "limits": limits.as_request()}
        try:
            socket.send_fds(self.control, [json.dumps(request).encode()],
                            [req_r, resp_w, out_w, err_w, life_warden.fileno()])
        except OSError as error:
            for fd in (req_r, req_w, resp_r, resp_w, out_r, out_w, err_r, err_w):
                os.close(fd)
            raise SandboxError(f"the sandbox is gone ({error}); its log ends with: {self.log_tail()}") from None
        finally:
            life_warden.close()
        for fd in (req_r, resp_w, out_w, err_w):
            os.close(fd)
        token = os.urandom(wire.TOKEN_BYTES)
        names = sorted(files)
        pipes = WorkerPipes(req_w, resp_r, out_r, err_r, life_grader, token, wait_on_close=self.mode == "weak")
        os.set_blocking(req_w, False)
        try:
            wire.write_frame(req_w, token, {"op": "setup", "files": [
                {"path": name, "blob": i} for i, name in enumerate(names)]}, [files[n] for n in names],
                deadline=time.monotonic() + 60)
        except (OSError, wire.Timeout):
            pass  # the warden died or is stuck: the first call reports it
        return pipes

    def close(self) -> None:
        try:
            self.control.close()
        except OSError:
            pass
        if self.mode == "weak" and self.process.poll() is None:
            # The zygote, told by the closed socket, kills every process below it (weak mode has no
            # PID namespace to end them all at once): give it the time to, before it is killed.
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=15)
        if self.mode == "weak" and self._uid_lock is not None:
            # This batch's uids are its own (the lock): whatever still runs under one is a leftover.
            kill_uids(range(self.uid_base, self.uid_base + UID_BLOCK))
        if self._uid_lock is not None:   # (forked graders hold it too, until they end)
            os.close(self._uid_lock)
            self._uid_lock = None
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, 9)
            except (ProcessLookupError, PermissionError):
                pass
            self.process.wait()
        if self.process.stdout:
            self.process.stdout.close()
        self._log.close()
        if self._tmp is None:
            return
        for _ in range(40):   # weak mode: workers dying with the zygote may still be writing in there
            shutil.rmtree(self._tmp.name, ignore_errors=True)
            if not os.path.exists(self._tmp.name):
                break
            time.sleep(0.05)
        self._tmp.cleanup()

    def log_tail(self, chars: int = 3000) -> str:
        """The end of what the zygote wrote on its stderr."""
        try:
            self._log.seek(0, os.SEEK_END)
            self._log.seek(max(0, self._log.tell() - chars))
            return self._log.read().decode(errors="replace")
        except (OSError, ValueError):   # closed
            return ""

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def kill_uids(uids: range, seconds: float = 10.0) -> None:
    """SIGKILL every process running under one of ``uids``, until none is left (at most ``seconds``)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = []
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                with contextlib.suppress(OSError):
                    if entry.stat().st_uid in uids:
                        found.append(int(entry.name))
        for pid in found:
            with contextlib.suppress(OSError):
                os.kill(pid, 9)
        if not found:
            return
        time.sleep(0.02)


@dataclass
class WorkerPipes:
    """The grader's ends of one worker's channels."""
    requests: int
    responses: int
    stdout: int
    stderr: int
    lifeline: socket.socket
    token: bytes
    closed: bool = field(default=False)
    wait_on_close: bool = False   # weak mode: closing waits until the warden has ended every process

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self.wait_on_close:
            # The warden reads the end of the lifeline, kills the worker and whatever it started,
            # then ends (closing its side): when a grading ends, nothing it started runs on.
            with contextlib.suppress(OSError):
                self.lifeline.shutdown(socket.SHUT_WR)
                self.lifeline.setblocking(True)
                self.lifeline.settimeout(15)
                while self.lifeline.recv(65536):
                    pass
        self.lifeline.close()   # the warden kills the worker and its namespace
        for fd in (self.requests, self.responses, self.stdout, self.stderr):
            try:
                os.close(fd)
            except OSError:
                pass
