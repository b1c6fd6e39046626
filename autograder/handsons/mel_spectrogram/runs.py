"""Hands-on 3's runs: the calls in the sandbox for each case, their answers handed to ``checks.py``.

Two ``vocode`` checks hand an instrumented generator (codec.py) whose forward pass checks that
gradients are off (``torch.no_grad()``: a ``.detach()`` afterwards does not stop the graph being
built) or that it runs in the train mode it was handed in; the waveforms must be right as well.
The gradient of ``mel_spectrogram`` is checked against the function's own change along random
directions (``run_gradient``).

State: a worker serves several checks one after the other. ``run_state`` makes a sequence of
calls in one fresh worker; any other failing check is run again in a fresh worker (``checked``),
and when it is right there the feedback says that state kept between calls is the cause.
"""
from __future__ import annotations

import json
import re

import numpy as np

from ...engine.compare import expect_tensor, fail
from ...engine.display import student_words
from ...engine.reruns import failure_of, message_of, passes_alone
from ...worker.wire import Ext, Tensor
from .checks import (PARAMETER_ORDER, check_mel, check_too_short, check_vocode, mel_call_text, parameters,
                     vocode_call_text)
from .grading import MISTAKES, STATE_CAUSE, WATCHED, WATCHED_CAUSE


# ------------------------------------------------------------------ arguments and what is shown

def generator_arg(config: bytes, weights: bytes, train: bool = False, watch: tuple[str, ...] = ()) -> Ext:
    """A HiFi-GAN generator as an argument: student code receives a
    ``musicrep.hifigan.HifiGanGenerator`` on the CPU, in eval mode (``train``: in train mode). Its
    forward pass checks what ``watch`` names (see codec.py): ``"no_grad"``, that gradients are off;
    ``"mode"``, that it runs in the mode it was handed in."""
    meta = {"train": True} if train else {}
    if watch:
        meta["watch"] = list(watch)
    return Ext("hifigan", meta, [bytes(config), bytes(weights)])


def _generator(fixture_set, case: dict, train: bool = False, watch: tuple[str, ...] = ()) -> Ext:
    config, weights = case["checkpoint"]
    return generator_arg(fixture_set.read_bytes(config), fixture_set.read_bytes(weights), train, watch)


def show_mel(artifacts, expected: np.ndarray, got: object) -> None:
    """Expected and returned log-mel spectrograms and their difference (first item of a batch)."""
    if isinstance(got, Tensor) and got.array.dtype.kind == "f" and got.array.shape == expected.shape:
        first = (lambda a: a[0] if a.ndim == 3 else a)
        artifacts.heatmaps("log-mel spectrogram (mels x frames)", expected=first(expected),
                           yours=first(got.array), difference=first(got.array) - first(expected))


def show_vocoded(artifacts, expected: np.ndarray, got: object, rate: int) -> None:
    """Players for the expected and returned waveforms (first item of a batch)."""
    artifacts.audio("vocoded: expected", expected[0], rate)
    if isinstance(got, Tensor) and got.array.dtype.kind == "f" and got.array.ndim == 2:
        artifacts.audio("vocoded: yours", got.array[0], rate)


# ------------------------------------------------------------------ a failing check, run again alone
# (public and hidden graders are the same checks on different fixture sets)

RERUNS_AFTER_FAILURES_ALONE = 3   # a submission whose failures failed alone this often: they are its own


def checked(student, check) -> None:
    """Run ``check()``. Workers serve several checks one after the other, so an answer may depend on
    earlier calls; when ``check()`` fails, it runs again in a fresh worker (``engine/reruns.py``), and if it
    passes there the verdict stands (that answer was wrong) but the feedback says the cause is state kept
    between calls."""
    failure = failure_of(check)
    if failure is None:
        return
    message = message_of(failure)
    if not passes_alone(student, check, give_up_after=RERUNS_AFTER_FAILURES_ALONE):
        fail(message)
    fail(f"{message.split(chr(10) + 'Likely cause:')[0]}\nThe same call in a fresh worker gives the right "
         f"answer: here it came after calls with other parameters, and your code keeps state from one call to "
         f"the next that changes the answer (test_state_across_calls shows it step by step).\nLikely cause: "
         f"{STATE_CAUSE}.")


# ------------------------------------------------------------------ mel_spectrogram

def _mistake_outputs(fixture_set, case: dict) -> np.ndarray | None:
    return fixture_set.read_array(case["mistake_outputs"]) if "mistake_outputs" in case else None


def _call_mel(student, case: dict, audio: np.ndarray, projection: np.ndarray | None = None):
    from ...engine.client import StudentCodeError
    requires_grad = bool(case.get("requires_grad"))
    extra = {} if projection is None else {"projection": projection}
    try:
        return student.call("mel_spectrogram", Tensor(audio, requires_grad=requires_grad), *parameters(case), **extra)
    except StudentCodeError as error:
        if error.kind != "exception":
            raise
        if requires_grad and "requires grad" in error.detail:
            fail(f"{error}\nLikely cause: {MISTAKES['through_numpy']}")
        if audio.dtype == np.float64 and re.search(r"double|float64", error.detail, re.IGNORECASE):
            fail(f"{error}\nLikely cause: {MISTAKES['float64_mismatch']}")
        if case["params"]["fmax"] is None and "NoneType" in error.detail:
            fail(f"{error}\nLikely cause: {MISTAKES['fmax_none_crash']}")
        raise


def run_mel(student, fixture_set, case: dict, artifacts=None) -> None:
    audio = fixture_set.read_array(case["audio"])
    expected = fixture_set.read_array(case["expected"])
    shown = []

    def check():
        projection = GRADIENT_DRAWS.standard_normal(expected.shape) if case.get("requires_grad") else None
        got = _call_mel(student, case, audio, projection)
        got, products = got if projection is not None else (got, None)
        if artifacts is not None and not shown:
            shown.append(show_mel(artifacts, expected, got))
        check_mel(got, case, audio, expected, fixture_set.read_array(case["librosa"]),
                  _mistake_outputs(fixture_set, case))
        if projection is not None:
            run_gradient(student, case, audio, projection, products)
    checked(student, check)


# The random weights and directions of the gradient check: drawn at grading time from the system's
# entropy (nothing in shipped code says which), so that no fixed answer fits them.
GRADIENT_DRAWS = np.random.default_rng()
# Of the gradient's size along a random direction (its norm: a standard normal direction's projection
# has that spread), not of the one projection drawn, which can land near zero. Measured on 2026-12-07
# (150 draws each on the public speech case): every alternative and the reference within 5.5e-4 of it
# (float32 autograd), on other kernels too; a reflect padding with detached edges 3e-3 (median).
GRADIENT_RTOL = 0.003
GRADIENT_DIRECTIONS = 3   # each misses a wrong gradient only where it happens to be near orthogonal


def run_gradient(student, case: dict, audio: np.ndarray, projection: np.ndarray, products: list | None) -> None:
    """The result's gradient with respect to the audio must be the mel's own: for the random weights
    ``projection`` of the result, autograd's vector-Jacobian product (computed in the worker from the
    result's graph, ``products``) along random directions of the audio equals the function's finite
    difference along them (two more calls each, in a fresh worker: nothing the differentiable call
    left in memory can answer them). A graph that reaches the audio through a path of weight 0
    (``+ 0 * audio.sum()``) or a stand-in path has requires_grad, but not this gradient."""
    what = mel_call_text(case, audio.shape, audio.dtype.name, True)
    gradient = products[0] if products and products[0].shape == audio.shape else None
    if gradient is None or not np.isfinite(gradient).all():
        fail(f"{what} returned the right values with requires_grad=True, but autograd gives no gradient of "
             f"it with respect to the audio.\nLikely cause: {MISTAKES['not_differentiable']}")
    gradient = gradient.astype(np.float64)
    # The function's own change along a random direction, in float64 (the docstring: the result has
    # the audio's dtype), with a step small enough for the log's curvature (1e-8 of the loudest sample).
    base = audio.astype(np.float64)
    step = 1e-8 * float(np.abs(base).max() or 1.0)
    student.fresh()
    for _ in range(GRADIENT_DIRECTIONS):
        direction = GRADIENT_DRAWS.standard_normal(audio.shape)
        sides = []
        for sign in (1, -1):
            value = student.call("mel_spectrogram", Tensor(base + sign * step * direction), *parameters(case))
            side = expect_tensor(value, mel_call_text(case, audio.shape, "float64"), kind="f")
            if value.dtype != "torch.float64":
                fail(f"{what}: to check its gradient, the same audio is sent as float64, and the result came back "
                     f"as {value.dtype}; the result has the dtype of the audio.\nLikely cause: "
                     f"{MISTAKES['float32_result']}")
            sides.append(side.astype(np.float64))
        finite = float(np.sum(projection * (sides[0] - sides[1]))) / (2 * step)
        autograd = float(np.sum(gradient * direction))
        scale = max(float(np.linalg.norm(gradient)), abs(finite))
        if not abs(autograd - finite) <= GRADIENT_RTOL * scale + 1e-6:
            fail(f"{what} returned the right values with requires_grad=True, but its gradient with respect to "
                 f"the audio is not the mel's: along a random direction of the audio, autograd's gradient (of a "
                 f"random weighting of the result) gives {autograd:.6g}, the function's own change {finite:.6g}. "
                 f"The result must be computed from the audio by differentiable torch operations, not joined to "
                 f"it by a path that carries no gradient.\nLikely cause: {MISTAKES['not_differentiable']}")


def run_too_short(student, fixture_set, case: dict) -> None:
    checked(student, lambda: _too_short(student, fixture_set, case))


def _too_short(student, fixture_set, case: dict) -> None:
    """Audio of exactly the minimum length must be accepted with the right mel, and the shorter clip
    refused: the refusal scores only with the right answer at the minimum (a function that refuses
    everything earns nothing)."""
    from ...engine.client import StudentCodeError
    accepted, minimum = case["accepted"], case["minimum"]
    audio = fixture_set.read_array(accepted["audio"])
    n_fft, hop_size = case["params"]["n_fft"], case["params"]["hop_size"]
    pad = (n_fft - hop_size) // 2
    try:
        got = student.call("mel_spectrogram", Tensor(audio), *parameters(case))
    except StudentCodeError as error:
        if error.kind == "exception" and error.exception == "ValueError":
            fail(f"{mel_call_text(case, audio.shape)} raised ValueError.{student_words(' Its message', error.detail)}"
                 f"\nBut {minimum} samples is "
                 f"exactly the minimum, max(pad + 1, n_fft - 2 * pad) = max({pad + 1}, {n_fft - 2 * pad}) with "
                 f"pad = (n_fft - hop_size) // 2 = {pad}: it must be accepted (it gives "
                 f"{1 + (minimum + 2 * pad - n_fft) // hop_size} frame).\nLikely cause: {MISTAKES['minimum_refused']}")
        raise
    check_mel(got, accepted, audio, fixture_set.read_array(accepted["expected"]),
              fixture_set.read_array(accepted["librosa"]), _mistake_outputs(fixture_set, accepted))
    short = fixture_set.read_array(case["audio"])
    check_too_short(lambda: student.call("mel_spectrogram", Tensor(short), *parameters(case)), case, short.shape)


# ------------------------------------------------------------------ vocode

def _call_vocode(student, fixture_set, case: dict, mel: np.ndarray, requires_grad: bool = False,
                 train: bool = False, watch: tuple[str, ...] = ()):
    from ...engine.client import StudentCodeError
    from .codec import WATCH_MARK
    try:
        return student.call("vocode", _generator(fixture_set, case, train, watch),
                            Tensor(mel, requires_grad=requires_grad))
    except StudentCodeError as error:
        if error.kind == "exception" and WATCH_MARK in error.detail:
            name = error.detail.split(WATCH_MARK, 1)[1].split(":", 1)[0].strip()
            if name in watch:
                fail(f"{vocode_call_text(mel, requires_grad)}: {WATCHED[name]}.\nThe generator of this "
                     f"check is the reference's, instrumented: its forward pass stopped the call "
                     f"({WATCH_MARK} {name}).\nLikely cause: {WATCHED_CAUSE[name]}.")
        if (error.kind == "exception" and mel.dtype == np.float64
                and re.search(r"double|float64", error.detail, re.IGNORECASE)):
            fail(f"{error}\nLikely cause: {MISTAKES['mel_not_converted']}")
        raise


def run_vocode(student, fixture_set, case: dict, artifacts=None) -> None:
    mel = fixture_set.read_array(case["mel"])
    expected = fixture_set.read_array(case["expected"])
    shown = []

    def check():
        got = _call_vocode(student, fixture_set, case, mel)
        if artifacts is not None and not shown:
            rate = json.loads(fixture_set.read_bytes(case["checkpoint"][0]))["sampling_rate"]
            shown.append(show_vocoded(artifacts, expected, got, rate))
        check_vocode(got, expected, mel)
    checked(student, check)


def run_no_grad(student, fixture_set, case: dict) -> None:
    """The mel requires gradients and the generator checks that it runs with gradients off; the
    waveforms must be right and carry no autograd history (the point only with the right waveforms)."""
    mel = fixture_set.read_array(case["mel"])
    checked(student, lambda: check_vocode(_call_vocode(student, fixture_set, case, mel, requires_grad=True,
                                                       watch=("no_grad",)),
                                          fixture_set.read_array(case["expected"]), mel, requires_grad=True))


def run_keeps_mode(student, fixture_set, case: dict) -> None:
    """The generator is handed in train mode and checks that it runs in train mode: vocode uses it as it
    is (HiFi-GAN has no layer that trains differently, so the waveforms are the same; the point only
    with the right waveforms)."""
    mel = fixture_set.read_array(case["mel"])
    checked(student, lambda: check_vocode(_call_vocode(student, fixture_set, case, mel, train=True,
                                                       watch=("mode",)),
                                          fixture_set.read_array(case["expected"]), mel))


# ------------------------------------------------------------------ state across calls

def _run_step(student, fixture_set, step: dict) -> None:
    if step["function"] == "vocode":
        mel = fixture_set.read_array(step["mel"])
        check_vocode(_call_vocode(student, fixture_set, step, mel), fixture_set.read_array(step["expected"]), mel)
        return
    audio = fixture_set.read_array(step["audio"])
    check_mel(_call_mel(student, step, audio), step, audio, fixture_set.read_array(step["expected"]),
              fixture_set.read_array(step["librosa"]), _mistake_outputs(fixture_set, step))


def _step_text(step: dict, shape: tuple, dtype: str) -> str:
    if step["function"] == "vocode":
        return f"vocode(generator, <mel of shape {list(shape)}>)"
    kind = "" if dtype == "float32" else f"{dtype} "
    grad = ", requires_grad=True" if step.get("requires_grad") else ""
    return (f"mel_spectrogram(<{kind}{list(shape)}{grad}>, "
            + ", ".join(repr(step["params"][name]) for name in PARAMETER_ORDER) + ")")


def _what_changed(steps: list[dict], index: int, dtypes: list[str]) -> str:
    """How call ``index`` differs from the closest earlier ``mel_spectrogram`` call."""
    step = steps[index]
    if step["function"] == "vocode":
        return "It is a vocode call after mel_spectrogram calls."
    best = None
    for earlier in range(index):
        if steps[earlier]["function"] != "mel_spectrogram":
            continue
        differ = [f"{k} {steps[earlier]['params'][k]!r} -> {step['params'][k]!r}" for k in PARAMETER_ORDER
                  if steps[earlier]["params"][k] != step["params"][k]]
        if dtypes[earlier] != dtypes[index]:
            differ.append(f"the audio's dtype {dtypes[earlier]} -> {dtypes[index]}")
        if best is None or len(differ) <= len(best[1]):
            best = (earlier, differ)
    if best is None:
        return ""
    earlier, differ = best
    if not differ:
        return (f"It repeats the parameters of call {earlier + 1}, which came before calls with other "
                f"parameters.")
    return f"From call {earlier + 1} to this one, only this changed: {', '.join(differ)}."


def run_state(student, fixture_set, case: dict) -> None:
    """The calls of ``case["steps"]`` in one fresh worker, one after the other, each checked. When one
    fails, the same call is made again in a fresh worker: right there, the failure comes from what
    earlier calls left behind (a cache keyed without a parameter, a changed global), and it says so."""
    steps = case["steps"]
    shapes, dtypes = [], []
    for step in steps:
        array = fixture_set.read_array(step["audio"] if step["function"] == "mel_spectrogram" else step["mel"])
        shapes.append(array.shape)
        dtypes.append(array.dtype.name)
    student.fresh()   # a worker of its own: only these calls come before each one
    for index, step in enumerate(steps):
        check = (lambda step=step: _run_step(student, fixture_set, step))
        failed = failure_of(check)
        if failed is None:
            continue
        failure = message_of(failed)
        listing = "; ".join(f"{i + 1}. {_step_text(s, shapes[i], dtypes[i])}" for i, s in enumerate(steps[:index + 1]))
        header = (f"Call {index + 1} of {len(steps)} in one worker, after the calls before it (the way a notebook "
                  f"calls your functions one after the other: {listing}):")
        if not passes_alone(student, check):
            fail(f"{header}\n{failure}\n(The same call fails in a fresh worker too: the other checks of this "
                 f"function say more.)")
        grad_off = (bool(step.get("requires_grad")) and "requires_grad=False" in failure
                    and any(s["function"] == "vocode" for s in steps[:index]))
        likely = MISTAKES["grad_off_globally"] if grad_off else STATE_CAUSE
        fail(f"{header}\n{failure.split(chr(10) + 'Likely cause:')[0]}\nThe same call in a fresh worker gives "
             f"the right answer: your code keeps state from one call to the next that changes the answer. "
             f"{_what_changed(steps, index, dtypes)}\nLikely cause: {likely}.")
