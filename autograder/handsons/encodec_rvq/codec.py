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

The public checkpoints (the hands-on's ``WORKER_PRELOAD`` folder) are loaded once per sandbox,
in the zygote, before any worker exists: every worker shares them copy-on-write. Others (hidden
configs) are written once per worker under ``TMPDIR``, in a folder named by their content hash,
and loaded once per worker. Student code never gets that pristine load, because it may modify
what it gets (``model.quantizer.layers[0].codebook.embed += 1``, a hook, ``model.train()``)
and the next call must not see it: it gets a *spare*, a deep copy made once (in the zygote for
the public checkpoints). A spare is handed out again only while it is exactly as it was made:
the same objects holding equal values (tensors bit for bit, their flags, every module's
attributes and hooks), and nothing else holding any of them (each object's reference count as
when it was made: a part of it kept by student code, which could change it later, counts as a
change); otherwise a fresh deep copy replaces it. Deep-copying a model per call took ~1.9 s of a
grading, loading the checkpoints in each fresh worker ~1.7 s. Results need no encoder: the
functions return tensors, numbers and lists of tensors.
"""
from __future__ import annotations

import collections
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
# Public checkpoints only (made in the zygote): content hash -> [a deep copy of the model, its survey,
# handed out yet], and a twin, another deep copy, never given: what the spare is compared with.
_SPARE: dict[str, list] = {}
_TWIN: dict[str, object] = {}
_CONFIGS: dict[str, object] = {}   # content hash -> EncodecConfig, never given to student code


@contextlib.contextmanager
def _quiet():
    """Nothing printed while loading (progress bars, warnings): it would show up as the student's output."""
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
            contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


def _checkpoint_key(meta: dict, blobs: list[bytes]) -> str:
    """The content hash of a checkpoint argument's files."""
    names = meta.get("files")
    if not isinstance(names, list) or len(names) != len(blobs) or "config.json" not in names \
            or any(name not in CHECKPOINT_FILES for name in names) or len(set(names)) != len(names):
        raise ValueError(f"malformed Encodec checkpoint argument: files {names!r}")
    digest = hashlib.sha256()
    for name, blob in sorted(zip(names, blobs)):
        digest.update(name.encode() + b"\0" + len(blob).to_bytes(8, "little"))
        digest.update(blob)
    return digest.hexdigest()[:32]


def _checkpoint_folder(meta: dict, blobs: list[bytes]) -> tuple[str, Path]:
    """The folder holding the checkpoint's files (written once), and its content hash."""
    names, key = meta["files"], _checkpoint_key(meta, blobs)
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


def _load(folder: Path) -> tuple:
    """(model, feature extractor) of the checkpoint in ``folder``."""
    from musicrep import encodec, tiny_encodec   # the provided package (see the zygote's load_codecs)
    with _quiet():
        if (folder / "model.safetensors").is_file():
            return encodec.load_encodec(folder)
        from transformers import EncodecConfig   # a config only: for structure
        config = EncodecConfig.from_pretrained(folder)
        model = tiny_encodec.build_model(config, device="meta")
        size = sum(t.numel() for t in [*model.parameters(), *model.buffers()])
        if size <= REAL_BUILD_ELEMENTS:
            model = tiny_encodec.build_model(config)
        return model, encodec.feature_extractor_for(config)


def _pristine(meta: dict, blobs: list[bytes]) -> tuple[str, tuple]:
    """The checkpoint's content hash and (model, feature extractor), loaded once (per sandbox or per worker)."""
    key = _checkpoint_key(meta, blobs)
    if key not in _PRISTINE:
        _PRISTINE[key] = _load(_checkpoint_folder(meta, blobs)[1])
    return key, _PRISTINE[key]


def _model(meta: dict, blobs: list[bytes]):
    """A copy of the checkpoint's model that no call has changed: for a public checkpoint its spare,
    made in the zygote, while unchanged (see the module's docstring), else a fresh deep copy."""
    key, (pristine, _) = _pristine(meta, blobs)
    spare = _SPARE.get(key)
    # Surveyed from here only, with the same references held (the list, the arguments): counts compare.
    if spare is not None and not (spare[2] and _survey(spare[0], _TWIN[key]) != spare[1]):
        spare[2] = True
        return spare[0]
    with _quiet():
        if spare is None:   # a checkpoint not loaded in the zygote: one copy per call
            return copy.deepcopy(pristine)
        spare = _SPARE[key] = [copy.deepcopy(pristine), None, True]
    spare[1] = _survey(spare[0], _TWIN[key])
    if spare[1] is None:   # something the survey cannot vouch for: no spare, one copy per call
        del _SPARE[key]
    return spare[0]


def _make_spare(key: str) -> None:
    """In the zygote: the spare and the twin it is compared with, deep copies of the pristine model."""
    pristine = _PRISTINE[key][0]
    with _quiet():
        _TWIN[key] = copy.deepcopy(pristine)
        spare = _SPARE[key] = [copy.deepcopy(pristine), None, False]
    spare[1] = _survey(spare[0], _TWIN[key])
    if spare[1] is None:
        del _SPARE[key], _TWIN[key]


def _feature_extractor(meta: dict, blobs: list[bytes]):
    return copy.deepcopy(_pristine(meta, blobs)[1][1])


# Values deepcopy shares rather than copies (immutable); a copy holds them as the original does.
_ATOMIC = (type(None), bool, int, float, complex, str, bytes)


def _survey(spare, twin) -> list[int] | None:
    """None if ``spare`` differs from ``twin`` (deep copies of one model) in any way a call could
    see; else the reference count of each of its objects, in a fixed order, to compare with the
    counts when it was made. Walks both object graphs side by side: the same types, the same
    aliasing (one object of the one per object of the other), equal atomic values, dicts with
    the same keys in the same order, tensors with the same metadata, flags, gradient, attributes
    and bits (in storage of their own). What it does not know (``__slots__``, C objects other
    than tensors, a mutable object the two share) counts as a difference: the caller copies afresh."""
    import types

    import torch
    shared_ok = (types.FunctionType, types.BuiltinFunctionType, type, torch.dtype, torch.device,
                 torch.layout, torch.memory_format)
    counts: list[int] = []
    with torch._C.DisableTorchFunction():
        return _walk(spare, twin, counts, torch, shared_ok)


def _walk(spare, twin, counts: list[int], torch, shared_ok: tuple) -> list[int] | None:
    """:func:`_survey`'s walk."""
    import sys
    import types
    import weakref
    pairs: dict[int, int] = {}
    paired: set[int] = set()
    stack = [(spare, twin)]
    while stack:
        a, b = stack.pop()
        kind = type(a)
        if kind is not type(b):
            return None
        if kind in _ATOMIC:
            if a is not b and a != b:
                return None
            continue
        if a is b:   # shared by the copies: only what cannot change
            if kind in (tuple, frozenset):
                stack.extend((item, item) for item in a)
            elif kind not in shared_ok and not (kind is weakref.ref and a() is None):   # LSTMs keep dead ones
                return None
            continue
        if id(a) in pairs or id(b) in paired:
            if pairs.get(id(a)) != id(b):
                return None
            continue
        pairs[id(a)] = id(b)
        paired.add(id(b))
        counts.append(sys.getrefcount(a))
        if kind is dict or kind is collections.OrderedDict:
            if len(a) != len(b) or list(a) != list(b):
                return None
            for x, y in zip(a.values(), b.values()):   # inline what most modules' attributes are
                inner = type(x)
                if inner is not type(y):
                    return None
                if inner in _ATOMIC:
                    if x is not y and x != y:
                        return None
                elif (inner is collections.OrderedDict or inner is dict) and not x and not y and x is not y:
                    counts.append(sys.getrefcount(x))   # an empty hook dict: another holder shows in its count
                else:
                    stack.append((x, y))
        elif kind in (list, tuple, torch.Size):
            if len(a) != len(b):
                return None
            stack.extend(zip(a, b))
        elif kind in (set, frozenset):
            if a != b or any(type(item) not in _ATOMIC for item in a):
                return None
        elif isinstance(a, torch.Tensor):
            if not _same_tensor(a, b, torch):
                return None
            stack.append((a.grad, b.grad))
            stack.append((vars(a), vars(b)))
        elif kind is weakref.ref:
            stack.append((a(), b()))
        elif kind is types.MethodType:
            if a.__func__ is not b.__func__:
                return None
            stack.append((a.__self__, b.__self__))
        elif hasattr(a, "__dict__") and not any(vars(klass).get("__slots__") for klass in kind.__mro__):
            stack.append((vars(a), vars(b)))
        else:
            return None
    return counts


def _same_tensor(a, b, torch) -> bool:
    """Same metadata and flags, storage of its own, the same bits (no values on the meta device).
    ``a`` and ``b`` are of one type, the original's (torch's own classes): called with torch
    functions disabled (a mode student code left active must not answer for them)."""
    if a.dtype != b.dtype or a.shape != b.shape or a.stride() != b.stride() or a.requires_grad != b.requires_grad \
            or a.storage_offset() != b.storage_offset() or a.device != b.device or a.layout != b.layout \
            or a.is_leaf != b.is_leaf:
        return False
    if a.device.type == "meta" or a.numel() == 0:
        return True
    if a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr():
        return False
    return bool(torch.equal(a.detach().reshape(-1).view(torch.uint8), b.detach().reshape(-1).view(torch.uint8)))


def _config(meta: dict, blobs: list[bytes]):
    """A deep copy of the config, read once per worker (``from_pretrained`` costs ten times a copy)."""
    key = _checkpoint_key(meta, blobs)
    if key not in _CONFIGS:
        from transformers import EncodecConfig
        with _quiet():
            _CONFIGS[key] = EncodecConfig.from_pretrained(_checkpoint_folder(meta, blobs)[1])
    return copy.deepcopy(_CONFIGS[key])


def preload(folder: str | None = None) -> None:
    """The libraries, and the public checkpoints in ``folder`` (one subfolder each) with a spare
    model each: built here, in the zygote, once for every worker."""
    import torch  # noqa: F401
    from transformers import EncodecConfig, EncodecFeatureExtractor, EncodecModel  # noqa: F401
    from transformers.utils import logging

    logging.disable_progress_bar()
    from musicrep import tiny_encodec
    with _quiet():   # the model-building code paths, once (on the meta device: no memory, no threads)
        tiny_encodec.build_model(EncodecConfig(num_filters=2, hidden_size=8, codebook_dim=8, codebook_size=64,
                                               num_lstm_layers=1), device="meta")
    for checkpoint in sorted(Path(folder).iterdir()) if folder else ():
        names = [name for name in CHECKPOINT_FILES if (checkpoint / name).is_file()]
        if "config.json" not in names:
            continue
        meta, blobs = {"files": names}, [(checkpoint / name).read_bytes() for name in names]
        key = _checkpoint_key(meta, blobs)
        try:
            _PRISTINE[key] = _load(checkpoint)
        except Exception:   # a config that cannot be built (a check expects that): as before, in the worker
            continue
        _make_spare(key)


DECODERS = {"encodec_model": _model, "encodec_feature_extractor": _feature_extractor,
            "encodec_config": _config}
ENCODERS: list = []
