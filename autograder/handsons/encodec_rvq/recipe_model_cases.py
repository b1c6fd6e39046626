"""Hands-on 1's cases of the model functions, written by ``recipe.py``: ``downsampling_factor``,
``num_quantizers``, ``codebooks``, ``encode`` (and its errors), ``decode``, ``compression_ratio``, ``pre_quantize``.

Expected values are the reference's, single-threaded, on the models loaded from the stored files
with ``musicrep.encodec.load_encodec``, as the worker loads them; expected codes are the greedy path
on the exact encoder output (the same on every machine), once the reference's own are checked to be
a path the graders accept. Float outputs (decoded audio, ``pre_quantize``) may drift by float32
rounding on another CPU: ``DRIFT``.
"""
from __future__ import annotations

import math

import numpy as np

from ...engine.fixtures import Drift, require
from . import nearest, seeded
from .recipe_materials import (FITTED, HIDDEN_CONFIGS, META, MODELS, PUBLIC_CONFIGS, STRUCTURE_ONLY, Materials,
                               greedy_path)

DECODE_FRAMES = 40
# Float outputs of the reference: the drift another CPU may show, a tenth of what the graders allow
# (|new - old| <= rtol |old| + peak * max |old|); ``fixtures verify`` reports it, more is a real change.
DRIFT = {d.kind: d for d in [
    Drift("decoded audio", rtol=1e-4, peak=1e-5, graders="check_decode: rtol 1e-3 + 1e-4 of the peak"),
    Drift("encoder output", rtol=1e-5, peak=1e-5, graders="check_pre_quantize: rtol 1e-4 + 1e-4 of the peak"),
]}


def write_structure_cases(m: Materials) -> None:
    """The cases of the functions that read a model or a config: ``downsampling_factor``,
    ``num_quantizers`` (with bandwidths at the exact edges) and ``codebooks``."""
    for name in MODELS + STRUCTURE_ONLY:
        visibility = "public" if name in MODELS else "hidden"
        model = m.models[name][0]
        expected = m.ref.downsampling_factor(model)
        require(expected == model.config.hop_length == math.prod(model.config.upsampling_ratios), name,
                f"the reference's downsampling factor {expected} is not the config's hop length")
        rules = ["downsampling-product", "downsampling-strides-once", "downsampling-int"]
        rules += ["downsampling-any-config"] if name != "mono24" else []
        rules += ["downsampling-meta"] if name in META else []
        m.writer(visibility).add_case("downsampling_factor", name, models=visibility, expected=expected,
                                      ratios=list(model.config.upsampling_ratios), rules=rules)

    common = ["nq-rounded-down", "nq-int"]
    for name in MODELS:
        targets = [float(b) for b in m.config(name).target_bandwidths]
        between = [round((a + b) / 2, 3) for a, b in zip(targets, targets[1:])]
        others = {"mono16": [0.5, 2.668, 6.67, 10.0]}.get(name, [0.5, 7.0, 100.0])
        between, others = same_counts(m, f"nq/{name}", name, between), same_counts(m, f"nq/{name}+", name, others)
        rules = common + ["nq-any-bandwidth", "nq-above-targets"]
        rules += ["nq-frame-rate", "nq-at-least-one"] if name == "mono16" else []
        num_quantizers_case(m, "public", name, name, sorted(set(targets + between + others)), rules)
    for name in HIDDEN_CONFIGS:
        targets = [float(b) for b in m.config(name).target_bandwidths]
        between = same_counts(m, f"nq/{name}", name, [round((a + b) / 2, 3) for a, b in zip(targets, targets[1:])])
        rules = common + ["nq-any-bandwidth", "nq-above-targets", "nq-at-least-one"]
        rules += ["nq-log2-bits"] if name == "odd-codebook" else []
        rules += ["nq-frame-rate"] if m.config(name).sampling_rate % m.config(name).hop_length else []
        beyond = same_counts(m, f"nq/{name}+", name, [0.1, 1000.0])
        num_quantizers_case(m, "hidden", name, name, sorted(set(targets + between + beyond)), rules)
    # 747.4 bps a codebook: 2.995 and 14.97 kbps give one codebook less with 10 whole bits a code (750 bps).
    num_quantizers_case(m, "public", "codebook-1000", "codebook-1000",
                             [0.5, 1.5, 2.0, 2.995, 3.0, 6.0, 7.0, 14.97, 50.0],
                        common + ["nq-log2-bits", "nq-any-bandwidth"])
    # Bandwidths at the exact edges, as floats: k codebooks' bits per second exactly, and a hair on
    # either side. With mono16's 1335 bps some of them round otherwise when computed in another order.
    for visibility, case_id, name, ks, hair in [("public", "mono16-edges", "mono16", (1, 3, 11, 22), (0.0,)),
                                                ("hidden", "mono16-edges", "mono16", (2, 37, 44, 45), (0.0,)),
                                                ("hidden", "mono24-edges", "mono24", (1, 2, 3, 5, 7),
                                                 (-1e-9, 0.0, 1e-9))]:
        config = m.config(name)
        per_codebook = math.log2(config.codebook_size) * config.frame_rate / 1000
        ks = edge_counts(m, case_id, name, ks, per_codebook, hair)
        edges = [k * per_codebook * (1 + d) for k in ks for d in hair]
        case = num_quantizers_case(m, visibility, case_id, name, edges, common + ["nq-exact-edges"])
        if name == "mono16":   # the point of these cases: the other order must fail here
            other = [max(1, math.floor(b / per_codebook)) for b in edges]
            require(other != case["expected"], case_id, "no edge here rounds otherwise in another order")
    num_quantizers_case(m, "public", "mono16-no-limit", "mono16", [0.0, -2.5], common + ["nq-no-limit"])
    num_quantizers_case(m, "hidden", "no-limit", "mono24", [0.0, -1.0], common + ["nq-no-limit"])

    for visibility, name, bandwidth in [("public", "mono24", 1.5), ("public", "mono24", 7.0),
                                        ("public", "stereo48", 6.0), ("public", "full24", 24.0),
                                        ("public", "mono16", 10.0),
                                        ("hidden", "mono24", 100.0), ("hidden", "mono24", 2.0),
                                        ("hidden", "mono16", 3.0), ("hidden", "stereo48", 12.0),
                                        ("hidden", "full24", 1.0), ("hidden", "full32", 2.2)]:
        model = m.models[name][0]
        tables = m.ref.codebooks(model, bandwidth)
        layers = len(model.quantizer.layers)
        count = m.ref.num_quantizers(model.config, bandwidth)
        if name in FITTED:
            require(all(np.array_equal(t.numpy(), e) for t, e in zip(tables, m.tables(name))),
                    f"codebooks {name}", "the reference's tables are not the model's codebooks")
        rules = ["codebooks-count", "codebooks-list"] + (["codebooks-tables"] if name in FITTED else [])
        rules += ["codebooks-capped"] if count > layers else []
        rules += ["codebooks-any-bandwidth"] if bandwidth not in model.config.target_bandwidths else []
        m.writer(visibility).add_case(
            "codebooks", f"{name}-{bandwidth:g}kbps", models="public" if name in MODELS else "hidden",
            model=name, bandwidth=bandwidth, expected_count=len(tables), num_quantizers=count, layers=layers,
            meta=name not in FITTED, rules=rules)


def same_counts(m: Materials, key: str, name: str, bandwidths: list[float]) -> list[float]:
    """Bandwidths that are not targets: ``bandwidths``, or in a grading variant others giving
    the same number of whole codebooks (the same rules exercised: at least one, above the
    targets, between two), each drawn inside its codebook count's range of bandwidths, on the
    same side of its middle (rounding to the nearest count instead of down fails alike)."""
    if m.draws.none:
        return bandwidths
    config = m.config(name)
    per_codebook = math.log2(config.codebook_size) * config.frame_rate / 1000
    targets = [float(b) for b in config.target_bandwidths]
    out = []
    for index, bandwidth in enumerate(bandwidths):
        count = math.floor(bandwidth / per_codebook)
        low, high = (0.55, 0.995) if bandwidth / per_codebook - count >= 0.5 else (0.02, 0.45)
        for attempt in range(100):
            drawn = round((count + m.draws.uniform(f"{key}/{index}/{attempt}", low, high)) * per_codebook, 3)
            if drawn != bandwidth and math.floor(drawn / per_codebook) == count and drawn > 0 \
                    and drawn not in targets:
                out.append(drawn)
                break
        else:
            require(False, key, f"no bandwidth other than {bandwidth} gives {count} codebooks")
    return out


def edge_counts(m: Materials, case_id: str, name: str, ks: tuple, per_codebook: float, hair: tuple) -> tuple:
    """The codebook counts whose exact bandwidths a case probes: ``ks``, or in a grading variant
    as many others (up to twice the largest shipped one), some rounding otherwise when computed
    in another order (mono16: the point of its cases)."""
    if m.draws.none:
        return ks
    for attempt in range(200):
        drawn = tuple(sorted(int(k) for k in m.draws.choice(f"edges/{case_id}/{attempt}",
                                                            range(1, 2 * max(ks) + 1), len(ks))))
        edges = [k * per_codebook * (1 + d) for k in drawn for d in hair]
        other = [max(1, math.floor(b / per_codebook)) for b in edges]
        expected = [m.ref.num_quantizers(m.config(name), b) for b in edges]
        if drawn != tuple(sorted(ks)) and (name != "mono16" or other != expected):
            return drawn
    require(False, case_id, "no codebook counts round otherwise in another order")


def num_quantizers_case(m: Materials, visibility: str, case_id: str, name: str, bandwidths: list[float],
                        rules: list[str]) -> dict:
    model, _ = m.models[name]
    config = m.config(name)
    expected = [m.ref.num_quantizers(config, b) for b in bandwidths]
    if model is not None:
        require(expected == [model.quantizer.get_num_quantizers_for_bandwidth(b) for b in bandwidths],
                f"num_quantizers {case_id}", "the reference disagrees with get_num_quantizers_for_bandwidth")
    return m.writer(visibility).add_case(
        "num_quantizers", case_id, models="public" if name in MODELS or name in PUBLIC_CONFIGS else "hidden",
        model=name, bandwidths=bandwidths, expected=expected, codebook_size=config.codebook_size,
        frame_rate=config.frame_rate, sampling_rate=config.sampling_rate, hop_length=config.hop_length,
        num_quantizers=config.num_quantizers, rules=rules)


def write_audio_cases(m: Materials) -> None:
    """The cases of the functions that take audio or codes: ``encode`` (its codes, and refusing a wrong
    rate or bandwidth), ``decode``, ``compression_ratio`` and ``pre_quantize``."""
    import torch

    encode_rules = ["encode-codes", "encode-rows-columns", "encode-frames", "encode-n_q", "encode-long"]
    decode_rules = ["decode-audio", "decode-no-grad", "decode-one-channel", "decode-samples", "decode-any-n_q"]
    # (visibility, model, clip, bandwidths, an int bandwidth, (short clip's start, samples, bandwidth))
    for visibility, name, clip, bandwidths, whole, short in [
            ("public", "mono24", "public-24k", None, 12, (5_000, 200, 6.0)),
            ("hidden", "mono24", "hidden-24k", [1.5, 6.0, 24.0], 6, (9_001, 1, 1.5)),
            ("hidden", "mono16", "hidden-16k", None, 4, (4_000, 37, 8.0))]:
        writer = m.writer(visibility)
        model, feature_extractor = m.models[name]
        config = model.config
        tables = m.tables(name)
        inputs: dict[str, tuple] = {}   # clip -> (audio file, embeddings, embeddings file): written once

        def encode_case(case_id, audio, bandwidth, rules, prefix):
            """An encode case of ``audio`` (its files named after ``prefix``); its expected codes."""
            if prefix not in inputs:
                embeddings = m.embeddings(name, audio)
                inputs[prefix] = (writer.add_array(f"audio/{prefix}.npy", audio), embeddings,
                                  writer.add_array(f"encode/{prefix}-{name}.embeddings.npy", embeddings))
            audio_file, embeddings, embeddings_file = inputs[prefix]
            codes = encode_codes(m, name, audio, embeddings, bandwidth, f"encode {prefix} {name}")
            kbps = f"{bandwidth:g}kbps" + ("-int" if isinstance(bandwidth, int) else "")
            writer.add_case(
                "encode", case_id, model=name, audio=audio_file, sampling_rate=config.sampling_rate,
                bandwidth=bandwidth, samples=len(audio), hop_length=config.hop_length, layers=len(tables),
                codebook_size=config.codebook_size, embeddings=embeddings_file,
                expected=writer.add_array(f"encode/{prefix}-{name}-{kbps}.codes.npy", codes.astype(np.int16)),
                rules=rules)
            return codes

        audio = m.clip(clip)
        # Every target of each model: mono24's in public, mono16's in hidden (and a few of mono24's).
        for bandwidth in bandwidths or [float(b) for b in config.target_bandwidths]:
            codes = encode_case(f"{name}-{bandwidth:g}kbps", audio, bandwidth, encode_rules, clip)
            for codebooks in {("public", "mono24", 1.5): (3, 1), ("public", "mono24", 24.0): (53,),
                              ("hidden", "mono24", 6.0): (13,), ("hidden", "mono16", 2.0): (1,),
                              ("hidden", "mono16", 8.0): (5,)}.get((visibility, name, bandwidth), ()):
                part = codes[:codebooks, :DECODE_FRAMES]
                case_id = f"{name}-{bandwidth:g}kbps" + ("" if codebooks == len(codes) else "-1-codebook")
                decoded = m.ref.decode(model, torch.from_numpy(part.astype(np.int64))).numpy()
                writer.add_case("decode", case_id, model=name, codes_shape=list(part.shape),
                                codes=writer.add_array(f"decode/{clip}-{case_id}.codes.npy", part.astype(np.int16)),
                                expected=writer.add_array(f"decode/{clip}-{case_id}.audio.npy", decoded,
                                                          drift=DRIFT["decoded audio"]),
                                rules=decode_rules)
        # "6 and 6.0 are the same": an int bandwidth.
        encode_case(f"{name}-{whole}kbps-int", audio, whole, encode_rules + ["encode-int-bandwidth"], clip)
        # Audio shorter than one frame: one column of codes.
        start, samples, bandwidth = short
        require(samples < config.hop_length, f"encode {clip} short", "the short clip is not shorter than a frame")
        what = f"{samples}-sample" + "s" * (samples > 1)
        encode_case(f"{name}-{what}", audio[start:start + samples].copy(), bandwidth, encode_rules,
                    f"{clip}-{what}")

    # Errors: audio at another rate; a bandwidth that is not a target.
    rate_rules, bandwidth_rules = ["encode-wrong-rate"], ["encode-wrong-bandwidth", "encode-wrong-bandwidth-message"]
    m.public.add_case("wrong_rate", "mono24-given-16kHz", model="mono24", sampling_rate=16_000,
                      model_rate=24_000, bandwidth=6.0,
                      audio=m.public.add_array("audio/public-16k.npy", m.clip("public-16k")),
                      rules=rate_rules)
    m.hidden.add_case("wrong_rate", "mono16-given-24kHz", model="mono16", sampling_rate=24_000,
                      model_rate=16_000, bandwidth=4.0, audio="audio/hidden-24k.npy", rules=rate_rules)
    m.public.add_case("wrong_bandwidth", "mono24-5kbps", model="mono24", bandwidth=5.0,
                      targets=[1.5, 3.0, 6.0, 12.0, 24.0], audio="audio/public-24k.npy", sampling_rate=24_000,
                      rules=bandwidth_rules)
    m.hidden.add_case("wrong_bandwidth", "mono16-3kbps", model="mono16", bandwidth=3.0,
                      targets=[2.0, 4.0, 8.0], audio="audio/hidden-16k.npy", sampling_rate=16_000,
                      rules=bandwidth_rules)

    # compression_ratio: (num_samples, codes shape, codebook size, bits per sample); the docstring's
    # example with the signature's default of 16 bits.
    for visibility, case_id, samples, shape, size, bits in [
            ("public", "docstring-example", 24_000, (8, 75), 1024, None),
            ("public", "mono24-6kbps", 24_007, (13, 76), 64, 16),
            ("public", "1000-rows", 24_000, (8, 75), 1000, 16),
            ("public", "8-bit", 16_000, (4, 50), 256, 8),
            ("hidden", "24-bit", 48_000, (32, 150), 1024, 24),
            ("hidden", "mono16-8kbps", 24_013, (5, 401), 32, 16),
            ("hidden", "8-bit-2048", 44_100, (4, 100), 2048, 8),
            ("hidden", "100-rows-20-bit", 32_000, (6, 100), 100, 20)]:
        seed = m.seed(100 + len(case_id))
        if case_id != "docstring-example":   # the docstring's numbers stay
            samples += m.draws.integers(f"samples/{case_id}", 1, 1000)
        codes = torch.from_numpy(seeded.random_codes(seed, shape, size))
        rules = ["ratio-first-over-second", "ratio-float", "ratio-code-bits", "ratio-pcm-bits"]
        m.writer(visibility).add_case(
            "compression_ratio", case_id, num_samples=samples, codes_shape=list(shape), codebook_size=size,
            bits_per_sample=bits or 16, default_bits=bits is None, seed=seed, rules=rules,
            expected=(m.ref.compression_ratio(samples, codes, size) if bits is None else
                      m.ref.compression_ratio(samples, codes, size, bits_per_sample=bits)))

    # pre_quantize: padded batches whose padding holds other values than zeros.
    for visibility, case_id, name, piece, fill, mask_dtype in [
            ("public", "mono24-noise", "mono24", 0, "noise", "int32"),
            ("public", "mono16-nan-bool-mask", "mono16", 0, "nan", "bool"),
            ("hidden", "mono16-huge-float-mask", "mono16", 1, "huge", "float32"),
            ("hidden", "mono24-nan-uint8-mask", "mono24", 1, "nan", "uint8")]:
        pre_quantize_case(m, visibility, case_id, name, piece, fill, mask_dtype)


def encode_codes(m: Materials, name: str, audio: np.ndarray, embeddings: np.ndarray, bandwidth: float,
                 case: str) -> np.ndarray:
    """The expected codes of ``encode``: the greedy path on the exact ``embeddings``, computed
    exactly (the same on every machine), after checking that the reference's own codes (float32,
    through ``model.encode``, as students compute them) are a path the graders accept."""
    import torch

    model, feature_extractor = m.models[name]
    config = model.config
    ours = m.ref.encode(model, feature_extractor, audio, config.sampling_rate, bandwidth).numpy()
    inputs = feature_extractor(raw_audio=audio, sampling_rate=config.sampling_rate, return_tensors="pt")
    with torch.no_grad():
        direct = model.encode(inputs["input_values"], inputs["padding_mask"], bandwidth=bandwidth)
    require(np.array_equal(ours, direct.audio_codes[0, 0].numpy()), case,
            f"the reference's codes at {bandwidth} kbps are not model.encode's")
    tables = m.tables(name, len(ours))
    require(nearest.first_non_greedy(tables, embeddings, ours, drift=False) is None, case,
            f"the reference's codes at {bandwidth} kbps are not greedy on the exact encoder output")
    return greedy_path(tables, embeddings)


def pre_quantize_case(m: Materials, visibility, case_id, name, piece, fill, mask_dtype) -> None:
    import torch
    writer = m.writer(visibility)
    model, feature_extractor = m.models[name]
    rate = model.config.sampling_rate
    audio = m.piece(piece, rate)
    starts = [m.start(f"pre_quantize/{case_id}/{k}", piece, rate, s, 0.25) for k, s in enumerate((1.0, 4.0, 9.0))]
    clips = [audio[round(starts[0] * rate):round((starts[0] + 0.25) * rate)],
             audio[round(starts[1] * rate):round((starts[1] + 0.18) * rate) + 3],
             audio[round(starts[2] * rate):round((starts[2] + 0.21) * rate)]]
    inputs = feature_extractor(raw_audio=clips, sampling_rate=rate, return_tensors="pt")
    values, mask = inputs["input_values"], inputs["padding_mask"]
    padding = ~mask.bool()[:, None, :]
    require(padding.any(), f"pre_quantize {case_id}", "the batch has no padding")
    noise = np.random.default_rng(m.seed(7)).standard_normal(tuple(values.shape)) * 0.5
    filler = {"noise": lambda: torch.from_numpy(noise.astype(np.float32)),
              "huge": lambda: torch.full(values.shape, 1e4),
              "nan": lambda: torch.full(values.shape, float("nan"))}[fill]()
    dirty = torch.where(padding, filler, values)
    typed_mask = mask.to(getattr(torch, mask_dtype))
    expected = m.ref.pre_quantize(model, dirty, typed_mask)
    with torch.no_grad():
        require(torch.equal(expected, model.encoder(values * mask[:, None, :])), f"pre_quantize {case_id}",
                "the reference's output is not the encoder's output for the masked input")
        unmasked = None if fill == "nan" else model.encoder(dirty).numpy()
    fields = dict(model=name, fill=fill, mask_dtype=mask_dtype,
                  input_values=writer.add_array(f"pre_quantize/{case_id}.input_values.npy", dirty.numpy()),
                  padding_mask=writer.add_array(f"pre_quantize/{case_id}.padding_mask.npy",
                                                mask.numpy().astype(np.int8)),
                  expected=writer.add_array(f"pre_quantize/{case_id}.expected.npy", expected.numpy(),
                                            drift=DRIFT["encoder output"]))
    if unmasked is not None:
        fields["unmasked"] = writer.add_array(f"pre_quantize/{case_id}.unmasked.npy", unmasked,
                                              drift=DRIFT["encoder output"])
    rules = ["pq-padding-zeroed", "pq-any-mask-dtype", "pq-no-grad", "pq-shape"]
    writer.add_case("pre_quantize", case_id, **fields, rules=rules + (["pq-nan-padding"] if fill == "nan" else []))
