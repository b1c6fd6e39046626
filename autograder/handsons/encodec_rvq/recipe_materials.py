"""What Hands-on 1's fixtures are made from: the tiny models and configs, real music, the encoder's
exact outputs, and a grading variant's draws (for ``recipe.py`` and its case modules; never shipped).

- Models: the tiny checkpoints of ``musicrep.tiny_encodec`` (seeded weights,
  codebooks fitted by k-means to real music), made here and stored as
  ``save_pretrained`` writes them (``config.json``, ``model.safetensors``,
  ``preprocessor_config.json``: no pickle): ``mono24`` (the 24 kHz family
  shrunk), ``mono16`` (other ratios and rate), ``stereo48`` (stereo, 48 kHz,
  normalised, chunked) and ``full24`` (the full-size ``facebook/encodec_24khz``
  architecture, config only: the worker builds it on the meta device). They are
  public (``autograder check`` needs them); the hidden graders use them too.
  More configs, for structure only, are hidden: three small ones (the worker
  builds them for real, on the CPU) and a full-size 32 kHz architecture (on the
  meta device); and two configs whose codebook size is not a power of two (no
  model accepts one: ``num_quantizers`` only), one public, one hidden.
- Real audio: held-out pieces of ``musicrep.tiny_encodec`` (scores of the
  music21 corpus, never seen by the k-means), rendered with FluidSynth at
  44.1 kHz and resampled to each model's rate with librosa (soxr).
- Exact values: encoder outputs through a float64 copy of the model rounded to
  float32 (``tiny_encodec.exact_embeddings``), nearest rows and greedy paths in
  elementwise float64 (``tiny_encodec.nearest_rows``): the same on every machine.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ...engine.fixtures import require

RENDER_RATE = 44_100
MODELS = ("mono24", "mono16", "stereo48", "full24")
FITTED = ("mono24", "mono16", "stereo48")
# Config only (public): a codebook size that no model accepts, for num_quantizers' log2.
PUBLIC_CONFIGS = {"codebook-1000": dict(codebook_size=1000, target_bandwidths=[1.5, 3.0, 6.0])}
# Structure only (hidden): other ratios, rates, channels; a full-size architecture (the shape of
# facebook/encodec_32khz's config); a codebook size that no model accepts.
HIDDEN_CONFIGS = {
    "ratios-4-6-7": dict(upsampling_ratios=[4, 6, 7], sampling_rate=32_000, codebook_size=256,
                         target_bandwidths=[1.5, 3.0, 6.0, 12.0]),
    "ratios-2-2-2-2-2": dict(upsampling_ratios=[2, 2, 2, 2, 2], num_residual_layers=3, use_conv_shortcut=False,
                             sampling_rate=8_000, codebook_size=512, target_bandwidths=[2.25, 4.5, 9.0]),
    "one-ratio-stereo": dict(upsampling_ratios=[10], audio_channels=2, sampling_rate=44_100, normalize=True,
                             codebook_size=2048, target_bandwidths=[48.0, 96.0, 192.0], kernel_size=3),
    "full32": dict(sampling_rate=32_000, upsampling_ratios=[8, 5, 4, 4], num_filters=64, hidden_size=128,
                   codebook_dim=128, codebook_size=2048, target_bandwidths=[2.2], use_causal_conv=False,
                   use_conv_shortcut=False),
    "odd-codebook": dict(codebook_size=100, target_bandwidths=[1.0, 2.0, 4.0]),   # config only: not a power of 2
}
STRUCTURE_ONLY = ("ratios-4-6-7", "ratios-2-2-2-2-2", "one-ratio-stereo", "full32")
META = ("full24", "full32")   # full-size: the worker builds them on the meta device

# (piece index in HELD_OUT_PIECES, rate, start in seconds, samples)
CLIPS = {
    "public-24k": (0, 24_000, 2.0, 24_007),     # mozart k80: encode/decode, mono24
    "public-16k": (0, 16_000, 3.0, 8_000),      # the wrong rate for mono24
    "hidden-24k": (1, 24_000, 3.0, 30_101),     # bach bwv10.7 (organ)
    "hidden-16k": (1, 16_000, 6.0, 24_013),
}
# Longer stretches whose encoder outputs are the vectors of the RVQ checks.
STRETCHES = {
    "public-mono24": ("mono24", 0, 6.0, 4.0),
    "hidden-mono24": ("mono24", 1, 8.0, 4.0),
    "hidden-mono16": ("mono16", 1, 10.0, 1.5),
}


class Materials:
    """The writers, the reference and what the cases are made from, each made once: the models,
    the rendered pieces and their resamplings, the float64 copies of the models."""

    def __init__(self, public, hidden, reference, tmp: Path, draws: "Draws"):
        self.public, self.hidden, self.ref, self.tmp, self.draws = public, hidden, reference, tmp, draws
        self.models: dict[str, tuple] = {}
        self.exact_models: dict[str, object] = {}
        self.rendered: dict[int, np.ndarray] = {}
        self.resampled: dict[tuple[int, int], np.ndarray] = {}

    def seed(self, shipped: int) -> int:
        return self.draws.seed(shipped)

    def start(self, key: str, piece: int, rate: int, start: float, seconds: float) -> float:
        """Where an excerpt of ``seconds`` starts in held-out piece ``piece``: ``start``, or in a
        grading variant a draw of its own anywhere in the piece, on music rather than silence."""
        if self.draws.none:
            return start
        audio = self.piece(piece, rate)
        last = len(audio) / rate - seconds - 0.5
        for attempt in range(50):
            drawn = round(self.draws.uniform(f"start/{key}/{attempt}", 0.5, last), 3)
            part = audio[round(drawn * rate):round((drawn + seconds) * rate)].astype(np.float64)
            if abs(drawn - start) > 0.25 and float(np.sqrt(np.mean(part ** 2))) > 0.05:
                return drawn
        require(False, key, "no start in the piece gives music rather than silence")

    def writer(self, visibility: str):
        return self.public if visibility == "public" else self.hidden

    def make_models(self) -> None:
        from transformers import EncodecConfig
        from musicrep import tiny_encodec
        from musicrep.encodec import feature_extractor_for, load_encodec

        for name in MODELS:
            folder = tiny_encodec.write_tiny_checkpoint(name, self.tmp / name)
            for path in sorted(folder.iterdir()):
                self.public.add_file(f"models/{name}/{path.name}", path)
            if (folder / "model.safetensors").is_file():
                self.models[name] = load_encodec(folder)
            else:
                config = EncodecConfig.from_pretrained(folder)
                self.models[name] = (tiny_encodec.build_model(config, device="meta"), feature_extractor_for(config))
        for visibility, configs in (("public", PUBLIC_CONFIGS), ("hidden", HIDDEN_CONFIGS)):
            for name, fields in configs.items():
                config = EncodecConfig(**{**tiny_encodec.FULL_24KHZ, "num_filters": 4, "hidden_size": 8,
                                          "codebook_dim": 8, **fields})
                config.save_pretrained(self.tmp / name)
                self.writer(visibility).add_file(f"models/{name}/config.json", self.tmp / name / "config.json")
                model = tiny_encodec.build_model(config, device="meta") if name in STRUCTURE_ONLY else None
                self.models[name] = (model, config)

    def config(self, name: str):
        model, other = self.models[name]
        return model.config if model is not None else other

    def tables(self, name: str, count: int | None = None) -> list[np.ndarray]:
        tables = [layer.codebook.embed.detach().numpy().copy() for layer in self.models[name][0].quantizer.layers]
        return tables if count is None else tables[:count]

    def piece(self, index: int, rate: int) -> np.ndarray:
        """Held-out piece ``index`` rendered at 44.1 kHz, resampled to ``rate``."""
        import librosa
        from musicrep import tiny_encodec

        if index not in self.rendered:
            self.rendered[index] = tiny_encodec.piece_audio(tiny_encodec.HELD_OUT_PIECES[index], RENDER_RATE)
        if (index, rate) not in self.resampled:
            audio = librosa.resample(self.rendered[index], orig_sr=RENDER_RATE, target_sr=rate, res_type="soxr_hq")
            self.resampled[index, rate] = np.ascontiguousarray(audio, dtype=np.float32)
        return self.resampled[index, rate]

    def clip(self, name: str) -> np.ndarray:
        index, rate, start, samples = CLIPS[name]
        start = self.start(f"clip/{name}", index, rate, start, samples / rate)
        audio = self.piece(index, rate)[round(start * rate):round(start * rate) + samples].copy()
        require(len(audio) == samples, f"clip {name}", f"the piece is too short for {samples} samples")
        require(float(np.sqrt(np.mean(audio.astype(np.float64) ** 2))) > 0.02, f"clip {name}",
                "it is nearly silent: choose another start")   # music, not silence (far from 0.02 here)
        return audio

    def exact(self, name: str):
        """A float64 copy of model ``name`` (see ``tiny_encodec.exact_model``), made once."""
        from musicrep import tiny_encodec
        if name not in self.exact_models:
            self.exact_models[name] = tiny_encodec.exact_model(self.models[name][0])
        return self.exact_models[name]

    def embeddings(self, name: str, audio: np.ndarray) -> np.ndarray:
        """The encoder's output for ``audio`` (what ``model.encode`` quantizes), by the reference's
        ``pre_quantize`` on the float64 copy of the model, rounded: float32 ``[frames, D]``, the
        same bytes on every machine."""
        import torch
        _, feature_extractor = self.models[name]
        exact = self.exact(name)
        inputs = feature_extractor(raw_audio=audio, sampling_rate=exact.config.sampling_rate, return_tensors="pt")
        with torch.no_grad():
            out = self.ref.pre_quantize(exact, inputs["input_values"].double(), inputs["padding_mask"])
        return out[0].T.contiguous().numpy().astype(np.float32)

    def stretch(self, name: str) -> np.ndarray:
        model_name, piece, start, seconds = STRETCHES[name]
        rate = self.models[model_name][0].config.sampling_rate
        start = self.start(f"stretch/{name}", piece, rate, start, seconds)
        audio = self.piece(piece, rate)[round(start * rate):round((start + seconds) * rate)]
        return self.embeddings(model_name, audio)


class Draws:
    """A grading variant's draws (numpy Generators keyed by what they vary: the same on every
    machine, and one thing's draw does not move when another is added); variant 0 draws nothing."""

    def __init__(self, variant):
        self.variant = None if variant is None or variant.shipped else variant

    @property
    def none(self) -> bool:
        return self.variant is None

    def _rng(self, key: str) -> np.random.Generator:
        return self.variant.rng(f"encodec_rvq/{key}")

    def seed(self, shipped: int) -> int:
        return shipped if self.none else int(self._rng(f"seed/{shipped}").integers(1_000, 2**31))

    def integers(self, key: str, low: int, high: int) -> int:
        return 0 if self.none else int(self._rng(key).integers(low, high))

    def uniform(self, key: str, low: float, high: float) -> float:
        return float(self._rng(key).uniform(low, high))

    def choice(self, key: str, values, count: int) -> list:
        return list(self._rng(key).choice(list(values), count, replace=False))


def nearest_rows(vectors: np.ndarray, table: np.ndarray) -> np.ndarray:
    from musicrep import tiny_encodec
    return tiny_encodec.nearest_rows(vectors, table)


def greedy_path(tables: list[np.ndarray], vectors: np.ndarray) -> np.ndarray:
    """The greedy residual path of ``vectors`` through ``tables``, in exact float64 arithmetic (the
    first row where rows tie): int64 ``[Q, N]``, the same on every machine."""
    residual = np.asarray(vectors, dtype=np.float64)
    codes = []
    for table in tables:
        index = nearest_rows(residual, table)
        codes.append(index)
        residual = residual - table[index].astype(np.float64)
    return np.stack(codes) if codes else np.zeros((0, len(residual)), dtype=np.int64)

