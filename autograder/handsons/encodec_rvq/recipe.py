"""How Hands-on 1's fixtures are made (``autograder fixtures regen encodec_rvq``): ``build``, and the
sequences of calls in one worker; the rest is split by job into the modules beside it.

- ``recipe_materials.py``: what the cases are made from: the tiny models and configs (stored as
  fixtures), real music, the encoder's exact outputs, exact greedy paths, a grading variant's draws;
- ``recipe_model_cases.py``: the cases of the model functions (structure, encode, decode, errors,
  compression ratio, ``pre_quantize``);
- ``recipe_rvq_cases.py``: the cases of the RVQ functions (quantize, rvq_encode, rvq_decode,
  distance_curve).

- Expected values: the reference, single-threaded, on the models loaded from
  the stored files with ``musicrep.encodec.load_encodec``, as the worker loads
  them.
- The same on every machine: what decides what is graded (weights, codebooks,
  encoder outputs used as inputs or as the basis of a replay, integer codes,
  selected vectors) is computed exactly: encoder outputs through a float64
  copy of the model rounded to float32 (``tiny_encodec.exact_embeddings``),
  nearest rows and greedy paths in elementwise float64
  (``tiny_encodec.nearest_rows``). Float outputs of the reference (decoded
  audio, curves, ``pre_quantize``) may drift by float32 rounding on another
  CPU; ``fixtures verify`` reports that drift against a bound far inside the
  graders' tolerance (each case module's ``DRIFT``).

Which inputs are public and which hidden is decided in the case modules, next to each case.
None of these modules ships to students.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from ...engine.fixtures import require
from .recipe_materials import Draws, Materials
from .recipe_model_cases import write_audio_cases, write_structure_cases
from .recipe_rvq_cases import write_rvq_cases


def build(public, hidden, reference, variant=None) -> None:
    """The cases of ``variant`` (``engine.variants.Variant``; None or number 0: the shipped ones).
    A grading variant keeps the models (students' ``autograder check`` needs them), every case's
    id, model, bandwidth and kind of input, and draws the rest: where each clip, stretch and
    padded batch starts in its piece, the seeds of every random table, vector and code, the
    bandwidths between and beyond the targets, the exact edges probed, the sample counts of the
    compression ratios (the docstring's examples stay)."""
    from musicrep.tiny_encodec import one_thread
    from transformers.utils import logging

    bars = logging.is_progress_bar_enabled()
    logging.disable_progress_bar()
    try:
        with one_thread(), tempfile.TemporaryDirectory(prefix="encodec-fixtures-") as tmp:
            materials = Materials(public, hidden, reference, Path(tmp), Draws(variant))
            materials.make_models()
            write_structure_cases(materials)
            write_audio_cases(materials)
            write_rvq_cases(materials)
            write_sequences(materials)
    finally:
        if bars:
            logging.enable_progress_bar()


def write_sequences(m: Materials) -> None:
    """Calls of other checks' cases, in one worker, as the notebook makes them: the same model at
    several bandwidths, tables of other sizes and of the same size, and back to the first."""
    def steps(*names: str) -> list[dict]:
        return [{"group": name.split("[")[0], "id": name.split("[")[1].rstrip("]")} for name in names]

    m.public.add_case("sequence", "model-functions", steps=steps(
        "encode[mono24-24kbps]", "encode[mono24-1.5kbps]", "codebooks[mono24-7kbps]",
        "codebooks[mono24-1.5kbps]", "num_quantizers[mono16]", "num_quantizers[mono24]",
        "downsampling_factor[mono16]", "downsampling_factor[mono24]", "encode[mono24-6kbps]"))
    m.public.add_case("sequence", "rvq-functions", steps=steps(
        "quantize[music-mono24]", "quantize[duplicate-rows]", "quantize[music-residuals-mono24]",
        "quantize[music-mono24]", "rvq_encode[docstring-example]", "rvq_encode[music-mono24-6kbps]",
        "rvq_encode[docstring-example]", "distance_curve[music-mono24-6kbps]", "distance_curve[docstring-example]",
        "rvq_decode[music-mono24-6kbps]", "rvq_decode[docstring-example]"))
    m.hidden.add_case("sequence", "model-functions", steps=steps(
        "encode[mono16-8kbps]", "encode[mono16-2kbps]", "encode[mono24-6kbps]", "encode[mono16-4kbps]",
        "codebooks[mono24-100kbps]", "codebooks[mono24-2kbps]", "codebooks[mono16-3kbps]",
        "num_quantizers[ratios-4-6-7]", "num_quantizers[mono16-edges]", "encode[mono24-1.5kbps]"))
    m.hidden.add_case("sequence", "rvq-functions", steps=steps(
        "quantize[music-mono16]", "quantize[norms-differ]", "quantize[music-residuals-mono16]",
        "quantize[music-mono16]", "rvq_encode[music-mono16-all]", "rvq_encode[sizes-differ]",
        "rvq_encode[music-mono16-all]", "distance_curve[music-mono16-all]",
        "distance_curve[docstring-codebooks-other-vector]", "distance_curve[music-mono16-all]", "rvq_decode[mono16-float64]", "rvq_decode[mono16-random-codes]"))
    for writer in (m.public, m.hidden):
        for case in writer.cases:
            if case["group"] == "sequence":
                for step in case["steps"]:   # every step names one case of this fixture set
                    found = [c for c in writer.cases if (c["group"], c["id"]) == (step["group"], step["id"])]
                    require(len(found) == 1, f"sequence {case['id']}", f"no single case for step {step}")
