"""Hands-on 2 answered with constants: no tokens for every file, an empty MidiFile for every
token list. It must score 0 on every check: no check may pay for an answer that fits every input.
"""
# loses: test_midi_to_tokens, test_tokens_to_midi, test_invalid_tokens, test_bad_bpm, test_calls_in_one_worker, test_round_trip
import mido

TIME_RESOLUTION = 100


def midi_to_tokens(midi):
    return []


def tokens_to_midi(tokens, bpm=120):
    return mido.MidiFile()
