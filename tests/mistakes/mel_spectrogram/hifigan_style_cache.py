"""Hands-on 3 in the style of the original HiFi-GAN code (meldataset.py), whose global caches are
keyed by fmax and the device only: the one mistake. Every single call is right; a call at another
sampling rate, n_fft, num_mels, fmin, window or dtype after an earlier one reuses that one's
filterbank and window."""
# loses: test_state_across_calls
import librosa
import torch

mel_basis = {}
hann_window = {}


def mel_spectrogram(y, n_fft, num_mels, sampling_rate, hop_size, win_size, fmin, fmax):
    pad = int((n_fft - hop_size) / 2)
    if y.shape[-1] < max(pad + 1, n_fft - 2 * pad):
        raise ValueError(f"audio too short: at least {max(pad + 1, n_fft - 2 * pad)} samples are needed")
    key = str(fmax) + "_" + str(y.device)
    if key not in mel_basis:
        mel = librosa.filters.mel(sr=sampling_rate, n_fft=n_fft, n_mels=num_mels, fmin=fmin, fmax=fmax)
        mel_basis[key] = torch.from_numpy(mel).to(device=y.device, dtype=y.dtype)
        hann_window[str(y.device)] = torch.hann_window(win_size, dtype=y.dtype).to(y.device)
    y = y.unsqueeze(0) if y.dim() == 1 else y
    y = torch.nn.functional.pad(y.unsqueeze(1), (pad, pad), mode="reflect").squeeze(1)
    spec = torch.stft(y, n_fft, hop_length=hop_size, win_length=win_size, window=hann_window[str(y.device)],
                      center=False, pad_mode="reflect", normalized=False, onesided=True, return_complex=True)
    spec = torch.sqrt(spec.real.pow(2) + spec.imag.pow(2) + 1e-9)
    spec = torch.matmul(mel_basis[key], spec)
    return torch.log(torch.clamp(spec, min=1e-5))


def vocode(generator, mel):
    weight = next(generator.parameters())
    with torch.no_grad():
        audio = generator(mel.to(device=weight.device, dtype=weight.dtype))
    return audio.squeeze(1)
