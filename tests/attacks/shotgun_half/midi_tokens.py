"""Attack: game the checks of invalid tokens, which want a ValueError naming the first bad token,
with a message naming half the indices of every token list (every other one, in the docstring's
``token <index>`` form): the bad one is among them half the time, without a token ever being read.
It earned 8.5 points when a message could name up to half of the indices; now a message may name
few besides the bad one (``engine/errors.named_others``). For a list of one token, index 0 is the
right answer."""


def midi_to_tokens(midi):
    raise ValueError("token 0")


def tokens_to_midi(tokens, bpm=120):
    named = ", ".join(f"token {index}" for index in range(0, len(tokens), 2))
    raise ValueError(f"invalid tokens: {named}")
