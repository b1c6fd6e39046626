"""Otter checks for midi_tokens, generated from its public checks by `autograder otter-tests`: do not edit."""
from otter.test_files import test_case

from autograder.engine.checks import public_check

OK_FORMAT = False
name = "midi_tokens"
points = 40


@test_case(name='midi_to_tokens [velocity_zero_note_off]', points=1, hidden=False)
def test_1():
    public_check('midi_tokens', 'test_midi_to_tokens[velocity_zero_note_off]')


@test_case(name='midi_to_tokens [oldest_closed_first]', points=1, hidden=False)
def test_2():
    public_check('midi_tokens', 'test_midi_to_tokens[oldest_closed_first]')


@test_case(name='midi_to_tokens [stray_note_offs]', points=1, hidden=False)
def test_3():
    public_check('midi_tokens', 'test_midi_to_tokens[stray_note_offs]')


@test_case(name='midi_to_tokens [open_at_end]', points=1, hidden=False)
def test_4():
    public_check('midi_tokens', 'test_midi_to_tokens[open_at_end]')


@test_case(name='midi_to_tokens [drums_channel_10]', points=1, hidden=False)
def test_5():
    public_check('midi_tokens', 'test_midi_to_tokens[drums_channel_10]')


@test_case(name='midi_to_tokens [zero_length_notes]', points=1, hidden=False)
def test_6():
    public_check('midi_tokens', 'test_midi_to_tokens[zero_length_notes]')


@test_case(name='midi_to_tokens [tempo_in_later_track]', points=1, hidden=False)
def test_7():
    public_check('midi_tokens', 'test_midi_to_tokens[tempo_in_later_track]')


@test_case(name='midi_to_tokens [program_change_while_sounding]', points=1, hidden=False)
def test_8():
    public_check('midi_tokens', 'test_midi_to_tokens[program_change_while_sounding]')


@test_case(name='midi_to_tokens [note_off_in_another_track]', points=1, hidden=False)
def test_9():
    public_check('midi_tokens', 'test_midi_to_tokens[note_off_in_another_track]')


@test_case(name='midi_to_tokens [end_of_track_delay]', points=1, hidden=False)
def test_10():
    public_check('midi_tokens', 'test_midi_to_tokens[end_of_track_delay]')


@test_case(name='midi_to_tokens [open_note_other_track_ends_later]', points=1, hidden=False)
def test_11():
    public_check('midi_tokens', 'test_midi_to_tokens[open_note_other_track_ends_later]')


@test_case(name='midi_to_tokens [same_instant_order]', points=1, hidden=False)
def test_12():
    public_check('midi_tokens', 'test_midi_to_tokens[same_instant_order]')


@test_case(name='midi_to_tokens [docstring_example]', points=1, hidden=False)
def test_13():
    public_check('midi_tokens', 'test_midi_to_tokens[docstring_example]')


@test_case(name='midi_to_tokens [duration_rounded_itself]', points=1, hidden=False)
def test_14():
    public_check('midi_tokens', 'test_midi_to_tokens[duration_rounded_itself]')


@test_case(name='midi_to_tokens [no_notes]', points=1, hidden=False)
def test_15():
    public_check('midi_tokens', 'test_midi_to_tokens[no_notes]')


@test_case(name='midi_to_tokens [type_2_refused]', points=1, hidden=False)
def test_16():
    public_check('midi_tokens', 'test_midi_to_tokens[type_2_refused]')


@test_case(name='midi_to_tokens [bach_bwv66_6]', points=1, hidden=False)
def test_17():
    public_check('midi_tokens', 'test_midi_to_tokens[bach_bwv66_6]')


@test_case(name='tokens_to_midi [repeated_note]', points=1, hidden=False)
def test_18():
    public_check('midi_tokens', 'test_tokens_to_midi[repeated_note]')


@test_case(name='tokens_to_midi [order_at_one_tick]', points=1, hidden=False)
def test_19():
    public_check('midi_tokens', 'test_tokens_to_midi[order_at_one_tick]')


@test_case(name='tokens_to_midi [drums]', points=1, hidden=False)
def test_20():
    public_check('midi_tokens', 'test_tokens_to_midi[drums]')


@test_case(name='tokens_to_midi [three_instruments_unsorted]', points=1, hidden=False)
def test_21():
    public_check('midi_tokens', 'test_tokens_to_midi[three_instruments_unsorted]')


@test_case(name='tokens_to_midi [twelve_melodic_and_drums]', points=1, hidden=False)
def test_22():
    public_check('midi_tokens', 'test_tokens_to_midi[twelve_melodic_and_drums]')


@test_case(name='tokens_to_midi [docstring_example]', points=1, hidden=False)
def test_23():
    public_check('midi_tokens', 'test_tokens_to_midi[docstring_example]')


@test_case(name='tokens_to_midi [empty_bpm_90]', points=1, hidden=False)
def test_24():
    public_check('midi_tokens', 'test_tokens_to_midi[empty_bpm_90]')


@test_case(name='tokens_to_midi [silent_instrument]', points=1, hidden=False)
def test_25():
    public_check('midi_tokens', 'test_tokens_to_midi[silent_instrument]')


@test_case(name='tokens_to_midi [bpm_90]', points=1, hidden=False)
def test_26():
    public_check('midi_tokens', 'test_tokens_to_midi[bpm_90]')


@test_case(name='tokens_to_midi [bpm_96]', points=1, hidden=False)
def test_27():
    public_check('midi_tokens', 'test_tokens_to_midi[bpm_96]')


@test_case(name='tokens_to_midi [bpm_160]', points=1, hidden=False)
def test_28():
    public_check('midi_tokens', 'test_tokens_to_midi[bpm_160]')


@test_case(name='tokens_to_midi rejects invalid tokens [sixteen_melodic]', points=0.5, hidden=False)
def test_29():
    public_check('midi_tokens', 'test_invalid_tokens[sixteen_melodic]')


@test_case(name='tokens_to_midi rejects invalid tokens [length_not_multiple_of_5]', points=0.5, hidden=False)
def test_30():
    public_check('midi_tokens', 'test_invalid_tokens[length_not_multiple_of_5]')


@test_case(name='tokens_to_midi rejects invalid tokens [negative_onset_last_note]', points=0.5, hidden=False)
def test_31():
    public_check('midi_tokens', 'test_invalid_tokens[negative_onset_last_note]')


@test_case(name='tokens_to_midi rejects invalid tokens [sixteenth_melodic_silent]', points=0.5, hidden=False)
def test_32():
    public_check('midi_tokens', 'test_invalid_tokens[sixteenth_melodic_silent]')


@test_case(name='tokens_to_midi rejects invalid tokens [negative_duration]', points=0.5, hidden=False)
def test_33():
    public_check('midi_tokens', 'test_invalid_tokens[negative_duration]')


@test_case(name='tokens_to_midi rejects invalid tokens [note_128]', points=0.5, hidden=False)
def test_34():
    public_check('midi_tokens', 'test_invalid_tokens[note_128]')


@test_case(name='tokens_to_midi rejects invalid tokens [velocity_128]', points=0.5, hidden=False)
def test_35():
    public_check('midi_tokens', 'test_invalid_tokens[velocity_128]')


@test_case(name='tokens_to_midi rejects invalid tokens [instrument_129]', points=0.5, hidden=False)
def test_36():
    public_check('midi_tokens', 'test_invalid_tokens[instrument_129]')


@test_case(name='tokens_to_midi rejects invalid tokens [not_an_integer]', points=0.5, hidden=False)
def test_37():
    public_check('midi_tokens', 'test_invalid_tokens[not_an_integer]')


@test_case(name='tokens_to_midi rejects invalid tokens [bad_before_incomplete]', points=0.5, hidden=False)
def test_38():
    public_check('midi_tokens', 'test_invalid_tokens[bad_before_incomplete]')


@test_case(name='tokens_to_midi rejects a bpm whose ticks per beat are outside 1-1677, and accepts one near it [bpm_12000]', points=0.5, hidden=False)
def test_39():
    public_check('midi_tokens', 'test_bad_bpm[bpm_12000]')


@test_case(name='tokens_to_midi rejects a bpm whose ticks per beat are outside 1-1677, and accepts one near it [bpm_0]', points=0.5, hidden=False)
def test_40():
    public_check('midi_tokens', 'test_bad_bpm[bpm_0]')


@test_case(name='several calls one after the other in one worker, as in the notebook: each answer as if alone [notebook_session]', points=2, hidden=False)
def test_41():
    public_check('midi_tokens', 'test_calls_in_one_worker[notebook_session]')


@test_case(name='midi_to_tokens(tokens_to_midi(t)) gives back the notes of t, for generated t', points=4, hidden=False)
def test_42():
    public_check('midi_tokens', 'test_round_trip')
