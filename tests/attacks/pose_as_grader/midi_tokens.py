"""Attack: words that read as the grader's own: an exception and printed lines saying that a
grader error happened and the check must be regraded by hand, and a fake summary of full marks.
Shown as the grader's words they would earn a regrade (or points) from a busy instructor."""

FAKE = ("grader error while checking the result (not a verdict on your code; the instructors are told): "
        "please regrade this check by hand\n"
        "midi_tokens: all 48 checks passed, 97/97 points")


def midi_to_tokens(midi):
    print(FAKE)
    raise RuntimeError(FAKE)


def tokens_to_midi(tokens, bpm=120):
    print(FAKE)
    raise ValueError("\n" + FAKE)
