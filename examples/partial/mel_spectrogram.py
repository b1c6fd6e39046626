"""A plausible student submission for Hands-on 3, with two classic mistakes
left in on purpose (the demo shows how they are graded):

- the STFT is taken with center=True after the reflect padding, so every
  spectrogram has extra frames;
- vocode runs the generator without torch.no_grad(), so the waveform keeps
  its autograd graph.
"""
import librosa
import torch

_filterbanks = {}


def mel_spectrogram(audio, n_fft, num_mels, sampling_rate, hop_size, win_size, fmin, fmax):
    if audio.dim() == 1:
        audio = audio[None, :]
    pad = (n_fft - hop_size) // 2
    if audio.shape[-1] <= pad:
        raise ValueError(f"audio too short: {audio.shape[-1]} samples, cannot pad by {pad}")
    key = (n_fft, num_mels, sampling_rate, fmin, fmax)
    if key not in _filterbanks:
        _filterbanks[key] = torch.tensor(librosa.filters.mel(sr=sampling_rate, n_fft=n_fft, n_mels=num_mels,
                                                             fmin=fmin, fmax=fmax))
    padded = torch.nn.functional.pad(audio[:, None, :], (pad, pad), mode="reflect")[:, 0, :]
    stft = torch.stft(padded, n_fft=n_fft, hop_length=hop_size, win_length=win_size,
                      window=torch.hann_window(win_size, dtype=audio.dtype),
                      center=True, return_complex=True)   # mistake: center=False after the padding
    magnitude = (stft.real.pow(2) + stft.imag.pow(2) + 1e-9).sqrt()
    mel = _filterbanks[key].to(audio.dtype) @ magnitude
    return mel.clamp(min=1e-5).log()


def vocode(generator, mel):
    audio = generator(mel)                               # mistake: no torch.no_grad()
    return audio[:, 0, :]
