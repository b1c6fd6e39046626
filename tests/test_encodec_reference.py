"""Hands-on 1 (Encodec and RVQ): the reference ``solutions/encodec_rvq.py`` against
transformers' own code, on the tiny fitted checkpoints and the full-size config.

Nothing is downloaded: the tiny checkpoints are made here (seeded, fitted to
music rendered with FluidSynth) and the full-size ``facebook/encodec_24khz``
architecture is built on the meta device. The fitted models are made once per
session.
"""
from __future__ import annotations

import ast
import hashlib
import importlib.util
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import safetensors.torch
import torch
from transformers import EncodecConfig

from musicrep import tiny_encodec
from musicrep.audio import render_midi
from musicrep.encodec import feature_extractor_for, load_encodec
from musicrep.hub import WeightsNotAvailable

ROOT = Path(__file__).resolve().parents[1]
REFERENCE_PATH = ROOT / "solutions" / "encodec_rvq.py"
STUB_PATH = ROOT / "assignments" / "encodec_rvq.py"
PUBLIC = ["downsampling_factor", "num_quantizers", "encode", "decode", "compression_ratio", "pre_quantize",
          "codebooks", "quantize", "rvq_encode", "rvq_decode", "distance_curve"]


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ref = _load(REFERENCE_PATH, "reference_encodec_rvq_under_test")

# Configs for the structural functions: the four of musicrep.tiny_encodec and a few odd ones.
EXTRA_CONFIGS = {
    "ratios-3-7": dict(upsampling_ratios=[3, 7], sampling_rate=22_050, codebook_size=256,
                       target_bandwidths=[1.1, 2.2, 4.4]),
    "ratios-2-2-2-2-2": dict(upsampling_ratios=[2, 2, 2, 2, 2], num_residual_layers=3, use_conv_shortcut=False,
                             sampling_rate=8_000, codebook_size=512, target_bandwidths=[0.5, 1.0]),
    "one-ratio-stereo": dict(upsampling_ratios=[10], audio_channels=2, sampling_rate=44_100,
                             codebook_size=2048, target_bandwidths=[6.0, 48.0], kernel_size=3),
    "odd-codebook": dict(codebook_size=100, target_bandwidths=[1.0, 2.0]),  # config only: not a power of 2
}


def all_configs() -> dict[str, EncodecConfig]:
    configs = {name: tiny_encodec.encodec_config(name) for name in tiny_encodec.CONFIG_NAMES}
    configs.update({name: EncodecConfig(**{**tiny_encodec.FULL_24KHZ, "num_filters": 4, "hidden_size": 8,
                                           "codebook_dim": 8, **fields})
                    for name, fields in EXTRA_CONFIGS.items()})
    return configs


CONFIGS = all_configs()
MODEL_CONFIGS = [name for name, config in CONFIGS.items()
                 if 2 ** int(math.log2(config.codebook_size)) == config.codebook_size]


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """On a shared machine a busy core stalls every parallel region of torch's thread pool (Encodec's
    LSTM runs thousands of small ones): one thread is many times faster there, and as fast elsewhere."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def meta_models():
    return {name: tiny_encodec.build_model(CONFIGS[name], device="meta") for name in MODEL_CONFIGS}


@pytest.fixture(scope="session")
def checkpoints(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny-encodec")
    return {name: tiny_encodec.write_tiny_checkpoint(name, root / name) for name in ("mono24", "mono16")}


@pytest.fixture(scope="session")
def loaded(checkpoints):
    return {name: load_encodec(folder) for name, folder in checkpoints.items()}


@pytest.fixture(scope="session")
def held_out():
    return {rate: tiny_encodec.held_out_audio(rate) for rate in (24_000, 16_000)}


# ------------------------------------------------------------------ helpers

def assert_nearest(embed: torch.Tensor, vectors: torch.Tensor, index: torch.Tensor, rtol: float = 1e-5):
    """``index`` picks, for every vector, a row at the minimum distance (float64, with a float32 margin)."""
    assert index.dtype == torch.long and index.shape == (vectors.shape[0],)
    assert int(index.min()) >= 0 and int(index.max()) < embed.shape[0]
    embed, vectors = embed.double(), vectors.double()
    for start in range(0, vectors.shape[0], 4096):
        block, chosen_rows = vectors[start:start + 4096], index[start:start + 4096]
        distances = torch.cdist(block, embed).pow(2)
        chosen = distances.gather(1, chosen_rows[:, None])[:, 0]
        scale = block.pow(2).sum(1) + embed.pow(2).sum(1).max()
        excess = chosen - distances.min(1).values
        assert bool((excess <= rtol * scale).all()), f"not a nearest row: worst {float((excess / scale).max()):.2e}"


def assert_greedy(tables, vectors: torch.Tensor, codes: torch.Tensor):
    """Every step of every path takes a nearest row to the residual.

    The path is replayed in the vectors' dtype, residual minus row, as the reference computes it: after
    a few dozen codebooks the residual is a few 1e-5 of the vector, the size of float32's rounding of the
    first steps, and a residual computed otherwise (in float64, say) can rank near-tied rows otherwise.
    Each step is then checked in float64 against that residual.
    """
    assert codes.dtype == torch.long and codes.shape == (len(tables), vectors.shape[0])
    residual = vectors.clone()
    for table, row in zip(tables, codes):
        assert_nearest(table, residual, row)
        residual = residual - table.to(residual.dtype)[row]


def assert_like_transformers(tables, vectors: torch.Tensor, codes: torch.Tensor, expected: torch.Tensor):
    """``codes`` are greedy, and the codes of transformers' quantizer but where float32 rounding decides a
    near-tie (transformers computes ``|v|^2 - 2 v.e + |e|^2``, which rounds otherwise; from there the
    paths part)."""
    assert codes.shape == expected.shape
    assert_greedy(tables, vectors, codes)
    assert float((codes == expected).float().mean()) > 0.995


def embeddings_of(model, audio: np.ndarray) -> torch.Tensor:
    """``[1, D, frames]``: what ``model.encode`` quantizes, by transformers' own code path."""
    with torch.no_grad():
        return model.encoder(torch.as_tensor(audio, dtype=torch.float32)[None, None])


def file_digests(folder: Path) -> dict[str, str]:
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(folder.iterdir())}


# ------------------------------------------------------------------ structure

@pytest.mark.parametrize("name", MODEL_CONFIGS)
def test_downsampling_factor_is_the_hop_length(name, meta_models):
    model = meta_models[name]
    factor = ref.downsampling_factor(model)
    assert type(factor) is int and factor == model.config.hop_length == math.prod(CONFIGS[name].upsampling_ratios)


def test_downsampling_factor_of_real_models(loaded):
    assert ref.downsampling_factor(loaded["mono24"][0]) == 320
    assert ref.downsampling_factor(loaded["mono16"][0]) == 60
    assert ref.downsampling_factor(tiny_encodec.build_model("full24", device="meta")) == 320
    # The classic mistake really is one: reading every module's stride counts each one twice.
    model = loaded["mono16"][0]
    every_stride = math.prod(int(m.stride[0] if isinstance(m.stride, tuple) else m.stride)
                             for m in model.encoder.modules() if hasattr(m, "stride"))
    assert every_stride == 60 ** 2


def _bandwidth_grid(config) -> list[float]:
    per_codebook = math.log2(config.codebook_size) * config.frame_rate / 1000  # kbps
    grid = {float(b) for b in config.target_bandwidths}
    grid |= {0.01, 0.1, 0.5, 0.75, 1.0, 1.4999, 1.5, 1.5001, 2.25, 3.3, 7.0, 9.99, 23.9, 24.0, 24.1, 100.0}
    grid |= {k * per_codebook for k in range(1, 40)}            # exact edges, as floats
    grid |= {k * per_codebook * (1 + d) for k in range(1, 40) for d in (-1e-9, 1e-9)}
    targets = sorted(config.target_bandwidths)
    grid |= {(a + b) / 2 for a, b in zip(targets, targets[1:])}  # between the targets
    grid |= {0.0, -1.0}                                          # no limit, as in transformers
    return sorted(grid)


@pytest.mark.parametrize("name", MODEL_CONFIGS)
def test_num_quantizers_matches_transformers(name, meta_models):
    model = meta_models[name]
    for bandwidth in _bandwidth_grid(model.config):
        got = ref.num_quantizers(model.config, bandwidth)
        assert type(got) is int
        assert got == model.quantizer.get_num_quantizers_for_bandwidth(bandwidth), bandwidth


def test_num_quantizers_of_a_config_without_model():
    config = CONFIGS["odd-codebook"]  # 100 codes: log2 is not an integer; a model refuses it
    for bandwidth in _bandwidth_grid(config):
        per_codebook = math.log2(100) * config.frame_rate
        expected = config.num_quantizers if bandwidth <= 0 else max(1, math.floor(bandwidth * 1000 / per_codebook))
        assert ref.num_quantizers(config, bandwidth) == expected


def test_num_quantizers_examples():
    config = tiny_encodec.encodec_config("full24")
    assert [ref.num_quantizers(config, b) for b in (1.5, 3.0, 6.0, 12.0, 24.0, 0.5, 7.0)] == [2, 4, 8, 16, 32, 1, 9]
    with pytest.raises(TypeError):
        ref.num_quantizers(config, "6")
    with pytest.raises(ValueError):
        ref.num_quantizers(config, float("nan"))


@pytest.mark.parametrize("name", MODEL_CONFIGS)
def test_codebooks_are_the_models_first_tables(name, meta_models):
    model = meta_models[name]
    for bandwidth in _bandwidth_grid(model.config):
        tables = ref.codebooks(model, bandwidth)
        expected = min(model.quantizer.get_num_quantizers_for_bandwidth(bandwidth), len(model.quantizer.layers))
        assert len(tables) == expected
        assert all(t.shape == (model.config.codebook_size, model.config.codebook_dim) for t in tables)


def test_codebooks_share_the_models_tensors(loaded):
    model = loaded["mono24"][0]
    tables = ref.codebooks(model, 6.0)
    assert len(tables) == 13  # 6000 bps / (6 bits * 75 frames/s)
    for table, layer in zip(tables, model.quantizer.layers):
        assert torch.equal(table, layer.codebook.embed) and not table.requires_grad


# ------------------------------------------------------------------ encode, decode, compression

@pytest.mark.parametrize("name", ["mono24", "mono16"])
def test_encode_decode_shapes(name, loaded, held_out):
    model, feature_extractor = loaded[name]
    config = model.config
    audio = held_out[config.sampling_rate]
    hop = config.hop_length
    for length in (1, hop - 1, hop, hop + 1, config.sampling_rate + 7):
        for bandwidth in config.target_bandwidths:
            codes = ref.encode(model, feature_extractor, audio[5000:5000 + length], config.sampling_rate, bandwidth)
            frames = math.ceil(length / hop)
            n_q = model.quantizer.get_num_quantizers_for_bandwidth(bandwidth)
            assert codes.dtype == torch.long and codes.shape == (n_q, frames)
            assert int(codes.min()) >= 0 and int(codes.max()) < config.codebook_size
            audio_out = ref.decode(model, codes)
            assert audio_out.shape == (frames * hop,) and audio_out.dtype == torch.float32
            assert bool(torch.isfinite(audio_out).all())


def test_encode_is_transformers_encode(loaded, held_out):
    model, feature_extractor = loaded["mono24"]
    audio = held_out[24_000][:48_000]
    inputs = feature_extractor(raw_audio=audio, sampling_rate=24_000, return_tensors="pt")
    for bandwidth in model.config.target_bandwidths:
        with torch.no_grad():
            expected = model.encode(inputs["input_values"], inputs["padding_mask"], bandwidth=bandwidth)
        codes = ref.encode(model, feature_extractor, audio, 24_000, bandwidth)
        assert torch.equal(codes, expected.audio_codes[0, 0])
        with torch.no_grad():
            decoded = model.decode(expected.audio_codes, [None]).audio_values[0, 0]
        assert torch.equal(ref.decode(model, codes), decoded)
    # The int bandwidth 6 is the target 6.0.
    assert torch.equal(ref.encode(model, feature_extractor, audio, 24_000, 6),
                       ref.encode(model, feature_extractor, audio, 24_000, 6.0))


@pytest.mark.parametrize("name", ["mono24", "mono16"])
def test_encode_wrong_rate_names_both_rates(name, loaded, held_out):
    model, feature_extractor = loaded[name]
    rate = model.config.sampling_rate
    audio = held_out[rate][:rate]
    for wrong in (rate // 2, 44_100, rate + 1):
        with pytest.raises(ValueError) as info:
            ref.encode(model, feature_extractor, audio, wrong, model.config.target_bandwidths[0])
        assert str(wrong) in str(info.value) and str(rate) in str(info.value)


@pytest.mark.parametrize("name", ["mono24", "mono16"])
def test_encode_wrong_bandwidth_lists_the_targets(name, loaded, held_out):
    model, feature_extractor = loaded[name]
    rate = model.config.sampling_rate
    for wrong in (5.0, 0.0, 100.0, float(model.config.target_bandwidths[0]) + 0.001):
        with pytest.raises(ValueError) as info:
            ref.encode(model, feature_extractor, held_out[rate][:rate], rate, wrong)
        assert all(str(float(b)) in str(info.value) for b in model.config.target_bandwidths)


def test_encode_rejects_bad_audio_and_other_models(loaded):
    model, feature_extractor = loaded["mono24"]
    for audio in (np.zeros((2, 2400), np.float32), np.zeros(0, np.float32), np.full(2400, np.nan, np.float32)):
        with pytest.raises(ValueError):
            ref.encode(model, feature_extractor, audio, 24_000, 6.0)
    stereo = tiny_encodec.build_model("stereo48")
    with pytest.raises(ValueError, match="mono"):
        ref.encode(stereo, feature_extractor_for(stereo.config), np.zeros(4800, np.float32), 48_000, 6.0)
    with pytest.raises(ValueError, match="mono"):
        ref.decode(stereo, torch.zeros(4, 10, dtype=torch.long))
    with pytest.raises(ValueError):
        ref.decode(model, torch.full((4, 10), 64))   # codes out of range
    with pytest.raises(ValueError):
        ref.decode(model, torch.zeros(54, 10, dtype=torch.long))  # more codebooks than the model has
    with pytest.raises(TypeError):
        ref.decode(model, torch.zeros(4, 10))        # float codes


def test_compression_ratio():
    codes = torch.zeros(8, 75, dtype=torch.long)
    assert ref.compression_ratio(24_000, codes, 1024) == 64.0
    assert ref.compression_ratio(24_000, codes, 1024, bits_per_sample=24) == 96.0
    assert ref.compression_ratio(48_000, torch.zeros(13, 75, dtype=torch.long), 64) == pytest.approx(
        48_000 * 16 / (13 * 75 * 6))
    assert type(ref.compression_ratio(24_000, codes, 1024)) is float
    for bad in [(0, codes, 1024), (24_000, codes, 1), (24_000, torch.zeros(0, 75, dtype=torch.long), 1024),
                (24_000, torch.full((8, 75), 1024), 1024)]:
        with pytest.raises(ValueError):
            ref.compression_ratio(*bad)
    with pytest.raises(TypeError):
        ref.compression_ratio(24_000, codes.float(), 1024)


# ------------------------------------------------------------------ pre_quantize

@pytest.mark.parametrize("name", ["mono24", "mono16"])
def test_pre_quantize_ignores_the_padding(name, loaded, held_out):
    model, feature_extractor = loaded[name]
    rate = model.config.sampling_rate
    audio = held_out[rate]
    clips = [audio[1000:1000 + rate], audio[9000:9000 + rate // 3], audio[20000:20000 + rate // 2 + 17]]
    inputs = feature_extractor(raw_audio=clips, sampling_rate=rate, return_tensors="pt")
    values, mask = inputs["input_values"], inputs["padding_mask"]
    assert values.shape[1] == 1 and mask.shape == (3, values.shape[-1]) and not bool(mask.all())
    clean = ref.pre_quantize(model, values, mask)
    frames = math.ceil(values.shape[-1] / model.config.hop_length)
    assert clean.shape == (3, model.config.hidden_size, frames)
    with torch.no_grad():
        assert torch.equal(clean, model.encoder(values * mask[:, None, :]))
    padding = ~mask.bool()
    generator = torch.Generator().manual_seed(1)
    for fill in (torch.randn(values.shape, generator=generator), torch.full(values.shape, 1e6),
                 torch.full(values.shape, float("nan")), torch.full(values.shape, -float("inf"))):
        dirty = torch.where(padding[:, None, :], fill, values)
        for dirty_mask in (mask, mask.bool(), mask.float()):
            assert torch.equal(ref.pre_quantize(model, dirty, dirty_mask), clean)
    # These are the vectors model.encode quantizes.
    bandwidth = model.config.target_bandwidths[-1]
    with torch.no_grad():
        codes = model.encode(values, mask, bandwidth=bandwidth).audio_codes[0]
    tables = ref.codebooks(model, bandwidth)
    for row, expected in zip(clean, codes):
        vectors = row.T.contiguous()
        assert_like_transformers(tables, vectors, ref.rvq_encode(tables, vectors), expected)


def test_pre_quantize_rejects_bad_shapes(loaded):
    model = loaded["mono24"][0]
    values, mask = torch.zeros(2, 1, 960), torch.ones(2, 960, dtype=torch.long)
    for bad in [(torch.zeros(2, 960), mask), (torch.zeros(2, 2, 960), mask), (values, torch.ones(2, 959)),
                (values, torch.ones(1, 2, 960))]:
        with pytest.raises(ValueError):
            ref.pre_quantize(model, *bad)
    nan_inside = values.clone()
    nan_inside[0, 0, 5] = float("nan")
    with pytest.raises(ValueError):
        ref.pre_quantize(model, nan_inside, mask)


# ------------------------------------------------------------------ quantize

def test_quantize_small_example():
    embed = torch.tensor([[0.0, 0.0], [10.0, 0.0]])
    vectors = torch.tensor([[1.0, 1.0], [9.0, -3.0], [4.0, 0.0]])
    assert ref.quantize(embed, vectors).tolist() == [0, 1, 0]
    assert ref.quantize(embed, torch.zeros(0, 2)).shape == (0,)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16])
def test_quantize_matches_brute_force(dtype):
    generator = torch.Generator().manual_seed(2)
    embed = torch.randn(300, 16, generator=generator)
    vectors = torch.cat([torch.randn(2000, 16, generator=generator) * 1.5, embed[::7] + 1e-3, embed[::5]])
    embed, vectors = embed.to(dtype), vectors.to(dtype)
    index = ref.quantize(embed, vectors)
    assert_nearest(embed.float(), vectors.float(), index, rtol=1e-5 if dtype != torch.float16 else 1e-3)
    assert torch.equal(index[-60:], torch.arange(0, 300, 5))  # a copy of a row gets that row


def test_quantize_ties_with_repeated_rows():
    generator = torch.Generator().manual_seed(3)
    rows = torch.randint(-4, 5, (40, 6), generator=generator).float()
    embed = torch.cat([rows, rows[:10], rows[5:15]])           # exact copies
    embed = embed[torch.randperm(len(embed), generator=generator)]
    vectors = torch.randint(-5, 6, (3000, 6), generator=generator).float()  # integer points: many exact ties
    vectors = torch.cat([vectors, (rows[:20] + rows[20:40]) / 2])             # midpoints: ties
    index = ref.quantize(embed, vectors)
    assert_nearest(embed, vectors, index, rtol=0.0)


def test_quantize_grading_size_is_fast():
    generator = torch.Generator().manual_seed(4)
    embed = torch.randn(1024, 128, generator=generator)
    vectors = torch.randn(20_000, 128, generator=generator)
    start = time.perf_counter()
    index = ref.quantize(embed, vectors)
    elapsed = time.perf_counter() - start
    assert_nearest(embed, vectors, index)
    assert elapsed < 10.0, f"{elapsed:.1f} s for 20000 x 1024 x 128"


@pytest.mark.parametrize("args", [
    (torch.zeros(4, 3), torch.zeros(5, 2)),               # dimensions differ
    (torch.zeros(0, 3), torch.zeros(5, 3)),               # no rows
    (torch.zeros(4, 3), torch.zeros(3)),                  # 1-D vectors
    (torch.zeros(4, 3), torch.full((2, 3), float("nan"))),
])
def test_quantize_rejects_bad_input_with_value_error(args):
    with pytest.raises(ValueError):
        ref.quantize(*args)


@pytest.mark.parametrize("args", [
    (np.zeros((4, 3)), torch.zeros(5, 3)), (torch.zeros(4, 3, dtype=torch.long), torch.zeros(5, 3)),
])
def test_quantize_rejects_bad_types_with_type_error(args):
    with pytest.raises(TypeError):
        ref.quantize(*args)


# ------------------------------------------------------------------ RVQ

def test_rvq_small_example():
    tables = [torch.tensor([[0.0, 0.0], [4.0, 0.0]]), torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0]])]
    vectors = torch.tensor([[5.0, 0.2], [0.4, 0.9]])
    codes = ref.rvq_encode(tables, vectors)
    assert codes.tolist() == [[1, 0], [2, 1]]
    assert torch.equal(ref.rvq_decode(tables, codes), torch.tensor([[5.0, 0.0], [0.0, 1.0]]))
    assert torch.allclose(ref.distance_curve(tables, vectors[0]), torch.tensor([math.hypot(1, 0.2), 0.2]))
    assert ref.rvq_encode([], vectors).shape == (0, 2)
    assert ref.rvq_encode(tables, torch.zeros(0, 2)).shape == (2, 0)
    assert torch.equal(ref.rvq_decode(tables, torch.zeros(0, 3, dtype=torch.long)), torch.zeros(3, 2))
    assert torch.equal(ref.rvq_decode(tables, codes[:1]), torch.tensor([[4.0, 0.0], [0.0, 0.0]]))


def test_rvq_rejects_bad_input():
    tables = [torch.zeros(4, 3), torch.zeros(5, 3)]
    with pytest.raises(ValueError):
        ref.rvq_encode([torch.zeros(4, 3), torch.zeros(5, 2)], torch.zeros(2, 3))
    with pytest.raises(ValueError):
        ref.rvq_decode(tables, torch.zeros(3, 2, dtype=torch.long))   # more rows than codebooks
    with pytest.raises(ValueError):
        ref.rvq_decode(tables, torch.tensor([[0, 4], [0, 4]]))        # 4 is outside codebook 0
    with pytest.raises(TypeError):
        ref.rvq_decode(tables, torch.zeros(2, 2))


@pytest.mark.parametrize("name,bandwidth", [("mono24", 1.5), ("mono24", 6.0), ("mono24", 24.0),
                                            ("mono16", 2.0), ("mono16", 8.0), ("mono24", 7.7)])
def test_rvq_encode_matches_transformers_on_music(name, bandwidth, loaded, held_out):
    model = loaded[name][0]
    embeddings = embeddings_of(model, held_out[model.config.sampling_rate])
    vectors = embeddings[0].T.contiguous()
    tables = ref.codebooks(model, bandwidth)
    with torch.no_grad():
        expected = model.quantizer.encode(embeddings, bandwidth)[:, 0]
    codes = ref.rvq_encode(tables, vectors)
    assert codes.shape == expected.shape == (len(tables), vectors.shape[0])
    assert_like_transformers(tables, vectors, codes, expected)
    with torch.no_grad():
        decoded = model.quantizer.decode(expected[:, None])[0].T
    assert torch.allclose(ref.rvq_decode(tables, expected), decoded, rtol=1e-6, atol=1e-6)


def test_rvq_encode_is_greedy_on_random_tables():
    generator = torch.Generator().manual_seed(5)
    tables = [torch.randn(256, 32, generator=generator) * 0.8 ** q for q in range(12)]
    vectors = torch.randn(3000, 32, generator=generator)
    codes = ref.rvq_encode(tables, vectors)
    assert_greedy(tables, vectors, codes)
    float64 = ref.rvq_encode([t.double() for t in tables], vectors.double())
    assert (float64 == codes).float().mean() > 0.999


def test_rvq_encode_ties_with_repeated_rows():
    rows = torch.tensor([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0], [2.0, 0.0]])
    tables = [rows, rows.flip(0), rows * 0.5]
    vectors = torch.tensor([[1.0, 0.0], [1.0, 1.0], [2.0, 0.0], [3.0, 3.0], [1.0, 3.0]])
    assert_greedy(tables, vectors, ref.rvq_encode(tables, vectors))


def test_distance_curve_falls_on_music(loaded, held_out):
    model = loaded["mono24"][0]
    tables = ref.codebooks(model, 24.0)
    assert len(tables) == 53
    vectors = embeddings_of(model, held_out[24_000])[0].T[::7]
    curves = torch.stack([ref.distance_curve(tables, v) for v in vectors])
    assert curves.shape == (len(vectors), 53) and curves.dtype == torch.float32
    mean = curves.mean(0)
    assert bool((mean[1:] <= mean[:-1] * (1 + 1e-6)).all()), mean
    assert float(mean[-1]) < 0.01 * float(mean[0])
    assert float((curves[:, -1] / curves[:, 0]).median()) < 0.01
    assert float((curves[:, 3] < curves[:, 0]).float().mean()) > 0.95
    # The curve is the distance to the reconstruction from the first k codes.
    codes = ref.rvq_encode(tables, vectors[:5])
    for k in (1, 2, 10, 53):
        reconstruction = ref.rvq_decode(tables[:k], codes[:k])
        assert torch.allclose(curves[:5, k - 1], (vectors[:5] - reconstruction).norm(dim=1), rtol=1e-4, atol=1e-5)


# ------------------------------------------------------------------ the provided code

def test_checkpoints_round_trip(checkpoints, loaded):
    for name, folder in checkpoints.items():
        assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.safetensors",
                                                            "preprocessor_config.json"]
        assert folder.joinpath("model.safetensors").stat().st_size < 600_000
        model, feature_extractor = loaded[name]
        assert not model.training and model.dtype == torch.float32
        assert feature_extractor.sampling_rate == model.config.sampling_rate
        fields = tiny_encodec.TINY_CONFIGS[name]
        assert {key: getattr(model.config, key) for key in fields} == fields
        stored = safetensors.torch.load_file(folder / "model.safetensors")
        state = model.state_dict()
        assert set(stored) == set(state)
        assert all(torch.equal(stored[key], state[key]) for key in stored)
        for layer in model.quantizer.layers:  # fitted: distinct rows, counts that add up
            embed = layer.codebook.embed
            assert len(torch.unique(embed, dim=0)) == model.config.codebook_size
            assert torch.allclose(layer.codebook.embed_avg, embed * layer.codebook.cluster_size[:, None])


def test_tiny_checkpoint_is_byte_deterministic(checkpoints, tmp_path):
    # Made again in a fresh process (no caches, another hash seed and thread count): the same bytes.
    code = ("import sys, torch; torch.set_num_threads(2); from musicrep import tiny_encodec; "
            "tiny_encodec.write_tiny_checkpoint('mono16', sys.argv[1])")
    env = {**os.environ, "PYTHONHASHSEED": "123"}
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "again")], check=True, env=env,
                   capture_output=True, timeout=600)
    assert file_digests(tmp_path / "again") == file_digests(checkpoints["mono16"])
    # The seed matters; the global torch random state is left alone.
    state = torch.random.get_rng_state()
    seeded = [tiny_encodec.build_model("mono24", seed=seed).state_dict() for seed in (0, 0, 1)]
    assert torch.equal(torch.random.get_rng_state(), state)
    assert all(torch.equal(seeded[0][key], seeded[1][key]) for key in seeded[0])
    assert not torch.equal(seeded[0]["encoder.layers.0.conv.bias"], seeded[2]["encoder.layers.0.conv.bias"])


def test_music_is_real_and_deterministic():
    piece = tiny_encodec.HELD_OUT_PIECES[0]
    midi = tiny_encodec.piece_midi.__wrapped__(piece)
    assert midi == tiny_encodec.piece_midi.__wrapped__(piece)
    once, twice = render_midi(midi, 16_000), render_midi(midi, 16_000)
    assert np.array_equal(once, twice) and len(once) > 10 * 16_000
    audio = tiny_encodec.piece_audio(piece, 16_000)
    assert audio.dtype == np.float32 and abs(float(np.abs(audio).max()) - tiny_encodec.PEAK) < 1e-6
    stereo = tiny_encodec.piece_audio(piece, 16_000, mono=False)
    assert stereo.shape == (2, len(audio))
    assert not set(tiny_encodec.TRAINING_PIECES) & set(tiny_encodec.HELD_OUT_PIECES)


def test_stereo_chunked_config_fits():
    model = tiny_encodec.build_model("stereo48")
    config = model.config
    assert (config.audio_channels, config.normalize, config.chunk_length_s, config.overlap) == (2, True, 1.0, 0.01)
    audio = tiny_encodec.held_out_audio(48_000, mono=False)[:, :3 * 48_000]
    residuals = tiny_encodec.fit_codebooks(model, audio, iterations=3)
    assert len(residuals) == config.num_quantizers == 26
    assert residuals[-1] < 0.05 * residuals[0]
    # quantizer_inputs are what model.encode quantizes (chunked, normalised).
    feature_extractor = feature_extractor_for(config)
    inputs = feature_extractor(raw_audio=audio, sampling_rate=48_000, return_tensors="pt")
    with torch.no_grad():
        codes = model.encode(inputs["input_values"], inputs["padding_mask"], bandwidth=6.0).audio_codes
    values = inputs["input_values"][0]
    own = ref.rvq_encode(ref.codebooks(model, 6.0), tiny_encodec.quantizer_inputs(model, values.numpy()))
    offset = 0
    for chunk, start in enumerate(range(0, values.shape[-1], config.chunk_stride)):
        frames = math.ceil(min(config.chunk_length, values.shape[-1] - start) / config.hop_length)
        assert torch.equal(own[:, offset:offset + frames], codes[chunk, 0, :, :frames])  # 3 codebooks: no ties
        offset += frames
    assert offset == own.shape[1] and chunk + 1 == codes.shape[0]


def test_load_encodec_finds_nothing_offline(tmp_path):
    with pytest.raises(WeightsNotAvailable, match="snapshot_download"):
        load_encodec("musicrep-tests/no-such-encodec")
    with pytest.raises(FileNotFoundError):
        load_encodec(tmp_path / "missing")
    with pytest.raises(FileNotFoundError):
        load_encodec(tmp_path)  # a folder without config.json


def test_full_size_config_is_encodec_24khz():
    config = tiny_encodec.encodec_config("full24")
    assert config.to_diff_dict() == EncodecConfig().to_diff_dict()
    assert (config.hop_length, config.frame_rate, config.num_quantizers) == (320, 75, 32)
    with pytest.raises(KeyError):
        tiny_encodec.make_tiny_encodec("full24")


# ------------------------------------------------------------------ the stub

def _functions(path: Path) -> dict[str, ast.FunctionDef]:
    tree = ast.parse(path.read_text())
    return {node.name: node for node in tree.body
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_")}


def test_stub_matches_reference():
    stub, reference = _functions(STUB_PATH), _functions(REFERENCE_PATH)
    assert set(stub) == set(reference) == set(PUBLIC)
    for name in PUBLIC:
        assert ast.get_docstring(stub[name], clean=False) == ast.get_docstring(reference[name], clean=False)
        assert ast.unparse(stub[name].args) == ast.unparse(reference[name].args)
        assert ast.unparse(stub[name].returns) == ast.unparse(reference[name].returns)
    module = _load(STUB_PATH, "encodec_rvq_stub")
    with pytest.raises(NotImplementedError):
        module.quantize(torch.zeros(2, 2), torch.zeros(1, 2))
    assert "autograder check encodec_rvq" in ast.get_docstring(ast.parse(STUB_PATH.read_text()))
    assert "load_encodec" in ast.get_docstring(ast.parse(STUB_PATH.read_text()))


def test_reference_imports_nothing_from_the_autograder():
    tree = ast.parse(REFERENCE_PATH.read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert imported <= {"__future__", "math", "numbers", "typing", "numpy", "torch", "musicrep"}
