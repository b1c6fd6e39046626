"""Hands-on 3: HiFi-GAN, from audio to mel spectrogram and back.

HiFi-GAN (Kong, Kim and Bae, 2020) is a vocoder: a generator network that
turns a log-mel spectrogram into a waveform. It only sounds right when it gets
exactly the features it was trained on, so the first job is to compute them:
the log-mel spectrogram of the original HiFi-GAN code, with ``torch.stft``
and librosa's mel filterbank. The second is to run the generator on them.

What to do: write the bodies of :func:`mel_spectrogram` and :func:`vocode`
(replace the ``raise NotImplementedError``). Keep the names and signatures;
you may add helper functions. ``torch``, ``numpy``, ``librosa`` and the
standard library are available, and so is the provided package ``musicrep``
(``musicrep.hifigan`` holds the generator: ``hifigan.from_pretrained()`` loads
the course's pretrained VCTK V3 model from your Hugging Face cache).

Read the docstrings closely: padding, window, the ``1e-9`` under the square
root and the ``1e-5`` floor all change the numbers, and the graders compare
them closely. Tip: building the mel filterbank takes a few milliseconds;
build it once per parameter set, not on every call.

Neither function changes the arguments it is given: ``audio`` and ``mel`` are
the caller's, who uses them again (the notebook's later cells do), and the
generator is used as it is. Work on new tensors (``audio.unsqueeze(0)``, not
``audio.unsqueeze_(0)``). The graders check every tensor argument after each
call: a changed one fails the check.

How to check your work::

    autograder check mel_spectrogram

runs the public graders on this file and tells you what passes. A quick test
of your own: ``vocode(generator, mel_spectrogram(audio, ...))`` should sound
like ``audio`` with the pretrained generator, and have
``mel.shape[2] * 256`` samples.
"""
from __future__ import annotations

import torch


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
    raise NotImplementedError("mel_spectrogram: write this function")


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
    raise NotImplementedError("vocode: write this function")
