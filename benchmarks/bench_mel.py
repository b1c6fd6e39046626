"""Time the reference ``mel_spectrogram`` against the same features computed with librosa.

Usage::

    .venv/bin/python benchmarks/bench_mel.py [--seconds 60] [--repeats 21] [--pause 0.2] [--threads 1 0]

Both sides get the same 60 s of audio at 22.05 kHz (a seeded mix of tones and
noise) and HiFi-GAN V1's parameters (``n_fft`` 1024, hop 256, window 1024, 80
mels, 0-8000 Hz). The librosa side is what a user would write with librosa:
``np.pad`` in reflect mode, ``librosa.stft(center=False)`` with a Hann
window, ``sqrt(re^2 + im^2 + 1e-9)``, ``librosa.filters.mel`` (built on each
call, as a user calling one function would) times the magnitudes, and
``np.log(np.maximum(mel, 1e-5))`` (building the filterbank takes about
0.5 ms of its ~35 ms). Both are warmed up, then timed in interleaved rounds
(reference, librosa, reference, librosa, ...), so that load on a shared
machine hits both alike; the medians are compared. Each timed call follows a
pause (``--pause``), so that the worker threads the previous call woke up
(OpenBLAS's spin for ~0.1 s after a matrix product) do not compete with it.

Two configurations are measured: both sides limited to one thread (torch
and the BLAS numpy uses), then both with their default thread pools. The
reference does its work on one thread in both (it switches torch to one thread
for the call: on a shared machine, multi-threaded torch code stalls whenever
another process holds a core), so the two differ by librosa's matrix product,
which OpenBLAS runs on all cores by default. ``--threads`` picks the
configurations (``--threads 0`` for the defaults only). The target is a
ratio reference / librosa of at most 0.75 in each.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import time
from pathlib import Path

import librosa
import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
TARGET = 0.75
V1 = dict(n_fft=1024, num_mels=80, sampling_rate=22050, hop_size=256, win_size=1024,
          fmin=0, fmax=8000)


def load_reference():
    spec = importlib.util.spec_from_file_location("reference_mel_spectrogram",
                                                  ROOT / "solutions" / "mel_spectrogram.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_audio(seconds: float, sampling_rate: int, seed: int = 0) -> np.ndarray:
    """Tones with vibrato, a slow fade in and out, and a little noise: float32, in [-1, 1]."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sampling_rate)) / sampling_rate
    audio = sum(0.2 * np.sin(2 * np.pi * f * t + 3 * np.sin(2 * np.pi * 0.5 * t))
                for f in (220.0, 330.0, 440.0, 1250.0))
    audio = audio * np.sin(np.pi * t / t[-1]) + 0.01 * rng.standard_normal(t.size)
    return (audio / np.abs(audio).max() * 0.9).astype(np.float32)


def librosa_mel(audio: np.ndarray, n_fft, num_mels, sampling_rate, hop_size, win_size, fmin, fmax):
    """The same log-mel, the way one would compute it with librosa and numpy."""
    pad = (n_fft - hop_size) // 2
    padded = np.pad(audio, pad, mode="reflect")
    stft = librosa.stft(padded, n_fft=n_fft, hop_length=hop_size, win_length=win_size,
                        window="hann", center=False)
    magnitude = np.sqrt(stft.real ** 2 + stft.imag ** 2 + 1e-9)
    basis = librosa.filters.mel(sr=sampling_rate, n_fft=n_fft, n_mels=num_mels, fmin=fmin, fmax=fmax)
    return np.log(np.maximum(basis @ magnitude, 1e-5))


def measure(reference, audio: torch.Tensor, audio_np: np.ndarray, repeats: int,
            pause: float) -> dict[str, list[float]]:
    """Seconds per call of each side, timed in interleaved rounds after a warm-up."""
    calls = {"reference": lambda: reference.mel_spectrogram(audio, **V1),
             "librosa": lambda: librosa_mel(audio_np, **V1)}
    for call in calls.values():
        call()
    times: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(repeats):
        for name, call in calls.items():
            # Rest first: worker threads that the previous call woke up (OpenBLAS's
            # spin for ~0.1 s after each product) would otherwise compete with this one.
            time.sleep(pause)
            start = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - start)
    return times


def report(label: str, times: dict[str, list[float]]) -> float:
    median = {name: statistics.median(values) for name, values in times.items()}
    ratio = median["reference"] / median["librosa"]
    print(label)
    for name, values in times.items():
        print(f"  {name:>9}: median {median[name] * 1e3:7.2f} ms  "
              f"(min {min(values) * 1e3:7.2f}, max {max(values) * 1e3:7.2f})")
    verdict = "meets" if ratio <= TARGET else "MISSES"
    print(f"  ratio reference / librosa: {ratio:.3f} ({verdict} the target <= {TARGET})")
    return ratio


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--repeats", type=int, default=21, help="interleaved rounds (default 21)")
    parser.add_argument("--pause", type=float, default=0.2,
                        help="seconds of rest before each timed call (default 0.2)")
    parser.add_argument("--threads", type=int, nargs="*", default=[1, 0],
                        help="thread counts to measure, 0 meaning the default pools "
                             "(default: 1 0, i.e. single-threaded, then the defaults)")
    args = parser.parse_args(argv)
    from threadpoolctl import threadpool_limits

    reference = load_reference()
    audio_np = test_audio(args.seconds, V1["sampling_rate"])
    audio = torch.from_numpy(audio_np)
    ours = reference.mel_spectrogram(audio, **V1)
    theirs = librosa_mel(audio_np, **V1)
    assert ours.shape == (1, *theirs.shape), (ours.shape, theirs.shape)
    print(f"audio: {args.seconds:g} s at {V1['sampling_rate']} Hz, V1 parameters, "
          f"{ours.shape[-1]} frames; {args.repeats} interleaved rounds, {args.pause:g} s pauses")
    print(f"max |reference - librosa| (log-mel): {float(np.abs(ours[0].numpy() - theirs).max()):.2e}")
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")

    default_threads = torch.get_num_threads()
    for threads in args.threads:
        torch.set_num_threads(threads or default_threads)
        with threadpool_limits(limits=threads or None):
            times = measure(reference, audio, audio_np, args.repeats, args.pause)
        label = (f"{threads} thread(s) on both sides" if threads else
                 f"default threads (torch {default_threads}, numpy's BLAS as configured)")
        report(label, times)
    torch.set_num_threads(default_threads)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
