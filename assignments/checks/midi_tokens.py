"""Otter checks for midi_tokens, generated from its public checks by `autograder otter-tests`: do not edit."""
from otter.test_files import test_case

from autograder.engine.checks import public_check

OK_FORMAT = False
name = "midi_tokens"
points = 26


@test_case(name='midi_to_tokens [velocity_zero_note_off]', points=2, hidden=False)
def test_1():
    public_check('midi_tokens', 'test_midi_to_tokens[velocity_zero_note_off]')


@test_case(name='midi_to_tokens [oldest_closed_first]', points=2, hidden=False)
def test_2():
    public_check('midi_tokens', 'test_midi_to_tokens[oldest_closed_first]')


@test_case(name='midi_to_tokens [stray_note_offs]', points=2, hidden=False)
def test_3():
    public_check('midi_tokens', 'test_midi_to_tokens[stray_note_offs]')


@test_case(name='midi_to_tokens [open_at_end]', points=2, hidden=False)
def test_4():
    public_check('midi_tokens', 'test_midi_to_tokens[open_at_end]')


@test_case(name='midi_to_tokens [drums_channel_10]', points=2, hidden=False)
def test_5():
    public_check('midi_tokens', 'test_midi_to_tokens[drums_channel_10]')


@test_case(name='midi_to_tokens [bach_bwv66_6]', points=2, hidden=False)
def test_6():
    public_check('midi_tokens', 'test_midi_to_tokens[bach_bwv66_6]')


@test_case(name='tokens_to_midi [repeated_note]', points=2, hidden=False)
def test_7():
    public_check('midi_tokens', 'test_tokens_to_midi[repeated_note]')


@test_case(name='tokens_to_midi [drums]', points=2, hidden=False)
def test_8():
    public_check('midi_tokens', 'test_tokens_to_midi[drums]')


@test_case(name='tokens_to_midi [bpm_90]', points=2, hidden=False)
def test_9():
    public_check('midi_tokens', 'test_tokens_to_midi[bpm_90]')


@test_case(name='tokens_to_midi rejects invalid tokens [sixteen_melodic]', points=1, hidden=False)
def test_10():
    public_check('midi_tokens', 'test_invalid_tokens[sixteen_melodic]')


@test_case(name='tokens_to_midi rejects invalid tokens [length_not_multiple_of_5]', points=1, hidden=False)
def test_11():
    public_check('midi_tokens', 'test_invalid_tokens[length_not_multiple_of_5]')


@test_case(name='tokens_to_midi rejects invalid tokens [negative_duration]', points=1, hidden=False)
def test_12():
    public_check('midi_tokens', 'test_invalid_tokens[negative_duration]')


@test_case(name='tokens_to_midi rejects invalid tokens [note_128]', points=1, hidden=False)
def test_13():
    public_check('midi_tokens', 'test_invalid_tokens[note_128]')


@test_case(name='midi_to_tokens(tokens_to_midi(t)) gives back the notes of t, for generated t', points=4, hidden=False)
def test_14():
    public_check('midi_tokens', 'test_round_trip')
