"""The provided HiFi-GAN generator (``musicrep.hifigan``).

Nothing here downloads anything: the pretrained-model path is exercised with
a Hugging Face cache built in a temporary folder, holding checkpoints in the
original authors' format written by the test itself.
"""
from __future__ import annotations

import hashlib
import json
import math

import numpy as np
import pytest
import torch
from safetensors import safe_open
from torch import nn

from musicrep import hifigan
from musicrep.hifigan import HifiGanConfig, HifiGanGenerator, WeightNormConv1d
from musicrep.hub import WeightsNotAvailable

PRESETS = ("v1", "v2", "v3")

# The V3 config file of the original repository, as published (training keys included).
ORIGINAL_V3_CONFIG = """{
    "resblock": "2",
    "num_gpus": 0,
    "batch_size": 16,
    "learning_rate": 0.0002,
    "adam_b1": 0.8,
    "adam_b2": 0.99,
    "lr_decay": 0.999,
    "seed": 1234,

    "upsample_rates": [8,8,4],
    "upsample_kernel_sizes": [16,16,8],
    "upsample_initial_channel": 256,
    "resblock_kernel_sizes": [3,5,7],
    "resblock_dilation_sizes": [[1,2], [2,6], [3,12]],

    "segment_size": 8192,
    "num_mels": 80,
    "num_freq": 1025,
    "n_fft": 1024,
    "hop_size": 256,
    "win_size": 1024,

    "sampling_rate": 22050,

    "fmin": 0,
    "fmax": 8000,
    "fmax_for_loss": null,

    "num_workers": 4,

    "dist_config": {
        "dist_backend": "nccl",
        "dist_url": "tcp://localhost:54321",
        "world_size": 1
    }
}
"""


def random_generator(config: HifiGanConfig, seed: int = 0) -> HifiGanGenerator:
    return HifiGanGenerator(config).reset_parameters(seed).eval()


def random_mel(batch: int = 2, frames: int = 6, num_mels: int = 80, seed: int = 1) -> torch.Tensor:
    """Values in the range of real log-mels (about -11.5 to 2)."""
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(batch, num_mels, frames, generator=generator) * 12 - 10


def run(model: nn.Module, mel: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return model(mel)


# ------------------------------------------------------------------ architecture

@pytest.mark.parametrize("name, exact, paper", [
    ("v1", 13_926_017, 13.92), ("v2", 925_985, 0.92), ("v3", 1_462_273, 1.46)])
def test_parameter_counts_match_the_paper(name, exact, paper):
    generator = HifiGanGenerator(HifiGanConfig.preset(name)).remove_weight_norm()
    count = generator.num_parameters()
    assert count == exact
    # The paper gives millions with two decimals, truncated (V1: 13,926,017 -> "13.92 M").
    assert math.floor(count / 1e4) / 100 == paper
    assert abs(count / 1e6 - paper) < 0.01


@pytest.mark.parametrize("name", PRESETS)
def test_output_length_is_frames_times_hop(name):
    config = HifiGanConfig.preset(name)
    generator = random_generator(config)
    assert generator.hop_size == config.hop_size == 256
    audio = run(generator, random_mel(batch=2, frames=3))
    assert audio.shape == (2, 1, 3 * 256)
    assert audio.abs().max() <= 1


@pytest.mark.parametrize("frames", [1, 2, 7])
def test_output_length_of_the_tiny_generator(frames):
    generator = random_generator(hifigan.tiny_config())
    assert run(generator, random_mel(batch=3, frames=frames)).shape == (3, 1, frames * 256)


def test_state_dict_uses_the_original_names_and_shapes():
    state = HifiGanGenerator(HifiGanConfig.v1()).state_dict()
    expected = {
        "conv_pre.weight_g": (512, 1, 1), "conv_pre.weight_v": (512, 80, 7), "conv_pre.bias": (512,),
        # a transposed convolution's weight is [in, out, kernel]: weight norm's dim 0 is `in`
        "ups.0.weight_g": (512, 1, 1), "ups.0.weight_v": (512, 256, 16), "ups.0.bias": (256,),
        "ups.3.weight_v": (64, 32, 4),
        "resblocks.0.convs1.0.weight_v": (256, 256, 3), "resblocks.0.convs1.2.weight_g": (256, 1, 1),
        "resblocks.2.convs2.1.weight_v": (256, 256, 11), "resblocks.11.convs2.2.bias": (32,),
        "conv_post.weight_g": (1, 1, 1), "conv_post.weight_v": (1, 32, 7), "conv_post.bias": (1,),
    }
    for name, shape in expected.items():
        assert tuple(state[name].shape) == shape, name
    # 1 + 4 upsamplings + 12 blocks * 6 + 1 convolutions, 3 tensors each
    assert len(state) == (1 + 4 + 12 * 6 + 1) * 3
    assert not any(name.endswith(".weight") for name in state)

    v3 = HifiGanGenerator(HifiGanConfig.v3()).state_dict()
    assert tuple(v3["resblocks.0.convs.1.weight_v"].shape) == (128, 128, 3)
    assert tuple(v3["resblocks.8.convs.0.weight_v"].shape) == (32, 32, 7)
    assert not any("convs1" in name for name in v3)
    assert len(v3) == (1 + 3 + 9 * 2 + 1) * 3


@pytest.mark.parametrize("transposed", [False, True])
def test_weight_norm_is_torchs(transposed):
    """Same g and v, same outputs as torch's own weight norm (dim 0) on the same layer."""
    ours = WeightNormConv1d(6, 4, 5, stride=2 if transposed else 1, padding=2, dilation=1,
                            transposed=transposed)
    ours.reset_parameters(np.random.default_rng(3))
    with torch.no_grad():  # a g that is not the norm of v, so that the division matters
        ours.weight_g.mul_(torch.linspace(0.5, 2.0, ours.weight_g.shape[0]).view(-1, 1, 1))
    layer = (nn.ConvTranspose1d(6, 4, 5, stride=2, padding=2) if transposed
             else nn.Conv1d(6, 4, 5, padding=2))
    theirs = nn.utils.parametrizations.weight_norm(layer, dim=0)
    with torch.no_grad():
        assert theirs.parametrizations.weight.original0.shape == ours.weight_g.shape
        assert theirs.parametrizations.weight.original1.shape == ours.weight_v.shape
        theirs.parametrizations.weight.original0.copy_(ours.weight_g)
        theirs.parametrizations.weight.original1.copy_(ours.weight_v)
        theirs.bias.copy_(ours.bias)
    x = torch.randn(2, 6, 17, generator=torch.Generator().manual_seed(4))
    torch.testing.assert_close(run(ours, x), run(theirs, x), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", PRESETS)
def test_removing_weight_norm_keeps_the_outputs(name):
    generator = random_generator(HifiGanConfig.preset(name))
    mel = random_mel(batch=1, frames=2)
    before = run(generator, mel)
    generator.remove_weight_norm()
    assert not generator.has_weight_norm
    assert not any(key.endswith(("weight_g", "weight_v")) for key in generator.state_dict())
    torch.testing.assert_close(run(generator, mel), before, rtol=0, atol=1e-5)
    generator.remove_weight_norm()  # a second call does nothing
    torch.testing.assert_close(run(generator, mel), before, rtol=0, atol=1e-5)


def test_config_validation():
    with pytest.raises(ValueError, match="hop_size"):
        HifiGanConfig.from_dict({**HifiGanConfig.v3().to_dict(), "hop_size": 200})
    with pytest.raises(ValueError, match="resblock"):
        HifiGanConfig.from_dict({**HifiGanConfig.v3().to_dict(), "resblock": "3"})
    with pytest.raises(ValueError, match="missing"):
        HifiGanConfig.from_dict({"num_mels": 80})
    with pytest.raises(ValueError, match="preset"):
        HifiGanConfig.preset("v4")


# ------------------------------------------------------------------ config files

def test_original_config_file_round_trip(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(ORIGINAL_V3_CONFIG)
    config = HifiGanConfig.from_json_file(path)
    assert config == HifiGanConfig.v3()
    assert config.resblock == "2" and config.fmax == 8000 and config.extra["batch_size"] == 16
    original = json.loads(ORIGINAL_V3_CONFIG)
    assert config.to_dict() == original
    assert list(config.to_dict()) == list(original)  # the original key order
    config.to_json_file(tmp_path / "again.json")
    assert json.loads((tmp_path / "again.json").read_text()) == original


def test_unknown_config_keys_are_kept(tmp_path):
    data = {**json.loads(ORIGINAL_V3_CONFIG), "with_hn": False, "resblock": 2, "fmax": None}
    config = HifiGanConfig.from_dict(data)
    assert config.resblock == "2" and config.fmax is None
    assert config.to_dict() == {**data, "resblock": "2"}


# ------------------------------------------------------------------ checkpoints

def test_original_checkpoint_round_trip(tmp_path):
    """A torch file {"generator": state_dict} with the original names, as the authors' training
    code writes it, loads with weights_only=True and gives the same outputs."""
    original = random_generator(HifiGanConfig.v3(), seed=5)
    torch.save({"generator": original.state_dict(), "steps": 2_500_000}, tmp_path / "generator_v3")
    HifiGanConfig.v3().to_json_file(tmp_path / "config.json")
    mel = random_mel(frames=3)
    expected = run(original, mel)

    exact = hifigan.load_checkpoint(tmp_path / "generator_v3", tmp_path / "config.json",
                                    remove_weight_norm=False)
    assert exact.has_weight_norm and not exact.training
    assert torch.equal(run(exact, mel), expected)
    for name, tensor in original.state_dict().items():
        assert torch.equal(exact.state_dict()[name], tensor), name

    fast = hifigan.load_checkpoint(tmp_path / "generator_v3", HifiGanConfig.v3())
    assert not fast.has_weight_norm
    torch.testing.assert_close(run(fast, mel), expected, rtol=0, atol=1e-5)

    # save_checkpoint writes the same format, with weight_g/weight_v even after removal
    hifigan.save_checkpoint(fast, tmp_path / "again")
    saved = torch.load(tmp_path / "again", map_location="cpu", weights_only=True)["generator"]
    assert set(saved) == set(original.state_dict())
    again = hifigan.load_checkpoint(tmp_path / "again", HifiGanConfig.v3().to_dict())
    torch.testing.assert_close(run(again, mel), expected, rtol=0, atol=1e-5)


def test_legacy_torch_file_format_loads(tmp_path):
    """The published checkpoints date from 2020: torch's pre-1.6 (non-zip) file format."""
    original = random_generator(hifigan.tiny_config(), seed=4)
    torch.save({"generator": original.state_dict()}, tmp_path / "g", _use_new_zipfile_serialization=False)
    loaded = hifigan.load_checkpoint(tmp_path / "g", original.config, remove_weight_norm=False)
    mel = random_mel(frames=2)
    assert torch.equal(run(loaded, mel), run(original, mel))


def test_checkpoint_without_weight_norm_loads(tmp_path):
    original = random_generator(HifiGanConfig.v3(), seed=6)
    mel = random_mel(frames=2)
    expected = run(original, mel)
    original.remove_weight_norm()
    torch.save({"generator": original.state_dict()}, tmp_path / "g")
    loaded = hifigan.load_checkpoint(tmp_path / "g", HifiGanConfig.v3())
    torch.testing.assert_close(run(loaded, mel), expected, rtol=0, atol=1e-5)


def test_bad_checkpoints_are_refused(tmp_path):
    torch.save({"state_dict": {}}, tmp_path / "other")
    with pytest.raises(ValueError, match="'generator'"):
        hifigan.load_checkpoint(tmp_path / "other", HifiGanConfig.v3())
    torch.save({"generator": random_generator(HifiGanConfig.v2()).state_dict()}, tmp_path / "v2")
    with pytest.raises(ValueError, match="does not fit"):
        hifigan.load_checkpoint(tmp_path / "v2", HifiGanConfig.v3())


def test_safetensors_folder_round_trip(tmp_path):
    original = random_generator(hifigan.tiny_config(), seed=7)
    folder = original.save_pretrained(tmp_path / "tiny")
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.safetensors"]
    with safe_open(str(folder / "model.safetensors"), "pt") as file:
        assert set(file.keys()) == set(original.state_dict())
    assert HifiGanConfig.from_json_file(folder / "config.json") == original.config

    mel = random_mel(frames=5)
    expected = run(original, mel)
    exact = hifigan.load_pretrained_folder(folder, remove_weight_norm=False)
    assert torch.equal(run(exact, mel), expected)
    fast = hifigan.from_pretrained(folder)
    assert not fast.has_weight_norm and not fast.training
    torch.testing.assert_close(run(fast, mel), expected, rtol=0, atol=1e-5)


def _sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_tiny_checkpoint_is_byte_deterministic(tmp_path):
    first = hifigan.make_tiny_checkpoint(tmp_path / "a", seed=0)
    second = hifigan.make_tiny_checkpoint(tmp_path / "b", seed=0)
    other = hifigan.make_tiny_checkpoint(tmp_path / "c", seed=1)
    for name in ("model.safetensors", "config.json"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    assert _sha256(first / "model.safetensors") != _sha256(other / "model.safetensors")
    assert (first / "config.json").read_bytes() == (other / "config.json").read_bytes()

    with safe_open(str(first / "model.safetensors"), "pt") as file:
        names = set(file.keys())
    assert {"conv_pre.weight_g", "conv_pre.weight_v", "ups.2.weight_g",
            "resblocks.0.convs.1.weight_v", "conv_post.weight_g"} <= names
    config = HifiGanConfig.from_json_file(first / "config.json")
    assert config.resblock == "2" and config.upsample_initial_channel == 16
    assert math.prod(config.upsample_rates) == config.hop_size == 256

    generator = hifigan.from_pretrained(first)
    audio = run(generator, random_mel(batch=1, frames=3))
    assert audio.shape == (1, 1, 768)
    assert 1e-3 < audio.std() < 0.5  # a usable signal, neither silence nor saturated


# ------------------------------------------------------------------ from_pretrained

def _fake_hub_repo(cache, repo_id: str, files: dict[str, bytes]) -> None:
    """A snapshot in the layout of the Hugging Face cache (as if downloaded)."""
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = cache / ("models--" + repo_id.replace("/", "--"))
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True)
    for name, data in files.items():
        (snapshot / name).write_bytes(data)


@pytest.fixture
def hub_cache(tmp_path, monkeypatch):
    """An empty, offline Hugging Face cache in a temporary folder."""
    import huggingface_hub.constants as constants

    cache = tmp_path / "hf-cache"
    cache.mkdir()
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return cache


def test_from_pretrained_reads_the_original_files_from_the_hub_cache(hub_cache, tmp_path):
    original = random_generator(hifigan.tiny_config(), seed=8)
    torch.save({"generator": original.state_dict()}, tmp_path / "gen")
    _fake_hub_repo(hub_cache, "someone/hifigan-vctk", {
        hifigan.DEFAULT_GENERATOR_FILE: (tmp_path / "gen").read_bytes(),
        hifigan.DEFAULT_CONFIG_FILE: original.config.to_json_string().encode(),
    })
    generator = hifigan.from_pretrained("someone/hifigan-vctk")
    mel = random_mel(frames=4)
    torch.testing.assert_close(run(generator, mel), run(original, mel), rtol=0, atol=1e-5)


def test_from_pretrained_reads_this_projects_format_from_the_hub_cache(hub_cache, tmp_path):
    folder = hifigan.make_tiny_checkpoint(tmp_path / "tiny", seed=2)
    _fake_hub_repo(hub_cache, "course/tiny-hifigan",
                   {name: (folder / name).read_bytes() for name in ("model.safetensors", "config.json")})
    generator = hifigan.from_pretrained("course/tiny-hifigan", remove_weight_norm=False)
    mel = random_mel(frames=2)
    assert torch.equal(run(generator, mel), run(hifigan.load_pretrained_folder(folder, remove_weight_norm=False), mel))


def test_from_pretrained_without_the_weights_says_how_to_get_them(hub_cache):
    assert hifigan.DEFAULT_REPO_ID == "goooofy/zerovox-hifigan-vctk-1"
    with pytest.raises(WeightsNotAvailable, match="zerovox-hifigan-vctk-1"):
        hifigan.from_pretrained()
    with pytest.raises(FileNotFoundError, match="neither"):
        hifigan.from_pretrained("./no/such/folder")


def test_from_pretrained_with_a_local_original_checkpoint(tmp_path):
    original = random_generator(hifigan.tiny_config(), seed=9)
    torch.save({"generator": original.state_dict()}, tmp_path / "generator_v3")
    original.config.to_json_file(tmp_path / "config.json")
    mel = random_mel(frames=2)
    for source in (tmp_path / "generator_v3", tmp_path):
        generator = hifigan.from_pretrained(source, generator_file="generator_v3")
        torch.testing.assert_close(run(generator, mel), run(original, mel), rtol=0, atol=1e-5)


# ------------------------------------------------------------------ what users of the original code have

def _spy_torch_load(monkeypatch) -> list[dict]:
    """Record every torch.load the loader makes (each must be weights_only=True)."""
    calls, real = [], torch.load

    def load(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(hifigan.torch, "load", load)
    return calls


def test_from_pretrained_takes_the_newest_checkpoint_of_a_training_folder(tmp_path, monkeypatch):
    """The original train.py writes g_<steps> (and do_<steps>) beside config.json."""
    config = hifigan.tiny_config()
    early, late = random_generator(config, seed=10), random_generator(config, seed=11)
    torch.save({"generator": early.state_dict()}, tmp_path / "g_00000100")
    torch.save({"generator": late.state_dict()}, tmp_path / "g_02500000")
    torch.save({"mpd": {}, "msd": {}, "steps": 2_500_000}, tmp_path / "do_02500000")
    config.to_json_file(tmp_path / "config.json")
    calls = _spy_torch_load(monkeypatch)
    with pytest.warns(UserWarning, match="g_02500000"):
        generator = hifigan.from_pretrained(tmp_path)
    assert calls and all(call.get("weights_only") is True for call in calls)
    mel = random_mel(frames=3)
    torch.testing.assert_close(run(generator, mel), run(late, mel), rtol=0, atol=1e-5)
    assert not torch.allclose(run(generator, mel), run(early, mel), atol=1e-3)
    assert hifigan.newest_training_checkpoint(tmp_path).name == "g_02500000"
    (tmp_path / "g_02500000").rename(tmp_path / "g_00000099")   # steps decide, not the names' order of writing
    assert hifigan.newest_training_checkpoint(tmp_path).name == "g_00000100"


def test_a_folder_without_any_generator_says_what_was_looked_for(tmp_path):
    hifigan.tiny_config().to_json_file(tmp_path / "config.json")
    (tmp_path / "do_00000100").write_bytes(b"")
    with pytest.raises(FileNotFoundError, match="g_<steps>"):
        hifigan.from_pretrained(tmp_path)


def _parametrized_state_dict(generator: HifiGanGenerator) -> dict[str, torch.Tensor]:
    """The generator's weights as torch's newer weight norm saves them: every convolution
    rebuilt as a torch conv under torch.nn.utils.parametrizations.weight_norm, its state
    dict keys (parametrizations.weight.original0/original1, bias) made by torch itself."""
    from torch.nn.utils.parametrizations import weight_norm
    state = {}
    for name, conv in generator.named_modules():
        if not isinstance(conv, WeightNormConv1d):
            continue
        kind = nn.ConvTranspose1d if conv.transposed else nn.Conv1d
        native = weight_norm(kind(conv.in_channels, conv.out_channels, conv.kernel_size, stride=conv.stride,
                                  padding=conv.padding, dilation=conv.dilation))
        with torch.no_grad():
            native.parametrizations.weight.original0.copy_(conv.weight_g)
            native.parametrizations.weight.original1.copy_(conv.weight_v)
            native.bias.copy_(conv.bias)
            probe = torch.randn(1, conv.in_channels, 9, generator=torch.Generator().manual_seed(0))
            assert torch.allclose(native(probe), conv(probe), atol=1e-5), name   # the same convolution
        state.update({f"{name}.{key}": tensor for key, tensor in native.state_dict().items()})
    return state


def test_parametrized_weight_norm_state_dicts_load(tmp_path, monkeypatch):
    original = random_generator(hifigan.tiny_config(), seed=12)
    state = _parametrized_state_dict(original)
    assert "conv_pre.parametrizations.weight.original0" in state and "conv_pre.weight_g" not in state
    torch.save({"generator": state}, tmp_path / "generator_v3")
    original.config.to_json_file(tmp_path / "config.json")
    calls = _spy_torch_load(monkeypatch)
    mel = random_mel(frames=3)
    exact = hifigan.load_checkpoint(tmp_path / "generator_v3", tmp_path / "config.json", remove_weight_norm=False)
    assert calls and all(call.get("weights_only") is True for call in calls)
    assert torch.equal(run(exact, mel), run(original, mel))
    fast = hifigan.from_pretrained(tmp_path, generator_file="generator_v3")
    torch.testing.assert_close(run(fast, mel), run(original, mel), rtol=0, atol=1e-5)


def test_any_other_mismatch_names_the_keys_and_the_accepted_formats(tmp_path):
    config = hifigan.tiny_config()
    state = random_generator(config, seed=13).state_dict()
    state.pop("conv_post.bias")
    state["conv_pre.weight_q"] = torch.zeros(1)
    with pytest.raises(ValueError) as info:
        HifiGanGenerator(config).load_original_state_dict(state)
    message = str(info.value)
    assert "missing keys: conv_post.bias" in message and "unexpected keys: conv_pre.weight_q" in message
    assert "weight_g" in message and "parametrizations.weight.original0" in message and "g_<steps>" in message
    other = random_generator(HifiGanConfig.v3(), seed=0).state_dict()   # the right names, other sizes
    with pytest.raises(ValueError, match=r"wrong shapes .*: conv_pre.weight_v \(256, 80, 7\) instead of \(16, 80, 7\)"):
        HifiGanGenerator(config).load_original_state_dict(other)
