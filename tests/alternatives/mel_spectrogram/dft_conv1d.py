"""Correct (style 5): the STFT as a DFT matrix product. The windowed cos/sin DFT kernels are built
once with numpy in float64 (cached per n_fft, win_size, dtype, device) and applied with
torch.nn.functional.conv1d (stride = hop_size), so the computation on the audio is torch all the
way (differentiable). The filterbank is cached with the mel parameters in the key."""
from __future__ import annotations

import librosa
import numpy as np
import torch
import torch.nn.functional as F

_CACHE: dict = {}


def _dft_kernels(n_fft: int, win_size: int, dtype: torch.dtype, device) -> torch.Tensor:
    key = ("dft", n_fft, win_size, dtype, str(device))
    if key not in _CACHE:
        # periodic Hann of win_size, centred in n_fft with zeros (what torch.stft does)
        n = np.arange(win_size)
        hann = 0.5 - 0.5 * np.cos(2.0 * np.pi * n / win_size)
        window = np.zeros(n_fft)
        left = (n_fft - win_size) // 2
        window[left:left + win_size] = hann
        k = np.arange(n_fft // 2 + 1)[:, None]
        t = np.arange(n_fft)[None, :]
        angle = 2.0 * np.pi * k * t / n_fft
        real = np.cos(angle) * window          # Re of sum x[t] w[t] e^{-i angle}
        imag = -np.sin(angle) * window
        kernels = np.concatenate([real, imag], axis=0)[:, None, :]    # [2F, 1, n_fft]
        _CACHE[key] = torch.from_numpy(kernels).to(dtype=dtype, device=device)
    return _CACHE[key]


def _filterbank(sampling_rate, n_fft, num_mels, fmin, fmax, dtype, device) -> torch.Tensor:
    key = ("mel", sampling_rate, n_fft, num_mels, fmin, fmax, dtype, str(device))
    if key not in _CACHE:
        basis = librosa.filters.mel(sr=sampling_rate, n_fft=n_fft, n_mels=num_mels, fmin=fmin, fmax=fmax)
        _CACHE[key] = torch.from_numpy(basis).to(dtype=dtype, device=device)
    return _CACHE[key]


def mel_spectrogram(audio: torch.Tensor, n_fft: int, num_mels: int, sampling_rate: int,
                    hop_size: int, win_size: int, fmin: float, fmax: float | None) -> torch.Tensor:
    if audio.ndim not in (1, 2):
        raise ValueError(f"audio must be [T] or [B, T], not {tuple(audio.shape)}")
    x = audio.reshape(-1, audio.shape[-1])
    pad = (n_fft - hop_size) // 2
    lowest = max(pad + 1, n_fft - 2 * pad)
    if x.shape[-1] < lowest:
        raise ValueError(f"audio is too short ({x.shape[-1]} samples): needs >= {lowest} samples")
    if win_size > n_fft:
        raise ValueError(f"win_size={win_size} > n_fft={n_fft}")

    x = F.pad(x.unsqueeze(1), (pad, pad), mode="reflect")                     # [B, 1, T + 2 pad]
    bins = n_fft // 2 + 1
    out = F.conv1d(x, _dft_kernels(n_fft, win_size, x.dtype, x.device), stride=hop_size)  # [B, 2F, frames]
    re, im = out[:, :bins], out[:, bins:]
    magnitude = torch.sqrt(re * re + im * im + 1e-9)
    mel = torch.matmul(_filterbank(sampling_rate, n_fft, num_mels, fmin, fmax, x.dtype, x.device), magnitude)
    return torch.log(torch.clamp(mel, min=1e-5))


def vocode(generator: torch.nn.Module, mel: torch.Tensor) -> torch.Tensor:
    if mel.ndim == 2:
        mel = mel.unsqueeze(0)
    param = next(generator.parameters())
    with torch.no_grad():
        wave = generator(mel.to(dtype=param.dtype, device=param.device))
    return wave.squeeze(1)
