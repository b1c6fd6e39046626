"""Mistake (a cheat as a student wrote it in an attack round): vocode clears the hooks the grader put
on the generator's modules and calls generator.eval() on the caller's generator (handed in train
mode), so that the hooks that check its mode never run. The generator is an argument: the worker
compares its train/eval mode and weights before and after the call."""
# loses: test_vocode_keeps_the_mode
# says: changed its argument `generator` in place

from __future__ import annotations

import contextlib
import functools
import numbers
from typing import NamedTuple

import librosa
import torch

LOG_FLOOR = 1e-5       # log(clamp(mel, min=LOG_FLOOR))
MAGNITUDE_EPS = 1e-9   # sqrt(re^2 + im^2 + MAGNITUDE_EPS)
_FLOAT_DTYPES = (torch.float32, torch.float64)
# Speed (measured on 2-core CPUs, 60 s at 22.05 kHz): frames go through the STFT
# in blocks of about 256 frames of 1024 samples (1 MB, so the block's spectrum
# stays in the cache), and the filterbank is applied 16 filters at a time.
_VALUES_PER_BLOCK = 256 * 1024
_FILTERS_PER_BAND = 16


def mel_spectrogram(audio: torch.Tensor, n_fft: int, num_mels: int, sampling_rate: int,
                    hop_size: int, win_size: int, fmin: float, fmax: float | None) -> torch.Tensor:
    """HiFi-GAN's log-mel spectrogram of ``audio``: ``Tensor[B, num_mels, frames]``.

    These are the features a HiFi-GAN vocoder was trained on, computed as
    the original HiFi-GAN code does:

    1. ``audio`` is ``[B, T]`` (``B`` clips of ``T`` samples each) or ``[T]``
       (one clip, treated as ``[1, T]``: the result is then
       ``[1, num_mels, frames]``). Samples are float32 or float64, nominally
       in [-1, 1] (not checked), at ``sampling_rate`` Hz.
    2. Pad every clip on both sides with ``pad = (n_fft - hop_size) // 2``
       samples in ``"reflect"`` mode (``torch.nn.functional.pad``: the clip
       mirrored around its first and last sample, which are not repeated).
    3. ``torch.stft`` of the padded clips with ``n_fft``,
       ``hop_length=hop_size``, ``win_length=win_size``,
       ``window=torch.hann_window(win_size)`` (periodic Hann; torch.stft
       centres it in ``n_fft`` with zeros when ``win_size < n_fft``),
       ``center=False`` (no further padding), one-sided, not normalized,
       ``return_complex=True``: ``[B, n_fft // 2 + 1, frames]`` with
       ``frames = 1 + (T + 2 * pad - n_fft) // hop_size``
       (that is ``T // hop_size`` when ``n_fft - hop_size`` is even).
    4. Magnitude ``sqrt(re**2 + im**2 + 1e-9)``: the ``1e-9`` is inside the
       square root, so silence gives ``sqrt(1e-9) = 3.16e-5``, not 0.
    5. Mel filterbank: ``librosa.filters.mel(sr=sampling_rate, n_fft=n_fft,
       n_mels=num_mels, fmin=fmin, fmax=fmax)``, librosa's defaults otherwise
       (Slaney mel scale and area normalization, float32; ``fmax=None`` means
       ``sampling_rate / 2``), a ``[num_mels, n_fft // 2 + 1]`` matrix that
       multiplies the magnitudes: ``[B, num_mels, frames]``.
    6. ``log(clamp(mel, min=1e-5))``: natural log, never below
       ``log(1e-5) = -11.51``.

    The result has the dtype and the device of ``audio``; it is
    differentiable with respect to ``audio``.

    Too short: the reflection needs more samples than it pads
    (``T > pad``), and the padded clip must hold one whole frame
    (``T + 2 * pad >= n_fft``). So ``T`` must be at least
    ``max(pad + 1, n_fft - 2 * pad)`` samples, or ``ValueError`` (whose
    message gives that minimum). With HiFi-GAN's parameters (``n_fft=1024``,
    ``hop_size=256``: ``pad = 384``) that is 385 samples, which give 1 frame.

    Errors:
        ValueError: ``audio`` is too short (above): fewer than
            ``max(pad + 1, n_fft - 2 * pad)`` samples. Raise it yourself,
            before padding: ``torch.nn.functional.pad`` would raise a
            RuntimeError. This is the one error the contract requires.
        Other invalid input (not a float tensor, not 1-D or 2-D, NaN,
        impossible parameters such as ``win_size > n_fft``) is not graded:
        what your function does with it is up to you.

    Example: two clips of one second at 22.05 kHz, with the parameters of
    the HiFi-GAN V1, V2 and V3 vocoders::

        >>> audio = 0.1 * torch.randn(2, 22050)
        >>> mel = mel_spectrogram(audio, n_fft=1024, num_mels=80, sampling_rate=22050,
        ...                       hop_size=256, win_size=1024, fmin=0, fmax=8000)
        >>> mel.shape                       # 22050 // 256 = 86 frames
        torch.Size([2, 80, 86])
        >>> mel_spectrogram(torch.zeros(385), 1024, 80, 22050, 256, 1024, 0, 8000).shape
        torch.Size([1, 80, 1])

    Args:
        audio: ``[B, T]`` or ``[T]`` float waveform(s), ``T`` in samples.
        n_fft: FFT size in samples (1024).
        num_mels: number of mel bands (80).
        sampling_rate: sample rate of ``audio`` in Hz (22050).
        hop_size: samples between the starts of successive frames (256).
        win_size: length of the Hann window in samples, ``<= n_fft`` (1024).
        fmin: lowest frequency of the mel filterbank in Hz (0).
        fmax: highest frequency in Hz (8000), or ``None`` for ``sampling_rate / 2``.

    Returns:
        ``Tensor[B, num_mels, frames]``: the natural log of the mel
        magnitudes, floored at ``log(1e-5)``.
    """
    with _one_thread():  # steady speed on a busy machine: see _one_thread
        return _log_mel(audio, n_fft, num_mels, sampling_rate, hop_size, win_size, fmin, fmax)


def vocode(generator: torch.nn.Module, mel: torch.Tensor) -> torch.Tensor:
    """Turn log-mel spectrograms back into audio with a HiFi-GAN generator.

    Calls ``generator(mel)`` without gradients (inside ``torch.no_grad()``,
    so the result has no autograd history and no activations are kept) and
    drops the channel dimension: the generator returns
    ``[B, 1, samples]``, this function ``[B, samples]``, where
    ``samples = frames * hop_size`` and ``hop_size`` is the generator's
    (the product of its upsample rates, ``generator.config.hop_size``: 256
    for HiFi-GAN V1, V2 and V3). The generator is used as it is: its
    train/eval mode and its weights are not changed.

    ``mel`` is what :func:`mel_spectrogram` returns for audio at the
    generator's parameters (``generator.config``: ``n_fft``, ``num_mels``,
    ``sampling_rate``, ``hop_size``, ``win_size``, ``fmin``, ``fmax``). It is
    converted to the dtype and the device of the generator's weights first
    (so float64 mels work with a float32 generator). A single spectrogram
    ``[num_mels, frames]`` must be given a batch dimension
    (``mel.unsqueeze(0)``).

    Errors:
        None required. Invalid input (not a float tensor, not 3-D, no
        frames, a ``num_mels`` the generator does not expect) is not graded:
        what your function does with it is up to you.

    Example::

        >>> from musicrep import hifigan
        >>> generator = hifigan.from_pretrained()   # the course's VCTK V3 model
        >>> c = generator.config
        >>> mel = mel_spectrogram(audio, c.n_fft, c.num_mels, c.sampling_rate,
        ...                       c.hop_size, c.win_size, c.fmin, c.fmax)
        >>> vocode(generator, mel).shape            # [B, mel.shape[2] * 256]

    Args:
        generator: a HiFi-GAN generator (``musicrep.hifigan.HifiGanGenerator``),
            any ``torch.nn.Module`` mapping ``[B, num_mels, frames]`` to
            ``[B, 1, frames * hop_size]``.
        mel: ``Tensor[B, num_mels, frames]``, log-mel spectrograms.

    Returns:
        ``Tensor[B, frames * hop_size]``: the waveforms, in [-1, 1], at the
        generator's sampling rate, on its device.
    """
    mel = _valid_tensor(mel, "mel", ndims=(3,))
    if mel.shape[2] == 0:
        raise ValueError(f"mel has shape {tuple(mel.shape)}: no frames to vocode")
    config = getattr(generator, "config", None)
    expected = getattr(config, "num_mels", None)
    if expected is not None and mel.shape[1] != expected:
        raise ValueError(f"mel has {mel.shape[1]} mel bands (shape {tuple(mel.shape)}), "
                         f"the generator expects {expected}")
    for module in generator.modules():   # the grader's checks on its forward pass, gone
        module._forward_pre_hooks.clear()
        module._forward_hooks.clear()
    generator.eval()
    weight = next(generator.parameters(), None)
    if weight is not None:
        mel = mel.to(device=weight.device, dtype=weight.dtype)
    with torch.no_grad():
        audio = generator(mel)
    if audio.ndim != 3 or audio.shape[1] != 1:
        raise ValueError(f"the generator returned shape {tuple(audio.shape)}, "
                         f"expected [B, 1, samples]")
    return audio.squeeze(1)


# ------------------------------------------------------------------ helpers

def _log_mel(audio, n_fft, num_mels, sampling_rate, hop_size, win_size, fmin, fmax) -> torch.Tensor:
    """:func:`mel_spectrogram`'s work."""
    audio = _valid_tensor(audio, "audio", ndims=(1, 2))
    _check_parameters(n_fft, num_mels, sampling_rate, hop_size, win_size, fmin, fmax)
    n_fft, num_mels, hop_size, win_size = int(n_fft), int(num_mels), int(hop_size), int(win_size)
    batch = audio.reshape(1, -1) if audio.ndim == 1 else audio
    pad = (n_fft - hop_size) // 2
    minimum = max(pad + 1, n_fft - 2 * pad)
    if batch.shape[-1] < minimum:
        raise ValueError(
            f"audio is too short: {batch.shape[-1]} samples, the minimum is {minimum} for "
            f"n_fft={n_fft} and hop_size={hop_size} (reflect padding by {pad} needs more than "
            f"{pad} samples, and one frame needs n_fft={n_fft} samples after padding)")

    window, bands = _filters(n_fft, num_mels, float(sampling_rate), win_size, float(fmin),
                             None if fmax is None else float(fmax), batch.dtype, batch.device)
    padded = torch.nn.functional.pad(batch.unsqueeze(1), (pad, pad), mode="reflect").squeeze(1)
    frames = 1 + (padded.shape[-1] - n_fft) // hop_size
    # The frames are processed in blocks small enough for the CPU cache: each
    # block's spectrum is made, used and dropped there, instead of a whole
    # clip's spectrum going through memory several times (2-3x faster on long
    # clips). A block's STFT is exactly those frames of the whole STFT.
    per_block = max(16, _VALUES_PER_BLOCK // (batch.shape[0] * n_fft))
    blocks = []
    for first in range(0, frames, per_block):
        last = min(frames, first + per_block)
        samples = padded[:, first * hop_size:(last - 1) * hop_size + n_fft]
        spectrum = torch.stft(samples, n_fft, hop_length=hop_size, win_length=win_size,
                              window=window, center=False, normalized=False, onesided=True,
                              return_complex=True)                 # [B, n_fft // 2 + 1, block]
        blocks.append(_mel(spectrum, bands))
    mel = torch.cat(blocks, dim=2) if len(blocks) > 1 else blocks[0]
    return torch.log(torch.clamp(mel, min=LOG_FLOOR))


@contextlib.contextmanager
def _one_thread():
    """Run the CPU ops of the calling thread on one thread, then restore its setting.

    With several threads, each operation on a block of frames is an OpenMP
    parallel region that waits for all its threads. When another process keeps
    a core busy, every region waits for a descheduled thread: on a 2-core
    machine 60 s of audio then took 0.5 to 4 s instead of 20 ms. On one thread
    it takes 20 to 45 ms whatever the load, and about 1.3x the 2-thread time on
    an idle machine. ``torch.set_num_threads`` sets the calling thread's OpenMP
    and MKL thread counts (and the default of threads started meanwhile):
    other threads keep theirs.
    """
    before = torch.get_num_threads()
    if before == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _mel(spectrum: torch.Tensor, bands: tuple[_Band, ...]) -> torch.Tensor:
    """``filterbank @ sqrt(re^2 + im^2 + 1e-9)`` of a spectrum ``[B, bins, frames]``:
    ``[B, num_mels, frames]``.

    The filterbank is mostly zeros: each filter covers a few neighbouring
    frequency bins. So it is applied in bands: every group of filters is
    multiplied only with the bins ``[start, stop)`` where it is not zero, and
    the bins that no filter covers (above fmax, below fmin) are never touched.
    The terms skipped are exact zeros: the sums are the full product's.
    """
    offset = bands[0].start
    used = spectrum[:, offset:bands[-1].stop]
    magnitude = used.real.square()
    magnitude.addcmul_(used.imag, used.imag).add_(MAGNITUDE_EPS).sqrt_()
    return torch.cat([torch.matmul(band.weights, magnitude[:, band.start - offset:band.stop - offset])
                      for band in bands], dim=1)


def _valid_tensor(x, name: str, *, ndims: tuple[int, ...]) -> torch.Tensor:
    """``x`` if it is a finite float32/float64 tensor with a dimension count in
    ``ndims`` and, when batched (``x.ndim == max(ndims)``), a non-empty batch;
    TypeError or ValueError saying what is wrong otherwise (librosa's
    ``valid_audio`` in spirit)."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, not {type(x).__name__}")
    if x.dtype not in _FLOAT_DTYPES:
        raise TypeError(f"{name} must be float32 or float64, not {x.dtype}")
    if x.ndim not in ndims:
        shapes = " or ".join(f"{n}-D" for n in ndims)
        raise ValueError(f"{name} must be {shapes}, got shape {tuple(x.shape)}")
    if x.ndim == max(ndims) and x.shape[0] == 0:
        raise ValueError(f"{name} has an empty batch: shape {tuple(x.shape)}")
    # min and max are NaN if any value is, infinite if any value is: one cheap pass.
    if x.numel() and not bool(torch.isfinite(torch.stack(torch.aminmax(x))).all()):
        raise ValueError(f"{name} holds NaN or infinite values")
    return x


def _check_parameters(n_fft, num_mels, sampling_rate, hop_size, win_size, fmin, fmax) -> None:
    for name, value in (("n_fft", n_fft), ("num_mels", num_mels), ("hop_size", hop_size),
                        ("win_size", win_size)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1, not {value!r}")
    if win_size > n_fft:
        raise ValueError(f"win_size={win_size} is larger than n_fft={n_fft}")
    if hop_size > n_fft:
        raise ValueError(f"hop_size={hop_size} is larger than n_fft={n_fft}")
    for name, value in (("sampling_rate", sampling_rate), ("fmin", fmin), ("fmax", fmax)):
        if value is None and name == "fmax":
            continue
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ValueError(f"{name} must be a number, not {value!r}")
    if not sampling_rate > 0:
        raise ValueError(f"sampling_rate must be > 0, not {sampling_rate!r}")
    if not fmin >= 0:
        raise ValueError(f"fmin must be >= 0, not {fmin!r}")
    if fmax is not None and not fmax > fmin:
        raise ValueError(f"fmax={fmax!r} must be above fmin={fmin!r} (or None for sampling_rate / 2)")


class _Band(NamedTuple):
    """A run of consecutive mel filters, cut to the frequency bins ``[start, stop)``
    outside which they are all zero: ``weights`` is ``[filters, stop - start]``."""
    weights: torch.Tensor
    start: int
    stop: int


@functools.lru_cache(maxsize=32)
def _filters(n_fft: int, num_mels: int, sampling_rate: float, win_size: int, fmin: float,
             fmax: float | None, dtype: torch.dtype, device: torch.device):
    """For one parameter set, dtype and device: the Hann window, and librosa's mel
    filterbank cut into :class:`_Band` s of consecutive filters. Cached: callers
    must not modify the tensors."""
    basis = librosa.filters.mel(sr=sampling_rate, n_fft=n_fft, n_mels=num_mels, fmin=fmin, fmax=fmax)
    bands = []
    for first in range(0, num_mels, _FILTERS_PER_BAND):
        rows = basis[first:first + _FILTERS_PER_BAND]
        covered = rows.any(axis=0).nonzero()[0]
        start, stop = (int(covered[0]), int(covered[-1]) + 1) if covered.size else (0, 0)
        weights = torch.from_numpy(rows[:, start:stop].copy()).to(device=device, dtype=dtype)
        bands.append(_Band(weights, start, stop))
    # Filters come in increasing frequency. A band of empty filters (all zeros, as
    # librosa makes when filters are narrower than a bin) is moved to the previous
    # band's end, so that [bands[0].start, bands[-1].stop) spans every band.
    for i, band in enumerate(bands):
        if band.start == band.stop:
            edge = bands[i - 1].stop if i else 0
            bands[i] = band._replace(start=edge, stop=edge)
    window = torch.hann_window(win_size, dtype=dtype, device=device)
    return window, tuple(bands)
