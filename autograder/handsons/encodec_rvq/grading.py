"""Grader-side code of Hands-on 1, shared by the public and hidden graders: the docstrings' rules and
the classic mistakes' texts; the rest is split by job into the modules beside it.

- ``nearest.py``: nearest rows and greedy paths, in float64 with a stated tolerance (also the recipe's);
- ``seeded.py``: the seeded tables, vectors and codes of the cases too big to store (also the recipe's);
- ``checks.py``: each returned value judged, with the classic mistake named (``check_``, ``diagnose_``);
- ``runs.py``: the calls in the sandbox for each case (``run_``), and sequences of calls in one worker;
- ``scale.py``: the docstring's sizes: one run at scale, and the speed timed against the reference.

NumPy only (no torch, no transformers in the grader process): tensors come back as ``wire.Tensor``,
the models' codebooks are read from the fixtures' safetensors with ``safetensors.numpy``.
"""
from __future__ import annotations

from ...engine.diagnoses import Diagnosis
from ...engine.rules import Rule


# ------------------------------------------------------------------ the docstrings' rules

# Every rule the stub's docstrings state, quoted word for word (see engine/rules.py): the recipe's
# cases and the graders' marks say which checks exercise each. What the docstrings leave free (which
# row where rows tie, float32 rounding, how the residual is formed) is honoured, not a rule.
RULES = {
    # downsampling_factor
    "downsampling-product": Rule("downsampling_factor", "the product of the strides of the encoder's convolutions"),
    "downsampling-strides-once": Rule("downsampling_factor", "a walk over all modules that reads every ``stride`` "
                                                             "counts each one twice; take the strides of the "
                                                             "``nn.Conv1d`` layers"),
    "downsampling-any-config": Rule("downsampling_factor", "Works for any ``EncodecConfig`` (mono or stereo, any "
                                                           "ratios)"),
    "downsampling-meta": Rule("downsampling_factor", "also on a model built on the meta device"),
    "downsampling-int": Rule("downsampling_factor", "the factor, a Python ``int``."),
    # num_quantizers
    "nq-log2-bits": Rule("num_quantizers", "Each codebook adds one code per frame, of "
                                           "``log2(config.codebook_size)`` bits"),
    "nq-frame-rate": Rule("num_quantizers", "``frame_rate`` is ``ceil(sampling_rate / hop_length)``"),
    "nq-rounded-down": Rule("num_quantizers", "The model uses as many codebooks as fit in ``bandwidth * 1000`` "
                                              "bits per second, rounded down"),
    "nq-at-least-one": Rule("num_quantizers", "rounded down, and at least one"),
    "nq-exact-edges": Rule("num_quantizers", "Compute ``bandwidth * 1000 / (log2(codebook_size) * frame_rate)`` "
                                             "in that order, as transformers does, so that bandwidths at the "
                                             "exact edges round the same way."),
    "nq-any-bandwidth": Rule("num_quantizers", "Any bandwidth counts, not only ``config.target_bandwidths``"),
    "nq-above-targets": Rule("num_quantizers", "A bandwidth above the largest target can give more codebooks than "
                                               "the model has"),
    "nq-no-limit": Rule("num_quantizers", "a bandwidth of 0 or less means no limit: ``config.num_quantizers``."),
    "nq-int": Rule("num_quantizers", "the number of codebooks, a Python ``int``."),
    # encode
    "encode-codes": Rule("encode", "then call ``model.encode(input_values, padding_mask, bandwidth=bandwidth)``"),
    "encode-rows-columns": Rule("encode", "one row per codebook, one column per frame"),
    "encode-frames": Rule("encode", "``frames = ceil(len(audio) / hop_length)``"),
    "encode-n_q": Rule("encode", "``n_q`` is :func:`num_quantizers` of the bandwidth."),
    "encode-long": Rule("encode", "``torch.long`` tensor ``[n_q, frames]``."),
    "encode-wrong-rate": Rule("encode", "``sampling_rate`` must be the model's (``model.config.sampling_rate``): "
                                        "otherwise ``ValueError`` whose message gives both rates"),
    "encode-wrong-bandwidth": Rule("encode", "``bandwidth`` must be one of ``model.config.target_bandwidths``"),
    "encode-wrong-bandwidth-message": Rule("encode", "otherwise ``ValueError`` whose message lists them."),
    "encode-int-bandwidth": Rule("encode", "(``6`` and ``6.0`` are the same)"),
    # decode
    "decode-audio": Rule("decode", "The audio that ``codes`` stand for: ``model.decode``"),
    "decode-no-grad": Rule("decode", "``model.decode`` without gradients."),
    "decode-one-channel": Rule("decode", "Return the one channel of the one example."),
    "decode-samples": Rule("decode", "float tensor ``[frames * hop_length]``."),
    "decode-any-n_q": Rule("decode", "Any number of codebooks from 1 to ``model.config.num_quantizers`` works"),
    # compression_ratio
    "ratio-pcm-bits": Rule("compression_ratio", "The PCM audio takes ``num_samples * bits_per_sample`` bits"),
    "ratio-code-bits": Rule("compression_ratio", "the codes take ``n_q * frames * log2(codebook_size)`` bits"),
    "ratio-first-over-second": Rule("compression_ratio", "The ratio is the first over the second."),
    "ratio-float": Rule("compression_ratio", "the ratio, a Python ``float``."),
    # pre_quantize
    "pq-padding-zeroed": Rule("pre_quantize", "Set the padded samples (where ``padding_mask`` is 0 or ``False``) "
                                              "to zero, then run ``model.encoder``"),
    "pq-nan-padding": Rule("pre_quantize", "Whatever the padding held (noise, huge values, even NaN), the result "
                                           "is the same as for zeros there"),
    "pq-any-mask-dtype": Rule("pre_quantize", "as the feature extractor gives (any dtype)"),
    "pq-no-grad": Rule("pre_quantize", "then run ``model.encoder`` without gradients."),
    "pq-shape": Rule("pre_quantize", "float tensor ``[B, hidden_size, frames]``, ``frames = ceil(T / hop_length)``."),
    # codebooks
    "codebooks-tables": Rule("codebooks", "Codebook ``q`` is ``model.quantizer.layers[q].codebook.embed``"),
    "codebooks-count": Rule("codebooks", "At ``bandwidth`` the model uses the first :func:`num_quantizers` of them"),
    "codebooks-capped": Rule("codebooks", "(all of them if that is more than it has)"),
    "codebooks-any-bandwidth": Rule("codebooks", "Any bandwidth counts, not only the targets."),
    "codebooks-list": Rule("codebooks", "a list of float tensors ``[K, D]``."),
    # quantize
    "quantize-nearest": Rule("quantize", "``result[n] = argmin_k |vectors[n] - embed[k]|``"),
    "quantize-vectorised": Rule("quantize", "One vector at a time is far too slow (this is graded on 20000 vectors "
                                            "and 1024 rows of 128 dimensions): use matrix operations"),
    "quantize-empty": Rule("quantize", "``N = 0`` gives an empty result."),
    "quantize-long": Rule("quantize", "``torch.long`` tensor ``[N]``, values in ``0..K-1``."),
    # rvq_encode
    "rvq-greedy": Rule("rvq_encode", "For each codebook ``q`` in turn: its code is the nearest row to the residual "
                                     "(as :func:`quantize`), then that row is subtracted from the residual."),
    "rvq-every-codebook": Rule("rvq_encode", "Every codebook is used"),
    "rvq-sizes-differ": Rule("rvq_encode", "a sequence of ``Q`` float tensors ``[K_q, D]``"),
    "rvq-no-codebooks": Rule("rvq_encode", "(``Q`` may be 0)"),
    "rvq-long": Rule("rvq_encode", "``torch.long`` tensor ``[Q, N]``: row ``q`` holds the codes of codebook ``q``."),
    "rvq-speed": Rule("rvq_encode", "Speed counts: this must be at least as fast as ``model.quantizer.encode`` on the "
                                    "same vectors"),
    # rvq_decode
    "rvq-decode-sum": Rule("rvq_decode", "``result[n] = sum over q of codebooks[q][codes[q, n]]``"),
    "rvq-decode-fewer-rows": Rule("rvq_decode", "``codes`` may have fewer rows than there are codebooks: row ``q`` "
                                                "uses codebook ``q``"),
    "rvq-decode-no-rows": Rule("rvq_decode", "``Q = 0`` gives zeros."),
    "rvq-decode-dtype": Rule("rvq_decode", "float tensor ``[N, D]`` (the codebooks' dtype)."),
    # distance_curve
    "curve-greedy": Rule("distance_curve", "Encode ``vector`` greedily with all the codebooks (as :func:`rvq_encode`)"),
    "curve-distances": Rule("distance_curve", "``result[k - 1]`` is the Euclidean distance between ``vector`` and its "
                                              "reconstruction from the first ``k`` codes"),
    "curve-length": Rule("distance_curve", "for ``k = 1 .. Q``"),
    "curve-not-squared": Rule("distance_curve", "distances (not squared)."),
}

MISTAKES = {
    "strides_twice": Diagnosis("encodec_rvq/strides-twice",
        "each EncodecConv1d keeps a stride buffer of its own and wraps an nn.Conv1d with the "
        "same stride: a walk over all modules that reads every stride counts each one twice "
        "(strides counted twice). Take the strides of the nn.Conv1d layers only."),
    "strides_summed": Diagnosis("encodec_rvq/strides-summed",
        "the strides were added; the factor is their product."),
    "rounded_up": Diagnosis("encodec_rvq/rounded-up",
        "the number of codebooks is rounded down (floor), not up: only whole codebooks fit in the "
        "bandwidth (rounded up instead of down)."),
    "rounded": Diagnosis("encodec_rvq/rounded",
        "the number of codebooks is rounded down (floor), not to the nearest."),
    "frame_rate": Diagnosis("encodec_rvq/frame-rate",
        "the frame rate is config.frame_rate, ceil(sampling_rate / hop_length) frames a second, "
        "not sampling_rate / hop_length (wrong frame rate)."),
    "at_least_one": Diagnosis("encodec_rvq/at-least-one",
        "at least one codebook is used, however low the bandwidth: max(1, ...)."),
    "no_limit": Diagnosis("encodec_rvq/no-limit",
        "as in transformers, a bandwidth of 0 or less means no limit: config.num_quantizers."),
    "capped": Diagnosis("encodec_rvq/capped",
        "num_quantizers is not capped at the model's codebooks: above the largest target it can be "
        "more than config.num_quantizers (codebooks() caps, num_quantizers does not)."),
    "kbps": Diagnosis("encodec_rvq/kbps",
        "the bandwidth is in kilobits per second: multiply by 1000 to compare with bits per second."),
    "bits_rounded": Diagnosis("encodec_rvq/bits-rounded",
        "a code takes log2(codebook_size) bits, not a whole number of bits: with a codebook size "
        "that is not a power of two (1000 rows: 9.97 bits) rounding log2 changes the result (log2 "
        "rounded to whole bits)."),
    "order": Diagnosis("encodec_rvq/order",
        "compute bandwidth * 1000 / (log2(codebook_size) * frame_rate) in that order, as transformers "
        "does: the bandwidth divided by the kilobits per second of a codebook is the same number on paper "
        "but rounds otherwise in floats, and at an exact edge floor() then gives one codebook more "
        "(operations in another order)."),
    "l1": Diagnosis("encodec_rvq/l1",
        "the rows look chosen by the L1 (Manhattan) distance sum |v - e|; the nearest row is by Euclidean "
        "distance (L1 distance instead of Euclidean)."),
    "dot": Diagnosis("encodec_rvq/dot",
        "the rows look chosen by the largest dot product v.e (a similarity); that is the nearest row only "
        "when every row has the same norm: argmin |e|^2 - 2 v.e (dot product instead of Euclidean distance)."),
    "no_factor_2": Diagnosis("encodec_rvq/no-factor-2",
        "the rows look chosen by |e|^2 - v.e: the cross term of |v - e|^2 = |v|^2 - 2 v.e + |e|^2 "
        "has a factor 2 (factor 2 dropped)."),
    "cosine": Diagnosis("encodec_rvq/cosine",
        "the rows look chosen by cosine similarity; the nearest row is by Euclidean distance."),
    "farthest": Diagnosis("encodec_rvq/farthest",
        "the rows look like the farthest ones: argmin, not argmax, of the distance."),
    "residual_not_subtracted": Diagnosis("encodec_rvq/residual-not-subtracted",
        "every codebook seems to quantize the vector itself: subtract each chosen row "
        "from the residual before the next codebook (residual not subtracted)."),
    "residual_added": Diagnosis("encodec_rvq/residual-added",
        "the chosen rows seem added to the residual: subtract them."),
    "mean": Diagnosis("encodec_rvq/mean",
        "the result is the sum of the chosen rows divided by the number of codebooks: rvq_decode sums the "
        "rows (mean instead of sum)."),
    "squared": Diagnosis("encodec_rvq/squared",
        "the values are the squares of the expected distances: the curve holds Euclidean distances, "
        "the norms of the residuals, not squared (squared distances in the curve)."),
    "curve_k0": Diagnosis("encodec_rvq/curve-k0",
        "the curve has Q values, one after each codebook (k = 1..Q); do not include k = 0."),
    "all_layers": Diagnosis("encodec_rvq/all-layers",
        "these are all the model's codebooks; at a bandwidth the model uses only the first "
        "num_quantizers(config, bandwidth) of them (all layers instead of the bandwidth's)."),
    "inverted": Diagnosis("encodec_rvq/inverted",
        "the ratio is inverted: PCM bits over code bits, how many times smaller the codes are "
        "(inverted ratio)."),
    "no_log2": Diagnosis("encodec_rvq/no-log2",
        "a code takes log2(codebook_size) bits, not codebook_size bits."),
    "ratio_bits_rounded": Diagnosis("encodec_rvq/ratio-bits-rounded",
        "a code takes log2(codebook_size) bits, not a whole number of bits: for a codebook size "
        "that is not a power of two the ratio uses the exact log2 (log2 rounded to whole bits)."),
    "bits_per_sample": Diagnosis("encodec_rvq/bits-per-sample",
        "the PCM audio takes bits_per_sample bits a sample; it looks like 16 was used whatever "
        "bits_per_sample was."),
    "padding_not_masked": Diagnosis("encodec_rvq/padding-not-masked",
        "the output is what the encoder gives for the padding's values: set the padded "
        "samples to zero first (padding not masked)."),
    "nan_multiplied": Diagnosis("encodec_rvq/nan-multiplied",
        "the padding held NaN and your output has NaN: multiplying by the mask keeps them "
        "(NaN * 0 is NaN). Replace the padded samples (torch.where, masked_fill) "
        "(padding multiplied, not replaced)."),
    "int_bandwidth": Diagnosis("encodec_rvq/int-bandwidth",
        "6 and 6.0 are the same bandwidth: compare it with the targets as a number (an int bandwidth "
        "that is a target is valid) (int bandwidth refused)."),
    "short_audio": Diagnosis("encodec_rvq/short-audio",
        "audio shorter than one frame still gives one frame of codes: frames = ceil(len(audio) / "
        "hop_length), at least 1 (the encoder pads the audio), so do not cut it to whole frames "
        "(partial frame dropped)."),
    "whole_frames": Diagnosis("encodec_rvq/whole-frames",
        "frames = ceil(len(audio) / hop_length): the last, partial frame counts too (the encoder pads "
        "it), so do not cut the audio to whole frames (partial frame dropped)."),
    "capped_index": Diagnosis("encodec_rvq/capped-index",
        "at this bandwidth num_quantizers is more than the model's codebooks: the model then uses all "
        "of them. A slice (layers[:n]) stops at the end; indexing layers[q] for q in range(n) does not "
        "(codebooks not capped at the model's)."),
    "stacked": Diagnosis("encodec_rvq/stacked",
        "these codebooks have different numbers of rows: each is [K_q, D], and K_q may differ from one "
        "codebook to the next, so they cannot be stacked into one [Q, K, D] tensor (codebooks stacked)."),
    "no_codebooks": Diagnosis("encodec_rvq/no-codebooks",
        "Q may be 0: with no codebooks the codes are an empty [0, N] tensor (torch.stack of an empty "
        "list fails; torch.empty(0, N, dtype=torch.long) does not)."),
    "empty_vectors": Diagnosis("encodec_rvq/empty-vectors",
        "N = 0 gives an empty result (torch.cat or torch.stack of an empty list fails; an argmin over "
        "the rows of a [0, K] distance matrix does not)."),
    "fewer_rows": Diagnosis("encodec_rvq/fewer-rows",
        "codes may have fewer rows than there are codebooks: row q uses codebook q, so loop over the rows "
        "of codes (or zip them with the codebooks), not over every codebook (loop over the codebooks)."),
    "no_rows": Diagnosis("encodec_rvq/no-rows",
        "Q = 0 gives zeros [N, D]: start from zeros and add each row's vectors (torch.stack or torch.cat of "
        "an empty list fails)."),
    "mask_dtype": Diagnosis("encodec_rvq/mask-dtype",
        "padding_mask may have any dtype (here {dtype}): torch.where needs a bool condition, so compare "
        "it (padding_mask != 0) or convert it (padding_mask.bool()) first (mask used as is)."),
    "state": Diagnosis("encodec_rvq/state",
        "the same call in a fresh worker gives the right result: something keeps state between calls, a "
        "cache keyed without one of the arguments (the bandwidth, the table, the model) or a global that a "
        "call changes (state kept between calls)."),
}
