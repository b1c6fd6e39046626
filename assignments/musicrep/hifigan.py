"""The HiFi-GAN generator (Kong, Kim and Bae, 2020): mel spectrogram in, waveform out.

Provided code for Hands-on 3 (not graded). It is this project's own
implementation of the generator described in the paper, built so that it reads
and writes the original authors' checkpoints unchanged:

- the parameter names are theirs (``conv_pre``, ``ups.<i>``,
  ``resblocks.<j>.convs1.<n>`` / ``.convs2.<n>`` for residual blocks of type 1,
  ``resblocks.<j>.convs.<n>`` for type 2, ``conv_post``), each convolution
  holding ``weight_g``, ``weight_v`` and ``bias`` while weight normalization is
  on, ``weight`` and ``bias`` once it is removed;
- their generator checkpoints are torch files holding ``{"generator": state_dict}``
  (read with ``torch.load(..., weights_only=True)``: no code is unpickled);
- their config files are JSON (``"resblock": "1"``, ``"upsample_rates"``,
  ``"hop_size"``... plus training keys, which are kept as they are).

This project stores its own checkpoints (the tiny test generators in
``fixtures/``) as a folder with ``model.safetensors`` (the same state dict, the
same names, ``weight_g``/``weight_v`` included) and ``config.json`` (the
original config format): never as pickles.

Long on purpose: the whole generator, its loading and its tiny test checkpoints in one file, as
the authors' ``models.py`` is one file, so that a student reads and imports one module.

Quick start::

    from musicrep import hifigan
    generator = hifigan.from_pretrained()          # the VCTK V3 generator, from the HF cache
    audio = generator(mel)                         # mel [B, 80, frames] -> [B, 1, frames * 256]

Shapes: a generator maps a log-mel spectrogram ``[B, num_mels, frames]``
(natural log of the magnitude mel spectrogram, as HiFi-GAN computes it) to a
waveform ``[B, 1, frames * hop_size]`` in [-1, 1] (a ``tanh`` output) at
``config.sampling_rate`` Hz.

The three configurations of the paper, :meth:`HifiGanConfig.v1` / ``v2`` /
``v3`` (all 22.05 kHz, ``n_fft`` 1024, hop 256, window 1024, 80 mels from 0 to
8000 Hz); parameters counted with weight norm removed (the paper truncates them
to two decimals)::

    name resblock upsample rates / kernels   channels  resblock kernels / dilations       parameters
    V1   "1"      [8, 8, 2, 2] / [16, 16, 4, 4]   512   [3, 7, 11] / [[1, 3, 5]] * 3        13,926,017
    V2   "1"      [8, 8, 2, 2] / [16, 16, 4, 4]   128   [3, 7, 11] / [[1, 3, 5]] * 3           925,985
    V3   "2"      [8, 8, 4] / [16, 16, 8]         256   [3, 5, 7] / [[1, 2], [2, 6], [3, 12]] 1,462,273
"""
from __future__ import annotations

import copy
import dataclasses
import json
import math
import os
import re
import warnings
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "LRELU_SLOPE", "DEFAULT_REPO_ID", "DEFAULT_GENERATOR_FILE", "DEFAULT_CONFIG_FILE",
    "WEIGHTS_NAME", "CONFIG_NAME", "HifiGanConfig", "WeightNormConv1d", "ResBlock1",
    "ResBlock2", "HifiGanGenerator", "load_checkpoint", "save_checkpoint",
    "load_pretrained_folder", "from_pretrained", "tiny_config", "make_tiny_checkpoint",
    "STATE_DICT_FORMATS", "from_parametrized_weight_norm", "newest_training_checkpoint",
]

LRELU_SLOPE = 0.1
"""Negative slope of the leaky ReLUs inside the network (the last one, before
``conv_post``, uses PyTorch's default 0.01, as the original generator does)."""

# The pretrained model of the course: the original authors' VCTK V3 generator,
# their files unchanged (a torch file holding {"generator": state_dict}, and
# their config JSON), as published on the Hugging Face Hub under these names.
DEFAULT_REPO_ID = "goooofy/zerovox-hifigan-vctk-1"
DEFAULT_GENERATOR_FILE = "VCTK_V3_generator"
DEFAULT_CONFIG_FILE = "VCTK_V3_config.json"

# This project's folder format.
WEIGHTS_NAME = "model.safetensors"
CONFIG_NAME = "config.json"

# The order of the keys in the original config files; `to_dict` follows it.
_ORIGINAL_KEY_ORDER = (
    "resblock", "num_gpus", "batch_size", "learning_rate", "adam_b1", "adam_b2",
    "lr_decay", "seed", "upsample_rates", "upsample_kernel_sizes",
    "upsample_initial_channel", "resblock_kernel_sizes", "resblock_dilation_sizes",
    "segment_size", "num_mels", "num_freq", "n_fft", "hop_size", "win_size",
    "sampling_rate", "fmin", "fmax", "fmax_for_loss", "num_workers", "dist_config",
)

# Training keys of the original V1/V2/V3 configs: not used here, written back as read.
_TRAINING_KEYS = {
    "num_gpus": 0, "batch_size": 16, "learning_rate": 0.0002, "adam_b1": 0.8,
    "adam_b2": 0.99, "lr_decay": 0.999, "seed": 1234, "segment_size": 8192,
    "num_freq": 1025, "fmax_for_loss": None, "num_workers": 4,
    "dist_config": {"dist_backend": "nccl", "dist_url": "tcp://localhost:54321",
                    "world_size": 1},
}


# ------------------------------------------------------------------ config

@dataclass
class HifiGanConfig:
    """Architecture and audio parameters of a HiFi-GAN generator.

    The field names are the keys of the original config JSON. Keys this class
    does not use (the training ones: ``batch_size``, ``learning_rate``,
    ``segment_size``...) are kept in ``extra`` and written back unchanged.

    Attributes:
        resblock: ``"1"`` (ResBlock1: pairs of dilated and plain convolutions)
            or ``"2"`` (ResBlock2: single dilated convolutions).
        upsample_rates: stride of each transposed convolution; their product
            is the number of samples per mel frame and must equal ``hop_size``.
        upsample_kernel_sizes: kernel size of each transposed convolution
            (``kernel - rate`` must be even and >= 0, so that each one
            multiplies the length exactly by its rate).
        upsample_initial_channel: channels after ``conv_pre``; halved by each
            upsampling.
        resblock_kernel_sizes: kernel size of each of the parallel residual
            blocks after every upsampling.
        resblock_dilation_sizes: the dilations of each of those blocks.
        num_mels: mel bands of the input.
        n_fft, hop_size, win_size: STFT size, hop and window of the mel
            spectrogram the generator expects, in samples.
        sampling_rate: audio rate in Hz.
        fmin, fmax: mel filterbank range in Hz (``fmax=None``: Nyquist).
        extra: every other key of the config file.
    """

    resblock: str
    upsample_rates: list[int]
    upsample_kernel_sizes: list[int]
    upsample_initial_channel: int
    resblock_kernel_sizes: list[int]
    resblock_dilation_sizes: list[list[int]]
    num_mels: int = 80
    n_fft: int = 1024
    hop_size: int = 256
    win_size: int = 1024
    sampling_rate: int = 22050
    fmin: float = 0
    fmax: float | None = 8000
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.resblock = str(self.resblock)
        self.upsample_rates = [int(r) for r in self.upsample_rates]
        self.upsample_kernel_sizes = [int(k) for k in self.upsample_kernel_sizes]
        self.resblock_kernel_sizes = [int(k) for k in self.resblock_kernel_sizes]
        self.resblock_dilation_sizes = [[int(d) for d in ds] for ds in self.resblock_dilation_sizes]
        self.extra = dict(self.extra)
        if self.resblock not in ("1", "2"):
            raise ValueError(f"resblock must be '1' or '2', not {self.resblock!r}")
        if not self.upsample_rates or len(self.upsample_rates) != len(self.upsample_kernel_sizes):
            raise ValueError("upsample_rates and upsample_kernel_sizes must be non-empty and "
                             f"of the same length: {self.upsample_rates}, {self.upsample_kernel_sizes}")
        for rate, kernel in zip(self.upsample_rates, self.upsample_kernel_sizes):
            if rate < 1 or kernel < rate or (kernel - rate) % 2:
                raise ValueError(f"upsampling with rate {rate} and kernel {kernel}: the kernel "
                                 f"must be >= the rate, with an even difference")
        if math.prod(self.upsample_rates) != self.hop_size:
            raise ValueError(f"the upsample rates {self.upsample_rates} multiply to "
                             f"{math.prod(self.upsample_rates)}, not hop_size={self.hop_size}")
        if (not self.resblock_kernel_sizes
                or len(self.resblock_kernel_sizes) != len(self.resblock_dilation_sizes)
                or not all(self.resblock_dilation_sizes)):
            raise ValueError("resblock_kernel_sizes and resblock_dilation_sizes must be non-empty, "
                             "of the same length, with at least one dilation per block")
        if self.upsample_initial_channel // 2 ** len(self.upsample_rates) < 1:
            raise ValueError(f"upsample_initial_channel={self.upsample_initial_channel} is too "
                             f"small to be halved {len(self.upsample_rates)} times")

    # -- the paper's configurations

    @classmethod
    def v1(cls) -> "HifiGanConfig":
        """V1 of the paper: 13.92 M parameters, the best quality."""
        return cls(resblock="1", upsample_rates=[8, 8, 2, 2], upsample_kernel_sizes=[16, 16, 4, 4],
                   upsample_initial_channel=512, resblock_kernel_sizes=[3, 7, 11],
                   resblock_dilation_sizes=[[1, 3, 5]] * 3, extra=copy.deepcopy(_TRAINING_KEYS))

    @classmethod
    def v2(cls) -> "HifiGanConfig":
        """V2 of the paper: V1 with 128 initial channels, 0.92 M parameters."""
        return dataclasses.replace(cls.v1(), upsample_initial_channel=128)

    @classmethod
    def v3(cls) -> "HifiGanConfig":
        """V3 of the paper: ResBlock type 2, three upsamplings, 1.46 M parameters."""
        return cls(resblock="2", upsample_rates=[8, 8, 4], upsample_kernel_sizes=[16, 16, 8],
                   upsample_initial_channel=256, resblock_kernel_sizes=[3, 5, 7],
                   resblock_dilation_sizes=[[1, 2], [2, 6], [3, 12]],
                   extra=copy.deepcopy(_TRAINING_KEYS))

    @classmethod
    def preset(cls, name: str) -> "HifiGanConfig":
        """``"v1"``, ``"v2"`` or ``"v3"`` (any case)."""
        makers = {"v1": cls.v1, "v2": cls.v2, "v3": cls.v3}
        try:
            return makers[name.lower()]()
        except KeyError:
            raise ValueError(f"unknown HiFi-GAN preset {name!r}: use one of {sorted(makers)}") from None

    # -- the original JSON format

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "HifiGanConfig":
        """From the dict of an original config file (unknown keys go to ``extra``)."""
        names = {f.name for f in fields(cls)} - {"extra"}
        missing = sorted({"resblock", "upsample_rates", "upsample_kernel_sizes",
                          "upsample_initial_channel", "resblock_kernel_sizes",
                          "resblock_dilation_sizes"} - set(data))
        if missing:
            raise ValueError(f"not a HiFi-GAN generator config: missing {', '.join(missing)}")
        known = {key: value for key, value in data.items() if key in names}
        extra = {key: copy.deepcopy(value) for key, value in data.items() if key not in names}
        return cls(**known, extra=extra)

    def to_dict(self) -> dict[str, Any]:
        """The dict of an original config file: the keys in the original order, then the rest sorted."""
        merged = copy.deepcopy(self.extra)
        for f in fields(self):
            if f.name != "extra":
                merged[f.name] = copy.deepcopy(getattr(self, f.name))
        ordered = {key: merged.pop(key) for key in _ORIGINAL_KEY_ORDER if key in merged}
        ordered.update(sorted(merged.items()))
        return ordered

    @classmethod
    def from_json_file(cls, path: str | os.PathLike) -> "HifiGanConfig":
        """Read an original config file (or this project's ``config.json``, the same format)."""
        with open(path, encoding="utf-8") as file:
            return cls.from_dict(json.load(file))

    def to_json_string(self) -> str:
        """The config as JSON text laid out like the original files (dicts one key
        a line, 4-space indent, lists on one line). Deterministic: the same config
        gives the same text."""
        return _json_text(self.to_dict()) + "\n"

    def to_json_file(self, path: str | os.PathLike) -> None:
        """Write the config in the original format."""
        Path(path).write_text(self.to_json_string(), encoding="utf-8")

    @property
    def upsample_factor(self) -> int:
        """Audio samples per mel frame: the product of the upsample rates (= ``hop_size``)."""
        return math.prod(self.upsample_rates)


def _json_text(value: Any, depth: int = 0) -> str:
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        inner = "    " * (depth + 1)
        items = ",\n".join(f"{inner}{json.dumps(str(key))}: {_json_text(item, depth + 1)}"
                            for key, item in value.items())
        return "{\n" + items + "\n" + "    " * depth + "}"
    return json.dumps(value, allow_nan=False)


# ------------------------------------------------------------------ layers

def _same_padding(kernel_size: int, dilation: int) -> int:
    """Zero padding that keeps the length of a stride-1 convolution (odd kernels)."""
    return dilation * (kernel_size - 1) // 2


class WeightNormConv1d(nn.Module):
    """A 1-D convolution, or transposed convolution, with weight normalization.

    While weight normalization is on, the module holds ``weight_v`` (the
    direction, shaped like the weight) and ``weight_g`` (a magnitude per slice
    along dimension 0, shape ``[weight.shape[0], 1, 1]``), and uses
    ``weight = weight_g * weight_v / ||weight_v||``, the norm taken over every
    dimension but the first: exactly what ``torch.nn.utils.weight_norm(module)``
    does (``dim=0``), so the original checkpoints load unchanged. Note that for
    a transposed convolution dimension 0 is the *input* channels.

    :meth:`remove_weight_norm` replaces both by a plain ``weight``.

    Weight shapes: ``[out_channels, in_channels, kernel_size]`` for a
    convolution, ``[in_channels, out_channels, kernel_size]`` for a transposed one.
    Input ``[B, in_channels, L]``, output ``[B, out_channels, L']`` with
    ``L' = (L + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1``
    (convolution) or ``L' = (L - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + 1``
    (transposed).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, *,
                 stride: int = 1, padding: int = 0, dilation: int = 1,
                 transposed: bool = False) -> None:
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.padding, self.dilation = kernel_size, stride, padding, dilation
        self.transposed = transposed
        shape = ((in_channels, out_channels, kernel_size) if transposed
                 else (out_channels, in_channels, kernel_size))
        self.weight_v = nn.Parameter(torch.empty(shape))
        self.weight_g = nn.Parameter(torch.empty(shape[0], 1, 1))
        self.bias = nn.Parameter(torch.empty(out_channels))
        self.reset_parameters()

    @property
    def has_weight_norm(self) -> bool:
        return "weight_v" in self._parameters

    def reset_parameters(self, generator: "np.random.Generator | None" = None) -> None:
        """PyTorch's default convolution initialization.

        ``weight_v`` and ``bias`` are uniform in ``[-b, b]`` with
        ``b = 1 / sqrt(fan_in)`` (``fan_in = weight.shape[1] * kernel_size``,
        as PyTorch computes it). ``weight_g`` is set to the *expected* norm of
        a slice of ``weight_v``, ``b * sqrt(n / 3)``, rather than its actual
        norm. With ``generator`` (a ``numpy.random.Generator``) every value is
        drawn from it and a seed gives the same bytes on every machine (torch's
        own draws differ between CPUs); without, from torch's global generator.
        """
        weight = self.weight_v if self.has_weight_norm else self.weight
        fan_in = weight.shape[1] * self.kernel_size
        bound = 1.0 / math.sqrt(fan_in)

        def uniform(tensor: torch.Tensor) -> None:
            if generator is None:
                tensor.uniform_(-bound, bound)
            else:
                values = generator.uniform(-bound, bound, tuple(tensor.shape)).astype(np.float32)
                tensor.copy_(torch.from_numpy(values))

        with torch.no_grad():
            uniform(weight)
            if self.has_weight_norm:
                self.weight_g.fill_(bound * math.sqrt(fan_in / 3.0))
            uniform(self.bias)

    def current_weight(self) -> torch.Tensor:
        """The weight the convolution uses (``g * v / ||v||`` while normalized)."""
        if not self.has_weight_norm:
            return self.weight
        v = self.weight_v
        return v * (self.weight_g / torch.linalg.vector_norm(v, dim=(1, 2), keepdim=True))

    def remove_weight_norm(self) -> None:
        """Fold ``weight_g`` and ``weight_v`` into a plain ``weight`` (same outputs, faster)."""
        if not self.has_weight_norm:
            return
        with torch.no_grad():
            weight = self.current_weight().detach().clone()
        del self.weight_g, self.weight_v
        self.weight = nn.Parameter(weight)

    def apply_weight_norm(self) -> None:
        """Split a plain ``weight`` into ``weight_v = weight`` and ``weight_g = ||weight||``."""
        if self.has_weight_norm:
            return
        with torch.no_grad():
            weight = self.weight.detach().clone()
            norm = torch.linalg.vector_norm(weight, dim=(1, 2), keepdim=True)
        del self.weight
        self.weight_v = nn.Parameter(weight)
        self.weight_g = nn.Parameter(norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weight = self.current_weight()
        if self.transposed:
            return F.conv_transpose1d(x, weight, self.bias, stride=self.stride,
                                      padding=self.padding, dilation=self.dilation)
        return F.conv1d(x, weight, self.bias, stride=self.stride, padding=self.padding,
                        dilation=self.dilation)

    def extra_repr(self) -> str:
        kind = "transposed, " if self.transposed else ""
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"{kind}stride={self.stride}, padding={self.padding}, dilation={self.dilation}, "
                f"weight_norm={self.has_weight_norm}")


class ResBlock1(nn.Module):
    """Residual block of type 1 (V1, V2): for each dilation ``d``,
    ``x = x + conv2(lrelu(conv1_d(lrelu(x))))``; ``conv1_d`` is dilated by
    ``d``, ``conv2`` is not. Shape-preserving: ``[B, channels, L] -> [B, channels, L]``.
    Parameters ``convs1.<n>`` and ``convs2.<n>``."""

    def __init__(self, channels: int, kernel_size: int, dilations: list[int]) -> None:
        super().__init__()
        self.convs1 = nn.ModuleList(
            WeightNormConv1d(channels, channels, kernel_size, dilation=d,
                             padding=_same_padding(kernel_size, d)) for d in dilations)
        self.convs2 = nn.ModuleList(
            WeightNormConv1d(channels, channels, kernel_size, padding=_same_padding(kernel_size, 1))
            for _ in dilations)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for dilated, plain in zip(self.convs1, self.convs2):
            h = dilated(F.leaky_relu(x, LRELU_SLOPE))
            x = x + plain(F.leaky_relu(h, LRELU_SLOPE))
        return x


class ResBlock2(nn.Module):
    """Residual block of type 2 (V3): for each dilation ``d``,
    ``x = x + conv_d(lrelu(x))``. Shape-preserving: ``[B, channels, L] -> [B, channels, L]``.
    Parameters ``convs.<n>``."""

    def __init__(self, channels: int, kernel_size: int, dilations: list[int]) -> None:
        super().__init__()
        self.convs = nn.ModuleList(
            WeightNormConv1d(channels, channels, kernel_size, dilation=d,
                             padding=_same_padding(kernel_size, d)) for d in dilations)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for conv in self.convs:
            x = x + conv(F.leaky_relu(x, LRELU_SLOPE))
        return x


# ------------------------------------------------------------------ generator

class HifiGanGenerator(nn.Module):
    """The HiFi-GAN generator: log-mel ``[B, num_mels, frames]`` to audio ``[B, 1, frames * hop_size]``.

    ``conv_pre`` (kernel 7) takes the mels to ``upsample_initial_channel``
    channels; then, for each upsample rate ``u``: leaky ReLU, a transposed
    convolution ``ups.<i>`` that multiplies the length by ``u`` and halves the
    channels, and the average of ``len(resblock_kernel_sizes)`` parallel
    residual blocks (``resblocks.<i * n + j>``); finally a leaky ReLU (slope
    0.01), ``conv_post`` (kernel 7) to one channel, and ``tanh``.

    A new generator has random weights, with weight normalization on (the
    parameters are named as in the original training checkpoints). For
    inference, load weights and call :meth:`remove_weight_norm`:
    :func:`from_pretrained` and :func:`load_checkpoint` do both.

    Args:
        config: a :class:`HifiGanConfig` (or the dict of an original config file).
    """

    def __init__(self, config: HifiGanConfig | Mapping[str, Any]) -> None:
        super().__init__()
        if not isinstance(config, HifiGanConfig):
            config = HifiGanConfig.from_dict(config)
        self.config = config
        self.num_kernels = len(config.resblock_kernel_sizes)
        channels = config.upsample_initial_channel
        self.conv_pre = WeightNormConv1d(config.num_mels, channels, 7, padding=3)
        block = ResBlock1 if config.resblock == "1" else ResBlock2
        self.ups = nn.ModuleList()
        self.resblocks = nn.ModuleList()
        for i, (rate, kernel) in enumerate(zip(config.upsample_rates, config.upsample_kernel_sizes)):
            channels = config.upsample_initial_channel // 2 ** (i + 1)
            self.ups.append(WeightNormConv1d(config.upsample_initial_channel // 2 ** i, channels,
                                             kernel, stride=rate, padding=(kernel - rate) // 2,
                                             transposed=True))
            for size, dilations in zip(config.resblock_kernel_sizes, config.resblock_dilation_sizes):
                self.resblocks.append(block(channels, size, dilations))
        self.conv_post = WeightNormConv1d(channels, 1, 7, padding=3)

    @property
    def hop_size(self) -> int:
        """Audio samples per mel frame."""
        return self.config.upsample_factor

    @property
    def has_weight_norm(self) -> bool:
        return self.conv_pre.has_weight_norm

    def _convs(self) -> list[WeightNormConv1d]:
        return [m for m in self.modules() if isinstance(m, WeightNormConv1d)]

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        """``mel``: ``[B, num_mels, frames]`` log-mel; returns ``[B, 1, frames * hop_size]`` in [-1, 1]."""
        x = self.conv_pre(mel)
        for i, up in enumerate(self.ups):
            x = up(F.leaky_relu(x, LRELU_SLOPE))
            blocks = self.resblocks[i * self.num_kernels:(i + 1) * self.num_kernels]
            total = blocks[0](x)
            for block in blocks[1:]:
                total = total + block(x)
            x = total / self.num_kernels
        x = self.conv_post(F.leaky_relu(x))  # PyTorch's default slope (0.01), as in the original
        return torch.tanh(x)

    def remove_weight_norm(self) -> "HifiGanGenerator":
        """Fold weight normalization into plain weights (for inference); returns ``self``."""
        for conv in self._convs():
            conv.remove_weight_norm()
        return self

    def apply_weight_norm(self) -> "HifiGanGenerator":
        """Undo :meth:`remove_weight_norm` (``weight_v = weight``, ``weight_g = ||weight||``)."""
        for conv in self._convs():
            conv.apply_weight_norm()
        return self

    def reset_parameters(self, seed: int) -> "HifiGanGenerator":
        """Redraw every parameter from numpy's generator seeded with ``seed`` (see
        :meth:`WeightNormConv1d.reset_parameters`); the same seed and config give the
        same values on every machine. Returns ``self``."""
        generator = np.random.default_rng(int(seed))
        for conv in self._convs():
            conv.reset_parameters(generator)
        return self

    def num_parameters(self) -> int:
        """Number of scalar parameters (as stored: with ``weight_g`` while weight norm is on)."""
        return sum(p.numel() for p in self.parameters())

    # -- state dicts with the original names

    def original_state_dict(self) -> dict[str, torch.Tensor]:
        """The state dict in the original training format: ``weight_g``/``weight_v``
        for every convolution (recomputed from ``weight`` if weight norm was
        removed), float32, contiguous, detached copies."""
        model = self
        if not self.has_weight_norm:
            model = copy.deepcopy(self).apply_weight_norm()
        return {name: tensor.detach().to(torch.float32).contiguous().clone()
                for name, tensor in model.state_dict().items()}

    def load_original_state_dict(self, state_dict: Mapping[str, torch.Tensor]) -> "HifiGanGenerator":
        """Load a state dict with the original names, in any of :data:`STATE_DICT_FORMATS`:
        weight norm as ``weight_g``/``weight_v``, as torch's newer parametrization
        (``parametrizations.weight.original0``/``original1``, converted), or removed
        (``weight``). Strict: every parameter must be there with its shape; a mismatch
        raises ``ValueError`` naming the missing and the unexpected keys. Returns ``self``."""
        state_dict = from_parametrized_weight_norm(state_dict)
        if any(key.endswith(".weight_g") for key in state_dict):
            self.apply_weight_norm()
        else:
            self.remove_weight_norm()
        expected = {name: tensor.shape for name, tensor in self.state_dict().items()}
        missing = [name for name in expected if name not in state_dict]
        unexpected = [name for name in state_dict if name not in expected]
        wrong_shape = [f"{name} {tuple(state_dict[name].shape)} instead of {tuple(shape)}"
                       for name, shape in expected.items()
                       if name in state_dict and tuple(state_dict[name].shape) != tuple(shape)]
        if missing or unexpected or wrong_shape:
            problems = [f"{label}: {_some(names)}" for label, names in (
                ("missing keys", missing), ("unexpected keys", unexpected),
                ("wrong shapes (is this the checkpoint's config?)", wrong_shape)) if names]
            raise ValueError(f"this state dict does not fit a HiFi-GAN generator with this config; "
                             f"{'; '.join(problems)}. Accepted: {STATE_DICT_FORMATS}")
        self.load_state_dict(state_dict, strict=True)
        return self

    def save_pretrained(self, folder: str | os.PathLike) -> Path:
        """Write ``model.safetensors`` (original names, ``weight_g``/``weight_v``
        included) and ``config.json`` (original format) into ``folder``;
        returns the folder. Deterministic: the same weights give the same bytes."""
        from safetensors.torch import save_file

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        save_file(self.original_state_dict(), str(folder / WEIGHTS_NAME), metadata={"format": "pt"})
        self.config.to_json_file(folder / CONFIG_NAME)
        return folder


# ------------------------------------------------------------------ loading and saving

STATE_DICT_FORMATS = (
    "the original parameter names (conv_pre, ups.<i>, resblocks.<j>.convs1/convs2.<n> or .convs.<n>, "
    "conv_post), each convolution with weight_g and weight_v (torch.nn.utils.weight_norm, as in the "
    "original checkpoints), with parametrizations.weight.original0 and .original1 "
    "(torch.nn.utils.parametrizations.weight_norm), or with a plain weight (weight norm removed), and a "
    "bias; stored as a torch file holding {'generator': state_dict} (the original training code's "
    "g_<steps> files) or as this project's folder of model.safetensors and config.json")
_PARAMETRIZED = ".parametrizations.weight.original"
_TRAINING_CHECKPOINT = re.compile(r"g_(\d+)")   # the original train.py writes g_{steps:08d}


def _some(names: list[str], shown: int = 6) -> str:
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def from_parametrized_weight_norm(state_dict: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """``state_dict`` with the keys of torch's parametrized weight norm
    (``<conv>.parametrizations.weight.original0`` / ``original1``, what
    ``torch.nn.utils.parametrizations.weight_norm`` saves) renamed to the original
    ``<conv>.weight_g`` / ``<conv>.weight_v``: the same tensors (``original0`` is the
    magnitude g, ``original1`` the direction v, both with ``dim=0``). Other keys unchanged."""
    converted = {}
    for name, tensor in state_dict.items():
        prefix, found, index = name.rpartition(_PARAMETRIZED)
        if found and index in ("0", "1") and prefix:
            name = f"{prefix}.weight_{'g' if index == '0' else 'v'}"
        converted[name] = tensor
    return converted


def newest_training_checkpoint(folder: str | os.PathLike) -> Path | None:
    """The generator checkpoint of the most training steps (``g_02500000`` before
    ``g_00000100``) in a folder of the original training code's checkpoints; ``None``
    if there is none. Steps, not file times: copying a folder changes the times."""
    found = [(int(match.group(1)), path) for path in Path(folder).iterdir()
             if path.is_file() and (match := _TRAINING_CHECKPOINT.fullmatch(path.name))]
    return max(found)[1] if found else None

def _as_config(config: HifiGanConfig | Mapping[str, Any] | str | os.PathLike) -> HifiGanConfig:
    if isinstance(config, HifiGanConfig):
        return config
    if isinstance(config, Mapping):
        return HifiGanConfig.from_dict(config)
    return HifiGanConfig.from_json_file(config)


def _finish(generator: HifiGanGenerator, remove_weight_norm: bool) -> HifiGanGenerator:
    if remove_weight_norm:
        generator.remove_weight_norm()
    return generator.eval()


def load_checkpoint(path: str | os.PathLike,
                    config: HifiGanConfig | Mapping[str, Any] | str | os.PathLike, *,
                    remove_weight_norm: bool = True) -> HifiGanGenerator:
    """Load one of the original authors' generator checkpoints.

    Args:
        path: a torch file holding ``{"generator": state_dict}`` (original
            parameter names); read with ``torch.load(path, map_location="cpu",
            weights_only=True)``, so no code is unpickled.
        config: its config: a :class:`HifiGanConfig`, the dict of an original
            config file, or the path of one.
        remove_weight_norm: fold weight normalization into the weights (for
            inference; the outputs are the same).

    Returns:
        The generator, on the CPU, in eval mode.
    """
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(checkpoint, Mapping) or "generator" not in checkpoint:
        keys = sorted(checkpoint)[:8] if isinstance(checkpoint, Mapping) else type(checkpoint).__name__
        raise ValueError(f"{path} is not a HiFi-GAN generator checkpoint: expected a dict with "
                         f"a 'generator' state dict, found {keys}")
    generator = HifiGanGenerator(_as_config(config)).load_original_state_dict(checkpoint["generator"])
    return _finish(generator, remove_weight_norm)


def save_checkpoint(generator: HifiGanGenerator, path: str | os.PathLike) -> None:
    """Write ``{"generator": state_dict}`` with ``torch.save``, as the original
    training code does (readable by it and by :func:`load_checkpoint`). This
    project stores its own checkpoints with :meth:`HifiGanGenerator.save_pretrained`."""
    torch.save({"generator": generator.original_state_dict()}, path)


def load_pretrained_folder(folder: str | os.PathLike, *,
                           remove_weight_norm: bool = True) -> HifiGanGenerator:
    """Load a folder written by :meth:`HifiGanGenerator.save_pretrained`
    (``model.safetensors`` + ``config.json``). Returns the generator in eval mode."""
    from safetensors.torch import load_file

    folder = Path(folder)
    config = HifiGanConfig.from_json_file(folder / CONFIG_NAME)
    generator = HifiGanGenerator(config).load_original_state_dict(load_file(str(folder / WEIGHTS_NAME)))
    return _finish(generator, remove_weight_norm)


def _looks_like_repo_id(text: str) -> bool:
    parts = text.split("/")
    return (len(parts) == 2 and all(parts) and not text.startswith(".")
            and not any(part in (".", "..") for part in parts))


def from_pretrained(repo_id_or_path: str | os.PathLike = DEFAULT_REPO_ID, *,
                    generator_file: str = DEFAULT_GENERATOR_FILE,
                    config_file: str = DEFAULT_CONFIG_FILE,
                    download: bool = False,
                    remove_weight_norm: bool = True) -> HifiGanGenerator:
    """A pretrained generator, from a local folder or file, or a Hugging Face repo.

    ``repo_id_or_path`` may be:

    - a folder with ``model.safetensors`` and ``config.json`` (this project's
      format, as :meth:`HifiGanGenerator.save_pretrained` writes it);
    - a folder with the original files ``generator_file`` and ``config_file``
      (a torch file ``{"generator": state_dict}`` and its config JSON;
      ``config.json`` is tried when ``config_file`` is not there);
    - a folder of the original training code (``g_00000100``, ``g_02500000``...
      beside ``config.json``): the checkpoint of the most steps is loaded, and a
      warning says which;
    - an original generator file (its config: ``config_file``, else
      ``config.json``, in the same folder);
    - a Hugging Face repo id (``owner/name``) holding either kind of folder,
      found through :func:`musicrep.hub.snapshot`: only the local cache is used
      unless ``download=True``; a repo not in the cache raises
      :class:`musicrep.hub.WeightsNotAvailable`, which says how to fetch it.

    The default is the course's model: the original authors' VCTK V3 generator
    (``VCTK_V3_generator`` and ``VCTK_V3_config.json`` in
    ``goooofy/zerovox-hifigan-vctk-1``, 5.9 MB).

    State dicts saved with torch's newer weight norm
    (``parametrizations.weight.original0``/``original1``) load too; see
    :data:`STATE_DICT_FORMATS` for every accepted format.

    Returns:
        The generator, on the CPU, in eval mode, weight norm removed unless
        ``remove_weight_norm=False``.
    """
    path = Path(repo_id_or_path)
    if not path.exists():
        text = os.fspath(repo_id_or_path)
        if not _looks_like_repo_id(text):
            raise FileNotFoundError(f"{text!r} is neither an existing file or folder nor a "
                                    f"Hugging Face repo id ('owner/name')")
        from musicrep.hub import WeightsNotAvailable, snapshot

        path = snapshot(text, allow_patterns=[generator_file, config_file, WEIGHTS_NAME, CONFIG_NAME],
                        download=download)
        if not ((path / WEIGHTS_NAME).is_file() or (path / generator_file).is_file()):
            raise WeightsNotAvailable(
                f"The cached snapshot of {text!r} ({path}) has neither {generator_file!r} nor "
                f"{WEIGHTS_NAME!r}: fetch them with download=True on a machine with internet access.")
    if path.is_dir():
        if (path / WEIGHTS_NAME).is_file():
            return load_pretrained_folder(path, remove_weight_norm=remove_weight_norm)
        checkpoint = path / generator_file
        if not checkpoint.is_file() and (newest := newest_training_checkpoint(path)) is not None:
            warnings.warn(f"HiFi-GAN: no {WEIGHTS_NAME!r} nor {generator_file!r} in {path}; loading the "
                          f"newest training checkpoint, {newest.name}", stacklevel=2)
            checkpoint = newest
    else:
        checkpoint, path = path, path.parent
    if not checkpoint.is_file():
        raise FileNotFoundError(f"no HiFi-GAN generator in {path}: looked for {WEIGHTS_NAME!r} "
                                f"(with {CONFIG_NAME!r}), {generator_file!r} and training checkpoints "
                                f"g_<steps> (with {config_file!r} or {CONFIG_NAME!r})")
    for name in (config_file, CONFIG_NAME):
        if (path / name).is_file():
            return load_checkpoint(checkpoint, path / name, remove_weight_norm=remove_weight_norm)
    raise FileNotFoundError(f"no config for {checkpoint}: looked for {config_file!r} and "
                            f"{CONFIG_NAME!r} in {path}")


# ------------------------------------------------------------------ tiny test generators

def tiny_config(*, channels: int = 16) -> HifiGanConfig:
    """A V3-shaped config with very few channels (``channels`` after ``conv_pre``,
    halved by each of the 3 upsamplings: 16 -> 8 -> 4 -> 2) and V3's audio
    parameters (22.05 kHz, ``n_fft`` 1024, hop 256 = 8 * 8 * 4, window 1024,
    80 mels, 0-8000 Hz), so that it vocodes the same mel spectrograms as the
    real V3 generator. For tests and fixtures: its sound is noise."""
    return dataclasses.replace(HifiGanConfig.v3(), upsample_initial_channel=channels)


def make_tiny_checkpoint(out_dir: str | os.PathLike, seed: int = 0, *,
                         config: HifiGanConfig | None = None) -> Path:
    """Write a tiny seeded generator to ``out_dir`` as ``model.safetensors`` +
    ``config.json`` (the :meth:`HifiGanGenerator.save_pretrained` format,
    ``weight_g``/``weight_v`` included).

    Byte-deterministic: the same ``seed`` (and config) writes the same bytes,
    on any machine (every stored value is drawn from numpy's seeded
    generator; see :meth:`WeightNormConv1d.reset_parameters`).

    Args:
        out_dir: the folder to write (created if needed).
        seed: the random seed of the weights.
        config: the architecture; default :func:`tiny_config`.

    Returns:
        ``out_dir`` as a ``Path``; load it with :func:`from_pretrained` or
        :func:`load_pretrained_folder`.
    """
    generator = HifiGanGenerator(config if config is not None else tiny_config())
    generator.reset_parameters(seed)
    return generator.save_pretrained(out_dir)
