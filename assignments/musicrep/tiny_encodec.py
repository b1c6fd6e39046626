"""Tiny Encodec checkpoints for tests and grading, and the real music they learn from.

The pretrained ``facebook/encodec_24khz`` is 60 MB and may not be on your
machine; these models have the same code (``transformers.EncodecModel``),
tiny sizes, and codebooks that behave like trained ones on music. A model
built from a config has random convolutions and LSTMs (seeded) and all-zero
codebooks; :func:`fit_codebooks` fits them, stage after stage, with a few
seeded k-means iterations: the first codebook to the encoder's outputs on real
music, each next one to what the previous ones leave (the residuals). So, as
with the pretrained model, the distance between an embedding of music and its
reconstruction falls as codebooks are added.

The music: public-domain scores of the music21 corpus (Bach chorales, Mozart
string quartets), exported to MIDI with music21, tidied, and rendered with
FluidSynth by :func:`musicrep.audio.render_midi`. The models are fitted on
:data:`TRAINING_PIECES`; :data:`HELD_OUT_PIECES` are for testing them.

Configs (:func:`encodec_config`):

- ``"mono24"``: the 24 kHz family shrunk (mono, 24 kHz, ratios 8-5-4-2 so 75
  frames a second, bandwidths 1.5-24 kbps, no normalisation, no chunking),
  64 codes of 8 dimensions per codebook;
- ``"mono16"``: mono, 16 kHz, ratios 6-5-2 (hop 60, ``ceil(16000 / 60) = 267``
  frames a second), bandwidths 2-8 kbps, 32 codes, two residual layers per
  block and no convolutional shortcut;
- ``"stereo48"``: the 48 kHz family shrunk (stereo, normalised, chunks of 1 s
  with 1 % overlap, time group norm, non-causal, bandwidths 3-24 kbps);
- ``"full24"``: the full-size ``facebook/encodec_24khz`` architecture, for
  structure only (no weights are stored: build it on the meta device).

Everything is seeded and byte-deterministic: the same name and seed give the
same ``model.safetensors`` bytes (with the same library versions) on every
machine: weights come from numpy's seeded generator, and the codebooks from
float64 encoder outputs and k-means in exact, elementwise arithmetic, never
from torch's CPU-dependent random draws or float32 kernels. Example::

    from musicrep.tiny_encodec import write_tiny_checkpoint
    from musicrep.encodec import load_encodec
    folder = write_tiny_checkpoint("mono24", "out/tiny-mono24")
    model, feature_extractor = load_encodec(folder)
"""
from __future__ import annotations

import contextlib
import functools
import io
import math
import os
from collections import defaultdict, deque
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .audio import render_midi
from .encodec import feature_extractor_for

# ------------------------------------------------------------------ configs

# The config.json of facebook/encodec_24khz (every architecture field).
FULL_24KHZ = dict(
    audio_channels=1, chunk_length_s=None, codebook_dim=128, codebook_size=1024, compress=2,
    dilation_growth_rate=2, hidden_size=128, kernel_size=7, last_kernel_size=7, norm_type="weight_norm",
    normalize=False, num_filters=32, num_lstm_layers=2, num_residual_layers=1, overlap=None,
    pad_mode="reflect", residual_kernel_size=3, sampling_rate=24_000,
    target_bandwidths=[1.5, 3.0, 6.0, 12.0, 24.0], trim_right_ratio=1.0, upsampling_ratios=[8, 5, 4, 2],
    use_causal_conv=True, use_conv_shortcut=True,
)

TINY_CONFIGS: dict[str, dict] = {
    # The 24 kHz family, shrunk: 53 codebooks of 64 x 8 (6 bits a code, 450 bps each).
    "mono24": {**FULL_24KHZ, "num_filters": 2, "hidden_size": 8, "codebook_dim": 8, "codebook_size": 64,
               "num_lstm_layers": 1},
    # Other ratios and bandwidths: hop 60 at 16 kHz, 267 frames/s, 5 bits a code (1335 bps each).
    "mono16": {**FULL_24KHZ, "sampling_rate": 16_000, "upsampling_ratios": [6, 5, 2],
               "target_bandwidths": [2.0, 4.0, 8.0], "num_filters": 4, "hidden_size": 8, "codebook_dim": 8,
               "codebook_size": 32, "num_lstm_layers": 1, "num_residual_layers": 2, "use_conv_shortcut": False,
               "kernel_size": 5, "last_kernel_size": 3},
    # The 48 kHz family, shrunk: stereo, normalised, chunked, time group norm, non-causal.
    "stereo48": {**FULL_24KHZ, "audio_channels": 2, "sampling_rate": 48_000, "normalize": True,
                 "chunk_length_s": 1.0, "overlap": 0.01, "target_bandwidths": [3.0, 6.0, 12.0, 24.0],
                 "norm_type": "time_group_norm", "use_causal_conv": False, "num_filters": 2, "hidden_size": 8,
                 "codebook_dim": 8, "codebook_size": 64, "num_lstm_layers": 1},
}
CONFIG_NAMES = ("mono24", "mono16", "stereo48", "full24")
FITTED = ("mono24", "mono16", "stereo48")  # the ones with weights worth storing

KMEANS_ITERATIONS = 12
SHIFTS = 4  # offsets within a frame at which the training audio is encoded
DEFAULT_SEED = 0


def encodec_config(name: str):
    """The ``transformers.EncodecConfig`` called ``name`` (one of :data:`CONFIG_NAMES`)."""
    from transformers import EncodecConfig

    if name == "full24":
        return EncodecConfig(**FULL_24KHZ)
    if name not in TINY_CONFIGS:
        raise KeyError(f"no Encodec config named {name!r}; known: {', '.join(CONFIG_NAMES)}")
    return EncodecConfig(**TINY_CONFIGS[name])


def build_model(config, *, seed: int = DEFAULT_SEED, device: str | None = None):
    """``EncodecModel(config)`` with seeded random weights and all-zero codebooks, in eval mode.

    ``config`` is an ``EncodecConfig`` or a name of :data:`CONFIG_NAMES`.
    Every weight is drawn by :func:`seeded_weights` from numpy's seeded
    ``Generator``, never from torch's random functions, whose draws differ
    between CPUs (vectorised kernels): the same seed gives the same bytes on
    every machine.

    ``device="meta"`` builds it without memory (for structure: strides,
    number of codebooks...); only the three integer buffers of each
    ``EncodecConv1d`` (``stride``, ``kernel_size``, ``padding_total``: a few
    bytes) are real CPU tensors, so that ``layer.stride.item()`` works as on a
    loaded model. The global torch random state is left as it was.
    """
    import torch
    from transformers import EncodecModel

    if isinstance(config, str):
        config = encodec_config(config)
    with torch.random.fork_rng(devices=[]):   # EncodecModel's own init draws from torch: discarded
        with torch.device("meta"):   # built without memory, then given memory: much faster than on the CPU
            model = EncodecModel(config)
    if device != "meta":
        model.to_empty(device=device or "cpu")
        zeroed_codebooks(model)
        seeded_weights(model, seed)
    real_conv_buffers(model)
    return model.eval()


def zeroed_codebooks(model) -> None:
    """Every codebook's buffers as ``EncodecModel`` initialises them (``embed``, ``embed_avg`` and
    ``cluster_size`` zero, ``inited`` 1), in place; a buffer of another module is an error."""
    import torch
    from transformers.models.encodec.modeling_encodec import EncodecConv1d, EncodecEuclideanCodebook

    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, EncodecEuclideanCodebook):
                module.inited.fill_(1.0)
                for buffer in (module.cluster_size, module.embed, module.embed_avg):
                    buffer.zero_()
            elif not isinstance(module, EncodecConv1d) and list(module.buffers(recurse=False)):
                raise RuntimeError(f"zeroed_codebooks does not know the buffers of {type(module).__name__}")


def real_conv_buffers(model) -> None:
    """Each ``EncodecConv1d``'s ``stride``, ``kernel_size`` and ``padding_total`` buffers as CPU
    tensors, with the values ``EncodecConv1d.__init__`` gives them (from its ``nn.Conv1d``), in place."""
    import torch
    from transformers.models.encodec.modeling_encodec import EncodecConv1d

    for module in model.modules():
        if isinstance(module, EncodecConv1d):
            stride = module.conv.stride[0]
            kernel_size = (module.conv.kernel_size[0] - 1) * module.conv.dilation[0] + 1   # with dilation
            for name, value in (("stride", stride), ("kernel_size", kernel_size),
                                ("padding_total", kernel_size - stride)):
                setattr(module, name, torch.tensor(value, dtype=torch.int64))


def seeded_weights(model, seed: int) -> None:
    """Draw every parameter of ``model`` from ``numpy.random.default_rng(seed)``, in place.

    - (transposed) convolutions: He's normal, ``std = sqrt(2 / fan_in)`` (what
      ``EncodecModel`` means to do: with PyTorch's default init, which
      weight-normed convolutions keep, the signal shrinks a hundredfold through
      the tiny encoders and their outputs are nearly constant); weight norm's
      magnitude is the drawn weight's norm (``weight = v``), summed exactly
      (``math.fsum``); biases uniform in ``[-1/sqrt(fan_in), 1/sqrt(fan_in)]``;
    - LSTMs: uniform in ``[-1/sqrt(hidden), 1/sqrt(hidden)]`` (PyTorch's default);
    - normalisation layers: weight 1, bias 0.

    numpy's generator gives the same float64 numbers on every machine and
    float64 to float32 is exact rounding: no kernel of this CPU decides a value.
    A parameter this function does not know is an error, not a silent torch draw.
    """
    import torch
    from torch import nn

    rng = np.random.default_rng(seed)

    def draw(tensor, values: np.ndarray) -> None:
        tensor.copy_(torch.from_numpy(values.astype(np.float32).reshape(tuple(tensor.shape))))
        done.add(id(tensor))

    done: set[int] = set()
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.Conv1d, nn.ConvTranspose1d)):
                parametrized = hasattr(module, "parametrizations")
                weight = module.parametrizations.weight.original1 if parametrized else module.weight
                # Conv1d weights are [out, in, k]; ConvTranspose1d weights [in, out, k].
                fan_in = weight.shape[1 if isinstance(module, nn.Conv1d) else 0] * weight.shape[2]
                values = rng.standard_normal(tuple(weight.shape)) * math.sqrt(2.0 / fan_in)
                draw(weight, values)
                if parametrized:   # weight = g * v / |v|: take g = |v| so that weight = v
                    v = values.astype(np.float32).astype(np.float64).reshape(values.shape[0], -1)
                    magnitude = module.parametrizations.weight.original0
                    draw(magnitude, np.array([math.sqrt(math.fsum(x * x for x in row)) for row in v]))
                if module.bias is not None:
                    bound = 1.0 / math.sqrt(fan_in)
                    draw(module.bias, rng.uniform(-bound, bound, tuple(module.bias.shape)))
            elif isinstance(module, nn.LSTM):
                bound = 1.0 / math.sqrt(module.hidden_size)
                for parameter in module.parameters(recurse=False):
                    draw(parameter, rng.uniform(-bound, bound, tuple(parameter.shape)))
            elif isinstance(module, (nn.GroupNorm, nn.LayerNorm)) and module.weight is not None:
                draw(module.weight, np.ones(tuple(module.weight.shape)))
                draw(module.bias, np.zeros(tuple(module.bias.shape)))
    unknown = [name for name, parameter in model.named_parameters() if id(parameter) not in done]
    if unknown:
        raise RuntimeError(f"seeded_weights does not know how to draw {', '.join(unknown[:5])}: "
                           f"extend it (never keep torch's own, machine-dependent draws)")


# ------------------------------------------------------------------ music

@dataclass(frozen=True)
class Piece:
    """An excerpt of a music21 corpus score and the General MIDI programs to play its parts."""

    corpus_path: str                       # e.g. "bach/bwv66.6"
    programs: tuple[int, ...]              # one GM program per part (the last one repeats)
    measures: tuple[int, int] | None = None  # first and last measure, None for all
    seconds: float | None = None           # cut the MIDI after this many seconds

    @property
    def name(self) -> str:
        return self.corpus_path.replace("/", "-")


PIANO, VIOLIN, VIOLA, CELLO, CHURCH_ORGAN = 0, 40, 41, 42, 19
FLUTE, OBOE, CLARINET, BASSOON = 73, 68, 71, 70
STRING_QUARTET = (VIOLIN, VIOLIN, VIOLA, CELLO)

TRAINING_PIECES = (
    Piece("bach/bwv66.6", (PIANO,)),
    Piece("mozart/k156/movement1", STRING_QUARTET, measures=(1, 20)),
    Piece("bach/bwv269", (FLUTE, OBOE, CLARINET, BASSOON), seconds=20.0),
)
HELD_OUT_PIECES = (
    Piece("mozart/k80/movement1", STRING_QUARTET, measures=(1, 12)),
    Piece("bach/bwv10.7", (CHURCH_ORGAN,), seconds=20.0),
)
PEAK = 0.5  # every rendered piece is scaled to this peak amplitude


@functools.lru_cache(maxsize=None)
def piece_midi(piece: Piece) -> bytes:
    """The MIDI file of ``piece``: the score exported by music21, then tidied.

    music21's export puts every part on channel 0 and can leave a note
    sounding for ever (a grace note's note-off before its note-on), which
    makes FluidSynth render sustained instruments without end. The tidied file
    has one track and channel per part, the part's program, notes paired
    first-in first-out, notes of zero length dropped, every note ended, and
    1 tick = 1 ms.
    """
    import music21

    score = music21.corpus.parse(piece.corpus_path)
    if piece.measures is not None:
        score = score.measures(*piece.measures)
    exported = music21.midi.translate.streamToMidiFile(score).writestr()
    return _tidy_midi(exported, piece.programs, piece.seconds)


def _tidy_midi(data: bytes, programs: tuple[int, ...], seconds: float | None) -> bytes:
    import mido

    source = mido.MidiFile(file=io.BytesIO(data))
    tempo_map = _tempo_map(source)
    parts = []
    for track in source.tracks:
        sounding: dict[int, deque] = defaultdict(deque)
        notes = []
        tick = 0
        for msg in track:
            tick += msg.time
            if msg.type == "note_on" and msg.velocity > 0:
                sounding[msg.note].append((tick, msg.velocity))
            elif msg.type in ("note_on", "note_off") and sounding[msg.note]:
                start, velocity = sounding[msg.note].popleft()
                notes.append((start, tick, msg.note, velocity))
        notes += [(start, tick, note, velocity) for note, queue in sounding.items() for start, velocity in queue]
        if notes:
            parts.append(notes)

    limit = None if seconds is None else round(1000 * seconds)
    out = mido.MidiFile(type=1, ticks_per_beat=1000)
    conductor = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=1_000_000, time=0)])
    out.tracks.append(conductor)
    channels = [c for c in range(16) if c != 9]
    for index, notes in enumerate(parts):
        channel = channels[index % len(channels)]
        program = programs[min(index, len(programs) - 1)]
        events = []
        for start, end, note, velocity in notes:
            on, off = _ms(tempo_map, start), _ms(tempo_map, end)
            if limit is not None:
                if on >= limit:
                    continue
                off = min(off, limit)
            if off <= on:
                continue
            events.append((on, 1, note, velocity))
            events.append((off, 0, note, 0))  # at one tick, note-offs (0) before note-ons (1)
        events.sort()
        track = mido.MidiTrack([mido.Message("program_change", channel=channel, program=program, time=0)])
        now = 0
        for time, kind, note, velocity in events:
            track.append(mido.Message("note_on" if kind else "note_off", channel=channel, note=note,
                                      velocity=velocity, time=time - now))
            now = time
        track.append(mido.MetaMessage("end_of_track", time=0))
        out.tracks.append(track)
    buffer = io.BytesIO()
    out.save(file=buffer)
    return buffer.getvalue()


def _tempo_map(midi) -> list[tuple[int, float, int]]:
    """``(tick, seconds at that tick, tempo from there)`` at every tempo change."""
    changes = sorted((tick, msg.tempo) for tick, msg in _absolute(midi) if msg.type == "set_tempo")
    result = [(0, 0.0, 500_000)]
    for tick, tempo in changes:
        last_tick, last_seconds, last_tempo = result[-1]
        seconds = last_seconds + (tick - last_tick) * last_tempo / (1e6 * midi.ticks_per_beat)
        if tick == last_tick:
            result[-1] = (tick, last_seconds, tempo)
        else:
            result.append((tick, seconds, tempo))
    return [(tick, seconds, tempo, midi.ticks_per_beat) for tick, seconds, tempo in result]


def _absolute(midi):
    for track in midi.tracks:
        tick = 0
        for msg in track:
            tick += msg.time
            yield tick, msg


def _ms(tempo_map, tick: int) -> int:
    """Milliseconds (rounded) at ``tick``."""
    for start, seconds, tempo, ticks_per_beat in reversed(tempo_map):
        if tick >= start:
            return round(1000 * (seconds + (tick - start) * tempo / (1e6 * ticks_per_beat)))
    raise AssertionError("tempo map starts at tick 0")


@functools.lru_cache(maxsize=None)
def _rendered(piece: Piece, sample_rate: int, mono: bool) -> np.ndarray:
    audio = render_midi(piece_midi(piece), sample_rate, mono=mono)
    peak = float(np.abs(audio).max())
    if peak > 0:
        audio = (audio * np.float32(PEAK / peak)).astype(np.float32)
    audio.setflags(write=False)
    return audio


def piece_audio(piece: Piece, sample_rate: int, *, mono: bool = True) -> np.ndarray:
    """``piece`` rendered with FluidSynth at ``sample_rate``, scaled to a peak of :data:`PEAK`.

    Returns float32 ``[samples]`` (mono) or ``[2, samples]`` (stereo, the
    layout ``EncodecFeatureExtractor`` wants). A fresh copy each call (the
    rendering is cached).
    """
    audio = _rendered(piece, int(sample_rate), bool(mono))
    return np.array(audio if mono else audio.T, dtype=np.float32, order="C")


def music(pieces, sample_rate: int, *, mono: bool = True) -> np.ndarray:
    """``pieces`` rendered one after the other (along the time axis)."""
    return np.concatenate([piece_audio(p, sample_rate, mono=mono) for p in pieces], axis=-1)


def training_audio(sample_rate: int, *, mono: bool = True) -> np.ndarray:
    """The music the tiny codebooks are fitted on: :data:`TRAINING_PIECES` (about a minute)."""
    return music(TRAINING_PIECES, sample_rate, mono=mono)


def held_out_audio(sample_rate: int, *, mono: bool = True) -> np.ndarray:
    """Music the tiny models never saw: :data:`HELD_OUT_PIECES` (about 40 s)."""
    return music(HELD_OUT_PIECES, sample_rate, mono=mono)


# ------------------------------------------------------------------ fitting

@contextlib.contextmanager
def one_thread():
    """Single-threaded torch, so sums are done in one order whatever the machine's cores."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def quantizer_inputs(model, audio: np.ndarray):
    """The vectors ``model.encode`` gives its quantizer for ``audio``: float32 ``[N, D]``.

    ``audio`` is ``[samples]`` (mono) or ``[channels, samples]`` at the model's
    rate. As ``model.encode`` does, the audio is cut in chunks when the config
    has chunks and each chunk divided by its RMS when it normalises; the
    encoder's frames of every chunk are stacked, in time order.
    """
    import torch

    config = model.config
    audio = np.asarray(audio, dtype=np.float32)
    channels = config.audio_channels
    if not ((audio.ndim == 1 and channels == 1) or (audio.ndim == 2 and audio.shape[0] == channels)):
        raise ValueError(f"audio must be [samples] for a mono model, [channels, samples] for a model of "
                         f"{config.audio_channels} channels; got shape {audio.shape}")
    dtype = next(model.parameters()).dtype   # float64 for the exact copy fit_codebooks uses
    values = torch.as_tensor(audio, dtype=dtype).reshape(config.audio_channels, -1)[None]
    length = values.shape[-1]
    chunk = config.chunk_length or length
    stride = config.chunk_stride or length
    frames = []
    with torch.no_grad():
        for offset in range(0, length, stride):
            piece = values[..., offset:offset + chunk]
            if config.normalize:  # as EncodecModel._encode_frame
                mono = torch.sum(piece, 1, keepdim=True) / piece.shape[1]
                piece = piece / (mono.pow(2).mean(dim=-1, keepdim=True).sqrt() + 1e-8)
            frames.append(model.encoder(piece)[0].T)
    return torch.cat(frames).contiguous()


def exact_model(model):
    """A float64 copy of ``model``: its outputs, rounded to float32, are the same on every CPU.

    float32 convolutions and LSTMs round differently from one CPU kernel to
    another (~1e-7); in float64 the difference is ~1e-16, and rounding to
    float32 absorbs it (a value lies that close to a float32 rounding boundary
    about once in 10^8). What the fixtures store is computed this way.
    """
    import copy

    return copy.deepcopy(model).double().eval()


def exact_embeddings(model, audio: np.ndarray) -> np.ndarray:
    """:func:`quantizer_inputs` of ``audio`` through :func:`exact_model` (pass one already made
    to save the copy): float32 ``[N, D]``, the same bytes on every machine."""
    import torch

    exact = model if next(model.parameters()).dtype == torch.float64 else exact_model(model)
    with one_thread():
        return quantizer_inputs(exact, audio).numpy().astype(np.float32)


def squared_distances(vectors: np.ndarray, table: np.ndarray) -> np.ndarray:
    """``|v - e|^2`` of every vector ``[N, D]`` to every row ``[K, D]``: float64 ``[N, K]``.

    One dimension at a time, with elementwise operations only (no matrix
    product, no reduction): IEEE arithmetic, in one order, whatever the BLAS
    or the SIMD width, so the same bits on every machine.
    """
    v, e = np.asarray(vectors, dtype=np.float64), np.asarray(table, dtype=np.float64)
    total = np.zeros((v.shape[0], e.shape[0]))
    for d in range(v.shape[1]):
        total += np.square(v[:, d, None] - e[None, :, d])
    return total


def nearest_rows(vectors: np.ndarray, table: np.ndarray, block: int = 4096) -> np.ndarray:
    """Index of the nearest row of ``table`` for every vector (the first where rows tie),
    computed exactly as :func:`squared_distances`: int64 ``[N]``."""
    return np.concatenate([squared_distances(vectors[i:i + block], table).argmin(1)
                           for i in range(0, len(vectors), block)] or [np.zeros(0, dtype=np.int64)])


def kmeans(vectors: np.ndarray, k: int, *, seed: int, iterations: int = KMEANS_ITERATIONS):
    """Lloyd's k-means of ``vectors`` ``[N, D]`` into ``k`` centroids, seeded; numpy, float64.

    Starts from ``k`` distinct vectors drawn at random; an emptied cluster
    restarts at the vector worst served at that point. Distances are
    :func:`squared_distances`, sums are in index order (``np.add.at``): the same
    result on every machine. Returns ``(centroids [k, D], assignment [N], counts [k])``.
    """
    vectors = np.asarray(vectors, dtype=np.float64)
    n = vectors.shape[0]
    if n < k:
        raise ValueError(f"{n} vectors cannot make {k} clusters: use more audio")
    centroids = vectors[np.random.default_rng(seed).permutation(n)[:k]].copy()
    for _ in range(iterations):
        assignment = nearest_rows(vectors, centroids)
        counts = np.bincount(assignment, minlength=k)
        sums = np.zeros_like(centroids)
        np.add.at(sums, assignment, vectors)
        empty = counts == 0
        centroids = np.where(empty[:, None], centroids, sums / np.maximum(counts, 1)[:, None])
        if empty.any():
            error = squared_distances(vectors, centroids)[np.arange(n), assignment]
            worst = np.argsort(-error, kind="stable")[:int(empty.sum())]
            centroids[empty] = vectors[worst]
    assignment = nearest_rows(vectors, centroids)
    return centroids, assignment, np.bincount(assignment, minlength=k)


def fit_codebooks(model, audio: np.ndarray, *, seed: int = DEFAULT_SEED,
                  iterations: int = KMEANS_ITERATIONS, shifts: int = SHIFTS) -> list[float]:
    """Fit every codebook of ``model`` in place, stage by stage, to ``audio``.

    The training vectors are the quantizer's inputs (:func:`exact_embeddings`)
    for ``audio`` started at ``shifts`` offsets within a frame (0, ``hop /
    shifts``, ...): more frames, and more varied, than the audio alone has, so
    that the later codebooks are not fitted to residuals that a small set of
    frames lets fall to zero (they would be useless, and full of near-ties, on
    music the model never saw). Codebook 1 is k-means of these vectors,
    codebook ``q + 1`` k-means of the residuals left by codebooks ``1..q`` (as
    stored, float32), each with seed ``seed + q``. ``cluster_size`` and
    ``embed_avg`` are set consistently (counts, and codebook times counts).
    Exact arithmetic throughout (see :func:`exact_model`, :func:`kmeans`): the
    same codebooks on every machine.

    Returns the RMS norm of the training residual after each stage.
    """
    import torch

    hop = model.config.hop_length
    offsets = sorted({round(i * hop / shifts) for i in range(shifts)})
    exact = exact_model(model)
    residual = np.concatenate([exact_embeddings(exact, audio[..., offset:]) for offset in offsets])
    residual = residual.astype(np.float64)
    rms = []
    with torch.no_grad():
        for q, layer in enumerate(model.quantizer.layers):
            codebook = layer.codebook
            centroids, assignment, counts = kmeans(residual, codebook.codebook_size, seed=seed + q,
                                                   iterations=iterations)
            stored = centroids.astype(np.float32)
            codebook.embed.copy_(torch.from_numpy(stored))
            codebook.cluster_size.copy_(torch.from_numpy(counts.astype(np.float32)))
            codebook.embed_avg.copy_(torch.from_numpy((stored.astype(np.float64) * counts[:, None])
                                                      .astype(np.float32)))
            codebook.inited.fill_(1.0)
            residual = residual - stored[assignment]
            rms.append(math.sqrt(float(np.mean(np.sum(np.square(residual), axis=1)))))
    return rms


def make_tiny_encodec(name: str, *, seed: int = DEFAULT_SEED, iterations: int = KMEANS_ITERATIONS,
                      shifts: int = SHIFTS):
    """The tiny model ``name`` (one of :data:`FITTED`): seeded weights, codebooks fitted to
    :func:`training_audio` at its rate; in eval mode."""
    if name not in FITTED:
        raise KeyError(f"no tiny Encodec named {name!r}; known: {', '.join(FITTED)} "
                       f"(\"full24\" is for structure only: build_model('full24', device='meta'))")
    config = encodec_config(name)
    model = build_model(config, seed=seed)
    audio = training_audio(config.sampling_rate, mono=config.audio_channels == 1)
    fit_codebooks(model, audio, seed=seed, iterations=iterations, shifts=shifts)
    return model


def save_checkpoint(model, folder: str | os.PathLike) -> Path:
    """Write ``model`` to ``folder`` as ``save_pretrained`` does (``config.json`` and
    ``model.safetensors``, no pickle) with the matching ``preprocessor_config.json``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    feature_extractor_for(model.config).save_pretrained(folder)
    return folder


def write_tiny_checkpoint(name: str, folder: str | os.PathLike, *, seed: int = DEFAULT_SEED) -> Path:
    """Make the tiny model ``name`` and save it to ``folder``; for ``"full24"``, the config only
    (``config.json`` and ``preprocessor_config.json``). Returns ``folder``."""
    folder = Path(folder)
    if name == "full24":
        folder.mkdir(parents=True, exist_ok=True)
        config = encodec_config(name)
        config.save_pretrained(folder)
        feature_extractor_for(config).save_pretrained(folder)
        return folder
    return save_checkpoint(make_tiny_encodec(name, seed=seed), folder)
