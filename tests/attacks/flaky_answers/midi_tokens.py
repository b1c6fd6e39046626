"""Attack: a different outcome the second time the same input comes (a wrong answer
the first time, an exception the next). When the round-trip checks drew their inputs
with hypothesis at grading time, it ran a failing example again before reporting it
and found the failure "flaky"; they now read stored inputs and run each once, and
checks that run a step again do it in a fresh worker. Either way it must cost the
check its points, never pass for a grader error (which the instructors look into, and
which is never counted against a student): tests/test_engine.py holds the engine's
answer to a flaky property check."""
import mido

SEEN = set()


def midi_to_tokens(midi):
    return [0, 0, 60, 0, 64]


def tokens_to_midi(tokens, bpm=120):
    key = (tuple(tokens), bpm)
    if key in SEEN:
        raise ValueError("not the same answer twice")
    SEEN.add(key)
    midi = mido.MidiFile(ticks_per_beat=480)
    midi.tracks.append(mido.MidiTrack())
    return midi
