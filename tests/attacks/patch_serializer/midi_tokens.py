"""Attack: replace what the worker's own answer encoder relies on (json.dumps, the
frame's struct layouts, the .npy writer, builtins such as type and isinstance) so
that the grader receives malformed answers: a header nested 100000 deep, an
integer of 100000 digits, a JSON leaf that is a list, a value nested 40 deep, a
frame claiming a billion blobs or a blob of 2**63 bytes, a truncated frame, an
ndarray whose blob is not .npy, a "midi" value pointing at a million blobs.
Each call picks a variant from its input (a worker whose answer is rejected is
replaced, so a counter would start again every time)."""
import builtins
import json
import struct
import zlib

MARK = "@@MARK@@"

try:
    import agworker.wire as wire
except ImportError:
    wire = None

_dumps = json.dumps


def _header_text(text):
    def dumps(header, *args, **kwargs):
        if header.get("status") != "ok":
            return _dumps(header, *args, **kwargs)
        # With the id of the request it answers (the worker has it while it answers): the frame
        # gets past the grader's id check, to the checks of what it holds.
        return text.replace('{"status"', '{"id":%s,"status"' % _dumps(header.get("id", "")), 1)
    return dumps


def _value(tree):
    return _header_text(_dumps({"status": "ok", "value": tree, "seconds": 0.0}))


VARIANTS = [
    ("deep header", _header_text('{"status":"ok","value":' + "[" * 100000 + "]" * 100000 + "}")),
    ("huge integer", _header_text('{"status":"ok","value":{"t":"json","v":' + "9" * 100000 + "}}")),
    ("list leaf", _value({"t": "json", "v": [0, 50, 60, 0, 90]})),
    ("deep value", _value(eval("{'t': 'list', 'items': [" * 40 + "{'t': 'json', 'v': 0}" + "]}" * 40))),
    ("nan count", _value({"t": "list", "items": float("nan")})),
    ("unknown tag", _value({"t": "pickle", "v": MARK})),
    ("missing blob", _value({"t": "ndarray", "blob": 7})),
    ("negative blob", _value({"t": "ext", "kind": "midi", "meta": {}, "blobs": [-1]})),
    ("million blobs", _value({"t": "ext", "kind": "midi", "meta": {"x": MARK}, "blobs": [0] * 1_000_000})),
    ("bad dict", _value({"t": "dict", "items": [[[1], {"t": "json", "v": 0}], "x"]})),
    ("not an object", _header_text("[1, 2, 3]")),
    ("invalid json", _header_text('{"status": "ok", "value": {"t": "json", "v": \ud800}')),
    ("billion blobs", "prefix"),
    ("huge blob", "blob"),
    ("not npy", "npy"),
    ("type replaced", "builtins"),
]


def _install(variant):
    name, how = variant
    if wire is None:
        return
    if callable(how):
        wire.json.dumps = how
    elif how == "prefix":
        real = struct.Struct("<4s16sII")

        class Prefix:
            size = real.size

            @staticmethod
            def pack(magic, token, length, count):
                return real.pack(magic, token, length, 1_000_000_000 if count else 0)
        wire._PREFIX = Prefix
    elif how == "blob":
        class BlobLength:
            size = 8

            @staticmethod
            def pack(length):
                return struct.pack("<Q", (1 << 63) + length)
        wire._BLOB_LEN = BlobLength
    elif how == "npy":
        wire._npy_bytes = lambda array: b"\x93NUMPY\x01\x00" + b"\xff" * 100
    elif how == "builtins":
        builtins.type = lambda *args: int if len(args) == 1 else type(*args)
        builtins.isinstance = lambda obj, cls: True


def _pick(key):
    return VARIANTS[zlib.crc32(key.encode(errors="replace")) % len(VARIANTS)]


def midi_to_tokens(midi):
    _install(_pick(repr([str(m) for m in midi])))
    import numpy as np
    return np.array([0, 50, 60, 0, 90])


def tokens_to_midi(tokens, bpm=120):
    _install(_pick(repr(tokens) + str(bpm)))
    import mido
    return mido.MidiFile()
