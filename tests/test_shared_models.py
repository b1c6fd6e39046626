"""Encodec models built once per sandbox: a call that changes its model never reaches the next.

The public checkpoints are loaded in the zygote and each worker hands out one spare copy again
and again while it is unchanged (``handsons/encodec_rvq/codec.py``). A submission that changes
what it is given (weights, hooks, mode, attributes, a part it keeps and changes later) must leave
every later call a pristine model, in the same worker, as a fresh copy per call did.
"""
from __future__ import annotations

import textwrap

import pytest

from autograder.engine import fixtures
from autograder.engine.client import StudentCode, StudentCodeError, TimePolicy
from autograder.engine.sandbox import Limits, Sandbox
from autograder.handsons.encodec_rvq.runs import model_arg

MODULE = "encodec_rvq"

SOURCE = '''
import torch

KEPT = []


def look(model):
    """What a call could see of the model it is handed."""
    hooks = sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules())
    total = sum(float(t.double().sum()) for t in model.state_dict().values())
    return [total, model.training, any(m.training for m in model.modules()), hooks,
            hasattr(model, "extra"), model.config.sampling_rate, type(model.quantizer.layers[0]).__name__,
            model.quantizer.layers[0].codebook.embed.requires_grad, id(model)]


def change_weights(model):
    with torch.no_grad():
        model.quantizer.layers[0].codebook.embed += 1
        model.encoder.layers[0].conv.bias.data.mul_(3)
    return id(model)


def add_hook(model):
    model.encoder.register_forward_pre_hook(lambda module, args: None)
    return id(model)


def train(model):
    model.quantizer.train()
    return id(model)


def add_attributes(model):
    model.extra = 1
    model.config.sampling_rate = 1
    model.quantizer.layers[0] = torch.nn.Identity()
    return id(model)


def flag(model):
    model.quantizer.layers[0].codebook.embed.requires_grad_(True)
    return id(model)


def keep(model):
    KEPT.append(model.quantizer.layers[1].codebook)
    return id(model)


def change_kept():
    with torch.no_grad():
        KEPT[0].embed.mul_(2)
    return 0
'''


@pytest.fixture(scope="module")
def code():
    with Sandbox([MODULE]) as sandbox:
        student = StudentCode(sandbox, {f"{MODULE}.py": textwrap.dedent(SOURCE).encode()},
                              Limits(memory_bytes=2 << 30), TimePolicy(floor_seconds=30.0))
        yield student
        student.close()


def test_a_changed_model_never_reaches_the_next_call(code):
    model = model_arg(fixtures.load(MODULE, "public"), "mono24")
    pristine = code.call(MODULE, "look", model)
    assert pristine[1:8] == [False, False, 0, False, 24000, "EncodecVectorQuantization", False]
    assert code.call(MODULE, "look", model)[-1] == pristine[-1], "an unchanged model is handed out again"
    for change in ("change_weights", "add_hook", "train", "add_attributes", "flag", "keep"):
        try:
            changed = code.call(MODULE, change, model)
        except StudentCodeError as error:   # a change the worker's fingerprints see is also reported
            assert error.kind == "changed_argument", str(error)
            changed = None
        seen = code.call(MODULE, "look", model)
        assert seen[:-1] == pristine[:-1], f"after {change}: {seen} vs {pristine}"
        assert seen[-1] != changed, f"after {change} the changed copy was handed out again"
    assert code.call(MODULE, "change_kept") == 0   # KEPT holds a part of a model handed out before
    assert code.call(MODULE, "look", model)[:-1] == pristine[:-1]
    assert code.restarts == 0, "all in one worker"
    code.close()   # a fresh worker starts from the zygote's copy, whatever the last one did
    assert code.call(MODULE, "look", model)[:-1] == pristine[:-1]
