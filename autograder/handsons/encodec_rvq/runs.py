"""Hands-on 1's runs: the calls in the sandbox for each case, their answers handed to ``checks.py``.

``run_case`` runs any case by its group (and its follow-up calls); ``run_sequence`` runs several in one
worker, a failing step run again alone (``engine/reruns.py``) to tell state kept between calls apart.
"""
from __future__ import annotations

import contextlib
import functools
import json
from typing import Callable

import numpy as np
import pytest

from ...engine.compare import fail
from ...engine.display import student_words
from ...engine.reruns import is_wrong_answer, passes_alone
from ...worker.wire import Ext, Tensor
from .checks import (check_codebooks, check_decode, check_distance_curve, check_downsampling_factor,
                     check_encode_codes, check_num_quantizers, check_pre_quantize, check_quantize, check_ratio,
                     check_rvq_codes, check_rvq_decode, check_value_error)
from .codec import CHECKPOINT_FILES
from .grading import MISTAKES
from .seeded import generated, random_codes


# ------------------------------------------------------------------ arguments

def _checkpoint_files(fixture_set, name: str) -> tuple[dict, list[bytes]]:
    names = [n for n in CHECKPOINT_FILES if fixture_set.path(f"models/{name}/{n}").is_file()]
    if "config.json" not in names:
        raise FileNotFoundError(f"no checkpoint {name} in {fixture_set.folder}")
    return {"files": names}, [fixture_set.read_bytes(f"models/{name}/{n}") for n in names]


def model_arg(fixture_set, name: str) -> Ext:
    """The checkpoint ``name`` as an argument: student code gets a ``transformers.EncodecModel``
    (on the meta device when the checkpoint is a config only)."""
    meta, blobs = _checkpoint_files(fixture_set, name)
    return Ext("encodec_model", meta, blobs)


def feature_extractor_arg(fixture_set, name: str) -> Ext:
    meta, blobs = _checkpoint_files(fixture_set, name)
    return Ext("encodec_feature_extractor", meta, blobs)


def config_arg(fixture_set, name: str) -> Ext:
    return Ext("encodec_config", {"files": ["config.json"]}, [fixture_set.read_bytes(f"models/{name}/config.json")])


@functools.lru_cache(maxsize=None)
def _state(path: str) -> dict:
    from safetensors.numpy import load_file
    return load_file(path)


def model_tables(fixture_set, name: str, count: int | None = None) -> list[np.ndarray]:
    """The codebooks of checkpoint ``name`` (the first ``count``), float32 ``[K, D]`` each."""
    state = _state(str(fixture_set.path(f"models/{name}/model.safetensors")))
    total = sum(1 for key in state if key.endswith(".codebook.embed"))
    count = total if count is None else count
    return [state[f"quantizer.layers.{q}.codebook.embed"] for q in range(count)]


def tensor(array: np.ndarray, dtype=None) -> Tensor:
    return Tensor(np.ascontiguousarray(array if dtype is None else np.asarray(array).astype(dtype)))


# ------------------------------------------------------------------ running a case

def _models(case: dict):
    """The fixture set that holds a case's model files (checkpoints are public; a few configs hidden)."""
    from ...engine import fixtures
    return fixtures.load("encodec_rvq", case.get("models", "public"))


def call(student, function: str, *args, hint: Callable[[object], str | None] | None = None, **kwargs):
    """``student.call``; an exception that ``hint(error)`` explains (a classic mistake) says so."""
    from ...engine.client import StudentCodeError
    try:
        return student.call(function, *args, **kwargs)
    except StudentCodeError as error:
        cause = hint(error) if hint is not None and error.kind == "exception" else None
        if cause:
            raise StudentCodeError(error.kind, f"{error.message}\nLikely cause: {cause}", error.output,
                                   error.exception, error.detail) from None
        raise


@contextlib.contextmanager
def _prefixed(prefix: str):
    """Failures (verdicts and student code's errors, their kind kept) inside say ``prefix`` first."""
    from ...engine.client import StudentCodeError
    try:
        yield
    except StudentCodeError as error:
        raise StudentCodeError(error.kind, prefix + error.message, error.output, error.exception,
                               error.detail) from None
    except pytest.fail.Exception as failure:
        fail(prefix + str(failure.msg))


def run_downsampling_factor(student, case: dict) -> None:
    check_downsampling_factor(student.call("downsampling_factor", model_arg(_models(case), case["id"])), case)


def run_num_quantizers(student, case: dict) -> None:
    config = config_arg(_models(case), case["model"])
    for bandwidth, expected in zip(case["bandwidths"], case["expected"]):
        check_num_quantizers(student.call("num_quantizers", config, bandwidth), bandwidth, expected, case)


def _encode_args(case: dict, fixture_set) -> tuple:
    models = _models(case)
    return (model_arg(models, case["model"]), feature_extractor_arg(models, case["model"]),
            fixture_set.read_array(case["audio"]))


def run_encode(student, fixture_set, case: dict) -> None:
    model, feature_extractor, audio = _encode_args(case, fixture_set)

    def hint(error) -> str | None:
        if isinstance(case["bandwidth"], int) and error.exception == "ValueError":
            return MISTAKES["int_bandwidth"]
        return MISTAKES["short_audio"] if len(audio) < case["hop_length"] else None

    got = call(student, "encode", model, feature_extractor, audio, case["sampling_rate"], case["bandwidth"],
               hint=hint)
    expected = fixture_set.read_array(case["expected"]).astype(np.int64)
    check_encode_codes(got, case, expected, fixture_set.read_array(case["embeddings"]),
                       model_tables(_models(case), case["model"], expected.shape[0]))


def _accepts_valid_arguments(student, model, feature_extractor, audio, rate, bandwidth) -> None:
    """No points for raising whatever the arguments: with the model's rate and a target bandwidth, the
    same audio must be encoded (the value is graded by test_encode)."""
    from ...engine.client import StudentCodeError
    try:
        student.call("encode", model, feature_extractor, audio, rate, bandwidth)
    except StudentCodeError as error:
        if error.kind != "exception":
            raise
        fail(f"encode(...) at the model's own rate ({rate} Hz) and one of its target bandwidths ({bandwidth!r} "
             f"kbps) raised {error.exception}. These checks need encode to work with valid arguments first; its "
             f"ValueErrors are for a wrong rate or bandwidth only." + student_words("\nIts message", error.detail))


def run_wrong_rate(student, fixture_set, case: dict) -> None:
    model, feature_extractor, audio = _encode_args(case, fixture_set)
    rate, model_rate = case["sampling_rate"], case["model_rate"]
    _accepts_valid_arguments(student, model, feature_extractor, audio, model_rate, case["bandwidth"])
    check_value_error(lambda: student.call("encode", model, feature_extractor, audio, rate, case["bandwidth"]),
                      f"encode(...) with sampling_rate={rate} for a {model_rate} Hz model",
                      f"the audio is at {rate} Hz, the model works at {model_rate} Hz",
                      [rate, model_rate], "give both rates")


def run_wrong_bandwidth(student, fixture_set, case: dict) -> None:
    model, feature_extractor, audio = _encode_args(case, fixture_set)
    targets = case["targets"]
    _accepts_valid_arguments(student, model, feature_extractor, audio, case["sampling_rate"], targets[0])
    check_value_error(lambda: student.call("encode", model, feature_extractor, audio, case["sampling_rate"],
                                           case["bandwidth"]),
                      f"encode(..., bandwidth={case['bandwidth']!r})",
                      f"{case['bandwidth']} kbps is not one of the model's target bandwidths {targets}",
                      targets, "list the target bandwidths")


def _returned_array(value: object) -> np.ndarray | None:
    """What student code returned, as an array, if it is a float tensor (for pictures only)."""
    if isinstance(value, Tensor) and value.array.dtype.kind == "f":
        return value.array
    return None


def run_decode(student, fixture_set, case: dict, artifacts=None) -> None:
    codes = fixture_set.read_array(case["codes"]).astype(np.int64)
    got = student.call("decode", model_arg(_models(case), case["model"]), tensor(codes))
    expected = fixture_set.read_array(case["expected"])
    yours = _returned_array(got)
    if artifacts is not None and yours is not None and yours.ndim == 1:
        rate = json.loads(_models(case).read_bytes(f"models/{case['model']}/config.json"))["sampling_rate"]
        artifacts.audio("decoded audio: expected", expected, rate)
        artifacts.audio("decoded audio: yours", yours, rate)
    check_decode(got, expected, case)


def run_compression_ratio(student, case: dict) -> None:
    codes = random_codes(case["seed"], case["codes_shape"], case["codebook_size"])
    if case.get("default_bits"):   # the signature's default, 16 bits
        got = student.call("compression_ratio", case["num_samples"], tensor(codes), case["codebook_size"])
    else:
        got = student.call("compression_ratio", case["num_samples"], tensor(codes), case["codebook_size"],
                           bits_per_sample=case["bits_per_sample"])
    check_ratio(got, case)


def run_pre_quantize(student, fixture_set, case: dict) -> None:
    values = fixture_set.read_array(case["input_values"])
    mask = fixture_set.read_array(case["padding_mask"]).astype(case["mask_dtype"])

    def hint(error) -> str | None:
        if case["mask_dtype"] != "bool" and "bool" in error.detail.lower():
            return MISTAKES["mask_dtype"].format(dtype=f"torch.{case['mask_dtype']}")
        return None

    got = call(student, "pre_quantize", model_arg(_models(case), case["model"]), tensor(values), tensor(mask),
               hint=hint)
    unmasked = fixture_set.read_array(case["unmasked"]) if "unmasked" in case else None
    check_pre_quantize(got, case, fixture_set.read_array(case["expected"]), unmasked)


def run_codebooks(student, case: dict) -> None:
    models = _models(case)

    def hint(error) -> str | None:
        capped = case["num_quantizers"] > case["layers"]
        return MISTAKES["capped_index"] if capped and error.exception == "IndexError" else None

    got = call(student, "codebooks", model_arg(models, case["model"]), case["bandwidth"], hint=hint)
    tables = None if case["meta"] else model_tables(models, case["model"], case["expected_count"])
    check_codebooks(got, case, tables)


def _tables_and_vectors(fixture_set, case: dict) -> tuple[list[np.ndarray], np.ndarray | None]:
    if "generated" in case:
        tables, vectors = generated(case["generated"])
    elif "tables" in case:
        tables, vectors = [np.array(t, dtype=np.float32) for t in case["tables"]], None
    elif "table_files" in case:
        tables, vectors = [fixture_set.read_array(name) for name in case["table_files"]], None
    else:
        tables, vectors = model_tables(_models(case), case["model"], case.get("count")), None
    if vectors is None and isinstance(case.get("vectors"), str):
        vectors = fixture_set.read_array(case["vectors"])
    elif vectors is None and isinstance(case.get("vectors"), list):
        vectors = np.array(case["vectors"], dtype=np.float32)
    return tables, vectors


def run_quantize(student, fixture_set, case: dict) -> None:
    if "generated" in case:
        tables, vectors = generated(case["generated"])
        table = tables[0]
    else:
        table, vectors = fixture_set.read_array(case["embed"]), fixture_set.read_array(case["vectors"])

    def hint(error) -> str | None:
        return MISTAKES["empty_vectors"] if len(vectors) == 0 else None

    check_quantize(call(student, "quantize", tensor(table), tensor(vectors), hint=hint), table, vectors)


def run_rvq_encode(student, fixture_set, case: dict) -> None:
    tables, vectors = _tables_and_vectors(fixture_set, case)

    def hint(error) -> str | None:
        if not tables:
            return MISTAKES["no_codebooks"]
        if len({t.shape[0] for t in tables}) > 1 and error.exception == "RuntimeError" \
                and "size" in error.detail.lower():
            return MISTAKES["stacked"]
        return None

    got = call(student, "rvq_encode", [tensor(t) for t in tables], tensor(vectors), hint=hint)
    check_rvq_codes(got, tables, vectors, f"rvq_encode({len(tables)} codebooks, {len(vectors)} vectors)")


def run_rvq_decode(student, fixture_set, case: dict) -> None:
    tables, _ = _tables_and_vectors(fixture_set, case)
    dtype = case.get("dtype", "float32")
    codes = fixture_set.read_array(case["codes"]).astype(np.int64)

    def hint(error) -> str | None:
        if codes.shape[0] == 0:
            return MISTAKES["no_rows"]
        return MISTAKES["fewer_rows"] if codes.shape[0] < len(tables) and error.exception == "IndexError" else None

    got = call(student, "rvq_decode", [tensor(t, dtype) for t in tables], tensor(codes), hint=hint)
    check_rvq_decode(got, fixture_set.read_array(case["expected"]), codes.shape[0], dtype)


def run_distance_curve(student, fixture_set, case: dict, artifacts=None) -> None:
    tables, vectors = _tables_and_vectors(fixture_set, case)
    if "vector_values" in case:
        vectors = np.array([case["vector_values"]], dtype=np.float32)
        expected = np.array([case["expected_values"]], dtype=np.float32)
    else:
        expected = fixture_set.read_array(case["expected"])
    sent = [tensor(t) for t in tables]
    for index, vector in enumerate(vectors):
        got = student.call("distance_curve", sent, tensor(vector))
        yours = _returned_array(got)
        if artifacts is not None and index == 0 and yours is not None and yours.ndim == 1:
            artifacts.curves("distance to the vector after q codebooks", "codebooks q", "distance",
                             expected=expected[index], yours=yours)
        check_distance_curve(got, expected[index], vector,
                             f"distance_curve({len(tables)} codebooks, vector {index} of this case)", tables)


RUNNERS: dict[str, Callable] = {
    "downsampling_factor": lambda student, fixture_set, case, artifacts=None: run_downsampling_factor(student, case),
    "num_quantizers": lambda student, fixture_set, case, artifacts=None: run_num_quantizers(student, case),
    "encode": lambda student, fixture_set, case, artifacts=None: run_encode(student, fixture_set, case),
    "wrong_rate": lambda student, fixture_set, case, artifacts=None: run_wrong_rate(student, fixture_set, case),
    "wrong_bandwidth": lambda student, fixture_set, case, artifacts=None: run_wrong_bandwidth(student, fixture_set,
                                                                                              case),
    "decode": run_decode,
    "compression_ratio": lambda student, fixture_set, case, artifacts=None: run_compression_ratio(student, case),
    "pre_quantize": lambda student, fixture_set, case, artifacts=None: run_pre_quantize(student, fixture_set, case),
    "codebooks": lambda student, fixture_set, case, artifacts=None: run_codebooks(student, case),
    "quantize": lambda student, fixture_set, case, artifacts=None: run_quantize(student, fixture_set, case),
    "rvq_encode": lambda student, fixture_set, case, artifacts=None: run_rvq_encode(student, fixture_set, case),
    "rvq_decode": lambda student, fixture_set, case, artifacts=None: run_rvq_decode(student, fixture_set, case),
    "distance_curve": run_distance_curve,
}


def run_case(student, fixture_set, case: dict, artifacts=None) -> None:
    """A case of its group's check, then its follow-up calls (``then``: the same case with other
    arguments, such as no vectors at all): each must be right, so that an edge case alone (an empty
    result) never earns a point."""
    runner = RUNNERS[case["group"]]
    runner(student, fixture_set, case, artifacts)
    for follow_up in case.get("then", []):
        with _prefixed(f"The first call was right; then, {follow_up['what']}: "):
            runner(student, fixture_set, {**case, **follow_up, "then": []})


def _step_case(fixture_set, step: dict) -> dict:
    """A sequence's step: a case of another check, named by group and id, or written out."""
    if "case" in step:
        return {"group": step["group"], **step["case"]}
    found = [c for c in fixture_set.cases(step["group"]) if c["id"] == step["id"]]
    if len(found) != 1:
        raise LookupError(f"sequence step {step}: no single case {step['id']} in group {step['group']}")
    return found[0]


def run_sequence(student, fixture_set, case: dict) -> None:
    """The steps' checks, in order, in ONE worker, as the notebook calls the functions: a result that
    depends on an earlier call (a cache keyed without the bandwidth or the table, a changed global)
    fails here. A failing step is run again alone, in a fresh worker, to tell such state apart."""
    from ...engine.client import StudentCodeError

    steps = [_step_case(fixture_set, step) for step in case["steps"]]
    labels = [f"{step['group']}[{step['id']}]" for step in steps]
    for number, (step, label) in enumerate(zip(steps, labels), 1):
        earlier = ", ".join(labels[:number - 1]) or "nothing else in this check"
        try:
            with _prefixed(f"Call {number} of {len(steps)} in one worker, {label}, after {earlier}: "):
                run_case(student, fixture_set, step)
        except (StudentCodeError, pytest.fail.Exception) as failure:
            if isinstance(failure, StudentCodeError) and not is_wrong_answer(failure):
                raise
            if not passes_alone(student, lambda: run_case(student, fixture_set, step)):
                raise failure from None   # wrong alone too: test_<group> says so as well
            if isinstance(failure, StudentCodeError):
                raise StudentCodeError(failure.kind, f"{failure.message}\nLikely cause: {MISTAKES['state']}",
                                       failure.output, failure.exception, failure.detail) from None
            fail(f"{failure.msg}\nLikely cause: {MISTAKES['state']}")
