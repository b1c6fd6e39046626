"""The graders run against the submission's code called directly, in this process:
no sandbox, no worker, no protocol. Only for measuring what the sandbox costs
(never for grading: student code would run next to the answers).

Arguments and results still go through the same codecs and value encoding, so
graders see exactly the types they see when grading.
"""
from __future__ import annotations

import importlib.util
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from autograder.engine import handsons
from autograder.engine.client import StudentCodeError
from autograder.engine.plugin import GradingPlugin
from autograder.engine.session import SILENT, grader_files, run_graders
from autograder.worker import wire
from autograder.worker.serve import vector_jacobian_products


def _codecs() -> tuple[dict, list]:
    if str(handsons.PROVIDED_PACKAGE.parent) not in sys.path:   # as workers have it
        sys.path.append(str(handsons.PROVIDED_PACKAGE.parent))
    decoders, encoders = {}, []
    for handson in handsons.all_handsons():
        codec = handson.import_plugin("codec")
        if hasattr(codec, "preload"):   # as the zygote does
            codec.preload(str(handson.preload_dir)) if handson.preload_dir else codec.preload()
        decoders.update(getattr(codec, "DECODERS", {}))
        encoders.extend(getattr(codec, "ENCODERS", []))
    return decoders, encoders


class InProcessCode:
    """The ``StudentCode`` interface, calling the submission's functions directly."""

    def __init__(self, files: dict[str, bytes]):
        self.files = files
        self.folder = Path(tempfile.mkdtemp(prefix="in-process-"))
        for name, data in files.items():
            (self.folder / name).parent.mkdir(parents=True, exist_ok=True)
            (self.folder / name).write_bytes(data)
        self.modules: dict[str, object] = {}
        self.decoders, self.encoders = _codecs()

    def with_files(self, files: dict[str, bytes]) -> "InProcessCode":
        return InProcessCode(files)

    def _module(self, name: str):
        if name not in self.modules:
            spec = importlib.util.spec_from_file_location(f"in_process_{id(self)}_{name}", self.folder / f"{name}.py")
            module = importlib.util.module_from_spec(spec)
            sys.path.insert(0, str(self.folder))
            try:
                spec.loader.exec_module(module)
            finally:
                sys.path.remove(str(self.folder))
            self.modules[name] = module
        return self.modules[name]

    def call(self, module: str, function: str, *args, timeout=None, ext_encoders=(), off_limits=(),
             projection=None, **kwargs):
        # off_limits: not watched here (the references call no library function they forbid)
        import torch

        leaves = []

        def make_tensor(value: wire.Tensor):
            tensor = torch.from_numpy(value.array.copy())
            if value.requires_grad:
                leaves.append(tensor.requires_grad_(True))
            return tensor

        tree, blobs = wire.encode_args(args, kwargs, list(ext_encoders))
        real_args = [wire.decode(a, blobs, self.decoders, make_tensor) for a in tree["args"]]
        real_kwargs = {k: wire.decode(v, blobs, self.decoders, make_tensor) for k, v in tree["kwargs"].items()}
        try:
            result = getattr(self._module(module), function)(*real_args, **real_kwargs)
        except Exception as error:   # as the worker reports it: graders check the exception and its message
            name = type(error).__name__
            raise StudentCodeError("exception", f"{function}() raised {name}: {error}", "", name, str(error)) from None
        out: list[bytes] = []
        value = wire.decode(wire.encode(result, out, self.encoders, leaves), out)
        if projection is None:
            return value
        return value, vector_jacobian_products(result, leaves, torch.from_numpy(np.asarray(projection, dtype=np.float64)))

    def timed_call(self, module: str, function: str, *args, **kwargs):
        started = time.monotonic()
        value = self.call(module, function, *args, **kwargs)
        return value, time.monotonic() - started

    def close(self) -> None:
        pass


def grade_in_process(code: InProcessCode, options) -> list[dict]:
    tests, _ = run_graders(code, grader_files(options.modules, options.visibilities), SILENT,
                           plugin=GradingPlugin(code))
    failed = [t["name"] for t in tests if t["status"] != "passed"]
    assert not failed, f"in-process grading of the reference should pass everything: {failed[:5]}"
    return tests
