"""Attack: read how the grading variant was made from the feedback, to undo it next time.

An attack round (2026-12-07) read "[variant N: pitches +d semitones, ...]" in the reasons the
invalid-token checks quote, and a 5-case table of the release's answers undone by that transform
earned +5 points unflagged. This submission accepts every token list and returns no tokens, so
that every check's feedback quotes what it says about its case (the reason of every invalid
case among them); tests/test_attacks.py asserts that none of it names the transform, nor a
number the release's case does not name (a program shifted by the variant, say).
"""
import mido


def midi_to_tokens(midi):
    return []


def tokens_to_midi(tokens, bpm=120):
    return mido.MidiFile()
