"""Otter checks for mel_spectrogram, generated from its public checks by `autograder otter-tests`: do not edit."""
from otter.test_files import test_case

from autograder.engine.checks import public_check

OK_FORMAT = False
name = "mel_spectrogram"
points = 26


@test_case(name='mel_spectrogram [v1_v3-bach_chorale]', points=3, hidden=False)
def test_1():
    public_check('mel_spectrogram', 'test_mel_spectrogram[v1_v3-bach_chorale]')


@test_case(name='mel_spectrogram [v1_v3-music_and_speech]', points=3, hidden=False)
def test_2():
    public_check('mel_spectrogram', 'test_mel_spectrogram[v1_v3-music_and_speech]')


@test_case(name='mel_spectrogram [v1_v3-silence_and_fade_out]', points=3, hidden=False)
def test_3():
    public_check('mel_spectrogram', 'test_mel_spectrogram[v1_v3-silence_and_fade_out]')


@test_case(name='mel_spectrogram [short_window-speech_short_window]', points=3, hidden=False)
def test_4():
    public_check('mel_spectrogram', 'test_mel_spectrogram[short_window-speech_short_window]')


@test_case(name='mel_spectrogram [44k_fmin-string_quartet_44k]', points=3, hidden=False)
def test_5():
    public_check('mel_spectrogram', 'test_mel_spectrogram[44k_fmin-string_quartet_44k]')


@test_case(name='mel_spectrogram [16k_speech-speech_16k]', points=3, hidden=False)
def test_6():
    public_check('mel_spectrogram', 'test_mel_spectrogram[16k_speech-speech_16k]')


@test_case(name='mel_spectrogram rejects audio too short to pad (ValueError) [v1_v3-100_samples]', points=2, hidden=False)
def test_7():
    public_check('mel_spectrogram', 'test_too_short[v1_v3-100_samples]')


@test_case(name='vocode: the waveforms of the reference generator, [B, frames * hop_size] [music_and_speech]', points=4, hidden=False)
def test_8():
    public_check('mel_spectrogram', 'test_vocode[music_and_speech]')


@test_case(name='vocode keeps no gradients (torch.no_grad) [music_and_speech]', points=2, hidden=False)
def test_9():
    public_check('mel_spectrogram', 'test_vocode_no_grad[music_and_speech]')
