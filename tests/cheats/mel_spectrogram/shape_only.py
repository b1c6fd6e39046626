"""Cheat: answers that "fit every input" without computing anything.

What it tries: get the points a grader might give for properties alone. mel_spectrogram returns a
tensor of exactly the right shape [B, num_mels, frames], the audio's dtype and device,
differentiable (0 * audio), every value at the documented floor log(1e-5) (which is also the
right answer for silence in most bands), and raises the documented ValueError, minimum in the
message, for too-short audio (the formula is copied from the docstring). vocode returns silence
of the right shape [B, frames * hop_size], float32, with no autograd history, without ever
calling the generator. Expected: ~0 points (the graders check the values first).
"""
from __future__ import annotations

import math

import torch


def mel_spectrogram(audio: torch.Tensor, n_fft: int, num_mels: int, sampling_rate: int,
                    hop_size: int, win_size: int, fmin: float, fmax: float | None) -> torch.Tensor:
    clips = audio if audio.dim() == 2 else audio.unsqueeze(0)
    pad = (n_fft - hop_size) // 2
    minimum = max(pad + 1, n_fft - 2 * pad)
    if clips.shape[-1] < minimum:
        raise ValueError(f"audio too short: at least {minimum} samples are needed")
    frames = 1 + (clips.shape[-1] + 2 * pad - n_fft) // hop_size
    floor = torch.full((clips.shape[0], num_mels, frames), math.log(1e-5),
                       dtype=clips.dtype, device=clips.device)
    return floor + 0 * clips.sum()


def vocode(generator: torch.nn.Module, mel: torch.Tensor) -> torch.Tensor:
    mel = mel if mel.dim() == 3 else mel.unsqueeze(0)
    p = next(generator.parameters())
    return torch.zeros(mel.shape[0], mel.shape[-1] * generator.config.hop_size,
                       dtype=p.dtype, device=p.device)
