"""HiFi-GAN mel spectrogram: STFT by framing (unfold) and torch.fft.rfft instead of torch.stft."""
from __future__ import annotations

from functools import lru_cache

import librosa
import numpy as np
import torch
import torch.nn.functional as F


@lru_cache(maxsize=32)
def _mel_basis(sampling_rate: int, n_fft: int, num_mels: int, fmin: float, fmax) -> np.ndarray:
    basis = librosa.filters.mel(sr=sampling_rate, n_fft=n_fft, n_mels=num_mels, fmin=fmin, fmax=fmax)
    basis = np.asarray(basis, dtype=np.float32)
    basis.setflags(write=False)
    return basis


def _centred_window(win_size: int, n_fft: int, dtype, device) -> torch.Tensor:
    window = torch.hann_window(win_size, periodic=True, dtype=dtype, device=device)
    if win_size < n_fft:
        left = (n_fft - win_size) // 2
        window = F.pad(window, (left, n_fft - win_size - left))
    return window


def mel_spectrogram(audio: torch.Tensor, n_fft: int, num_mels: int, sampling_rate: int,
                    hop_size: int, win_size: int, fmin: float, fmax: float | None) -> torch.Tensor:
    clips = audio.unsqueeze(0) if audio.dim() == 1 else audio
    pad = (n_fft - hop_size) // 2
    samples = clips.shape[-1]
    minimum = max(pad + 1, n_fft - 2 * pad)
    if samples < minimum:
        raise ValueError(f"audio too short: {samples} samples, at least {minimum} needed "
                         f"(n_fft={n_fft}, hop_size={hop_size})")
    padded = F.pad(clips.unsqueeze(1), (pad, pad), mode="reflect").squeeze(1)   # [B, T + 2 pad]
    frames = padded.unfold(-1, n_fft, hop_size)                                  # [B, frames, n_fft]
    window = _centred_window(win_size, n_fft, audio.dtype, audio.device)
    spectrum = torch.fft.rfft(frames * window, n=n_fft, dim=-1)                  # [B, frames, bins]
    power = spectrum.real.pow(2) + spectrum.imag.pow(2)
    magnitude = torch.sqrt(power + 1e-9).transpose(1, 2)                         # [B, bins, frames]
    basis = torch.from_numpy(_mel_basis(int(sampling_rate), int(n_fft), int(num_mels), fmin, fmax).copy())
    basis = basis.to(dtype=audio.dtype, device=audio.device)
    mel = torch.einsum("mf,bft->bmt", basis, magnitude)
    return torch.log(torch.clamp(mel, min=1e-5))


def vocode(generator: torch.nn.Module, mel: torch.Tensor) -> torch.Tensor:
    reference = next(generator.parameters(), None)
    if reference is None:
        reference = next(generator.buffers(), None)
    batch = mel.unsqueeze(0) if mel.dim() == 2 else mel
    if reference is not None:
        batch = batch.to(dtype=reference.dtype, device=reference.device)
    with torch.no_grad():
        waves = generator(batch)
    return waves.squeeze(1)
