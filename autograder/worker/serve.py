"""The worker's request loop: import a student module, call a function, answer.

Everything here runs next to student code, so it decides nothing about
grades: it reports what happened (a value, an exception, an import error)
and the grader, in its own process, judges.
"""
from __future__ import annotations

import hashlib
import importlib
import inspect
import os
import sys
import time
import traceback

import numpy as np

from . import offlimits, wire

TRACEBACK_CHARS = 4000


def _student_traceback(error: BaseException, submission: str) -> str:
    """The traceback restricted to the submission's own frames."""
    frames = [frame for frame in traceback.extract_tb(error.__traceback__)
              if frame.filename.startswith(submission + os.sep)]
    lines = ["Traceback (your code, most recent call last):\n"] if frames else []
    for frame in frames:
        name = frame.filename[len(submission) + 1:]
        lines.append(f'  File "{name}", line {frame.lineno}, in {frame.name}\n')
        if frame.line:
            lines.append(f"    {frame.line}\n")
    lines.extend(traceback.format_exception_only(type(error), error))
    text = "".join(lines)
    return text if len(text) <= TRACEBACK_CHARS else text[:TRACEBACK_CHARS] + "\n[...]"


def _builtin_kind(cls: type) -> str:
    """The name of the built-in exception ``cls`` is or derives from: a student's
    ``class InvalidTokens(ValueError)`` is a ValueError to the graders (its message keeps its name)."""
    for klass in cls.__mro__:
        if getattr(klass, "__module__", None) == "builtins":
            return klass.__name__
    return cls.__name__


def _describe(error: BaseException) -> str:
    try:
        message = str(error)
    except BaseException:
        message = "<unprintable message>"
    message = message if len(message) <= 1000 else message[:1000] + "..."
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def fingerprint(value: object, depth: int = 0) -> object:
    """What a call must leave unchanged in an argument it was handed: each tensor's and array's
    dtype, shape and a hash of its values (read through torch's C base class), and the
    structure of lists, tuples and dicts; a model's train/eval mode and weights. Other plug-in values
    (a MIDI file) are left out."""
    torch = sys.modules.get("torch")
    if depth > wire.MAX_DEPTH:
        return "deep"
    if type(value) in (list, tuple):
        return (type(value).__name__, [fingerprint(v, depth + 1) for v in value])
    if type(value) is dict:
        return ("dict", [(k, fingerprint(v, depth + 1)) for k, v in value.items()])
    if type(value) is np.ndarray:
        return ("ndarray", value.dtype.str, value.shape, hashlib.sha256(np.ascontiguousarray(value).data).hexdigest())
    if torch is not None and isinstance(value, torch.Tensor):
        base_class = torch._C.TensorBase
        with torch._C.DisableTorchFunction():
            plain = base_class.detach(base_class.as_subclass(value, torch.Tensor)).contiguous()
            data = plain.view(torch.uint8) if plain.numel() else plain
            return ("tensor", str(plain.dtype), tuple(plain.shape),
                    hashlib.sha256(data.numpy().data).hexdigest() if plain.numel() else "")
    if value is None or type(value) in (bool, int, float, str):
        return ("value", repr(value))
    if torch is not None and isinstance(value, torch.nn.Module):
        # A model handed over (a generator): its train/eval mode and its weights (each parameter's
        # shape and in-place version counter), read through torch's base classes.
        module = torch.nn.Module
        return ("module", [bool(vars(m).get("training")) for m in module.modules(value)],
                [(tuple(p.shape), torch._C.TensorBase._version.__get__(p)) for p in module.parameters(value)])
    return ("other", id(value))


def _argument_names(function, count: int) -> list[str]:
    """The names of the first ``count`` positional parameters (``#1``... where unknown)."""
    names = [f"#{index + 1}" for index in range(count)]
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        return names
    for index, parameter in enumerate(parameters[:count]):
        if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
            names[index] = parameter.name
    return names


def vector_jacobian_products(result: object, leaves: list, projection) -> list | None:
    """``projection``'s vector-Jacobian product with respect to each tensor argument sent with
    requires_grad (zeros where autograd does not reach it), by torch's autograd from the result read
    through the C base class: the grader compares it with the function's own finite differences, so
    a graph that reaches the audio with weight 0 (``+ 0 * audio.sum()``) shows as a wrong gradient.
    None when the result is not a tensor of the projection's size or has no graph."""
    torch = sys.modules["torch"]
    if not isinstance(result, torch.Tensor) or not leaves:
        return None
    with torch._C.DisableTorchFunction():
        plain = torch._C.TensorBase.as_subclass(result, torch.Tensor)
        if not plain.requires_grad or plain.numel() != projection.numel():
            return None
        try:
            grads = torch.autograd.grad(plain, leaves, grad_outputs=projection.reshape(plain.shape).to(plain.dtype),
                                        allow_unused=True)
        except RuntimeError:
            return None
        return [np.zeros(tuple(leaf.shape)) if grad is None else
                torch._C.TensorBase.detach(grad).to(torch.float64).numpy() for leaf, grad in zip(leaves, grads)]


class Server:
    def __init__(self, reader: wire.FrameReader, token: bytes, resp_fd: int,
                 decoders: dict, encoders: list, submission: str):
        self.reader, self.token, self.resp_fd = reader, token, resp_fd
        self.decoders, self.encoders, self.submission = decoders, encoders, submission
        self.modules: dict[str, object] = {}
        self.import_errors: dict[str, dict] = {}
        self.request_id = ""   # the grader's id of the request being answered, echoed in its answer
        # Seconds of the current request's stages besides the call itself, for the profile
        # (benchmarks/bench_profile.py): student code can forge them, so nothing grades by them.
        self.phases: dict[str, float] = {}
        self.decoders = {kind: self._timed(kind, decoder) for kind, decoder in decoders.items()}

    def _timed(self, kind: str, decoder):
        """``decoder``, its seconds added to the phase ``ext:<kind>`` (building a model, a MIDI file...)."""
        def timed(meta, blobs):
            started = time.perf_counter()
            try:
                return decoder(meta, blobs)
            finally:
                key = f"ext:{kind}"
                self.phases[key] = self.phases.get(key, 0.0) + time.perf_counter() - started
        return timed

    def respond(self, header: dict, blobs: list[bytes] = ()) -> None:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:
                pass
        phases = {key: round(value, 6) for key, value in self.phases.items()}
        wire.write_frame(self.resp_fd, self.token, {**header, "id": self.request_id, "phases": phases}, blobs)

    def load(self, name: str) -> tuple[object | None, dict | None]:
        if name in self.modules:
            return self.modules[name], None
        if name in self.import_errors:
            return None, self.import_errors[name]
        started = time.perf_counter()
        if not os.path.exists(os.path.join(self.submission, name + ".py")) and \
                not os.path.isdir(os.path.join(self.submission, name)):
            failure = {"kind": "missing_module", "message": f"the submission has no {name}.py"}
        else:
            try:
                module = importlib.import_module(name)
                self.modules[name] = module
                self.phases["import"] = time.perf_counter() - started
                return module, None
            except SystemExit as error:
                failure = {"kind": "import", "message":
                           f"{name}.py called sys.exit({error.code!r}) while being imported"}
            except BaseException as error:
                failure = {"kind": "import", "message": f"importing {name}.py failed: {_describe(error)}",
                           "traceback": _student_traceback(error, self.submission)}
        self.import_errors[name] = failure
        return None, failure

    def call(self, header: dict, blobs: list[bytes]) -> None:
        module, failure = self.load(header["module"])
        if failure:
            return self.respond({"status": "error", **failure})
        function = getattr(module, header["function"], None)
        if not callable(function):
            return self.respond({"status": "error", "kind": "missing_function", "message":
                                 f"{header['module']}.py has no function {header['function']}()"})
        started = time.perf_counter()
        try:
            torch = sys.modules.get("torch")
            make_tensor = None
            leaves: list = []   # tensors sent with requires_grad: a result's graph should reach them
            if torch is not None:
                def make_tensor(value: wire.Tensor):
                    # Decoded arrays are fresh (never views of a blob): copied only if not writable.
                    tensor = torch.from_numpy(np.require(value.array, requirements=["C", "W"]))
                    if value.requires_grad:
                        leaves.append(tensor.requires_grad_(True))
                    return tensor
            spec = header["args"]
            args = [wire.decode(a, blobs, self.decoders, make_tensor) for a in spec["args"]]
            kwargs = {str(k): wire.decode(v, blobs, self.decoders, make_tensor)
                      for k, v in spec["kwargs"].items()}
            projection = None   # the grader's random weights of the result: their vector-Jacobian product
            if torch is not None and header.get("vjp") is not None:
                projection = torch.from_numpy(np.array(wire.decode({"t": "ndarray", "blob": header["vjp"]}, blobs)))
            blobs.clear()   # decoded: the encoded copies are not kept through the call
            self.phases["decode"] = time.perf_counter() - started
            started = time.perf_counter()
            given = [fingerprint(a) for a in args], {k: fingerprint(v) for k, v in kwargs.items()}
            self.phases["fingerprint"] = time.perf_counter() - started
        except Exception as error:
            return self.respond({"status": "error", "kind": "internal",
                                 "message": f"the worker could not build the arguments: {_describe(error)}"})
        watch = offlimits.Watch(header.get("off_limits") or ())
        started = time.perf_counter()
        try:
            with watch:
                result = function(*args, **kwargs)
        except SystemExit as error:
            return self.respond({"status": "error", "kind": "exit",
                                 "message": f"the function called sys.exit({error.code!r})"})
        except BaseException as error:
            return self.respond({"status": "error", "kind": "exception",
                                 "exception": _builtin_kind(type(error)), "message": _describe(error),
                                 "traceback": _student_traceback(error, self.submission)})
        seconds = time.perf_counter() - started
        if watch.called:   # a library function the check forbids ran: the value does not count
            return self.respond({"status": "error", "kind": "off_limits", "called": watch.called})
        out: list[bytes] = []
        try:
            products = vector_jacobian_products(result, leaves, projection) if projection is not None else None
            started = time.perf_counter()
            tree = wire.encode(result, out, self.encoders, leaves)
            self.phases["encode"] = time.perf_counter() - started
            started = time.perf_counter()
            changed = self._changed(function, given, args, kwargs)
            self.phases["fingerprint"] += time.perf_counter() - started
        except BaseException as error:
            return self.respond({"status": "error", "kind": "bad_return",
                                 "message": f"the returned value could not be read: {_describe(error)}"})
        extra = {} if products is None else {"vjp": wire.encode(products, out)}
        self.respond({"status": "ok", "value": tree, "seconds": seconds, "changed": changed, **extra}, out)

    @staticmethod
    def _changed(function, given: tuple, args: list, kwargs: dict) -> list[str]:
        """The names of the arguments the call changed (values, shape or dtype)."""
        positional, keywords = given
        names = _argument_names(function, len(args))
        changed = []
        for index, value in enumerate(args):
            try:
                same = fingerprint(value) == positional[index]
            except Exception:
                same = False
            if not same:
                changed.append(names[index])
        for key, value in kwargs.items():
            try:
                same = fingerprint(value) == keywords[key]
            except Exception:
                same = False
            if not same:
                changed.append(key)
        return changed

    def run(self) -> None:
        while True:
            try:
                header, blobs = self.reader.read()
            except wire.ProtocolError:
                return
            op = header.get("op")
            self.request_id = str(header.get("id", ""))
            self.phases = {}
            if op == "call":
                self.call(header, blobs)
            elif op == "import":
                _, failure = self.load(header["module"])
                self.respond({"status": "error", **failure} if failure else {"status": "ok"})
            elif op == "exit":
                return
            else:
                self.respond({"status": "error", "kind": "internal", "message": f"unknown op {op!r}"})


def serve(reader: wire.FrameReader, token: bytes, resp_fd: int, decoders: dict, encoders: list) -> None:
    Server(reader, token, resp_fd, decoders, encoders, sys.path[0]).run()
