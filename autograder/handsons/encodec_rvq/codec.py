"""How Encodec models cross the sandbox boundary (this file runs inside the worker).

Graders send checkpoints as plain files; student code receives transformers objects:

- ``Ext("encodec_model", {"files": names}, blobs)``: a ``transformers.EncodecModel``
  in eval mode, loaded by ``musicrep.encodec.load_encodec`` from a folder holding
  those files (``config.json``, ``model.safetensors``, ``preprocessor_config.json``).
  Without ``model.safetensors`` (a config only: for structure, such as strides and
  codebook counts) a small config is built for real, on the CPU, with seeded weights
  (``musicrep.tiny_encodec.build_model``): what student code reads from it behaves as
  on any loaded model. A full-size architecture (more than ``REAL_BUILD_ELEMENTS``
  parameters and buffers) is built on the meta device, without memory, its
  convolutions' stride, kernel-size and padding buffers real (``layer.stride.item()``
  works).
- ``Ext("encodec_feature_extractor", ...)``, same files: its ``EncodecFeatureExtractor``.
- ``Ext("encodec_config", {"files": ["config.json"]}, [bytes])``: a ``transformers.EncodecConfig``.

The files are written once per worker under ``TMPDIR``, in a folder named by
their content hash, and loaded once per worker; every argument is a fresh deep
copy of that pristine load, never handed out itself, because student code may
modify what it gets (``model.quantizer.layers[0].codebook.embed += 1``) and the
next call must not see it. Results need no encoder: the functions return
tensors, numbers and lists of tensors.
"""
from __future__ import annotations

import contextlib
import copy
import hashlib
import io
import os
import tempfile
import warnings
from pathlib import Path

CHECKPOINT_FILES = ("config.json", "model.safetensors", "preprocessor_config.json")
REAL_BUILD_ELEMENTS = 1 << 21   # a config-only model up to this size is built for real (a few MB, milliseconds)
_PRISTINE: dict[str, tuple] = {}   # content hash -> (model, feature extractor), never given to student code


@contextlib.contextmanager
def _quiet():
    """Nothing printed while loading (progress bars, warnings): it would show up as the student's output."""
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
            contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


def _checkpoint_folder(meta: dict, blobs: list[bytes]) -> tuple[str, Path]:
    """The folder holding the checkpoint's files (written once), and its content hash."""
    names = meta.get("files")
    if not isinstance(names, list) or len(names) != len(blobs) or "config.json" not in names \
            or any(name not in CHECKPOINT_FILES for name in names) or len(set(names)) != len(names):
        raise ValueError(f"malformed Encodec checkpoint argument: files {names!r}")
    digest = hashlib.sha256()
    for name, blob in sorted(zip(names, blobs)):
        digest.update(name.encode() + b"\0" + len(blob).to_bytes(8, "little"))
        digest.update(blob)
    key = digest.hexdigest()[:32]
    root = Path(os.environ.get("TMPDIR") or tempfile.gettempdir()) / "encodec-checkpoints"
    folder = root / key
    if not folder.is_dir():
        root.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(prefix=f"{key}-", dir=root))
        for name, blob in zip(names, blobs):
            (partial / name).write_bytes(blob)
        try:
            partial.rename(folder)
        except OSError:   # written meanwhile: keep that one
            for name in names:
                (partial / name).unlink()
            partial.rmdir()
    return key, folder


def _pristine(meta: dict, blobs: list[bytes]) -> tuple:
    """(model, feature extractor) of the checkpoint, loaded once per worker."""
    key, folder = _checkpoint_folder(meta, blobs)
    if key not in _PRISTINE:
        from musicrep import encodec, tiny_encodec   # the provided package (see the zygote's load_codecs)
        with _quiet():
            if (folder / "model.safetensors").is_file():
                model, feature_extractor = encodec.load_encodec(folder)
            else:   # a config only: for structure
                from transformers import EncodecConfig
                config = EncodecConfig.from_pretrained(folder)
                model = tiny_encodec.build_model(config, device="meta")
                size = sum(t.numel() for t in [*model.parameters(), *model.buffers()])
                if size <= REAL_BUILD_ELEMENTS:
                    model = tiny_encodec.build_model(config)
                feature_extractor = encodec.feature_extractor_for(config)
        _PRISTINE[key] = (model, feature_extractor)
    return _PRISTINE[key]


def _model(meta: dict, blobs: list[bytes]):
    with _quiet():
        return copy.deepcopy(_pristine(meta, blobs)[0])


def _feature_extractor(meta: dict, blobs: list[bytes]):
    return copy.deepcopy(_pristine(meta, blobs)[1])


def _config(meta: dict, blobs: list[bytes]):
    from transformers import EncodecConfig
    _, folder = _checkpoint_folder(meta, blobs)
    with _quiet():
        return EncodecConfig.from_pretrained(folder)


def preload() -> None:
    import torch  # noqa: F401
    from transformers import EncodecConfig, EncodecFeatureExtractor, EncodecModel  # noqa: F401
    from transformers.utils import logging

    logging.disable_progress_bar()
    from musicrep import tiny_encodec
    with _quiet():   # the model-building code paths, once (on the meta device: no memory, no threads)
        tiny_encodec.build_model(EncodecConfig(num_filters=2, hidden_size=8, codebook_dim=8, codebook_size=64,
                                               num_lstm_layers=1), device="meta")


DECODERS = {"encodec_model": _model, "encodec_feature_extractor": _feature_extractor,
            "encodec_config": _config}
ENCODERS: list = []
