"""Mistake: minimum = max(pad, n_fft - 2 * pad): off by one on the reflection condition (T > pad)."""
# loses: test_too_short[v1_v3-one_sample_short], test_too_short[16k_speech-one_sample_short]
from __future__ import annotations

import functools

import librosa
import numpy as np
import torch
import torch.nn.functional as F


@functools.lru_cache(maxsize=32)
def _mel_basis_np(sampling_rate: int, n_fft: int, num_mels: int, fmin: float, fmax: float | None) -> np.ndarray:
    # librosa's defaults: Slaney mel scale, area normalization, float32
    return librosa.filters.mel(sr=sampling_rate, n_fft=n_fft, n_mels=num_mels, fmin=fmin, fmax=fmax)


def _minimum_length(n_fft: int, hop_size: int) -> int:
    pad = (n_fft - hop_size) // 2
    return max(pad, n_fft - 2 * pad)


def mel_spectrogram(audio: torch.Tensor, n_fft: int, num_mels: int, sampling_rate: int,
                    hop_size: int, win_size: int, fmin: float, fmax: float | None) -> torch.Tensor:
    if audio.dim() == 1:
        audio = audio.unsqueeze(0)
    pad = (n_fft - hop_size) // 2
    minimum = _minimum_length(n_fft, hop_size)
    length = audio.shape[-1]
    if length < minimum:
        raise ValueError(f"audio too short: {length} samples, at least {minimum} are needed "
                         f"(n_fft={n_fft}, hop_size={hop_size}, pad={pad})")

    basis = torch.from_numpy(_mel_basis_np(sampling_rate, n_fft, num_mels, fmin, fmax)).to(
        dtype=audio.dtype, device=audio.device)
    window = torch.hann_window(win_size, dtype=audio.dtype, device=audio.device)

    padded = F.pad(audio.unsqueeze(1), (pad, pad), mode="reflect").squeeze(1)
    spec = torch.stft(padded, n_fft, hop_length=hop_size, win_length=win_size, window=window,
                      center=False, pad_mode="reflect", normalized=False, onesided=True,
                      return_complex=True)
    magnitude = torch.sqrt(spec.real.pow(2) + spec.imag.pow(2) + 1e-9)
    mel = torch.matmul(basis, magnitude)
    return torch.log(torch.clamp(mel, min=1e-5))


def vocode(generator: torch.nn.Module, mel: torch.Tensor) -> torch.Tensor:
    if mel.dim() == 2:
        mel = mel.unsqueeze(0)
    weight = next(generator.parameters())
    mel = mel.to(dtype=weight.dtype, device=weight.device)
    with torch.no_grad():
        audio = generator(mel)
    return audio.squeeze(1)
