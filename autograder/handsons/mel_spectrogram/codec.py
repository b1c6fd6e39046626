"""How a HiFi-GAN generator crosses the sandbox boundary (this file runs inside the worker).

An argument ``Ext("hifigan", blobs=[config.json bytes, model.safetensors bytes])``
reaches student code as a ``musicrep.hifigan.HifiGanGenerator`` loaded with the
provided ``musicrep.hifigan.load_pretrained_folder`` (eval mode, weight norm
removed, on the CPU), exactly as the graders' expected outputs were made.

The two files are written once per worker under its scratch folder (``TMPDIR``),
in a folder named after their content hash, and checked against it before
reuse; every call gets a freshly built generator, so what one call does to its
generator (train mode, changed weights) never reaches the next.

Two checks of ``vocode`` hand an instrumented generator (``meta``): ``"train": true``
hands it in train mode; ``"watch"`` lists what its forward pass checks when it
runs: ``"no_grad"`` (gradients disabled, as inside ``torch.no_grad()``) and
``"mode"`` (still in the mode it was handed in). The checks are forward hooks on
the generator and on every module in it, so a forward pass called through the
class (``type(generator).forward(generator, mel)``) runs them too. A forward pass that breaks one
raises a RuntimeError ``"<WATCH_MARK> <what>: ..."``: the only way what happened
inside the call can reach the grader, which explains it.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

FILE_NAMES = ("config.json", "model.safetensors")


def _scratch() -> Path:
    # TMPDIR is the worker's own scratch folder; tempfile caches its choice, which
    # may have been made in the zygote, before TMPDIR pointed there.
    return Path(os.environ.get("TMPDIR") or tempfile.gettempdir())


def _checkpoint_folder(blobs: list[bytes]) -> Path:
    if len(blobs) != len(FILE_NAMES):
        raise ValueError(f"a HiFi-GAN checkpoint is {len(FILE_NAMES)} files, got {len(blobs)}")
    digest = hashlib.sha256()
    for blob in blobs:
        digest.update(hashlib.sha256(blob).digest())
    folder = _scratch() / f"hifigan-{digest.hexdigest()[:32]}"
    folder.mkdir(parents=True, exist_ok=True)
    for name, blob in zip(FILE_NAMES, blobs):
        path = folder / name
        try:
            current = path.read_bytes()
        except OSError:
            current = None
        if current != blob:        # missing, or changed since: (re)write it
            partial = folder / f".{name}.partial"
            partial.write_bytes(blob)
            os.replace(partial, path)
    return folder


WATCH_MARK = "[the grader's generator]"


def _watch(generator, watch: list, train: bool) -> None:
    """Hooks on the generator and on every module in it, checking ``watch`` whenever one runs:
    ``generator(mel)`` runs the generator's hook, and a forward pass called any other way
    (``generator.forward(mel)``, ``type(generator).forward(generator, mel)``) runs its layers'."""
    import torch
    mode = "train" if train else "eval"

    def check(module, args):
        if "no_grad" in watch and torch.is_grad_enabled():
            raise RuntimeError(f"{WATCH_MARK} no_grad: it was run with gradients enabled "
                               f"(torch.is_grad_enabled() is True): vocode runs it inside torch.no_grad()")
        if "mode" in watch and (generator.training != train or module.training != train):
            ran = "eval" if train else "train"
            raise RuntimeError(f"{WATCH_MARK} mode: it was handed to vocode in {mode} mode and ran in "
                               f"{ran} mode: vocode uses it as it is")
        return None

    for module in generator.modules():
        module.register_forward_pre_hook(check)


def _generator(meta: dict, blobs: list[bytes]):
    from musicrep import hifigan
    generator = hifigan.load_pretrained_folder(_checkpoint_folder(blobs))
    train = bool(meta.get("train"))
    generator.train(train)
    watch = [str(item) for item in meta.get("watch", [])]
    if watch:
        _watch(generator, watch, train)
    return generator


def _warm_librosa() -> None:
    """Run once what students call, so that librosa's lazy imports (numba, scipy.signal...:
    seconds in a fresh worker) are paid here, once."""
    import numpy as np
    import librosa

    librosa.filters.mel(sr=22050, n_fft=1024, n_mels=80, fmin=0, fmax=8000)
    librosa.filters.mel(sr=22050, n_fft=1024, n_mels=80, fmin=0, fmax=8000, htk=True, norm=None)
    window = librosa.filters.get_window("hann", 800, fftbins=True)
    librosa.util.pad_center(window, size=1024)
    librosa.util.normalize(window)
    signal = np.zeros(4096, dtype=np.float32)
    librosa.stft(signal, n_fft=1024, hop_length=256, win_length=800, center=False)
    librosa.util.frame(signal, frame_length=1024, hop_length=256)
    librosa.feature.melspectrogram(y=signal, sr=22050, n_fft=1024, hop_length=256, center=False)
    librosa.resample(signal, orig_sr=22050, target_sr=16000)


def preload() -> None:
    import librosa  # noqa: F401
    import safetensors.torch  # noqa: F401
    import torch  # noqa: F401
    try:  # a failure here must not stop the sandbox: workers would import on first use
        _warm_librosa()
    except Exception:
        pass
    try:
        import musicrep.hifigan  # noqa: F401  (the provided package: see the zygote's load_codecs)
    except ImportError:
        pass


DECODERS = {"hifigan": _generator}
ENCODERS: list = []
