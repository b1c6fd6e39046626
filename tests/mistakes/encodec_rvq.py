"""One-mistake versions of the Hands-on 1 reference, and where graders must catch them."""
from . import Mistake

MISTAKES = [
    Mistake("strides_counted_twice",
            "    return math.prod(int(module.stride[0]) for module in encoder.modules()\n"
            "                     if isinstance(module, torch.nn.Conv1d))",
            "    return math.prod(int(module.stride[0] if isinstance(module.stride, tuple) else module.stride)\n"
            "                     for module in encoder.modules() if hasattr(module, \"stride\"))",
            loses=("test_downsampling_factor[mono24]", "test_downsampling_factor[mono16]"),
            says="strides counted twice"),
    Mistake("num_quantizers_rounded_up",
            "return int(max(1, math.floor(bandwidth * 1000 / bits_per_codebook)))",
            "return int(max(1, math.ceil(bandwidth * 1000 / bits_per_codebook)))",
            loses=("test_num_quantizers[mono24]",), says="rounded up instead of down"),
    Mistake("num_quantizers_wrong_frame_rate",
            "bits_per_codebook = math.log2(config.codebook_size) * config.frame_rate",
            "bits_per_codebook = math.log2(config.codebook_size) * config.sampling_rate / config.hop_length",
            loses=("test_num_quantizers[mono16]",), says="wrong frame rate"),
    Mistake("no_value_error_on_wrong_rate", "    if sampling_rate != config.sampling_rate:\n",
            "    if False:\n", loses=("test_encode_wrong_rate",), says="it should raise a ValueError"),
    Mistake("rate_error_without_the_models_rate",
            'raise ValueError(f"the audio is at {sampling_rate:g} Hz but the model works at '
            '{config.sampling_rate} Hz: "',
            'raise ValueError(f"the audio is at {sampling_rate:g} Hz, not the model\'s rate: "',
            edits=(('f"resample it to {config.sampling_rate} Hz first (for instance with librosa.resample)")',
                    'f"resample it first (for instance with librosa.resample)")'),),
            loses=("test_encode_wrong_rate[mono24-given-16kHz]",), says="does not mention 24000"),
    Mistake("encode_ignores_the_bandwidth", 'inputs["padding_mask"], bandwidth=bandwidth)',
            'inputs["padding_mask"], bandwidth=config.target_bandwidths[-1])',
            loses=("test_encode[mono24-1.5kbps]",), says="all layers instead of the bandwidth's"),
    Mistake("decode_keeps_batch_and_channel", "    return output.audio_values[0, 0]",
            "    return output.audio_values", loses=("test_decode[mono24-1.5kbps]",), says="audio_values[0, 0]"),
    Mistake("inverted_compression_ratio", "return float(num_samples * bits_per_sample / code_bits)",
            "return float(code_bits / (num_samples * bits_per_sample))",
            loses=("test_compression_ratio[mono24-6kbps]",), says="inverted ratio"),
    Mistake("padding_not_masked",
            "audio = torch.where(keep, input_values, torch.zeros((), dtype=input_values.dtype))",
            "audio = input_values", loses=("test_pre_quantize[mono24-noise]",), says="padding not masked"),
    Mistake("padding_multiplied_by_the_mask",
            "audio = torch.where(keep, input_values, torch.zeros((), dtype=input_values.dtype))",
            "audio = input_values * keep",
            loses=("test_pre_quantize[mono16-nan-bool-mask]", "test_pre_quantize[mono24-nan-uint8-mask]"),
            says="padding multiplied, not replaced"),
    Mistake("all_layers_instead_of_the_bandwidths",
            "count = min(num_quantizers(model.config, bandwidth), len(layers))", "count = len(layers)",
            loses=("test_codebooks[mono24-1.5kbps]", "test_codebooks[full24-1kbps]"),
            says="all layers instead of the bandwidth's"),
    Mistake("l1_distance", "return torch.addmm(norms, vectors, table.T, alpha=-2).argmin(dim=1)",
            "return torch.cdist(vectors, table, p=1).argmin(dim=1)",
            loses=("test_quantize[music-mono24]", "test_rvq_encode[music-mono24-6kbps]"),
            says="L1 distance instead of Euclidean"),
    Mistake("dot_product_similarity", "return torch.addmm(norms, vectors, table.T, alpha=-2).argmin(dim=1)",
            "return (vectors @ table.T).argmax(dim=1)",
            loses=("test_quantize[music-mono24]", "test_quantize[norms-differ]"),
            says="dot product instead of Euclidean distance"),
    Mistake("residual_not_subtracted", "                residual -= table.index_select(0, index)\n", "",
            loses=("test_rvq_encode[music-mono24-6kbps]", "test_distance_curve[music-mono24-6kbps]"),
            says="residual not subtracted"),
    Mistake("mean_instead_of_sum",
            "        result += table.to(dtype).index_select(0, row.to(torch.long))\n    return result\n",
            "        result += table.to(dtype).index_select(0, row.to(torch.long))\n"
            "    return result / max(codes.shape[0], 1)\n",
            loses=("test_rvq_decode[music-mono24-6kbps]",), says="mean instead of sum"),
    Mistake("squared_distances_in_the_curve", "distances[q] = torch.linalg.vector_norm(residual)",
            "distances[q] = residual.pow(2).sum()",
            loses=("test_distance_curve[music-mono24-6kbps]",), says="squared distances in the curve"),
    Mistake("python_loop_in_quantize",
            "        for start in range(0, vectors.shape[0], step):\n"
            "            result[start:start + step] = _nearest_rows(embed, norms, vectors[start:start + step])\n",
            "        for n in range(vectors.shape[0]):\n"
            "            result[n] = ((embed - vectors[n]) ** 2).sum(dim=1).argmin()\n",
            loses=("test_quantize_is_vectorised",), says="must be vectorised"),

    # ---- rules covered since (each caught by a public and a hidden case)
    Mistake("factor_is_a_tensor",
            "    return math.prod(int(module.stride[0]) for module in encoder.modules()\n"
            "                     if isinstance(module, torch.nn.Conv1d))",
            "    factor = 1\n    for layer in encoder.layers:\n        if hasattr(layer, \"stride\"):\n"
            "            factor *= layer.stride\n    return factor",
            loses=("test_downsampling_factor[mono16]", "test_downsampling_factor[full32]"), says="Python int"),
    Mistake("num_quantizers_whole_bits",
            "bits_per_codebook = math.log2(config.codebook_size) * config.frame_rate",
            "bits_per_codebook = (config.codebook_size - 1).bit_length() * config.frame_rate",
            loses=("test_num_quantizers[codebook-1000]", "test_num_quantizers[odd-codebook]"),
            says="log2 rounded to whole bits"),
    Mistake("num_quantizers_kbps_per_codebook",
            "return int(max(1, math.floor(bandwidth * 1000 / bits_per_codebook)))",
            "return int(max(1, math.floor(bandwidth / (bits_per_codebook / 1000))))",
            loses=("test_num_quantizers[mono16-edges]",), says="operations in another order"),
    Mistake("num_quantizers_without_no_limit",
            "    if bandwidth <= 0.0:\n        return int(config.num_quantizers)\n", "",
            loses=("test_num_quantizers[mono16-no-limit]", "test_num_quantizers[no-limit]"), says="no limit"),
    Mistake("encode_refuses_an_int_bandwidth",
            '    bandwidth = _number("bandwidth", bandwidth)\n    targets = [float(b) for b in config.target_bandwidths]\n',
            '    if not isinstance(bandwidth, float):\n'
            '        raise ValueError(f"bandwidth must be a float, one of {list(config.target_bandwidths)}")\n'
            '    bandwidth = _number("bandwidth", bandwidth)\n    targets = [float(b) for b in config.target_bandwidths]\n',
            loses=("test_encode[mono24-12kbps-int]", "test_encode[mono24-6kbps-int]"), says="int bandwidth refused"),
    Mistake("encode_drops_the_partial_frame", "    audio = audio.astype(np.float32)\n",
            "    audio = audio[:len(audio) // config.hop_length * config.hop_length].astype(np.float32)\n",
            loses=("test_encode[mono24-1.5kbps]", "test_encode[mono24-200-samples]", "test_encode[mono16-37-samples]"),
            says="partial frame dropped"),
    Mistake("decode_with_gradients", "    with torch.no_grad():\n        output = model.decode(",
            "    if True:\n        output = model.decode(",
            loses=("test_decode[mono24-1.5kbps]", "test_decode[mono16-2kbps]"), says="requires gradients"),
    Mistake("pre_quantize_with_gradients", "    with torch.no_grad():\n        return model.encoder(audio",
            "    if True:\n        return model.encoder(audio",
            loses=("test_pre_quantize[mono24-noise]", "test_pre_quantize[mono16-huge-float-mask]"),
            says="requires gradients"),
    Mistake("pre_quantize_mask_as_condition",
            "audio = torch.where(keep, input_values, torch.zeros((), dtype=input_values.dtype))",
            "audio = torch.where(padding_mask[:, None, :], input_values, torch.zeros((), dtype=input_values.dtype))",
            loses=("test_pre_quantize[mono24-noise]", "test_pre_quantize[mono16-huge-float-mask]"),
            says="mask used as is"),
    Mistake("compression_ratio_whole_bits",
            "code_bits = codes.shape[0] * codes.shape[1] * math.log2(codebook_size)",
            "code_bits = codes.shape[0] * codes.shape[1] * math.ceil(math.log2(codebook_size))",
            loses=("test_compression_ratio[1000-rows]", "test_compression_ratio[100-rows-20-bit]"),
            says="log2 rounded to whole bits"),
    Mistake("compression_ratio_always_16_bits", "return float(num_samples * bits_per_sample / code_bits)",
            "return float(num_samples * 16 / code_bits)",
            loses=("test_compression_ratio[8-bit]", "test_compression_ratio[24-bit]"),
            says="16 was used whatever bits_per_sample was"),
    Mistake("codebooks_not_capped",
            "    count = min(num_quantizers(model.config, bandwidth), len(layers))\n"
            "    return [layer.codebook.embed.detach() for layer in layers[:count]]",
            "    count = num_quantizers(model.config, bandwidth)\n"
            "    return [layers[q].codebook.embed.detach() for q in range(count)]",
            loses=("test_codebooks[mono16-10kbps]", "test_codebooks[mono24-100kbps]"),
            says="codebooks not capped at the model's"),
    Mistake("quantize_fails_without_vectors",
            "    result = torch.empty(vectors.shape[0], dtype=torch.long)\n"
            "    step = _block_rows(embed.shape[0])\n"
            "    with torch.no_grad():\n"
            "        for start in range(0, vectors.shape[0], step):\n"
            "            result[start:start + step] = _nearest_rows(embed, norms, vectors[start:start + step])\n"
            "    return result\n",
            "    step = _block_rows(embed.shape[0])\n"
            "    with torch.no_grad():\n"
            "        return torch.cat([_nearest_rows(embed, norms, vectors[start:start + step])\n"
            "                          for start in range(0, vectors.shape[0], step)])\n",
            loses=("test_quantize[docstring-example]", "test_quantize[norms-differ]"), says="N = 0 gives an empty result"),
    Mistake("quantize_returns_int32", "    return result\n\n\ndef rvq_encode", "    return result.int()\n\n\ndef rvq_encode",
            loses=("test_quantize[music-mono24]", "test_quantize[music-mono16]"), says="asks for torch.long"),
    Mistake("rvq_encode_stacks_the_codebooks",
            '    tables = _codebook_list(codebooks)\n    vectors = _tensor("vectors", vectors, "N, D")\n'
            '    codes = torch.empty(len(tables)',
            '    tables = list(torch.stack(list(codebooks)))\n    vectors = _tensor("vectors", vectors, "N, D")\n'
            '    codes = torch.empty(len(tables)',
            loses=("test_rvq_encode[docstring-example]", "test_rvq_encode[sizes-differ]"), says="codebooks stacked"),
    Mistake("rvq_encode_returns_int32",
            "codes = torch.empty(len(tables), vectors.shape[0], dtype=torch.long)",
            "codes = torch.empty(len(tables), vectors.shape[0], dtype=torch.int32)",
            loses=("test_rvq_encode[music-mono24-6kbps]", "test_rvq_encode[music-mono16-all]"), says="asks for torch.long"),
    Mistake("rvq_decode_loops_over_every_codebook",
            "    for q, row in enumerate(codes):\n        table = tables[q]\n",
            "    for q, table in enumerate(tables):\n        row = codes[q]\n",
            loses=("test_rvq_decode[fewer-rows-than-codebooks]", "test_rvq_decode[mono16-float64]"),
            says="loop over the codebooks"),
    Mistake("rvq_decode_in_float32",
            "result = torch.zeros(codes.shape[1], tables[0].shape[1], dtype=dtype)",
            "result = torch.zeros(codes.shape[1], tables[0].shape[1])",
            loses=("test_rvq_decode[music-mono24-float64]", "test_rvq_decode[mono16-float64]"),
            says="the result has the codebooks' dtype"),
    Mistake("rvq_decode_stacks_the_rows",
            "    result = torch.zeros(codes.shape[1], tables[0].shape[1], dtype=dtype)\n"
            "    for q, row in enumerate(codes):\n",
            "    return torch.stack([tables[q].to(dtype)[row.long()] for q, row in enumerate(codes)]).sum(0)\n"
            "    for q, row in enumerate(codes):\n",
            loses=("test_rvq_decode[docstring-example]", "test_rvq_decode[mono16-random-codes]"),
            says="Q = 0 gives zeros"),
    # ---- state kept between calls (caught by test_calls_in_sequence, public and hidden)
    Mistake("codebooks_cached_without_the_bandwidth",
            "    layers = model.quantizer.layers\n    count = min(num_quantizers(model.config, bandwidth), len(layers))\n"
            "    return [layer.codebook.embed.detach() for layer in layers[:count]]",
            "    key = (model.config.codebook_size, model.config.codebook_dim)\n"
            "    if key not in _CODEBOOKS:\n"
            "        layers = model.quantizer.layers\n"
            "        count = min(num_quantizers(model.config, bandwidth), len(layers))\n"
            "        _CODEBOOKS[key] = [layer.codebook.embed.detach() for layer in layers[:count]]\n"
            "    return _CODEBOOKS[key]",
            edits=(("BLOCK_ELEMENTS = 1 << 23", "_CODEBOOKS = {}\nBLOCK_ELEMENTS = 1 << 23"),),
            loses=("test_calls_in_sequence[model-functions]",), says="state kept between calls"),
    Mistake("encode_cached_without_the_bandwidth",
            '    inputs = feature_extractor(raw_audio=audio, sampling_rate=config.sampling_rate, return_tensors="pt")\n'
            "    with torch.no_grad():\n"
            '        output = model.encode(inputs["input_values"], inputs["padding_mask"], bandwidth=bandwidth)\n'
            "    return output.audio_codes[0, 0].to(torch.long).contiguous()\n",
            "    if audio.tobytes() not in _CODES:\n"
            '        inputs = feature_extractor(raw_audio=audio, sampling_rate=config.sampling_rate, return_tensors="pt")\n'
            "        with torch.no_grad():\n"
            '            output = model.encode(inputs["input_values"], inputs["padding_mask"], bandwidth=bandwidth)\n'
            "        _CODES[audio.tobytes()] = output.audio_codes[0, 0].to(torch.long).contiguous()\n"
            "    return _CODES[audio.tobytes()]\n",
            edits=(("BLOCK_ELEMENTS = 1 << 23", "_CODES = {}\nBLOCK_ELEMENTS = 1 << 23"),),
            loses=("test_calls_in_sequence[model-functions]",), says="state kept between calls"),
    Mistake("quantize_norms_cached_by_shape",
            "    norms = embed.pow(2).sum(dim=1)\n    result = torch.empty(vectors.shape[0], dtype=torch.long)\n",
            "    if tuple(embed.shape) not in _NORMS:\n"
            "        _NORMS[tuple(embed.shape)] = embed.pow(2).sum(dim=1)\n"
            "    norms = _NORMS[tuple(embed.shape)]\n    result = torch.empty(vectors.shape[0], dtype=torch.long)\n",
            edits=(("BLOCK_ELEMENTS = 1 << 23", "_NORMS = {}\nBLOCK_ELEMENTS = 1 << 23"),),
            loses=("test_calls_in_sequence[rvq-functions]",), says="state kept between calls"),
    # The residual a view of the caller's vectors (`residual -= row` in place): the caller's tensor changes.
    Mistake("rvq_residual_in_place_on_vectors", "residual = vectors[start:start + step].to(dtype, copy=True)",
            "residual = vectors[start:start + step].to(dtype)",
            loses=("test_rvq_encode",), says="changed its argument `vectors`"),
]
