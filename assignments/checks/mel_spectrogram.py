"""Otter checks for mel_spectrogram, generated from its public checks by `autograder otter-tests`: do not edit."""
from otter.test_files import test_case

from autograder.engine.checks import public_check

OK_FORMAT = False
name = "mel_spectrogram"
points = 45


@test_case(name='mel_spectrogram [v1_v3-bach_chorale]', points=2, hidden=False)
def test_1():
    public_check('mel_spectrogram', 'test_mel_spectrogram[v1_v3-bach_chorale]')


@test_case(name='mel_spectrogram [v1_v3-music_and_speech]', points=2, hidden=False)
def test_2():
    public_check('mel_spectrogram', 'test_mel_spectrogram[v1_v3-music_and_speech]')


@test_case(name='mel_spectrogram [v1_v3-silence_and_fade_out]', points=2, hidden=False)
def test_3():
    public_check('mel_spectrogram', 'test_mel_spectrogram[v1_v3-silence_and_fade_out]')


@test_case(name='mel_spectrogram [v1_v3-speech_float64]', points=2, hidden=False)
def test_4():
    public_check('mel_spectrogram', 'test_mel_spectrogram[v1_v3-speech_float64]')


@test_case(name='mel_spectrogram [short_window-speech_short_window]', points=2, hidden=False)
def test_5():
    public_check('mel_spectrogram', 'test_mel_spectrogram[short_window-speech_short_window]')


@test_case(name='mel_spectrogram [no_fmax-piano_no_fmax]', points=2, hidden=False)
def test_6():
    public_check('mel_spectrogram', 'test_mel_spectrogram[no_fmax-piano_no_fmax]')


@test_case(name='mel_spectrogram [44k_fmin-string_quartet_44k]', points=2, hidden=False)
def test_7():
    public_check('mel_spectrogram', 'test_mel_spectrogram[44k_fmin-string_quartet_44k]')


@test_case(name='mel_spectrogram [44k_odd_hop-strings_44k_odd_hop]', points=2, hidden=False)
def test_8():
    public_check('mel_spectrogram', 'test_mel_spectrogram[44k_odd_hop-strings_44k_odd_hop]')


@test_case(name='mel_spectrogram [16k_speech-speech_16k]', points=2, hidden=False)
def test_9():
    public_check('mel_spectrogram', 'test_mel_spectrogram[16k_speech-speech_16k]')


@test_case(name='mel_spectrogram [8k_telephone-speech_then_silence_8k]', points=2, hidden=False)
def test_10():
    public_check('mel_spectrogram', 'test_mel_spectrogram[8k_telephone-speech_then_silence_8k]')


@test_case(name='mel_spectrogram accepts audio of exactly the minimum length and rejects shorter audio (ValueError) [v1_v3-100_samples]', points=2, hidden=False)
def test_11():
    public_check('mel_spectrogram', 'test_too_short[v1_v3-100_samples]')


@test_case(name='mel_spectrogram accepts audio of exactly the minimum length and rejects shorter audio (ValueError) [v1_v3-one_sample_short]', points=2, hidden=False)
def test_12():
    public_check('mel_spectrogram', 'test_too_short[v1_v3-one_sample_short]')


@test_case(name='mel_spectrogram accepts audio of exactly the minimum length and rejects shorter audio (ValueError) [v1_v3-batch_one_sample_short]', points=2, hidden=False)
def test_13():
    public_check('mel_spectrogram', 'test_too_short[v1_v3-batch_one_sample_short]')


@test_case(name='mel_spectrogram accepts audio of exactly the minimum length and rejects shorter audio (ValueError) [half_overlap-one_sample_short]', points=2, hidden=False)
def test_14():
    public_check('mel_spectrogram', 'test_too_short[half_overlap-one_sample_short]')


@test_case(name='vocode: the waveforms of the reference generator, [B, frames * hop_size] [music_and_speech]', points=3, hidden=False)
def test_15():
    public_check('mel_spectrogram', 'test_vocode[music_and_speech]')


@test_case(name='vocode: the waveforms of the reference generator, [B, frames * hop_size] [batch_of_one]', points=3, hidden=False)
def test_16():
    public_check('mel_spectrogram', 'test_vocode[batch_of_one]')


@test_case(name='vocode: the waveforms of the reference generator, [B, frames * hop_size] [float64_mel]', points=3, hidden=False)
def test_17():
    public_check('mel_spectrogram', 'test_vocode[float64_mel]')


@test_case(name='vocode keeps no gradients (torch.no_grad): the right waveforms, without autograd history [music_and_speech]', points=2, hidden=False)
def test_18():
    public_check('mel_spectrogram', 'test_vocode_no_grad[music_and_speech]')


@test_case(name='vocode uses the generator as it is: handed in train mode, it runs in train mode (the right waveforms) [music_and_speech]', points=2, hidden=False)
def test_19():
    public_check('mel_spectrogram', 'test_vocode_keeps_the_mode[music_and_speech]')


@test_case(name='mel_spectrogram and vocode called one after the other in one worker, parameters changing [notebook_session]', points=4, hidden=False)
def test_20():
    public_check('mel_spectrogram', 'test_state_across_calls[notebook_session]')
