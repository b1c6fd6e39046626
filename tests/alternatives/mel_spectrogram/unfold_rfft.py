"""Correct (style 3): no torch.stft call. The window comes from librosa/numpy (periodic Hann,
centred in n_fft with zeros, exactly as torch.stft does it), the frames from Tensor.unfold and the
spectrum from torch.fft.rfft; everything on the audio stays in torch so the result is
differentiable. No cache at all (the filterbank is rebuilt on each call: slower, but stateless)."""
from __future__ import annotations

import math

import librosa
import numpy as np
import torch


def _reflect_pad(y: torch.Tensor, pad: int) -> torch.Tensor:
    """Reflect padding by hand (mirror around the first and last sample, not repeating them)."""
    if pad == 0:
        return y
    left = y[:, 1:pad + 1].flip(-1)
    right = y[:, -pad - 1:-1].flip(-1)
    return torch.cat([left, y, right], dim=-1)


def mel_spectrogram(audio: torch.Tensor, n_fft: int, num_mels: int, sampling_rate: int,
                    hop_size: int, win_size: int, fmin: float, fmax: float | None) -> torch.Tensor:
    batch = audio.unsqueeze(0) if audio.dim() == 1 else audio
    pad = (n_fft - hop_size) // 2
    need = max(pad + 1, n_fft - 2 * pad)
    if batch.size(-1) < need:
        raise ValueError(f"{batch.size(-1)} samples is too short; the minimum is {need}")

    dtype, device = batch.dtype, batch.device
    window_np = librosa.filters.get_window("hann", win_size, fftbins=True)      # periodic Hann
    window_np = librosa.util.pad_center(window_np, size=n_fft)                 # centred in n_fft
    window = torch.from_numpy(np.ascontiguousarray(window_np)).to(dtype=dtype, device=device)

    padded = _reflect_pad(batch, pad)
    frames = padded.unfold(-1, n_fft, hop_size)             # [B, frames, n_fft]
    spectrum = torch.fft.rfft(frames * window, n=n_fft, dim=-1)   # [B, frames, n_fft//2+1]
    magnitude = torch.sqrt(spectrum.real ** 2 + spectrum.imag ** 2 + 1e-9).transpose(1, 2)

    basis = librosa.filters.mel(sr=sampling_rate, n_fft=n_fft, n_mels=num_mels, fmin=fmin, fmax=fmax)
    basis = torch.from_numpy(basis).to(dtype=dtype, device=device)
    mel = torch.einsum("mf,bft->bmt", basis, magnitude)
    return torch.log(torch.clamp(mel, min=1e-5))


def vocode(generator: torch.nn.Module, mel: torch.Tensor) -> torch.Tensor:
    reference = next(generator.parameters())
    x = mel if mel.dim() == 3 else mel.unsqueeze(0)
    x = x.detach().to(device=reference.device, dtype=reference.dtype)
    with torch.no_grad():
        y = generator(x)
    hop = getattr(getattr(generator, "config", None), "hop_size", None)
    if hop is not None:
        assert y.shape[-1] == x.shape[-1] * hop, (y.shape, x.shape, hop)
    return y.reshape(y.shape[0], y.shape[-1])
