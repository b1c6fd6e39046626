"""The reference ``rvq_encode`` against transformers' own RVQ, side by side.

Same tables, same vectors: a full-size quantizer of the ``facebook/encodec_24khz``
architecture (32 codebooks of 1024 rows, 128 dimensions) and 100 s of frames
(75 a second: 7500 vectors). The codebooks are seeded random normal tables
whose scale shrinks from one codebook to the next, like trained ones (each
refines what the previous left), so the residuals stay in range.

The two are timed in turns (interleaved repetitions: a noisy machine slows
both alike), single-threaded and with torch's default threads; the ratio
of the medians and the median of the per-repetition ratios are printed. Then the codes are compared: where they differ, both
paths must be greedy (a nearest row at every step, checked in float64), the
difference being a float32 tie.

Run: ``.venv/bin/python benchmarks/bench_rvq.py [--repeats 7] [--seconds 100]``.
"""
from __future__ import annotations

import argparse
import importlib.util
import statistics
import time
from pathlib import Path

import torch
from transformers import EncodecConfig
from transformers.models.encodec.modeling_encodec import EncodecResidualVectorQuantizer

from musicrep.tiny_encodec import FULL_24KHZ

ROOT = Path(__file__).resolve().parents[1]


def load_reference():
    spec = importlib.util.spec_from_file_location("reference_encodec_rvq", ROOT / "solutions" / "encodec_rvq.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_inputs(seconds: float, seed: int = 0):
    """A full-size quantizer with filled codebooks, its tables, and ``[N, 128]`` vectors."""
    config = EncodecConfig(**FULL_24KHZ)
    generator = torch.Generator().manual_seed(seed)
    quantizer = EncodecResidualVectorQuantizer(config).eval()
    tables = []
    for q, layer in enumerate(quantizer.layers):
        table = torch.randn(config.codebook_size, config.codebook_dim, generator=generator) * 0.75 ** q
        layer.codebook.embed.copy_(table)
        tables.append(layer.codebook.embed)
    frames = round(seconds * config.frame_rate)
    vectors = torch.randn(frames, config.codebook_dim, generator=generator)
    return config, quantizer, tables, vectors


def greedy_violations(tables, vectors, codes, rtol: float = 1e-5) -> tuple[int, float]:
    """Vectors whose path is not greedy in float64: a chosen row farther (squared, beyond
    ``rtol`` of ``|residual|^2 + |row|^2``) than the nearest one. Returns (count, worst excess)."""
    residual = vectors.double()
    bad = torch.zeros(vectors.shape[0], dtype=torch.bool)
    worst = 0.0
    for table, row in zip(tables, codes):
        table = table.double()
        distances = torch.cdist(residual, table).pow(2)
        chosen = distances.gather(1, row[:, None])[:, 0]
        excess = chosen - distances.min(1).values
        scale = residual.pow(2).sum(1) + table.pow(2).sum(1).max()
        bad |= excess > rtol * scale
        worst = max(worst, float((excess / scale).max()))
        residual = residual - table[row]
    return int(bad.sum()), worst


def time_both(reference, quantizer, tables, vectors, repeats: int, threads: int):
    embeddings = vectors.T[None].contiguous()  # [1, D, N] for transformers
    bandwidth = 24.0                           # all 32 codebooks
    runs = {
        "reference rvq_encode": lambda: reference.rvq_encode(tables, vectors),
        "transformers quantizer.encode": lambda: quantizer.encode(embeddings, bandwidth)[:, 0],
    }
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    times = {name: [] for name in runs}
    outputs = {}
    try:
        with torch.no_grad():
            for run in runs.values():  # warm-up
                run()
            for repeat in range(repeats):
                order = list(runs.items()) if repeat % 2 == 0 else list(reversed(runs.items()))
                for name, run in order:
                    start = time.perf_counter()
                    outputs[name] = run()
                    times[name].append(time.perf_counter() - start)
    finally:
        torch.set_num_threads(previous)
    return {name: statistics.median(values) for name, values in times.items()}, times, outputs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=100.0)
    args = parser.parse_args()

    reference = load_reference()
    config, quantizer, tables, vectors = make_inputs(args.seconds)
    print(f"{len(tables)} codebooks x {config.codebook_size} rows x {config.codebook_dim} dims; "
          f"{vectors.shape[0]} vectors ({args.seconds:g} s at {config.frame_rate} frames/s); "
          f"{args.repeats} interleaved repetitions; torch {torch.__version__}")
    outputs = {}
    for threads in sorted({1, torch.get_num_threads()}):
        medians, times, outputs = time_both(reference, quantizer, tables, vectors, args.repeats, threads)
        ours, theirs = medians["reference rvq_encode"], medians["transformers quantizer.encode"]
        print(f"\n{threads} thread{'s' * (threads > 1)}:")
        for name, median in medians.items():
            spread = ", ".join(f"{1000 * t:.0f}" for t in times[name])
            print(f"  {name:32s} median {1000 * median:8.1f} ms   (runs: {spread})")
        paired = statistics.median(t / o for t, o in zip(times["transformers quantizer.encode"],
                                                           times["reference rvq_encode"]))
        print(f"  speed-up (transformers / reference): {theirs / ours:.2f}x of the medians, "
              f"{paired:.2f}x median of the per-repetition ratios")

    ours, theirs = outputs["reference rvq_encode"], outputs["transformers quantizer.encode"]
    differ = (ours != theirs).any(0)
    print(f"\ncodes: {int((ours == theirs).sum())} of {ours.numel()} equal; "
          f"{int(differ.sum())} of {ours.shape[1]} vectors take another path")
    for name, codes in outputs.items():
        count, worst = greedy_violations(tables, vectors, codes)
        print(f"  {name:32s} non-greedy vectors (float64 check): {count}; worst relative excess {worst:.1e}")


if __name__ == "__main__":
    main()
