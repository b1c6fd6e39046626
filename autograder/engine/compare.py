"""Checking returned values, with messages that say what differs and where.

The one place graders compare arrays with a tolerance: :func:`assert_close`
says the shapes, the largest difference and where it is, how many elements
are off, and which known mistake explains it when a hint recognises it.
"""
from __future__ import annotations

from typing import Callable, NoReturn, Sequence

import numpy as np
import pytest

from ..worker.wire import Ext, Opaque, Tensor

Hint = Callable[[np.ndarray, np.ndarray], "str | None"]


def fail(message: str) -> NoReturn:
    """Fail the current check with ``message`` (shown to the student as is)."""
    pytest.fail(message, pytrace=False)


def describe(value: object) -> str:
    """A short description of a returned value's type and shape."""
    if isinstance(value, Tensor):
        grad = ", requires_grad=True" if value.requires_grad else ""
        return f"a torch.Tensor of shape {tuple(value.shape)} and dtype {value.dtype}{grad}"
    if isinstance(value, np.ndarray):
        return f"a numpy array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, Opaque):
        return f"a {value}"
    if isinstance(value, Ext):
        return f"a {value.kind} value"
    if isinstance(value, (list, tuple)):
        kinds = sorted({type(v).__name__ for v in value[:1000]})
        return f"a {type(value).__name__} of {len(value)} item(s) ({', '.join(kinds) or 'empty'})"
    return f"a {type(value).__name__} ({value!r:.60})"


def expect_tensor(value: object, what: str, *, shape: Sequence[int | None] | None = None,
                  kind: str | None = None) -> np.ndarray:
    """The data of a returned torch tensor, or fail saying what came back instead.

    ``kind``: "f" float, "i" integer (any width), "b" bool. ``shape`` entries may be None.
    """
    if not isinstance(value, Tensor):
        fail(f"{what} should be a torch.Tensor; got {describe(value)}.")
    array = value.array
    _expect_kind_shape(array, what, value.dtype, shape, kind)
    return array


def expect_array(value: object, what: str, *, shape=None, kind: str | None = None) -> np.ndarray:
    """The data of a returned tensor or numpy array."""
    if isinstance(value, Tensor):
        return expect_tensor(value, what, shape=shape, kind=kind)
    if not isinstance(value, np.ndarray):
        fail(f"{what} should be an array; got {describe(value)}.")
    _expect_kind_shape(value, what, str(value.dtype), shape, kind)
    return value


def _expect_kind_shape(array: np.ndarray, what: str, dtype: str, shape, kind) -> None:
    names = {"f": "floating-point", "i": "integer", "b": "boolean"}
    if kind is not None:
        actual = {"f": "f", "c": "c", "i": "i", "u": "i", "b": "b"}.get(array.dtype.kind, "?")
        if actual != kind:
            fail(f"{what} should hold {names[kind]} values; got dtype {dtype or array.dtype}.")
    if shape is not None:
        ok = len(shape) == array.ndim and all(s is None or s == a for s, a in zip(shape, array.shape))
        if not ok:
            wanted = "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"
            fail(f"{what} should have shape {wanted}; got {tuple(array.shape)}.")


def _is_int(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, np.integer))


def expect_int(value: object, what: str) -> int:
    """A returned Python int (a numpy integer scalar accepted; a bool is not a number here)."""
    if not _is_int(value):
        fail(f"{what} should be a Python int; got {describe(value)}.")
    return int(value)


def expect_number(value: object, what: str) -> float:
    """A returned Python float (an int or a numpy scalar accepted; a bool is not a number here)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        fail(f"{what} should be a Python float; got {describe(value)}.")
    return float(value)


def expect_int_list(value: object, what: str) -> list[int]:
    """A returned list of Python ints (numpy integer scalars accepted)."""
    if not isinstance(value, list):
        fail(f"{what} should be a list of int; got {describe(value)}.")
    out = []
    for index, item in enumerate(value):
        if not _is_int(item):
            fail(f"{what} should be a list of int; item {index} is {describe(item)}.")
        out.append(int(item))
    return out


def assert_close(got: np.ndarray, expected: np.ndarray, what: str, *, rtol: float = 1e-5,
                 atol: "float | np.ndarray" = 1e-6, hints: Sequence[Hint] = ()) -> None:
    """Fail unless ``got`` matches ``expected`` elementwise within tolerance:
    ``|got - expected| <= atol + rtol * |expected|``.

    ``atol`` may be an array broadcastable to ``expected``'s shape: a tolerance
    per element (for values whose accuracy depends on where they are).
    """
    got = np.asarray(got)
    expected = np.asarray(expected)
    if got.shape != expected.shape:
        message = f"{what} has shape {got.shape}; expected {expected.shape}."
        fail(_with_hint(message, got, expected, hints))
    got64, exp64 = got.astype(np.float64), expected.astype(np.float64)
    bad_values = ~np.isfinite(got64) & np.isfinite(exp64)
    if bad_values.any():
        index = tuple(int(i) for i in np.argwhere(bad_values)[0])
        fail(f"{what} holds {int(bad_values.sum())} NaN/inf value(s) where finite values are expected "
             f"(first at index {index}).")
    diff = np.abs(got64 - exp64)
    atol_array = np.asarray(atol, dtype=np.float64)
    allowed = np.broadcast_to(atol_array + rtol * np.abs(exp64), exp64.shape)
    off = diff > allowed
    if not off.any():
        return
    worst = tuple(int(i) for i in np.unravel_index(np.argmax(diff - allowed), diff.shape))
    if atol_array.ndim == 0:
        tolerance = f"rtol={rtol:g}, atol={float(atol_array):g}"
        where = ""
    else:
        tolerance = (f"rtol={rtol:g}, atol per element from {atol_array.min():.3g} "
                     f"to {atol_array.max():.3g}")
        where = f" (allowed there: {allowed[worst]:.3g})"
    message = (f"{what} differs from the expected values: {int(off.sum())} of {off.size} element(s) "
               f"({100 * off.mean():.1f}%) are outside the tolerance ({tolerance}). "
               f"Largest difference {diff[worst]:.4g} at index {worst}{where}: expected {exp64[worst]:.6g}, "
               f"got {got64[worst]:.6g}.")
    fail(_with_hint(message, got, expected, hints))


def _with_hint(message: str, got: np.ndarray, expected: np.ndarray, hints: Sequence[Hint]) -> str:
    for hint in hints:
        try:
            text = hint(got, expected)
        except Exception:  # a hint is a guess; it must never break the verdict
            text = None
        if text:
            return f"{message}\nLikely cause: {text}"
    return message
