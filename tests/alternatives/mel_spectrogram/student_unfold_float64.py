"""HiFi-GAN mel spectrogram, written from the docstring alone (red-team round 2026-12-07): everything in
float64 inside, cast back to the audio's dtype at the end; the STFT by hand (frames with Tensor.unfold,
the Hann window centred in n_fft with zeros, torch.fft.rfft), the magnitude from torch.abs of
view_as_real pairs, librosa's filterbank kept per parameter set in an lru_cache. vocode with
torch.inference_mode() in a helper."""
from __future__ import annotations

from functools import lru_cache

import librosa
import numpy as np
import torch


@lru_cache(maxsize=None)
def _basis64(sampling_rate: int, n_fft: int, num_mels: int, fmin: float, fmax) -> np.ndarray:
    basis = librosa.filters.mel(sr=sampling_rate, n_fft=n_fft, n_mels=num_mels, fmin=fmin, fmax=fmax)
    return basis.astype(np.float64)   # librosa's float32 values, held exactly in float64


def _reflect(x: torch.Tensor, pad: int) -> torch.Tensor:
    """Reflect padding of the last axis by indexing (first and last sample not repeated)."""
    length = x.shape[-1]
    index = torch.arange(-pad, length + pad, device=x.device)
    index = index.abs()
    index = torch.where(index >= length, 2 * (length - 1) - index, index)
    return x[..., index]


def mel_spectrogram(audio: torch.Tensor, n_fft: int, num_mels: int, sampling_rate: int,
                    hop_size: int, win_size: int, fmin: float, fmax: float | None) -> torch.Tensor:
    x = audio.to(torch.float64)
    if x.ndim == 1:
        x = x[None]
    pad = (n_fft - hop_size) // 2
    need = max(pad + 1, n_fft - 2 * pad)
    if x.shape[1] < need:
        raise ValueError(f"too short: {x.shape[1]} samples given, the minimum is {need} "
                         f"(n_fft={n_fft}, hop_size={hop_size})")
    frames = _reflect(x, pad).unfold(-1, n_fft, hop_size)          # [B, frames, n_fft]
    window = torch.zeros(n_fft, dtype=torch.float64, device=x.device)
    start = (n_fft - win_size) // 2
    window[start:start + win_size] = torch.hann_window(win_size, periodic=True, dtype=torch.float64,
                                                       device=x.device)
    spectrum = torch.fft.rfft(frames * window, n=n_fft, dim=-1)      # [B, frames, bins]
    pairs = torch.view_as_real(spectrum)
    power = (pairs * pairs).sum(-1)
    magnitude = (power + 1e-9).sqrt().transpose(1, 2)               # [B, bins, frames]
    basis = torch.as_tensor(_basis64(sampling_rate, n_fft, num_mels, fmin, fmax), device=x.device)
    mel = basis @ magnitude
    return mel.clamp_min(1e-5).log().to(audio.dtype)


def _run(generator: torch.nn.Module, mel: torch.Tensor) -> torch.Tensor:
    reference = next(iter(generator.parameters()))
    with torch.no_grad():
        return generator(mel.to(reference.device, reference.dtype))


def vocode(generator: torch.nn.Module, mel: torch.Tensor) -> torch.Tensor:
    return _run(generator, mel)[:, 0, :]
