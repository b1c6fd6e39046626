"""Hands-on 1, Encodec and residual vector quantization: the reference solution.

The function docstrings are the same as the student stub's
(``assignments/encodec_rvq.py``): they are the contract. This file adds the
code, and one validation helper, :func:`_tensor`, that every function uses.
Like students' code, it calls none of transformers' quantizer code (the
stub's module docstring lists what is off limits) in :func:`num_quantizers`
and :func:`quantize` to :func:`distance_curve`.

Speed: the nearest-row lookup drops the term ``|v|^2``, which is the same for
every row, and precomputes the rows' squared norms: ``argmin_k |e_k|^2 - 2 v.e_k``
is one ``addmm`` and one ``argmin`` per block of rows, in float32 when the
inputs are (float64 inputs stay float64). Vectors go in blocks of up to
``2**23 / K`` (8192 for 1024 rows), :func:`rvq_encode` running every codebook
on a block before the next: few operations, each on much data, as each is a
parallel region that waits for every thread. It is about twice as fast as
``EncodecResidualVectorQuantizer.encode`` (``benchmarks/bench_rvq.py``).

Like every function of the stub, none changes the arguments it is given (the
stub's module docstring: the graders check it after every call).
"""
from __future__ import annotations

import math
import numbers
from typing import Sequence

import numpy as np
import torch

BLOCK_ELEMENTS = 1 << 23  # distances per block in the nearest-row lookups (32 MB in float32)


def _block_rows(rows: int) -> int:
    """Vectors per block against a table of ``rows`` rows: blocks big enough that the few operations per
    block dominate (each is a parallel region, costly when threads wait for a busy core), small enough
    that the block's distances fit in memory."""
    return max(256, BLOCK_ELEMENTS // max(rows, 1))


# ------------------------------------------------------------------ validation

def _tensor(name: str, value, shape: str, kind: str = "float", *, finite: bool = True) -> torch.Tensor:
    """``value`` checked to be a tensor of ``len(shape.split(","))`` dims and of ``kind``.

    ``shape`` names the dimensions (``"N, D"``); ``kind`` is ``"float"`` (any
    floating dtype; with ``finite``, no NaN or infinity) or ``"int"`` (any
    integer dtype, not bool). Raises ``TypeError`` for a wrong type or dtype,
    ``ValueError`` for a wrong number of dimensions or non-finite values.
    Returns ``value`` detached.
    """
    dims = len(shape.split(","))
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of shape [{shape}], got {type(value).__name__}")
    if value.dim() != dims:
        raise ValueError(f"{name} must have {dims} dimension{'s' * (dims > 1)} [{shape}], "
                         f"got shape {tuple(value.shape)}")
    if kind == "float":
        if not value.dtype.is_floating_point:
            raise TypeError(f"{name} must be a floating-point tensor, got dtype {value.dtype}")
        if finite and not bool(torch.isfinite(value).all()):
            raise ValueError(f"{name} holds NaN or infinite values")
    elif kind == "int":
        if value.dtype.is_floating_point or value.dtype.is_complex or value.dtype == torch.bool:
            raise TypeError(f"{name} must be an integer tensor (torch.long), got dtype {value.dtype}")
    else:
        raise AssertionError(kind)
    return value.detach()


def _number(name: str, value, *, integer: bool = False, minimum=None) -> float | int:
    """A real (or integer) Python number, not bool, finite, at least ``minimum``."""
    wanted = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, wanted):
        raise TypeError(f"{name} must be {'an integer' if integer else 'a number'}, got {value!r}")
    value = int(value) if integer else float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return value


def _codebook_list(codebooks) -> list[torch.Tensor]:
    """``codebooks`` checked: a sequence of ``[K_q, D]`` float tensors with one ``D`` and ``K_q >= 1``."""
    if isinstance(codebooks, torch.Tensor):
        if codebooks.dim() != 3:
            raise ValueError(f"codebooks as one tensor must be [Q, K, D], got shape {tuple(codebooks.shape)}")
        codebooks = list(codebooks)
    if not isinstance(codebooks, Sequence):
        raise TypeError(f"codebooks must be a sequence of [K, D] tensors, got {type(codebooks).__name__}")
    tables = [_tensor(f"codebooks[{q}]", table, "K, D") for q, table in enumerate(codebooks)]
    for q, table in enumerate(tables):
        if table.shape[0] == 0:
            raise ValueError(f"codebooks[{q}] has no rows")
        if table.shape[1] != tables[0].shape[1]:
            raise ValueError(f"codebooks[{q}] has rows of {table.shape[1]} dimensions, "
                             f"codebooks[0] of {tables[0].shape[1]}")
    return tables


def _same_dim(vectors: torch.Tensor, dim: int, name: str = "vectors") -> None:
    if vectors.shape[-1] != dim:
        raise ValueError(f"{name} have {vectors.shape[-1]} dimensions but the codebook rows have {dim}")


def _compute_dtype(*tensors: torch.Tensor) -> torch.dtype:
    """The common floating dtype, at least float32 (half types are compared in float32)."""
    dtype = torch.float32
    for tensor in tensors:
        dtype = torch.promote_types(dtype, tensor.dtype)
    return dtype


def _simple_model(model, what: str):
    """``model.config`` checked: a mono Encodec model without chunking or normalisation."""
    config = getattr(model, "config", None)
    if config is None or not hasattr(model, "encoder") or not hasattr(model, "quantizer"):
        raise TypeError(f"model must be a transformers.EncodecModel, got {type(model).__name__}")
    if config.audio_channels != 1 or config.chunk_length_s is not None or config.normalize:
        raise ValueError(f"{what} works with mono models without chunking or normalisation (the 24 kHz "
                         f"family); this model has audio_channels={config.audio_channels}, "
                         f"chunk_length_s={config.chunk_length_s}, normalize={config.normalize}")
    return config


# ------------------------------------------------------------------ the model

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
    encoder = getattr(model, "encoder", None)
    if not isinstance(encoder, torch.nn.Module):
        raise TypeError(f"model must be a transformers.EncodecModel, got {type(model).__name__}")
    return math.prod(int(module.stride[0]) for module in encoder.modules()
                     if isinstance(module, torch.nn.Conv1d))


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
    bandwidth = _number("bandwidth", bandwidth)
    if bandwidth <= 0.0:
        return int(config.num_quantizers)
    bits_per_codebook = math.log2(config.codebook_size) * config.frame_rate  # bits per second
    return int(max(1, math.floor(bandwidth * 1000 / bits_per_codebook)))


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
    config = _simple_model(model, "encode")
    sampling_rate = _number("sampling_rate", sampling_rate)
    if sampling_rate != config.sampling_rate:
        raise ValueError(f"the audio is at {sampling_rate:g} Hz but the model works at {config.sampling_rate} Hz: "
                         f"resample it to {config.sampling_rate} Hz first (for instance with librosa.resample)")
    if getattr(feature_extractor, "sampling_rate", config.sampling_rate) != config.sampling_rate:
        raise ValueError(f"the feature extractor is for {feature_extractor.sampling_rate} Hz but the model works "
                         f"at {config.sampling_rate} Hz: use the model's own feature extractor")
    bandwidth = _number("bandwidth", bandwidth)
    targets = [float(b) for b in config.target_bandwidths]
    if bandwidth not in targets:
        raise ValueError(f"the model does not work at {bandwidth} kbps: choose one of its target bandwidths "
                         f"{targets} (kbps)")
    audio = np.asarray(audio)
    if audio.ndim != 1:
        raise ValueError(f"audio must be mono, one-dimensional [samples]; got shape {audio.shape}")
    if audio.size == 0:
        raise ValueError("audio is empty")
    if not np.issubdtype(audio.dtype, np.number) or np.iscomplexobj(audio):
        raise TypeError(f"audio must hold real numbers, got dtype {audio.dtype}")
    audio = audio.astype(np.float32)
    if not np.isfinite(audio).all():
        raise ValueError("audio holds NaN or infinite values")
    inputs = feature_extractor(raw_audio=audio, sampling_rate=config.sampling_rate, return_tensors="pt")
    with torch.no_grad():
        output = model.encode(inputs["input_values"], inputs["padding_mask"], bandwidth=bandwidth)
    return output.audio_codes[0, 0].to(torch.long).contiguous()


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
    config = _simple_model(model, "decode")
    codes = _tensor("codes", codes, "n_q, frames", "int")
    available = len(model.quantizer.layers)
    if not 1 <= codes.shape[0] <= available:
        raise ValueError(f"codes has {codes.shape[0]} rows (codebooks); the model has 1 to {available}")
    if codes.shape[1] == 0:
        raise ValueError("codes has no frames")
    if int(codes.min()) < 0 or int(codes.max()) >= config.codebook_size:
        raise ValueError(f"codes must be in 0..{config.codebook_size - 1}, got values "
                         f"{int(codes.min())}..{int(codes.max())}")
    with torch.no_grad():
        output = model.decode(codes.to(torch.long)[None, None], [None])
    return output.audio_values[0, 0]


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
    num_samples = _number("num_samples", num_samples, integer=True, minimum=1)
    codebook_size = _number("codebook_size", codebook_size, integer=True, minimum=2)
    bits_per_sample = _number("bits_per_sample", bits_per_sample, integer=True, minimum=1)
    codes = _tensor("codes", codes, "n_q, frames", "int")
    if codes.numel() == 0:
        raise ValueError(f"codes is empty (shape {tuple(codes.shape)})")
    if int(codes.min()) < 0 or int(codes.max()) >= codebook_size:
        raise ValueError(f"codes must be in 0..{codebook_size - 1}, got values "
                         f"{int(codes.min())}..{int(codes.max())}")
    code_bits = codes.shape[0] * codes.shape[1] * math.log2(codebook_size)
    return float(num_samples * bits_per_sample / code_bits)


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
    config = _simple_model(model, "pre_quantize")
    input_values = _tensor("input_values", input_values, "B, 1, T", finite=False)
    if not isinstance(padding_mask, torch.Tensor):
        raise TypeError(f"padding_mask must be a torch.Tensor [B, T], got {type(padding_mask).__name__}")
    if input_values.shape[1] != config.audio_channels:
        raise ValueError(f"input_values must be [B, 1, T] (mono), got shape {tuple(input_values.shape)}")
    batch, _, length = input_values.shape
    if tuple(padding_mask.shape) != (batch, length):
        raise ValueError(f"padding_mask must be [B, T] = [{batch}, {length}] like input_values, "
                         f"got shape {tuple(padding_mask.shape)}")
    if length == 0:
        raise ValueError("input_values has no samples")
    keep = (padding_mask.detach() != 0)[:, None, :]
    if not bool(torch.isfinite(input_values[keep]).all()):
        raise ValueError("input_values holds NaN or infinite values outside the padding")
    audio = torch.where(keep, input_values, torch.zeros((), dtype=input_values.dtype))
    with torch.no_grad():
        return model.encoder(audio.to(getattr(model, "dtype", torch.float32)))


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
    if not hasattr(model, "quantizer") or not hasattr(model, "config"):
        raise TypeError(f"model must be a transformers.EncodecModel, got {type(model).__name__}")
    layers = model.quantizer.layers
    count = min(num_quantizers(model.config, bandwidth), len(layers))
    return [layer.codebook.embed.detach() for layer in layers[:count]]


# ------------------------------------------------------------------ RVQ

def _nearest_rows(table: torch.Tensor, norms: torch.Tensor, vectors: torch.Tensor) -> torch.Tensor:
    """Index of the nearest row of ``table`` for every vector: ``argmin |e|^2 - 2 v.e``.

    ``|v - e|^2 = |v|^2 - 2 v.e + |e|^2`` and ``|v|^2`` is the same for every row.
    """
    return torch.addmm(norms, vectors, table.T, alpha=-2).argmin(dim=1)


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
    embed = _tensor("embed", embed, "K, D")
    if embed.shape[0] == 0:
        raise ValueError("embed has no rows")
    vectors = _tensor("vectors", vectors, "N, D")
    _same_dim(vectors, embed.shape[1])
    dtype = _compute_dtype(embed, vectors)
    embed, vectors = embed.to(dtype), vectors.to(dtype)
    norms = embed.pow(2).sum(dim=1)
    result = torch.empty(vectors.shape[0], dtype=torch.long)
    step = _block_rows(embed.shape[0])
    with torch.no_grad():
        for start in range(0, vectors.shape[0], step):
            result[start:start + step] = _nearest_rows(embed, norms, vectors[start:start + step])
    return result


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
    tables = _codebook_list(codebooks)
    vectors = _tensor("vectors", vectors, "N, D")
    codes = torch.empty(len(tables), vectors.shape[0], dtype=torch.long)
    if not tables or vectors.shape[0] == 0:
        return codes
    _same_dim(vectors, tables[0].shape[1])
    dtype = _compute_dtype(vectors, *tables)
    tables = [table.to(dtype) for table in tables]
    norms = [table.pow(2).sum(dim=1) for table in tables]
    step = _block_rows(max(table.shape[0] for table in tables))
    with torch.no_grad():
        for start in range(0, vectors.shape[0], step):
            residual = vectors[start:start + step].to(dtype, copy=True)
            for q, (table, norm) in enumerate(zip(tables, norms)):
                index = _nearest_rows(table, norm, residual)
                codes[q, start:start + step] = index
                residual -= table.index_select(0, index)
    return codes


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
    tables = _codebook_list(codebooks)
    codes = _tensor("codes", codes, "Q, N", "int")
    if codes.shape[0] > len(tables):
        raise ValueError(f"codes has {codes.shape[0]} rows but there are only {len(tables)} codebooks")
    if not tables:
        raise ValueError("no codebooks: the dimension D of the result is unknown")
    dtype = _compute_dtype(*tables)
    result = torch.zeros(codes.shape[1], tables[0].shape[1], dtype=dtype)
    for q, row in enumerate(codes):
        table = tables[q]
        if row.numel() and (int(row.min()) < 0 or int(row.max()) >= table.shape[0]):
            raise ValueError(f"codes[{q}] must be in 0..{table.shape[0] - 1} (rows of codebooks[{q}]), "
                             f"got values {int(row.min())}..{int(row.max())}")
        result += table.to(dtype).index_select(0, row.to(torch.long))
    return result


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
    tables = _codebook_list(codebooks)
    vector = _tensor("vector", vector, "D")
    if tables:
        _same_dim(vector, tables[0].shape[1], "vector")
    dtype = _compute_dtype(vector, *tables)
    codes = rvq_encode(tables, vector[None])[:, 0]
    residual = vector.to(dtype, copy=True)
    distances = torch.empty(len(tables), dtype=dtype)
    for q, (table, code) in enumerate(zip(tables, codes)):
        residual -= table[code].to(dtype)
        distances[q] = torch.linalg.vector_norm(residual)
    return distances
