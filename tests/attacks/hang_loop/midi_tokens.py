"""Attack: never return (a busy loop; signals ignored)."""
import signal

for _sig in (signal.SIGTERM, signal.SIGINT, signal.SIGALRM, signal.SIGHUP):
    signal.signal(_sig, signal.SIG_IGN)


def midi_to_tokens(midi):
    while True:
        pass


def tokens_to_midi(tokens, bpm=120):
    x = 0
    while True:
        x += 1
