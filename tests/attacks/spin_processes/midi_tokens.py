"""Attack: stretch the time limit. Each call starts busy processes of its own and spins, so
that its worker is always runnable but mostly waiting for a CPU: time limits leave out
waiting for a CPU (the machine's load), and this waiting is the submission's own doing."""
import os

MARK = "@@MARK@@"


def _spin():
    for _ in range(6):   # processes: Python threads would take turns (the GIL) and wait on it, asleep
        if os.fork() == 0:
            break
    while True:
        pass


def midi_to_tokens(midi):
    _spin()


def tokens_to_midi(tokens, bpm=120):
    _spin()
