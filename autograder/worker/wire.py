"""The grader <-> worker protocol: framing and a value codec without pickle.

A frame is ``MAGIC | token(16) | header length (u32) | blob count (u32) |
header (JSON) | (blob length (u64) | blob bytes)*``. The worker writes frames only
on a dedicated pipe, never on stdout/stderr, and every frame carries the
worker's random token, so nothing student code prints is taken for a message.

Values cross as a JSON tree whose leaves may point at blobs:

========================  ==============================================
``{"t": "json", "v": x}``  None, bool, int, str, float (NaN/inf allowed)
``{"t": "list"|"tuple"}``  ``"items"``: encoded elements
``{"t": "dict"}``          ``"items"``: ``[[key, value], ...]``, keys str/int
``{"t": "ndarray"}``       ``"blob"``: ``.npy`` bytes, never an object dtype
``{"t": "tensor"}``        as ndarray, plus the torch ``dtype``/``requires_grad``/``from_args``
``{"t": "ext"}``           a plug-in kind (``"midi"``...): ``"meta"`` + blobs
``{"t": "opaque"}``        what could not be encoded: its type and a short repr
========================  ==============================================

Decoding reads ``.npy`` with ``allow_pickle=False``; nothing is ever unpickled.
This module imports only the standard library and NumPy (torch lazily).
"""
from __future__ import annotations

import io
import json
import os
import select
import struct
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

MAGIC = b"AGW1"
TOKEN_BYTES = 16
_PREFIX = struct.Struct("<4s16sII")
_BLOB_LEN = struct.Struct("<Q")
MAX_HEADER = 16 << 20          # bytes of JSON in one frame
MAX_FRAME = 1 << 30            # bytes of blobs in one frame
MAX_DEPTH = 32                 # nesting of lists/dicts in a value
MAX_ITEMS = 5_000_000          # list/dict entries in one value
REPR_CHARS = 200


class ProtocolError(Exception):
    """A frame or value that does not follow the protocol."""


class ChannelClosed(ProtocolError):
    """The other side closed the pipe (the worker died or exited)."""


class Timeout(ProtocolError):
    """No complete frame before the deadline."""


class TooLarge(ProtocolError):
    """A frame larger than the reader accepts (``FrameReader.max_bytes``)."""

    def __init__(self, size: int, limit: int):
        super().__init__(f"a frame of at least {size} bytes; at most {limit} are accepted")
        self.size, self.limit = size, limit


# ----------------------------------------------------------------- values

@dataclass
class Tensor:
    """A torch tensor as the grader sees it: its data and torch attributes.

    Graders pass ``Tensor(array)`` as an argument to get a ``torch.Tensor`` in
    the worker; results that were tensors come back as ``Tensor`` too.
    """
    array: np.ndarray
    dtype: str = ""               # e.g. "torch.float32"; "" = from the array
    requires_grad: bool = False
    # A result's autograd graph reaches a tensor argument sent with requires_grad (the worker walks
    # the graph: a flag a subclass or a fresh leaf claims is not a gradient path from the input).
    from_args: bool = False

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.array.shape)


@dataclass
class Ext:
    """A value of a plug-in kind (e.g. ``"midi"``): metadata and raw blobs."""
    kind: str
    meta: dict = field(default_factory=dict)
    blobs: list[bytes] = field(default_factory=list)


@dataclass
class Opaque:
    """A returned value of a type the protocol does not carry."""
    type_name: str
    repr: str
    reason: str = ""

    def __str__(self) -> str:
        return f"{self.type_name} ({self.reason})" if self.reason else self.type_name


class Unencodable(Exception):
    """Raised by an ext encoder that recognises a value but cannot send it."""


def _npy_bytes(array: np.ndarray) -> bytes:
    if array.dtype.hasobject:
        raise Unencodable("an array of Python objects (dtype=object) cannot be sent")
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()


def _npy_array(blob: bytes) -> np.ndarray:
    try:
        return np.lib.format.read_array(io.BytesIO(blob), allow_pickle=False)
    except Exception as error:  # a forged or truncated blob
        raise ProtocolError(f"unreadable array data ({error})") from None


def _type_name(obj: Any) -> str:
    cls = type(obj)
    module = getattr(cls, "__module__", "") or ""
    name = getattr(cls, "__qualname__", cls.__name__)
    return name if module == "builtins" else f"{module}.{name}"


def _short_repr(obj: Any) -> str:
    try:
        text = repr(obj)
    except BaseException as error:  # a hostile __repr__
        text = f"<repr failed: {type(error).__name__}>"
    return text if len(text) <= REPR_CHARS else text[:REPR_CHARS] + "..."


ExtEncoder = Callable[[Any], "tuple[str, dict, list[bytes]] | None"]
ExtDecoder = Callable[[dict, list[bytes]], Any]


def _reaches(grad_fn: Any, leaves: list, limit: int = 1_000_000) -> bool:
    """Whether the autograd graph from ``grad_fn`` reaches one of ``leaves`` (torch's own nodes:
    ``next_functions`` and the ``variable`` of an ``AccumulateGrad``), visiting at most ``limit``."""
    seen, stack = set(), [grad_fn]
    while stack and len(seen) < limit:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        variable = getattr(node, "variable", None)
        if variable is not None and any(variable is leaf for leaf in leaves):
            return True
        stack.extend(pair[0] for pair in getattr(node, "next_functions", ()))
    return False


def encode(obj: Any, blobs: list[bytes], ext_encoders: list[ExtEncoder] = (), grad_leaves: list = ()) -> dict:
    """Encode ``obj`` into a JSON tree, appending binary payloads to ``blobs``.

    Exact builtin types only (``type(x) is int``), so subclasses with hostile
    ``__eq__``/``__int__`` become opaque instead of being trusted. A tensor's properties are
    read through torch's C base class, whose attributes Python code cannot replace; its
    ``from_args`` says whether its graph reaches one of ``grad_leaves`` (the call's tensor
    arguments sent with requires_grad).
    """
    counter = [0]

    def enc(value: Any, depth: int) -> dict:
        counter[0] += 1
        if depth > MAX_DEPTH or counter[0] > MAX_ITEMS:
            return {"t": "opaque", "type": _type_name(value), "repr": "",
                    "reason": "nested too deep or too large"}
        kind = type(value)
        if value is None or kind in (bool, int, str):
            if kind is int and abs(value) >= 1 << 63:
                return {"t": "opaque", "type": "int", "repr": _short_repr(value)[:40],
                        "reason": "integer too large"}
            return {"t": "json", "v": value}
        if kind is float:
            return {"t": "json", "v": value}
        if kind in (list, tuple):
            return {"t": kind.__name__, "items": [enc(v, depth + 1) for v in value]}
        if kind is dict:
            items = []
            for key, item in value.items():
                if type(key) not in (str, int):
                    return {"t": "opaque", "type": "dict", "repr": _short_repr(value),
                            "reason": "dict keys must be str or int"}
                items.append([key, enc(item, depth + 1)])
            return {"t": "dict", "items": items}
        if kind is np.ndarray or isinstance(value, np.generic):
            array = np.asarray(value)
            try:
                blobs.append(_npy_bytes(array))
            except Unencodable as error:
                return {"t": "opaque", "type": _type_name(value), "repr": "", "reason": str(error)}
            tag = "ndarray" if kind is np.ndarray else "npscalar"
            return {"t": tag, "blob": len(blobs) - 1}
        torch = sys.modules.get("torch")
        if torch is not None and isinstance(value, torch.Tensor):
            return enc_tensor(value, torch)
        for encoder in ext_encoders:
            try:
                found = encoder(value)
            except Unencodable as error:
                return {"t": "opaque", "type": _type_name(value), "repr": "", "reason": str(error)}
            if found is not None:
                ext_kind, meta, payloads = found
                first = len(blobs)
                blobs.extend(payloads)
                return {"t": "ext", "kind": ext_kind, "meta": meta,
                        "blobs": list(range(first, len(blobs)))}
        return {"t": "opaque", "type": _type_name(value), "repr": _short_repr(value)}

    def enc_tensor(value: Any, torch: Any) -> dict:
        # A subclass may override anything (properties too); read the plain data and the autograd
        # state through the C base class (torch.Tensor is a Python class student code can patch),
        # with __torch_function__ off: a subclass's or a mode's would answer even the base class's reads.
        try:
            with torch._C.DisableTorchFunction():
                return read_tensor(value, torch)
        except Exception as error:
            return {"t": "opaque", "type": _type_name(value), "repr": "",
                    "reason": f"could not read the tensor ({type(error).__name__}: {error})"}

    def read_tensor(value: Any, torch: Any) -> dict:
        base_class = torch._C.TensorBase
        requires_grad = bool(base_class.requires_grad.__get__(value))
        grad_fn = base_class.grad_fn.__get__(value)
        from_args = requires_grad and (any(value is leaf for leaf in grad_leaves)
                                       or grad_fn is not None and _reaches(grad_fn, list(grad_leaves)))
        base = base_class.detach(base_class.as_subclass(value, torch.Tensor))
        if base.is_sparse or base.device.type != "cpu" and base.device.type != "meta":
            base = base.to_dense().cpu() if base.is_sparse else base.cpu()
        dtype = str(base.dtype)
        if base.device.type == "meta":
            return {"t": "opaque", "type": "torch.Tensor", "repr": "",
                    "reason": "a tensor on the meta device has no values"}
        if base.dtype in (torch.bfloat16, torch.float16):
            base = base.float()
        if base.is_complex() or base.dtype.is_floating_point or base.dtype in (
                torch.bool, torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64):
            array = base.resolve_conj().resolve_neg().contiguous().numpy()
        else:
            return {"t": "opaque", "type": "torch.Tensor", "repr": "",
                    "reason": f"unsupported tensor dtype {dtype}"}
        blobs.append(_npy_bytes(array))
        return {"t": "tensor", "blob": len(blobs) - 1, "dtype": dtype,
                "requires_grad": requires_grad, "from_args": bool(from_args),
                "subclass": _type_name(value) if type(value) is not torch.Tensor else ""}

    try:
        return enc(obj, 0)
    finally:
        enc = None   # a recursive closure is a reference cycle: it would keep ``blobs`` until a gc pass


def decode(tree: Any, blobs: list[bytes], ext_decoders: dict[str, ExtDecoder] | None = None,
           make_tensor: Callable[[Tensor], Any] | None = None) -> Any:
    """Decode a tree made by :func:`encode`. Without decoders, ext values stay
    :class:`Ext` and tensors stay :class:`Tensor` (the grader's view)."""
    counter = [0]

    def blob(index: Any) -> bytes:
        if type(index) is not int or not 0 <= index < len(blobs):
            raise ProtocolError("a value points at a missing blob")
        return blobs[index]

    def dec(node: Any, depth: int) -> Any:
        counter[0] += 1
        if depth > MAX_DEPTH or counter[0] > MAX_ITEMS:
            raise ProtocolError("value nested too deep or too large")
        if type(node) is not dict or "t" not in node:
            raise ProtocolError("malformed value")
        tag = node["t"]
        if tag == "json":
            value = node.get("v")
            if type(value) not in (type(None), bool, int, float, str):
                raise ProtocolError("malformed JSON leaf")
            return value
        if tag in ("list", "tuple"):
            items = [dec(item, depth + 1) for item in node.get("items", [])]
            return items if tag == "list" else tuple(items)
        if tag == "dict":
            out = {}
            for pair in node.get("items", []):
                if type(pair) is not list or len(pair) != 2 or type(pair[0]) not in (str, int):
                    raise ProtocolError("malformed dict entry")
                out[pair[0]] = dec(pair[1], depth + 1)
            return out
        if tag == "ndarray":
            return _npy_array(blob(node.get("blob")))
        if tag == "npscalar":
            return _npy_array(blob(node.get("blob")))[()]
        if tag == "tensor":
            # Strings from the other side are capped: they end up in messages.
            tensor = Tensor(_npy_array(blob(node.get("blob"))), str(node.get("dtype", ""))[:64],
                            bool(node.get("requires_grad", False)), bool(node.get("from_args", False)))
            return make_tensor(tensor) if make_tensor else tensor
        if tag == "ext":
            kind = str(node.get("kind", ""))[:64]
            meta = node.get("meta") if type(node.get("meta")) is dict else {}
            payloads = [blob(i) for i in node.get("blobs", [])]
            if ext_decoders is not None and kind in ext_decoders:
                return ext_decoders[kind](meta, payloads)
            return Ext(kind, meta, payloads)
        if tag == "opaque":
            return Opaque(str(node.get("type", "?"))[:200], str(node.get("repr", ""))[:REPR_CHARS + 3],
                          str(node.get("reason", ""))[:300])
        raise ProtocolError(f"unknown value tag {tag!r}")

    try:
        return dec(tree, 0)
    except ProtocolError:
        raise
    except (TypeError, ValueError, AttributeError, KeyError, IndexError, RecursionError) as error:
        # The tree comes from the worker, which student code controls: any malformed
        # part ("items" that is not a list...) is the worker's fault, never the grader's.
        raise ProtocolError(f"malformed value ({type(error).__name__}: {error})"[:300]) from None
    finally:
        dec = None   # a recursive closure is a reference cycle: it would keep ``blobs`` until a gc pass


def encode_args(args: tuple, kwargs: dict, ext_encoders: list[ExtEncoder] = ()) -> tuple[dict, list[bytes]]:
    """Grader side: the arguments of a call as (tree, blobs)."""
    blobs: list[bytes] = []

    def plain(value: Any) -> Any:
        # Grader-side markers become what the worker should rebuild.
        if isinstance(value, Tensor):
            blobs.append(_npy_bytes(np.asarray(value.array)))
            return {"t": "tensor", "blob": len(blobs) - 1, "dtype": value.dtype,
                    "requires_grad": value.requires_grad}
        if isinstance(value, Ext):
            first = len(blobs)
            blobs.extend(value.blobs)
            return {"t": "ext", "kind": value.kind, "meta": value.meta,
                    "blobs": list(range(first, len(blobs)))}
        if isinstance(value, (list, tuple)):
            return {"t": type(value).__name__ if type(value) in (list, tuple) else "list",
                    "items": [plain(v) for v in value]}
        if isinstance(value, dict):
            return {"t": "dict", "items": [[k, plain(v)] for k, v in value.items()]}
        return encode(value, blobs, ext_encoders)

    tree = {"args": [plain(a) for a in args], "kwargs": {k: plain(v) for k, v in kwargs.items()}}
    plain = None   # a recursive closure is a reference cycle: it would keep ``blobs`` until a gc pass
    return tree, blobs


# ----------------------------------------------------------------- frames

def write_frame(fd: int, token: bytes, header: dict, blobs: list[bytes] = (),
                deadline: float | None = None) -> None:
    """Write one frame to ``fd``. With a ``deadline`` (``time.monotonic``; ``fd``
    must then be non-blocking) raise :class:`Timeout` if the other side stops
    reading: a worker that never reads its requests must not block the grader."""
    body = json.dumps(header, allow_nan=True, separators=(",", ":")).encode()
    parts = [_PREFIX.pack(MAGIC, token, len(body), len(blobs)), body]
    for payload in blobs:
        parts.append(_BLOB_LEN.pack(len(payload)))
        parts.append(payload)
    data = memoryview(b"".join(parts))
    while data:
        if deadline is not None:
            wait = deadline - time.monotonic()
            if wait <= 0:
                raise Timeout("the other side stopped reading")
            _, ready, _ = select.select([], [fd], [], wait)
            if not ready:
                continue
        try:
            written = os.write(fd, data)
        except BlockingIOError:
            continue
        data = data[written:]


class FrameReader:
    """Reads frames from a pipe, with an optional deadline.

    While it waits, whatever arrives on the ``watch`` descriptors (the worker's
    stdout and stderr) is handed to ``on_output`` at once, so a worker that
    floods its output never blocks, and never delays its answer.
    """

    def __init__(self, fd: int, token: bytes | None, watch: tuple[int, ...] = (),
                 on_output: Callable[[int], None] | None = None, max_bytes: int | None = None):
        # token None: adopt the token of the first frame (the warden's set-up frame).
        self.fd, self.token, self.watch, self.on_output = fd, token, tuple(watch), on_output
        # The grader reads answers with a cap: what it accepts, it must also be able to check.
        self.max_bytes = max_bytes or MAX_FRAME
        self.buffer = bytearray()

    def _fill(self, need: int, deadline: "float | Callable[[], float] | None") -> None:
        while len(self.buffer) < need:
            wait = None
            if deadline is not None:
                wait = deadline() if callable(deadline) else deadline - time.monotonic()
                if wait <= 0:
                    raise Timeout("no answer before the deadline")
                if callable(deadline):
                    wait = min(wait, 0.5)   # asked again: what arrives meanwhile may move it
            ready, _, _ = select.select([self.fd, *self.watch], [], [], wait)
            for fd in ready:
                if fd != self.fd and self.on_output:
                    self.on_output(fd)
            if self.fd not in ready:
                continue
            chunk = os.read(self.fd, max(65536, min(need - len(self.buffer), 16 << 20)))
            if not chunk:
                raise ChannelClosed("the channel was closed")
            self.buffer += chunk

    def _take(self, n: int) -> bytes:
        out = bytes(self.buffer[:n])
        del self.buffer[:n]
        return out

    def read(self, deadline: "float | Callable[[], float] | None" = None) -> tuple[dict, list[bytes]]:
        """The next frame. ``deadline``: a ``time.monotonic`` time, or a function giving the
        seconds left (asked at least every 0.5 s)."""
        self._fill(_PREFIX.size, deadline)
        magic, token, header_len, count = _PREFIX.unpack(self._take(_PREFIX.size))
        if self.token is None and magic == MAGIC:
            self.token = token
        if magic != MAGIC or token != self.token:
            raise ProtocolError("a frame without the worker's token (forged or corrupted)")
        if count > 1_000_000:
            raise ProtocolError("frame too large")
        if header_len > min(MAX_HEADER, self.max_bytes):
            raise TooLarge(header_len, min(MAX_HEADER, self.max_bytes))
        self._fill(header_len, deadline)
        try:
            header = json.loads(self._take(header_len))
        except (ValueError, RecursionError) as error:
            raise ProtocolError(f"unreadable frame header ({error})") from None
        if type(header) is not dict:
            raise ProtocolError("frame header is not an object")
        blobs, total = [], header_len
        for _ in range(count):
            self._fill(_BLOB_LEN.size, deadline)
            (size,) = _BLOB_LEN.unpack(self._take(_BLOB_LEN.size))
            total += size
            if total > self.max_bytes:
                raise TooLarge(total, self.max_bytes)
            self._fill(size, deadline)
            blobs.append(self._take(size))
        return header, blobs

