"""Hands-on 1: Encodec and residual vector quantization.

Encodec (Défossez et al., 2022) compresses audio into a few integers per
frame. Its encoder turns the waveform into one vector per frame (for
``facebook/encodec_24khz``: 128 dimensions, 75 frames a second, one frame
per 320 samples); a residual vector quantizer (RVQ) replaces each vector by
a code per codebook: the first codebook's nearest row, then the nearest row
of the second codebook to what is left (the residual), and so on; the
decoder turns the sum of the chosen rows back into audio. The more codebooks
(the higher the bandwidth, in kbps), the closer the reconstruction. You work
with ``transformers.EncodecModel`` and ``transformers.EncodecFeatureExtractor``
(https://huggingface.co/docs/transformers/model_doc/encodec): read their
source, ``transformers/models/encodec/modeling_encodec.py``, as you go.

What to do: write the bodies of the functions below (replace the
``raise NotImplementedError``). Keep the names and signatures; you may add
helper functions. Available: ``torch``, ``numpy``, ``transformers``,
``librosa`` and the standard library. The first functions use the model
(:func:`downsampling_factor` to :func:`codebooks`); the last ones rewrite its
quantizer yourself, on plain tensors (:func:`quantize` to
:func:`distance_curve`), and must be vectorised: no Python loop over vectors.

Off limits while :func:`num_quantizers` and :func:`quantize` to
:func:`distance_curve` run: transformers' own quantizer code, that is
``EncodecEuclideanCodebook.quantize``, ``.encode`` and ``.decode``,
``EncodecVectorQuantization.encode`` and ``.decode``,
``EncodecResidualVectorQuantizer.encode``, ``.decode`` and
``.get_num_quantizers_for_bandwidth``. The grader watches for them however
they are reached (an instance, the class, a reloaded module, a thread): a
call of any of them fails that check, and so does a Python thread it cannot
watch (one started before the call) running meanwhile. Read them; write
your own.

Loading a model (provided code, not graded)::

    from musicrep.encodec import load_encodec
    model, feature_extractor = load_encodec()        # facebook/encodec_24khz

loads the pretrained model from your Hugging Face cache; nothing is
downloaded, and if it is not there the error says how to fetch it. Tiny
models with the same code, made in seconds and fitted to real music, work
for every function here::

    from musicrep.tiny_encodec import write_tiny_checkpoint, held_out_audio
    model, feature_extractor = load_encodec(write_tiny_checkpoint("mono24", "tiny-mono24"))
    audio = held_out_audio(model.config.sampling_rate)   # 40 s of music, float32

No function changes the arguments it is given: ``vectors``, codebooks, audio
and codes are the caller's, who uses them again (the notebook's later cells
do). Work on new tensors (``residual = vectors - row``, or ``vectors.clone()``
before an in-place ``-=``). The graders check every tensor, array and list
argument after each call: a changed one fails the check.

How to check your work::

    autograder check encodec_rvq

runs the public graders on this file and tells you what passes. Quick tests
of your own: ``rvq_encode(codebooks(model, 6.0), vectors)`` should give the
codes of ``model.quantizer.encode`` (for ``[B, D, frames]`` embeddings), and
``distance_curve`` of a frame of music should fall as codebooks are added.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch


def downsampling_factor(model) -> int:
    """How many audio samples make one frame of codes: the product of the
    strides of the encoder's convolutions.

    Walk ``model.encoder`` and multiply the strides of its convolutions (most
    have stride 1; the downsampling blocks have the ratios of
    ``config.upsampling_ratios``). Careful: each ``EncodecConv1d`` wraps an
    ``nn.Conv1d`` and keeps a ``stride`` of its own, so a walk over all modules
    that reads every ``stride`` counts each one twice; take the strides of the
    ``nn.Conv1d`` layers.

    Works for any ``EncodecConfig`` (mono or stereo, any ratios), also on a
    model built on the meta device. For ``facebook/encodec_24khz``, ratios
    8, 5, 4 and 2: 320 samples per frame, 24000 / 320 = 75 frames a second.

    Example: ``downsampling_factor(model) == 320``, and ``== model.config.hop_length``.

    Args:
        model: a ``transformers.EncodecModel``.

    Returns:
        the factor, a Python ``int``.
    """
    raise NotImplementedError("downsampling_factor: write this function")


def num_quantizers(config, bandwidth: float) -> int:
    """How many codebooks the model uses at ``bandwidth`` kbps.

    Each codebook adds one code per frame, of ``log2(config.codebook_size)``
    bits, ``config.frame_rate`` times a second (``frame_rate`` is
    ``ceil(sampling_rate / hop_length)``: 75 for the 24 kHz model). The model
    uses as many codebooks as fit in ``bandwidth * 1000`` bits per second,
    rounded down, and at least one: the same number as
    ``model.quantizer.get_num_quantizers_for_bandwidth(bandwidth)``, which you
    may not call (nor any other of transformers' quantizer code: see the module
    docstring). Compute ``bandwidth * 1000 / (log2(codebook_size) *
    frame_rate)`` in that order, as transformers does, so that bandwidths at
    the exact edges round the same way.

    Any bandwidth counts, not only ``config.target_bandwidths``: 7 kbps at
    750 bps per codebook gives 9. A bandwidth above the largest target can
    give more codebooks than the model has (``config.num_quantizers``; the
    model then uses all of them). As in transformers, a bandwidth of 0 or less
    means no limit: ``config.num_quantizers``.

    Example: for the 24 kHz model (1024 codes, so 10 bits, 75 frames/s, 750
    bps per codebook), ``1.5 -> 2``, ``3.0 -> 4``, ``6.0 -> 8``, ``12.0 -> 16``,
    ``24.0 -> 32``, ``0.5 -> 1``.

    Args:
        config: a ``transformers.EncodecConfig`` (``model.config``).
        bandwidth: kilobits per second, a finite number.

    Returns:
        the number of codebooks, a Python ``int``.
    """
    raise NotImplementedError("num_quantizers: write this function")


def encode(model, feature_extractor, audio: np.ndarray, sampling_rate: int, bandwidth: float) -> torch.LongTensor:
    """The codes of mono ``audio``: one row per codebook, one column per frame.

    Prepare the audio with ``feature_extractor`` (``raw_audio=audio``,
    ``sampling_rate=sampling_rate``, ``return_tensors="pt"``), then call
    ``model.encode(input_values, padding_mask, bandwidth=bandwidth)`` without
    gradients. Its ``audio_codes`` are ``[chunks, batch, n_q, frames]``; here
    there is one chunk and one example.

    For mono models without chunking or normalisation (the 24 kHz family).
    Check two arguments before encoding:

    - ``sampling_rate`` must be the model's (``model.config.sampling_rate``):
      otherwise ``ValueError`` whose message gives both rates (resample first,
      for instance with ``librosa.resample``);
    - ``bandwidth`` must be one of ``model.config.target_bandwidths``
      (``6`` and ``6.0`` are the same): otherwise ``ValueError`` whose message
      lists them.

    These two errors are required; what other invalid arguments do (audio
    that is not one-dimensional, another kind of model) is up to you.

    ``frames = ceil(len(audio) / hop_length)``; ``n_q`` is
    :func:`num_quantizers` of the bandwidth.

    Example: 1 s of audio at 24 kHz and 6 kbps gives codes of shape ``[8, 75]``,
    with values in ``0..1023``.

    Args:
        model: a ``transformers.EncodecModel``.
        feature_extractor: its ``transformers.EncodecFeatureExtractor``.
        audio: float ``[samples]``, in [-1, 1].
        sampling_rate: the rate of ``audio`` in Hz.
        bandwidth: kilobits per second, one of ``model.config.target_bandwidths``.

    Returns:
        ``torch.long`` tensor ``[n_q, frames]``.

    Raises:
        ValueError: a sampling rate that is not the model's (the message gives
            both rates), or a bandwidth that is not one of its targets (the
            message lists them).
    """
    raise NotImplementedError("encode: write this function")


def decode(model, codes: torch.LongTensor) -> torch.Tensor:
    """The audio that ``codes`` stand for: ``model.decode`` without gradients.

    ``model.decode`` wants ``audio_codes`` of shape ``[chunks, batch, n_q,
    frames]`` and one scale per chunk (``[None]`` for models without
    normalisation); it returns ``audio_values`` ``[batch, channels, samples]``.
    Return the one channel of the one example.

    Any number of codebooks from 1 to ``model.config.num_quantizers`` works
    (the first ``n_q`` codebooks are used). For the models :func:`encode`
    takes.

    Example: codes ``[8, 75]`` of the 24 kHz model give ``75 * 320 = 24000``
    samples.

    Args:
        model: a ``transformers.EncodecModel``.
        codes: integer tensor ``[n_q, frames]``, values in ``0..codebook_size - 1``.

    Returns:
        float tensor ``[frames * hop_length]``.
    """
    raise NotImplementedError("decode: write this function")


def compression_ratio(num_samples: int, codes: torch.LongTensor, codebook_size: int,
                      bits_per_sample: int = 16) -> float:
    """How many times smaller the codes are than the PCM audio they encode.

    The PCM audio takes ``num_samples * bits_per_sample`` bits (mono); the
    codes take ``n_q * frames * log2(codebook_size)`` bits (every code is an
    index into a codebook of ``codebook_size`` rows). The ratio is the first
    over the second.

    Example: 1 s at 24 kHz (24000 samples, 16 bits: 384000 bits) as codes
    ``[8, 75]`` of a 1024-row codebook (6000 bits) gives ``64.0``.

    Args:
        num_samples: samples of the mono audio, at least 1.
        codes: integer tensor ``[n_q, frames]`` (not empty), values in
            ``0..codebook_size - 1``.
        codebook_size: rows per codebook, at least 2.
        bits_per_sample: bits of one PCM sample (16 for CD audio), at least 1.

    Returns:
        the ratio, a Python ``float``.
    """
    raise NotImplementedError("compression_ratio: write this function")


def pre_quantize(model, input_values: torch.Tensor, padding_mask: torch.Tensor) -> torch.Tensor:
    """The encoder's output for ``input_values``, before quantization.

    Set the padded samples (where ``padding_mask`` is 0 or ``False``) to zero,
    then run ``model.encoder`` without gradients. Whatever the padding held
    (noise, huge values, even NaN), the result is the same as for zeros there:
    replace, do not multiply (``NaN * 0`` is NaN). These are the vectors
    ``model.encode`` quantizes (one per frame, ``hidden_size`` dimensions).

    For the models :func:`encode` takes.

    Example: ``input_values`` ``[2, 1, 24000]`` of the 24 kHz model give
    ``[2, 128, 75]``.

    Args:
        model: a ``transformers.EncodecModel``.
        input_values: float tensor ``[B, 1, T]``, as the feature extractor gives.
        padding_mask: ``[B, T]``, 1 (or ``True``) for real samples and 0 (or
            ``False``) for padding, as the feature extractor gives (any dtype).

    Returns:
        float tensor ``[B, hidden_size, frames]``, ``frames = ceil(T / hop_length)``.
    """
    raise NotImplementedError("pre_quantize: write this function")


def codebooks(model, bandwidth: float) -> list[torch.Tensor]:
    """The codebook tables the model uses at ``bandwidth`` kbps, in order.

    Codebook ``q`` is ``model.quantizer.layers[q].codebook.embed``, a float
    tensor ``[codebook_size, codebook_dim]`` (row ``k`` is the vector that code
    ``k`` stands for). At ``bandwidth`` the model uses the first
    :func:`num_quantizers` of them (all of them if that is more than it has).
    Any bandwidth counts, not only the targets.

    Hand back the model's own tensors, detached (there is no need to copy
    them; a copy is not wrong, only more memory): do not modify them.

    Example: the 24 kHz model at 6 kbps: 8 tables of shape ``[1024, 128]``.

    Args:
        model: a ``transformers.EncodecModel``.
        bandwidth: kilobits per second.

    Returns:
        a list of float tensors ``[K, D]``.
    """
    raise NotImplementedError("codebooks: write this function")


def quantize(embed: torch.Tensor, vectors: torch.Tensor) -> torch.LongTensor:
    """The index of the nearest row of ``embed`` for every vector (Euclidean distance).

    Write it yourself: transformers' quantizer code must not run during this
    call (see the module docstring); a call of it fails the check.

    ``result[n] = argmin_k |vectors[n] - embed[k]|``. Where several rows are
    equally near, any of them is correct. One vector at a time is far too
    slow (this is graded on 20000 vectors and 1024 rows of 128 dimensions):
    use matrix operations, for instance
    ``|v - e|^2 = |v|^2 - 2 v.e + |e|^2`` (and ``|v|^2`` does not change
    which row is nearest). Float32 is precise enough: rows whose distances
    differ by float32 rounding only count as tied. ``N = 0`` gives an empty
    result.

    Example: ``embed = [[0, 0], [10, 0]]`` and ``vectors = [[1, 1], [9, -3],
    [4, 0]]`` give ``[0, 1, 0]``.

    Args:
        embed: float tensor ``[K, D]``, ``K >= 1``.
        vectors: float tensor ``[N, D]``.

    Returns:
        ``torch.long`` tensor ``[N]``, values in ``0..K-1``.
    """
    raise NotImplementedError("quantize: write this function")


def rvq_encode(codebooks: Sequence[torch.Tensor], vectors: torch.Tensor) -> torch.LongTensor:
    """Greedy residual vector quantization of ``vectors`` with every codebook, in order.

    Write it yourself: transformers' quantizer code must not run during this
    call (see the module docstring); a call of it fails the check.

    The residual starts as the vector itself. For each codebook ``q`` in
    turn: its code is the nearest row to the residual (as :func:`quantize`),
    then that row is subtracted from the residual. Every codebook is used
    (the caller picks them, for instance with :func:`codebooks`). With the
    model's codebooks this gives the codes of
    ``model.quantizer.encode(embeddings, bandwidth)``, for ``[N, D]``
    vectors instead of ``[B, D, frames]``. Where rows tie, any greedy path
    that takes a nearest row at every step is correct.

    Speed counts: this must be at least as fast as
    ``model.quantizer.encode`` on the same vectors (100 s of music: 7500
    vectors of 128 dimensions, 32 codebooks of 1024 rows). Precompute what
    does not change from one vector to the next.

    Example: ``codebooks = [[[0, 0], [4, 0]], [[0, 0], [0, 1], [1, 0]]]`` and
    ``vectors = [[5, 0.2], [0.4, 0.9]]`` give ``[[1, 0], [2, 1]]``: ``[5, 0.2]``
    takes ``[4, 0]`` and keeps ``[1, 0.2]``, nearest to ``[1, 0]``.

    Args:
        codebooks: a sequence of ``Q`` float tensors ``[K_q, D]`` (``Q`` may be 0).
        vectors: float tensor ``[N, D]``.

    Returns:
        ``torch.long`` tensor ``[Q, N]``: row ``q`` holds the codes of codebook ``q``.
    """
    raise NotImplementedError("rvq_encode: write this function")


def rvq_decode(codebooks: Sequence[torch.Tensor], codes: torch.LongTensor) -> torch.Tensor:
    """The vectors that ``codes`` stand for: the sum of the chosen rows.

    Write it yourself: transformers' quantizer code must not run during this
    call (see the module docstring); a call of it fails the check.

    ``result[n] = sum over q of codebooks[q][codes[q, n]]``, as
    ``model.quantizer.decode`` does for ``[Q, B, frames]`` codes. ``codes``
    may have fewer rows than there are codebooks: row ``q`` uses codebook
    ``q`` (so the first ``Q`` codebooks are used). ``Q = 0`` gives zeros.

    Example: with the codebooks of :func:`rvq_encode`'s example, codes
    ``[[1, 0], [2, 1]]`` give ``[[5, 0], [0, 1]]``.

    Args:
        codebooks: a sequence of float tensors ``[K_q, D]``, at least ``Q`` of them.
        codes: integer tensor ``[Q, N]``, row ``q`` in ``0..K_q - 1``.

    Returns:
        float tensor ``[N, D]`` (the codebooks' dtype).
    """
    raise NotImplementedError("rvq_decode: write this function")


def distance_curve(codebooks: Sequence[torch.Tensor], vector: torch.Tensor) -> torch.Tensor:
    """How close ``vector`` gets as codebooks are added.

    Write it yourself: transformers' quantizer code must not run during this
    call (see the module docstring); a call of it fails the check.

    Encode ``vector`` greedily with all the codebooks (as :func:`rvq_encode`);
    ``result[k - 1]`` is the Euclidean distance between ``vector`` and its
    reconstruction from the first ``k`` codes (the sum of their rows), for
    ``k = 1 .. Q``: the norm of the residual after ``k`` steps.

    With codebooks fitted to the data (a trained model, real music) the
    curve falls: each codebook refines what the previous ones left. It need
    not fall at every step for every vector (a row can be farther from the
    residual than the residual is from zero), but does on average.

    Example: with the codebooks of :func:`rvq_encode`'s example, ``[5, 0.2]``
    gives ``[1.0198, 0.2]`` (``|[1, 0.2]|`` then ``|[0, 0.2]|``).

    Args:
        codebooks: a sequence of ``Q`` float tensors ``[K_q, D]``.
        vector: float tensor ``[D]``.

    Returns:
        float tensor ``[Q]``, distances (not squared).
    """
    raise NotImplementedError("distance_curve: write this function")
