"""Hands-on 1: Encodec and residual vector quantization (transformers' EncodecModel, RVQ by hand)."""
NUMBER = 1
TITLE = "Encodec and residual vector quantization"
# The grader, split by job (grading.py says which holds what): shipped with the public graders.
GRADER_MODULES = ("nearest", "seeded", "checks", "runs", "scale")
# The public checkpoints, loaded once per sandbox before any worker starts (see codec.py).
WORKER_PRELOAD = "models"

# The docstrings ask students to write these themselves: transformers' quantizer code must not run
# during their call (engine/plugin.py passes this on; worker/offlimits.py observes it).
_ENCODEC = "transformers.models.encodec.modeling_encodec"
LIBRARY_QUANTIZER = tuple(f"{_ENCODEC}:{name}" for name in (
    "EncodecEuclideanCodebook.quantize", "EncodecEuclideanCodebook.encode", "EncodecEuclideanCodebook.decode",
    "EncodecVectorQuantization.encode", "EncodecVectorQuantization.decode",
    "EncodecResidualVectorQuantizer.encode", "EncodecResidualVectorQuantizer.decode",
    "EncodecResidualVectorQuantizer.get_num_quantizers_for_bandwidth"))
OFF_LIMITS = {function: LIBRARY_QUANTIZER
              for function in ("num_quantizers", "quantize", "rvq_encode", "rvq_decode", "distance_curve")}
