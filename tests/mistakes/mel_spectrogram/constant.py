"""Junk: a zero tensor for everything. It must score 0 on every check: no check awards a property
(no gradients, a dtype, a shape, an error) without the right values."""
# loses: test_mel_spectrogram, test_too_short, test_vocode, test_vocode_no_grad, test_state_across_calls
import torch


def mel_spectrogram(audio, n_fft, num_mels, sampling_rate, hop_size, win_size, fmin, fmax):
    return torch.zeros(4)


def vocode(generator, mel):
    return torch.zeros(4)
