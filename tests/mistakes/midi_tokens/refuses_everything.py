"""Hands-on 2 answered with refusals: TypeError for every file, ValueError for every token list
and bpm. It must score 0 on every check: an error type counts only beside right answers.
"""
# loses: test_midi_to_tokens, test_tokens_to_midi, test_invalid_tokens, test_bad_bpm, test_calls_in_one_worker, test_round_trip
TIME_RESOLUTION = 100


def midi_to_tokens(midi):
    raise TypeError("type 2 MIDI files are refused")


def tokens_to_midi(tokens, bpm=120):
    raise ValueError("invalid tokens or bpm")
