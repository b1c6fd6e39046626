"""The zygote: a pre-loaded process that forks one fresh worker per request.

Heavy imports (torch, transformers, mido...) are paid once, here, by importing
each hands-on's codec before any student code exists. For every request the
zygote forks a *warden*, which confines itself (private mount/PID/IPC/network
namespaces, a private /tmp, the submission's files on a read-only tmpfs) and
forks the *worker* (PID 1 of its namespace, unprivileged, with resource limits)
that serves the grader's calls. The warden reports how the worker ended.

Requests arrive on a SOCK_SEQPACKET socket as a JSON object plus five file
descriptors: requests (read), responses (write), stdout, stderr and a lifeline
socket. The grader closing the lifeline kills the worker and everything it
started. The zygote never sees a submission's files (they go straight to the
warden), so no worker inherits another submission's code in its memory.
"""
from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import select
import signal
import socket
import sys
import time

from . import jail, wire
from .serve import serve


def load_codecs(paths: dict[str, str], provided_dir: str | None = None,
                preload: dict[str, str] | None = None) -> tuple[dict, list]:
    """Import each plug-in's codec and run its ``preload``: its decoders and encoders.
    ``provided_dir`` (the folder holding the provided helper package) goes on ``sys.path``
    first, so codecs import that package from where workers will find it. ``preload``: the
    folder of public fixtures each codec's ``preload`` is given (models it builds once, here,
    which every worker then shares copy-on-write)."""
    if provided_dir and provided_dir not in sys.path:
        sys.path.insert(0, provided_dir)
    decoders, encoders = {}, []
    for name, path in sorted(paths.items()):
        spec = importlib.util.spec_from_file_location(f"_codec_{name}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        if hasattr(module, "preload"):
            folder = (preload or {}).get(name)
            module.preload(folder) if folder else module.preload()
        decoders.update(getattr(module, "DECODERS", {}))
        encoders.extend(getattr(module, "ENCODERS", []))
    return decoders, encoders


def main(config: dict, control_fd: int) -> None:
    # Plug-in codecs import the libraries students use: that is the pre-loading. Without the
    # cyclic garbage collector, which would walk the ever-growing heap of imported modules
    # again and again for the little garbage imports make: torch + transformers 3.4 -> 2.7 s.
    import gc
    gc.disable()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if config.get("jit_cache") and os.environ.get("NUMBA_CACHE_DIR"):
        import shutil   # compiled library code made outside (read-only there): into a writable copy
        try:
            shutil.copytree(config["jit_cache"], os.environ["NUMBA_CACHE_DIR"], dirs_exist_ok=True)
        except OSError:
            pass
    decoders, encoders = load_codecs(config["codecs"], config["provided_dir"], config.get("preload"))
    # Only what the codecs pre-loaded: a hands-on without torch (MIDI) must not wait for it.
    # A worker that imports torch itself gets one thread from OMP_NUM_THREADS.
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)  # fair timing, and --jobs N scales on N cores
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # wardens are reaped automatically
    weak = config["mode"] == "weak"
    if weak:   # no PID namespace: what a warden leaves orphaned (killed mid-sweep) comes here
        jail.become_subreaper()
    # Forks share the pre-loaded libraries' memory until a page is written. The cyclic
    # garbage collector writes into every object it visits: frozen objects it never
    # visits, so wardens and workers do not copy the zygote's pages. No collection first: the
    # garbage the imports left (~8 MiB for all three hands-ons, once, shared) would take 0.75 s
    # to find; collecting along the way instead (a gen-0 threshold of 100 000) costs 0.2 s of
    # Encodec's start. Workers collect their own garbage as usual.
    gc.freeze()
    gc.enable()
    control = socket.socket(fileno=control_fd)
    os.write(1, b"ready\n")
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(control, 65536, 8)
        except (ConnectionError, OSError):
            message, fds = b"", []
        if not message:  # the grader is gone (killed, perhaps: then nobody else removes the weak mode's folders)
            if weak:   # no process of a worker outlives the sandbox (wardens, workers, their daemons)
                jail.kill_descendants()
                if config.get("work_dir"):
                    import shutil
                    shutil.rmtree(config["work_dir"], ignore_errors=True)
            return
        if len(fds) != 5:
            for fd in fds:
                os.close(fd)
            continue
        pid = os.fork()
        if pid == 0:
            code = 70
            try:
                control.close()
                _warden(json.loads(message), fds, config, decoders, encoders)
                code = 0
            except BaseException as error:  # report, never return into the loop
                try:
                    os.write(fds[4], f"warden failed: {type(error).__name__}: {error}\n".encode()[:2000])
                except OSError:
                    pass
            finally:
                os._exit(code)
        for fd in fds:
            os.close(fd)


def _lifeline_read(fd: int) -> bytes | None:
    """What the grader wrote on the lifeline since the last read (b"" for nothing), None once it let go."""
    try:
        return os.read(fd, 4096) or None
    except BlockingIOError:
        return b""
    except OSError:
        return None


def _address_space_peak(pid: int) -> int | None:
    """The most address space process ``pid`` has held since it was forked, in bytes (the kernel's
    VmPeak: no process can lower it), or None where it cannot be read."""
    try:
        with open(f"/proc/{pid}/status", "rb") as handle:
            for line in handle:
                if line.startswith(b"VmPeak:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _close_other_fds(keep: list[int]) -> None:
    for fd in range(3, 1024):
        if fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass


def _safe_relative(path: str) -> bool:
    parts = path.split("/")
    return bool(path) and not path.startswith("/") and all(p not in ("", ".", "..") for p in parts)


def _warden(request: dict, fds: list[int], config: dict, decoders: dict, encoders: list) -> None:
    req_r, resp_w, out_w, err_w, life = fds
    jail.die_with_parent()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    _close_other_fds(fds)
    reader = wire.FrameReader(req_r, None)  # the set-up frame names the token
    setup, blobs = reader.read()
    token = reader.token
    strong = config["mode"] != "weak"
    submission, scratch = config["submission_dir"], config["scratch_dir"]
    uid, gid = request.get("uid"), request.get("gid")

    if strong:
        jail.private_namespaces(network=True)
        jail.mount_tmpfs(submission, 64 << 20, 0o755, 0, 0)
        owner = (uid if uid is not None else 0, gid if gid is not None else 0)
        jail.mount_tmpfs(scratch, request["limits"]["scratch_bytes"], 0o700, *owner)
        # A private, small /dev/shm: multiprocessing's locks and queues need one (bubblewrap's /dev
        # has only a read-only folder there); its files are bounded by the mount's size.
        jail.mount_tmpfs("/dev/shm", request["limits"]["shm_bytes"], 0o700, *owner)
    else:
        import tempfile
        # No PID namespace: every process the worker starts, however detached, is re-parented
        # here when its parent ends, and killed with the worker (see the end of this function).
        jail.become_subreaper()
        submission = tempfile.mkdtemp(prefix="ag-submission-", dir=config.get("work_dir") or None)
        scratch = tempfile.mkdtemp(prefix="ag-scratch-", dir=config.get("work_dir") or None)
        if uid is not None:   # readable by the worker's uid and group only (not by other job slots' workers)
            os.chown(submission, 0, gid)
            os.chmod(submission, 0o750)
            os.chown(scratch, uid, gid)
    for entry in setup.get("files", []):
        relative = str(entry["path"])
        if not _safe_relative(relative):
            continue
        target = os.path.join(submission, relative)
        try:   # a file that cannot be written (a path that is also a folder...) is left out, not fatal
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as handle:
                handle.write(blobs[entry["blob"]])
        except (OSError, IndexError, TypeError):
            continue
    if strong:
        jail.remount_readonly(submission)

    child = os.fork()
    if child == 0:
        code = 0
        try:
            _worker(request, config, token, req_r, resp_w, out_w, err_w, life, reader,
                    submission, scratch, decoders, encoders)
        except BaseException:
            code = 70  # the worker's own set-up failed: say why on its stderr
            import traceback
            os.write(2, traceback.format_exc().encode()[-3000:])
        finally:
            os._exit(code)
    for fd in (req_r, resp_w, out_w, err_w):
        os.close(fd)

    # No threads here: after unshare(CLONE_NEWPID) this process cannot start one.
    child_fd = os.pidfd_open(child)
    poller = select.poll()
    poller.register(life, select.POLLIN | select.POLLHUP)
    poller.register(child_fd, select.POLLIN)
    memory_limit, interval, reason = request["limits"]["memory_bytes"], 0.25, None
    os.set_blocking(life, False)   # the waiting reports are dropped rather than block this loop
    reported = reported_cpu = 0.0
    while True:
        events = dict(poller.poll(int(interval * 1000)))
        if child_fd in events:
            break
        asked = _lifeline_read(life) if life in events else b""
        if asked is None:
            os.kill(child, signal.SIGKILL)  # the grader let go: end the worker's namespace
            break
        if b"peak" in asked:   # the grader asks how much address space the worker's process has held
            # In strong mode the worker is pid 1 of the /proc it mounts; before (or if it is gone) the
            # warden's own /proc shows it as ``child``.
            own_proc = not strong or os.path.exists("/proc/self")
            with contextlib.suppress(OSError):
                os.write(life, (json.dumps({"peak_vm": _address_space_peak(child if own_proc else 1)}) + "\n").encode())
        waited = _runqueue_wait(1 if strong else child)
        # How long the worker was ready to run but waited for a CPU, and the CPU time its
        # processes used: the grader excuses the waiting only as far as the worker's own
        # processes do not explain it (its own busy threads are not the machine's load).
        cpu = _cpu_seconds(None if strong else child) if waited is not None else 0.0
        if waited is not None and (waited - reported >= 0.05 or cpu - reported_cpu >= 0.1):
            with contextlib.suppress(OSError):
                os.write(life, (json.dumps({"waited": round(waited, 3), "cpu": round(cpu, 3)}) + "\n").encode())
                reported, reported_cpu = waited, cpu
        if strong:
            # The address-space limit is per process: a worker that forks could use it many
            # times over. Its processes together get one memory limit, checked here.
            started = time.monotonic()
            _, used = _namespace_memory()
            if used > memory_limit:
                os.kill(child, signal.SIGKILL)
                reason = "memory"
                break
            interval = max(0.25, 4 * (time.monotonic() - started))
    _, status = os.waitpid(child, 0)
    if not strong:  # weak mode: no process the worker started outlives it, and no folder
        with contextlib.suppress(OSError):
            os.killpg(child, signal.SIGKILL)   # its session's group (the worker called setsid)
        jail.kill_descendants()
        import shutil
        for folder in (submission, scratch):
            shutil.rmtree(folder, ignore_errors=True)
    if os.WIFSIGNALED(status):
        report = {"signal": os.WTERMSIG(status)}
    else:
        report = {"exit": os.WEXITSTATUS(status)}
    if reason:
        report["reason"] = reason
    os.set_blocking(life, True)
    try:
        os.write(life, (json.dumps(report) + "\n").encode())
    except OSError:
        pass


def _runqueue_wait(pid: int) -> float | None:
    """Seconds the worker's main thread has spent runnable but waiting for a CPU
    (``/proc/PID/schedstat``), or None where it cannot be read: in strong mode until the
    worker has mounted its namespace's /proc (its pid is 1 there), or without schedstats."""
    if pid == 1 and os.path.exists("/proc/self"):
        return None
    try:
        with open(f"/proc/{pid}/schedstat", "rb") as handle:
            return int(handle.read().split()[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return None


def _cpu_seconds(pid: int | None) -> float:
    """CPU seconds (user and system, all threads, and the children each reaped) used by every
    process of the worker's PID namespace (``pid`` None: strong mode), or by process ``pid``."""
    if pid is None and os.path.exists("/proc/self"):
        return 0.0   # the namespace's /proc is not mounted yet
    try:
        pids = [str(pid)] if pid is not None else [name for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return 0.0
    ticks = 0
    for name in pids:
        try:
            with open(f"/proc/{name}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
            ticks += sum(int(field) for field in fields[11:15])   # utime stime cutime cstime
        except (OSError, ValueError, IndexError):
            continue
    return ticks / os.sysconf("SC_CLK_TCK")


def _namespace_memory() -> tuple[int, int]:
    """(processes, bytes of memory) of the worker's PID namespace: the proportional
    share of what each process maps, plus in-memory files (memfd_create) they hold,
    which need no address space and so escape the per-process limit.

    The worker mounts its namespace's /proc in the mount namespace it shares with
    this warden; until it has, /proc still shows this warden (/proc/self) and
    nothing is counted. Orphans are re-parented to the worker (the namespace's
    init), so every process it started is there, detached or not."""
    if os.path.exists("/proc/self"):
        return 0, 0
    try:
        pids = [name for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return 0, 0
    total, files = 0, set()
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
                for line in handle:
                    if line.startswith(b"Pss:"):
                        total += int(line.split()[1]) * 1024
                        break
            descriptors = os.listdir(f"/proc/{pid}/fd")
        except (OSError, ValueError, IndexError):
            continue
        for fd in descriptors:
            path = f"/proc/{pid}/fd/{fd}"
            try:
                if not os.readlink(path).startswith("/memfd:"):
                    continue
                info = os.stat(path)
            except OSError:
                continue
            if (info.st_dev, info.st_ino) not in files:
                files.add((info.st_dev, info.st_ino))
                total += info.st_blocks * 512
    return len(pids), total


def _worker(request, config, token, req_r, resp_w, out_w, err_w, life, reader,
            submission, scratch, decoders, encoders) -> None:
    strong = config["mode"] != "weak"
    limits = request["limits"]
    os.close(life)
    if strong:
        jail.mount_proc()
    try:   # if memory runs out on the machine, the kernel kills workers first, never the grader
        with open("/proc/self/oom_score_adj", "w") as handle:
            handle.write("1000")
    except OSError:
        pass
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(out_w, 1)
    os.dup2(err_w, 2)
    for fd in (devnull, out_w, err_w):
        os.close(fd)
    _close_other_fds([req_r, resp_w])
    os.chdir(scratch)
    jail.set_limits(limits["memory_bytes"], limits["processes"], limits["file_bytes"],
                    limits["open_files"], limits["cpu_seconds"])
    if strong or request.get("uid") is not None:
        jail.drop_privileges(request.get("uid"), request.get("gid"))
    else:
        jail.die_with_parent()
    if strong:   # no user namespaces, no keyrings (after no_new_privs, which it needs)
        jail.restrict_syscalls()
    # Submission first; provided helper code after it; never the current folder.
    sys.path[:] = [submission, config["provided_dir"]] + [
        p for p in sys.path if p and p not in ("", ".", config["lib_dir"], config["provided_dir"])]
    os.environ.update({"HOME": scratch, "TMPDIR": scratch})
    sys.stdout = open(1, "w", buffering=1, closefd=False)
    sys.stderr = open(2, "w", buffering=1, closefd=False)
    serve(reader, token, resp_w, decoders, encoders)


if __name__ == "__main__":  # python -m agworker.zygote CONFIG_JSON CONTROL_FD
    main(json.loads(sys.argv[1]), int(sys.argv[2]))
