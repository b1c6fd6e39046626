"""A copied-answer cheat for any hands-on: every answer the graders asked the reference for on one
variant, recorded and replayed by argument (issue 20's copied-answer figures).

    python -m tests.answer_table MODULE VARIANT {public,all} FOLDER

grades the reference in-process (``benchmarks/in_process.py``) on variant VARIANT (0: the
shipped fixtures) with the public graders or all of them, records each call's arguments (a hash)
and answer, and writes into FOLDER a submission (``MODULE.py`` plus ``MODULE_part<i>.py`` data
files, each under the 1 MiB a submission file may hold) that answers each recorded call as the
reference did and anything else as the untouched stub. ``public`` on variant 0 is the table a
student can build from the release; ``all`` on a student's variant is what a leak of that
student's inputs (public and hidden) would give. No table computes gradients: an answer that had
autograd history is made differentiable with ``0 * input.sum()``.
"""
from __future__ import annotations

import base64
import io
import json
import sys
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# The argument hash, the same text in the recorder and in the table (one copy: exec'd here,
# written into the submission).
KEY_SOURCE = '''
import hashlib as _hashlib


def _key(function, args, kwargs):
    digest = _hashlib.sha256(function.encode())

    def add(text):
        digest.update(str(text).encode() + b"|")

    def walk(value):
        import numpy, torch
        if isinstance(value, torch.nn.Module):
            add(type(value).__name__)
            for parameter in list(value.parameters())[:3]:
                walk(parameter.detach())
        elif isinstance(value, torch.Tensor):
            add(("T", value.dtype, tuple(value.shape), value.device.type))
            if value.device.type != "meta":          # a full-size model's weights are not there
                digest.update(value.detach().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
        elif isinstance(value, numpy.ndarray):
            add(("A", value.dtype.str, value.shape))
            digest.update(numpy.ascontiguousarray(value).tobytes())
        elif isinstance(value, (list, tuple)):
            add(("L", len(value)))
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            add(("D", len(value)))
            for name in sorted(value, key=repr):
                add(repr(name))
                walk(value[name])
        elif hasattr(value, "tracks") and hasattr(value, "ticks_per_beat"):      # a mido.MidiFile
            add(("M", value.type, value.ticks_per_beat, [[str(m) for m in t] for t in value.tracks]))
        elif hasattr(value, "to_dict"):                                          # a transformers config
            add(("C", type(value).__name__, sorted(value.to_dict().items(), key=repr)))
        elif isinstance(value, (bool, int, float, str, type(None))):
            add(repr(value))
        else:
            add(type(value).__name__)
    for argument in args:
        walk(argument)
    walk(dict(kwargs))
    return digest.hexdigest()[:24]
'''

TABLE_SOURCE = '''

# ---- a copied-answer table (tests/answer_table.py): no line of the algorithm below
import base64 as _base64, io as _io, json as _json, zlib as _zlib
import importlib as _importlib
import numpy as _numpy
import torch as _torch

_PARTS = {parts!r}
_TABLE = None


def _table():
    global _TABLE
    if _TABLE is None:
        blob = "".join(_importlib.import_module(name).DATA for name in _PARTS)
        data = _zlib.decompress(_base64.b64decode(blob))
        index_size = int.from_bytes(data[:8], "little")
        index = _json.loads(data[8:8 + index_size])
        arrays = dict(_numpy.load(_io.BytesIO(data[8 + index_size:])))
        _TABLE = index, arrays
    return _TABLE


def _rebuild(spec, arrays, inputs):
    kind = spec["kind"]
    if kind == "tensor":
        out = _torch.from_numpy(arrays[spec["array"]].copy())
        if spec.get("grad"):
            for value in inputs:
                if isinstance(value, _torch.Tensor) and value.requires_grad:
                    out = out + 0 * value.sum()
        return out
    if kind == "meta":
        return _torch.empty(spec["shape"], dtype=getattr(_torch, spec["dtype"]), device="meta")
    if kind == "array":
        return arrays[spec["array"]].copy()
    if kind == "midi":
        import mido
        return mido.MidiFile(file=_io.BytesIO(_base64.b64decode(spec["bytes"])))
    if kind in ("list", "tuple"):
        items = [_rebuild(item, arrays, inputs) for item in spec["items"]]
        return items if kind == "list" else tuple(items)
    return spec["value"]


def _answer(function, stub, args, kwargs):
    index, arrays = _table()
    spec = index.get(_key(function, args, kwargs))
    if spec is None:
        return stub(*args, **kwargs)
    if spec["kind"] == "raise":
        raise {{"TypeError": TypeError, "IndexError": IndexError}}.get(spec["type"], ValueError)(spec["message"])
    return _rebuild(spec, arrays, [*args, *kwargs.values()])

'''

REPLACE = '''
def {name}(*args, _stub={name}, **kwargs):
    return _answer("{name}", _stub, args, kwargs)
'''

PART_BYTES = 900 * 1024


def _functions(stub_source: str) -> list[str]:
    import ast
    return [node.name for node in ast.parse(stub_source).body
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_")]


class _Recorder:
    """Turns answers into the table's JSON specs and arrays."""

    def __init__(self):
        self.index: dict[str, dict] = {}
        self.arrays: dict[str, "np.ndarray"] = {}

    def spec(self, value) -> dict:
        import numpy as np
        import torch
        if isinstance(value, torch.Tensor) and value.device.type == "meta":
            return {"kind": "meta", "shape": list(value.shape), "dtype": str(value.dtype).split(".")[-1]}
        if isinstance(value, torch.Tensor):
            return {"kind": "tensor", "array": self._array(value.detach().cpu().numpy()),
                    "grad": bool(value.requires_grad)}
        if isinstance(value, np.ndarray):
            return {"kind": "array", "array": self._array(value)}
        if hasattr(value, "tracks") and hasattr(value, "save"):
            buffer = io.BytesIO()
            value.save(file=buffer)
            return {"kind": "midi", "bytes": base64.b64encode(buffer.getvalue()).decode()}
        if isinstance(value, (list, tuple)):
            return {"kind": type(value).__name__, "items": [self.spec(v) for v in value]}
        return {"kind": "value", "value": value}

    def _array(self, array) -> str:
        name = f"a{len(self.arrays)}"
        self.arrays[name] = array
        return name

    def blob(self) -> bytes:
        import numpy as np
        arrays = io.BytesIO()
        np.savez(arrays, **self.arrays)
        index = json.dumps(self.index).encode()
        return zlib.compress(len(index).to_bytes(8, "little") + index + arrays.getvalue(), 9)


def record(module: str, number: int, visibilities: tuple[str, ...]) -> _Recorder:
    """The reference graded in-process on variant ``number``; every call's answer recorded."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from in_process import InProcessCode, grade_in_process
    from autograder.engine import handsons, variants
    from autograder.engine.options import Options

    scope: dict = {}
    exec(KEY_SOURCE, scope)
    recorder = _Recorder()

    class RecordingCode(InProcessCode):
        def call(self, module_name, function, *args, **kwargs):
            module_object = self._module(module_name)
            real = getattr(module_object, function)

            def recorded(*a, **k):
                key = scope["_key"](function, a, k)
                try:
                    value = real(*a, **k)
                except Exception as error:
                    recorder.index.setdefault(key, {"kind": "raise", "type": type(error).__name__,
                                                    "message": str(error)})
                    raise
                recorder.index.setdefault(key, recorder.spec(value))
                return value

            setattr(module_object, function, recorded)
            try:
                return super().call(module_name, function, *args, **kwargs)
            finally:
                setattr(module_object, function, real)

        def with_files(self, files):
            return RecordingCode(files)

    variants.use(number)
    reference = handsons.get(module).reference_path
    grade_in_process(RecordingCode({reference.name: reference.read_bytes()}),
                     Options(modules=[module], visibilities=visibilities))
    return recorder


def write_table(module: str, recorder: _Recorder, folder: Path) -> list[Path]:
    """The submission files of a table: ``MODULE.py`` (the stub with its functions answered from the
    table) and its data parts."""
    from autograder.engine import handsons
    folder.mkdir(parents=True, exist_ok=True)
    text = base64.b64encode(recorder.blob()).decode()
    parts = []
    for i in range(0, len(text), PART_BYTES):
        name = f"{module}_part{len(parts)}"
        (folder / f"{name}.py").write_text(f"DATA = {text[i:i + PART_BYTES]!r}\n")
        parts.append(name)
    stub = handsons.get(module).stub_path.read_text()
    source = stub + KEY_SOURCE + TABLE_SOURCE.format(parts=parts)
    source += "".join(REPLACE.format(name=name) for name in _functions(stub))
    (folder / f"{module}.py").write_text(source)
    return [folder / f"{module}.py", *(folder / f"{p}.py" for p in parts)]


def main(argv: list[str]) -> None:
    module, number, which, folder = argv
    from autograder.engine import handsons
    visibilities = ("public",) if which == "public" else handsons.VISIBILITIES
    recorder = record(module, int(number), visibilities)
    files = write_table(module, recorder, Path(folder))
    print(f"{len(recorder.index)} answers, {sum(f.stat().st_size for f in files) >> 10} KiB in {len(files)} files")


if __name__ == "__main__":
    main(sys.argv[1:])
