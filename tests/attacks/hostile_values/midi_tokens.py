"""Attack: return values built to break the worker's encoder or the grader's
checks, a different one at every call: a generator; objects whose __repr__ hangs
or raises and whose __array__, __float__, __index__, __len__, __iter__ raise or
lie; array-likes that pretend to hold the right tokens; numpy subclasses whose
comparisons always say "equal"; structured, string, datetime, complex and masked
arrays; a view claiming 8 TiB; a list that contains itself; NaN, huge integers,
bytes, sets. tokens_to_midi returns MidiFile look-alikes whose save() hangs,
raises or writes hostile bytes (a header claiming 65535 tracks, truncated
chunks, endless variable-length numbers, 100000 empty tracks)."""
import itertools
import struct
import time

import mido
import numpy as np


class Hang:
    def __repr__(self):
        while True:
            time.sleep(1)


class Boom:
    def _boom(self, *args, **kwargs):
        raise RuntimeError("boom")

    __repr__ = __str__ = __array__ = __float__ = __int__ = __index__ = __iter__ = __eq__ = __hash__ = _boom

    def __len__(self):
        return -1


class ArrayLike:
    """Looks like the answer to anything that converts it."""
    TOKENS = [0, 50, 60, 0, 90]

    def __array__(self, dtype=None, copy=None):
        return np.array(self.TOKENS)

    def __len__(self):
        return 5

    def __iter__(self):
        return iter(self.TOKENS)

    def __getitem__(self, index):
        return self.TOKENS[index]

    def __eq__(self, other):
        return True

    __hash__ = object.__hash__


class YesArray(np.ndarray):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def tolist(self):
        return [0, 50, 60, 0, 90]


class YesInt(np.int64):
    def __eq__(self, other):
        return True

    __hash__ = np.int64.__hash__


class YesStr(str):
    def __eq__(self, other):
        return True

    __hash__ = str.__hash__


def _recursive():
    value = []
    value.append(value)
    return value


VALUES = [   # the ones that hang come last: a worker stopped for a timeout starts the list again
    lambda: (n for n in range(5)),
    ArrayLike,
    lambda: np.zeros(5, dtype=np.int64).view(YesArray),
    lambda: [YesInt(0)] * 5,
    lambda: [np.int64(0), np.float64("nan"), np.bool_(True), np.uint64(1 << 63), np.int8(-1)],
    lambda: np.zeros(5, dtype=[("a", "i8"), ("b", "f8")]),
    lambda: np.array(["0", "50", "60", "0", "90"]),
    lambda: np.zeros(5, dtype="datetime64[s]"),
    lambda: np.zeros(5, dtype=complex),
    lambda: np.ma.masked_array([0] * 5, mask=[1] * 5),
    lambda: np.matrix([[0, 50, 60, 0, 90]]),
    lambda: np.broadcast_to(np.int64(0), (1 << 40,)),
    lambda: np.zeros((0, 1 << 30)),
    _recursive,
    lambda: {YesStr("k"): 1},
    lambda: [float("nan"), float("inf"), -0.0, 1 << 100, -(1 << 63)],
    lambda: [b"\x00" * 5, bytearray(5), memoryview(b"12345"), range(5), {1, 2}, frozenset()],
    lambda: [print, np, Ellipsis, NotImplemented, ValueError("x"), type, object()],
    lambda: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[0]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],
    Boom,
    Hang,
]


def _chunk(kind, body):
    return kind + struct.pack(">I", len(body)) + body


def _header(tracks, division=100, claimed=None):
    return _chunk(b"MThd", struct.pack(">HHH", 1, claimed if claimed is not None else tracks, division))


MIDI_BYTES = [
    b"",
    b"MThd",
    _header(1, claimed=65535) + _chunk(b"MTrk", b"\x00\xff\x2f\x00"),
    _header(1) + b"MTrk" + struct.pack(">I", 0xFFFFFFFF) + b"\x00\x90\x3c\x40",
    _header(1) + _chunk(b"MTrk", b"\xff" * 60000 + b"\x7f\x90\x3c\x40\x00\xff\x2f\x00"),
    _header(1) + _chunk(b"MTrk", b"\x00\xf0" + b"\xff\xff\xff\x7f" + b"\x00" * 100),
    _header(1, division=0) + _chunk(b"MTrk", b"\x00\xff\x51\x00\x00\xff\x2f\x00"),
    _header(1, division=0x8000) + _chunk(b"MTrk", b"\x00\x80\x3c\x40" * 10),
    _header(100000 % 65536) + _chunk(b"MTrk", b"\x00\xff\x2f\x00") * 100000,
    _header(1) + _chunk(b"MTrk", b"\x00\xff\x7f\xff\xff\xff\x7f"),
]


class HostileMidi(mido.MidiFile):
    def __init__(self, behaviour):
        super().__init__()
        self.behaviour = behaviour

    def save(self, filename=None, file=None):
        if self.behaviour == "hang":
            while True:
                time.sleep(1)
        if self.behaviour == "raise":
            raise RecursionError("save")
        file.write(self.behaviour)


MIDIS = [lambda b=b: HostileMidi(b) for b in MIDI_BYTES] + [lambda: HostileMidi("raise"),
                                                            lambda: HostileMidi("hang")]
_values = itertools.cycle(VALUES)
_midis = itertools.cycle(MIDIS)


def midi_to_tokens(midi):
    return next(_values)()


def tokens_to_midi(tokens, bpm=120):
    return next(_midis)()
