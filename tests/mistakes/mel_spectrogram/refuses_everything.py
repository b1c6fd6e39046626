"""Junk: mel_spectrogram refuses every input with the ValueError of audio too short (the minimum in
its message), vocode is right. The too-short checks must not pay for the refusal alone."""
# loses: test_mel_spectrogram, test_too_short, test_state_across_calls
import torch


def mel_spectrogram(audio, n_fft, num_mels, sampling_rate, hop_size, win_size, fmin, fmax):
    pad = (n_fft - hop_size) // 2
    raise ValueError(f"audio too short: the minimum is {max(pad + 1, n_fft - 2 * pad)} samples")


def vocode(generator, mel):
    weight = next(generator.parameters())
    with torch.no_grad():
        return generator(mel.to(weight.dtype)).squeeze(1)
