"""Load Encodec (``transformers.EncodecModel``), offline and without surprises.

The one place in the project that loads Encodec models: the worker, the
fixtures, the tests and the notebook all call :func:`load_encodec`.

- ``load_encodec()`` loads the pretrained ``facebook/encodec_24khz`` from your
  Hugging Face cache (nothing is downloaded; see :mod:`musicrep.hub`).
- ``load_encodec("path/to/folder")`` loads a local checkpoint: a folder
  holding ``config.json`` and ``model.safetensors`` as written by
  ``save_pretrained`` (for instance the tiny models of
  :mod:`musicrep.tiny_encodec`), and ``preprocessor_config.json`` if it has one.

Example::

    from musicrep.encodec import load_encodec
    model, feature_extractor = load_encodec()
    inputs = feature_extractor(raw_audio=audio, sampling_rate=24_000, return_tensors="pt")
    codes = model.encode(inputs["input_values"], inputs["padding_mask"], bandwidth=6.0).audio_codes
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from . import hub

DEFAULT_MODEL = "facebook/encodec_24khz"
CHECKPOINT_FILES = ["*.json", "*.safetensors"]  # what a checkpoint needs from the hub (no pickles)
FEATURE_EXTRACTOR_FILE = "preprocessor_config.json"

_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")


def resolve(name_or_path: str | os.PathLike = DEFAULT_MODEL) -> Path:
    """The local folder of a checkpoint: ``name_or_path`` itself if it is a
    folder, else the snapshot of the hub id ``name_or_path`` in the Hugging Face
    cache.

    Raises:
        musicrep.hub.WeightsNotAvailable: a hub id that is not in the cache.
        FileNotFoundError: a path that is neither a checkpoint folder nor a hub id.
    """
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise FileNotFoundError(f"{path} is a folder but holds no config.json: not an Encodec checkpoint")
        return path
    if path.exists():
        raise FileNotFoundError(f"{path} is a file; give the folder that holds config.json and model.safetensors")
    text = os.fspath(name_or_path)
    if isinstance(name_or_path, Path) or not _HUB_ID.match(text) or text.count("/") > 1:
        raise FileNotFoundError(f"no checkpoint folder at {path} (and {text!r} is not a hub id such as "
                                f"{DEFAULT_MODEL!r})")
    return hub.snapshot(text, allow_patterns=CHECKPOINT_FILES)


def load_encodec(name_or_path: str | os.PathLike = DEFAULT_MODEL):
    """An Encodec model and its feature extractor, ready for inference.

    Args:
        name_or_path: a hub id (default ``"facebook/encodec_24khz"``), looked up
            in the Hugging Face cache only, or a local checkpoint folder.

    Returns:
        ``(model, feature_extractor)``: a ``transformers.EncodecModel`` in eval
        mode (float32, on the CPU) and its ``transformers.EncodecFeatureExtractor``.
        A folder without ``preprocessor_config.json`` gets the feature extractor
        that matches its config (channels, sampling rate, chunking).

    Raises:
        musicrep.hub.WeightsNotAvailable: the hub id is not in the cache (the
            message says how to fetch it).
        FileNotFoundError: no such checkpoint folder.
    """
    import torch
    from transformers import EncodecFeatureExtractor, EncodecModel

    folder = resolve(name_or_path)
    model = EncodecModel.from_pretrained(folder, dtype=torch.float32)
    model.eval()
    if (folder / FEATURE_EXTRACTOR_FILE).is_file():
        feature_extractor = EncodecFeatureExtractor.from_pretrained(folder)
    else:
        feature_extractor = feature_extractor_for(model.config)
    return model, feature_extractor


def feature_extractor_for(config):
    """The ``EncodecFeatureExtractor`` that matches an ``EncodecConfig``."""
    from transformers import EncodecFeatureExtractor

    return EncodecFeatureExtractor(feature_size=config.audio_channels, sampling_rate=config.sampling_rate,
                                   chunk_length_s=config.chunk_length_s, overlap=config.overlap)
