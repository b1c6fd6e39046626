"""Mistake: filterbank cache keyed without n_fft (it also depends on n_fft)."""
# loses: test_state_across_calls[notebook_session], test_state_across_calls[speech_22k_24k]
# says: (cache keyed without every parameter)
from __future__ import annotations

import librosa
import torch
import torch.nn.functional as F

_MEL_BASIS: dict[tuple, torch.Tensor] = {}
_WINDOWS: dict[tuple, torch.Tensor] = {}


def _basis(sampling_rate, n_fft, num_mels, fmin, fmax, dtype, device) -> torch.Tensor:
    key = (int(sampling_rate), int(num_mels), float(fmin),
           None if fmax is None else float(fmax), dtype, str(device))
    if key not in _MEL_BASIS:
        mel = librosa.filters.mel(sr=sampling_rate, n_fft=n_fft, n_mels=num_mels, fmin=fmin, fmax=fmax)
        _MEL_BASIS[key] = torch.from_numpy(mel).to(dtype=dtype, device=device)
    return _MEL_BASIS[key]


def _window(win_size, dtype, device) -> torch.Tensor:
    key = (int(win_size), dtype, str(device))
    if key not in _WINDOWS:
        _WINDOWS[key] = torch.hann_window(win_size, periodic=True, dtype=dtype, device=device)
    return _WINDOWS[key]


def mel_spectrogram(audio: torch.Tensor, n_fft: int, num_mels: int, sampling_rate: int,
                    hop_size: int, win_size: int, fmin: float, fmax: float | None) -> torch.Tensor:
    y = audio if audio.ndim == 2 else audio.reshape(1, -1)
    pad = (n_fft - hop_size) // 2
    minimum = max(pad + 1, n_fft - 2 * pad)
    if y.shape[1] < minimum:
        raise ValueError(f"mel_spectrogram needs at least {minimum} samples per clip, got {y.shape[1]}")

    y = F.pad(y[:, None, :], (pad, pad), mode="reflect")[:, 0, :]
    spec = torch.stft(y, n_fft, hop_length=hop_size, win_length=win_size,
                      window=_window(win_size, y.dtype, y.device),
                      center=False, normalized=False, onesided=True, return_complex=True)
    spec = torch.view_as_real(spec)                       # [B, F, frames, 2]
    spec = torch.sqrt(spec.pow(2).sum(-1) + 1e-9)
    spec = _basis(sampling_rate, n_fft, num_mels, fmin, fmax, y.dtype, y.device) @ spec
    return spec.clamp(min=1e-5).log()


def vocode(generator: torch.nn.Module, mel: torch.Tensor) -> torch.Tensor:
    # The docstring asks for [B, num_mels, frames]; a single [num_mels, frames] gets its batch axis.
    if mel.ndim == 2:
        mel = mel[None]
    parameter = next(iter(generator.parameters()))
    with torch.no_grad():
        waveform = generator(mel.to(parameter.device, parameter.dtype))
    return waveform[:, 0, :]
