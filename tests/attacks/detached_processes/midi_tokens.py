"""Attack: start processes that outlive the call and the grading: new sessions,
double forks, daemons that keep trying to write marker files and to reach the
network. A leftover process would show in the test's process list."""
import os
import subprocess
import sys
import time

MARK = "@@MARK@@"
MARKDIR = "@@MARKDIR@@"


def _daemon():
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
    while True:   # keep trying: any leak of this process would leave files
        for folder in (MARKDIR, "/tmp", "/var/tmp", "/dev/shm"):
            try:
                with open(os.path.join(folder, f"{MARK}-daemon"), "w") as handle:
                    handle.write(MARK)
            except OSError:
                pass
        time.sleep(0.5)


def _spawn():
    _daemon()
    for _ in range(3):
        try:
            subprocess.Popen(["sleep", "3600"], start_new_session=True, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            subprocess.Popen([sys.executable, "-c", "import time\nwhile True: time.sleep(1)"],
                             start_new_session=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
            subprocess.Popen(["sh", "-c", "nohup sleep 3600 >/dev/null 2>&1 &"], start_new_session=True)
        except OSError:
            pass


_spawn()


def midi_to_tokens(midi):
    _spawn()
    return [-7]


def tokens_to_midi(tokens, bpm=120):
    _spawn()
    return None
