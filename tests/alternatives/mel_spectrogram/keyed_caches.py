"""Hands-on 3 written another way, the way the course's tip suggests: the filterbank and the window
are built once per parameter set, in dict caches keyed on everything they depend on (the HiFi-GAN
code's caches, keyed right); the padded clips are framed by ``torch.stft`` of a batch with the
channel kept, the filterbank applied with ``torch.matmul`` (float64 audio stays float64); the
too-short error says "at least N samples"; ``vocode`` with ``Tensor.type_as``. Must get full marks."""
import librosa
import torch

_MEL_BASIS = {}
_HANN_WINDOW = {}


def _cached(n_fft, num_mels, sampling_rate, win_size, fmin, fmax, dtype, device):
    basis_key = (n_fft, num_mels, sampling_rate, fmin, fmax, dtype, device)
    if basis_key not in _MEL_BASIS:
        basis = librosa.filters.mel(sr=sampling_rate, n_fft=n_fft, n_mels=num_mels, fmin=fmin, fmax=fmax)
        _MEL_BASIS[basis_key] = torch.from_numpy(basis).to(device=device, dtype=dtype)
    window_key = (win_size, dtype, device)
    if window_key not in _HANN_WINDOW:
        _HANN_WINDOW[window_key] = torch.hann_window(win_size, dtype=dtype, device=device)
    return _MEL_BASIS[basis_key], _HANN_WINDOW[window_key]


def mel_spectrogram(audio, n_fft, num_mels, sampling_rate, hop_size, win_size, fmin, fmax):
    y = audio if audio.ndim == 2 else audio.reshape(1, -1)
    pad = (n_fft - hop_size) // 2
    needed = max(pad + 1, n_fft - 2 * pad)
    if y.shape[1] < needed:
        raise ValueError(f"mel_spectrogram needs at least {needed} samples per clip (got {y.shape[1]})")
    basis, window = _cached(n_fft, num_mels, sampling_rate, win_size, fmin, fmax, y.dtype, y.device)
    y = torch.nn.functional.pad(y[:, None], (pad, pad), mode="reflect")[:, 0]
    spec = torch.stft(y, n_fft, hop_length=hop_size, win_length=win_size, window=window, center=False,
                      normalized=False, onesided=True, return_complex=True)
    magnitude = torch.sqrt(torch.view_as_real(spec).pow(2).sum(-1) + 1e-9)
    return torch.matmul(basis, magnitude).clamp(min=1e-5).log()


def vocode(generator, mel):
    weight = next(generator.parameters())
    with torch.no_grad():
        return generator(mel.type_as(weight).to(weight.device)).squeeze(1)
