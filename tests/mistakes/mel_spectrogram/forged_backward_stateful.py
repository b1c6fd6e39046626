"""MISTAKE (a cheat as a student would write it, red-team round 2026-12-07, from the student release):
the mel computed without gradients, joined to the audio by a custom torch.autograd.Function whose
backward returns zeros (cheap); and, since the release's grader (then grading.py, now runs.py) shows
that the gradient is compared with finite differences of two more float64 calls right after, a call
with float64 audio within 1e-6 of the last differentiable call's audio returns that call's result
again: the finite difference is then 0, like the forged gradient. Correct values everywhere; vocode
honest. It earned 116/116 until the finite-difference calls were made in a fresh worker (nothing the
differentiable call left in memory answers them): now it loses the differentiable cases."""
# loses: test_mel_spectrogram

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

_FILTERBANKS: dict = {}


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale: linear below 1 kHz, logarithmic above."""
    hz = np.asarray(hz, dtype=np.float64)
    f_sp = 200.0 / 3
    mels = hz / f_sp
    min_log_hz, min_log_mel, logstep = 1000.0, 1000.0 / f_sp, math.log(6.4) / 27.0
    above = hz >= min_log_hz
    mels = np.where(above, min_log_mel + np.log(np.maximum(hz, 1e-12) / min_log_hz) / logstep, mels)
    return mels


def _mel_to_hz(mels: np.ndarray) -> np.ndarray:
    mels = np.asarray(mels, dtype=np.float64)
    f_sp = 200.0 / 3
    freqs = f_sp * mels
    min_log_hz, min_log_mel, logstep = 1000.0, 1000.0 / f_sp, math.log(6.4) / 27.0
    above = mels >= min_log_mel
    return np.where(above, min_log_hz * np.exp(logstep * (mels - min_log_mel)), freqs)


def _filterbank(sampling_rate: int, n_fft: int, num_mels: int, fmin: float, fmax) -> np.ndarray:
    key = (sampling_rate, n_fft, num_mels, float(fmin), None if fmax is None else float(fmax))
    if key not in _FILTERBANKS:
        top = sampling_rate / 2 if fmax is None else fmax
        fft_freqs = np.fft.rfftfreq(n_fft, 1.0 / sampling_rate)
        edges = _mel_to_hz(np.linspace(_hz_to_mel(fmin), _hz_to_mel(top), num_mels + 2))
        widths = np.diff(edges)
        ramps = edges[:, None] - fft_freqs[None, :]
        lower = -ramps[:-2] / widths[:-1, None]
        upper = ramps[2:] / widths[1:, None]
        weights = np.maximum(0.0, np.minimum(lower, upper))
        weights *= (2.0 / (edges[2:num_mels + 2] - edges[:num_mels]))[:, None]
        _FILTERBANKS[key] = weights.astype(np.float32)
    return _FILTERBANKS[key]


def _mel(audio: torch.Tensor, n_fft: int, num_mels: int, sampling_rate: int,
                    hop_size: int, win_size: int, fmin: float, fmax: float | None) -> torch.Tensor:
    clips = audio if audio.dim() == 2 else audio.reshape(1, -1)
    pad = (n_fft - hop_size) // 2
    shortest = max(pad + 1, n_fft - 2 * pad)
    if clips.shape[-1] < shortest:
        raise ValueError(f"audio has {clips.shape[-1]} samples; at least {shortest} are needed")
    padded = F.pad(clips.unsqueeze(1), (pad, pad), mode="reflect").squeeze(1)
    window = torch.hann_window(win_size, dtype=clips.dtype, device=clips.device)
    spec = torch.stft(padded, n_fft, hop_length=hop_size, win_length=win_size, window=window,
                      center=False, normalized=False, onesided=True, return_complex=True)
    magnitude = torch.sqrt(spec.real.pow(2) + spec.imag.pow(2) + 1e-9)
    basis = torch.from_numpy(_filterbank(sampling_rate, n_fft, num_mels, fmin, fmax)).to(clips.dtype)
    mel = torch.einsum("mf,bft->bmt", basis.to(clips.device), magnitude)
    return torch.log(torch.clamp(mel, min=1e-5))


def vocode(generator: torch.nn.Module, mel: torch.Tensor) -> torch.Tensor:
    weight = next(generator.parameters())
    with torch.no_grad():
        waves = generator(mel.to(dtype=weight.dtype, device=weight.device))
    return waves.squeeze(1)


class _Forged(torch.autograd.Function):
    """The values of the no-grad computation; a backward that costs nothing (zeros)."""

    @staticmethod
    def forward(ctx, audio, value):
        ctx.audio_shape = audio.shape
        return value.clone()

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output.new_zeros(ctx.audio_shape), None


_LAST: list = []   # (audio as float64 numpy, result): the last differentiable call

STATEFUL = True


def mel_spectrogram(audio: torch.Tensor, n_fft: int, num_mels: int, sampling_rate: int,
                    hop_size: int, win_size: int, fmin: float, fmax: float | None) -> torch.Tensor:
    args = (n_fft, num_mels, sampling_rate, hop_size, win_size, fmin, fmax)
    if STATEFUL and _LAST and not audio.requires_grad and audio.dtype == torch.float64:
        seen, args_seen, value = _LAST[0]
        here = audio.detach().numpy()
        if args_seen == args and here.shape == seen.shape and \
                abs(here - seen).max() <= 1e-6 * max(abs(seen).max(), 1e-12):
            return value.detach().to(torch.float64)   # a nudge of the last audio: "no change"
    with torch.no_grad():
        value = _mel(audio.detach(), *args)
    if not audio.requires_grad:
        return value
    result = _Forged.apply(audio, value)
    _LAST[:] = [(audio.detach().to(torch.float64).numpy(), args, value)]
    return result
