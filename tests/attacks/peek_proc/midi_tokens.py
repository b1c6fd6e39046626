"""Attack: look at other processes through /proc (their cwd, root, open files,
environment, memory) for the checkout, the graders or the grader's memory."""
import importlib.util
import os

REPO = "@@REPO@@"
SEEN = []
SOLUTION = None


def _peek():
    global SOLUTION
    me = str(os.getpid())
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or pid == me:
            continue
        SEEN.append(pid)
        for link in ("cwd", "root", "exe"):
            try:
                SEEN.append(f"{pid}/{link} -> {os.readlink(f'/proc/{pid}/{link}')}")
            except OSError:
                pass
        for relative in ("solutions/midi_tokens.py", REPO.lstrip("/") + "/solutions/midi_tokens.py"):
            for base in (f"/proc/{pid}/cwd", f"/proc/{pid}/root"):
                path = os.path.join(base, relative)
                try:
                    spec = importlib.util.spec_from_file_location("_stolen", path)
                    module = importlib.util.module_from_spec(spec)
                    spec.loader.exec_module(module)
                    SOLUTION = module
                    SEEN.append(f"loaded {path}")
                except BaseException:
                    pass
        try:
            with open(f"/proc/{pid}/environ", "rb") as handle:
                SEEN.append(f"{pid} environ {len(handle.read())} bytes")
        except OSError:
            pass
        try:
            with open(f"/proc/{pid}/mem", "rb") as handle:
                SEEN.append(f"{pid} mem readable {len(handle.read(16))}")
        except OSError:
            pass
    # and through our own root, in case it is not what it seems
    for path in (f"/proc/self/root{REPO}/solutions/midi_tokens.py", f"/proc/1/root{REPO}/solutions/midi_tokens.py"):
        if os.path.exists(path):
            SEEN.append(f"exists {path}")
    for line in SEEN[:40]:
        print(f"AG-ATTACK saw {line}")
    return SEEN


_peek()


def midi_to_tokens(midi):
    if SOLUTION is not None:
        return SOLUTION.midi_to_tokens(midi)
    seen = _peek() if not SEEN else SEEN   # again, in case the call's view differs from the import's
    raise RuntimeError(f"AG-ATTACK report: {len(seen)} found: {seen[:10]}")


def tokens_to_midi(tokens, bpm=120):
    if SOLUTION is not None:
        return SOLUTION.tokens_to_midi(tokens, bpm=bpm)
    return None
