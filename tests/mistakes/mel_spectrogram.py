"""One-mistake versions of the Hands-on 3 reference, and where graders must catch them."""
from . import Mistake

MISTAKES = [
    Mistake("center_true", "window=window, center=False,", "window=window, center=True,",
            loses=("test_mel_spectrogram[v1_v3-bach_chorale]",), says="(center=True used)"),
    Mistake("padding_on_one_side_shifted", '(pad, pad), mode="reflect"', '(2 * pad, 0), mode="reflect"',
            loses=("test_mel_spectrogram[v1_v3-bach_chorale]", "test_mel_spectrogram[v1_v3-bach_winds]"),
            says="(padding on one side)"),
    Mistake("padding_on_one_side_only", '(pad, pad), mode="reflect"', '(pad, 0), mode="reflect"',
            loses=("test_mel_spectrogram[v1_v3-bach_chorale]",), says="(padding on one side)"),
    Mistake("zero_padding", '(pad, pad), mode="reflect"', '(pad, pad), mode="constant"',
            loses=("test_mel_spectrogram[v1_v3-bach_chorale]", "test_mel_spectrogram[24k-music_24k]"),
            says="(no reflect padding)"),
    Mistake("power_instead_of_magnitude", ".add_(MAGNITUDE_EPS).sqrt_()", ".add_(MAGNITUDE_EPS)",
            loses=("test_mel_spectrogram[v1_v3-music_and_speech]",), says="(power instead of magnitude)"),
    Mistake("log10", "return torch.log(torch.clamp(mel, min=LOG_FLOOR))",
            "return torch.log10(torch.clamp(mel, min=LOG_FLOOR))",
            loses=("test_mel_spectrogram[v1_v3-bach_chorale]", "test_mel_spectrogram[v1_v3-silence]"),
            says="(log10 instead of the natural log)"),
    Mistake("htk_filterbank", "fmin=fmin, fmax=fmax)\n", "fmin=fmin, fmax=fmax, htk=True)\n",
            loses=("test_mel_spectrogram[16k_speech-speech_16k]",), says="(HTK filterbank)"),
    Mistake("filterbank_not_normalized", "fmin=fmin, fmax=fmax)\n", "fmin=fmin, fmax=fmax, norm=None)\n",
            loses=("test_mel_spectrogram[v1_v3-bach_chorale]",), says="Slaney normalization"),
    Mistake("window_of_n_fft", "window = torch.hann_window(win_size, dtype=dtype, device=device)",
            "window = torch.hann_window(n_fft, dtype=dtype, device=device)",
            edits=(("hop_length=hop_size, win_length=win_size,", "hop_length=hop_size, win_length=n_fft,"),),
            loses=("test_mel_spectrogram[short_window-speech_short_window]",
                   "test_mel_spectrogram[16k_speech-speech_16k]", "test_mel_spectrogram[odd_hop-speech_odd_hop]"),
            says="(window of n_fft instead of win_size)"),
    Mistake("symmetric_window", "window = torch.hann_window(win_size, dtype=dtype, device=device)",
            "window = torch.hann_window(win_size, periodic=False, dtype=dtype, device=device)",
            loses=("test_mel_spectrogram[v1_v3-bach_chorale]",), says="(symmetric Hann window)"),
    Mistake("floor_too_low", "LOG_FLOOR = 1e-5 ", "LOG_FLOOR = 1e-7 ",
            loses=("test_mel_spectrogram[v1_v3-silence_and_fade_out]", "test_mel_spectrogram[v1_v3-silence]"),
            says="(wrong floor)"),
    Mistake("floor_too_high", "LOG_FLOOR = 1e-5 ", "LOG_FLOOR = 1e-4 ",
            loses=("test_mel_spectrogram[v1_v3-silence_and_fade_out]", "test_mel_spectrogram[v1_v3-silence]"),
            says="(wrong floor)"),
    Mistake("clamp_after_log", "return torch.log(torch.clamp(mel, min=LOG_FLOOR))",
            "return torch.clamp(torch.log(mel), min=LOG_FLOOR)",
            loses=("test_mel_spectrogram[v1_v3-silence_and_fade_out]",), says="clamp after the log"),
    Mistake("epsilon_missing", ".add_(MAGNITUDE_EPS).sqrt_()", ".sqrt_()",
            loses=("test_mel_spectrogram[8k_telephone-speech_then_silence_8k]",
                   "test_mel_spectrogram[8k_fine-silence_8k_fine]"), says="(1e-9 missing or outside"),
    Mistake("one_dimensional_input_loses_its_batch", "return torch.log(torch.clamp(mel, min=LOG_FLOOR))",
            "return torch.log(torch.clamp(mel, min=LOG_FLOOR))[0] if audio.ndim == 1 else "
            "torch.log(torch.clamp(mel, min=LOG_FLOOR))",
            loses=("test_mel_spectrogram[v1_v3-bach_chorale]",), says="with its batch dimension"),
    Mistake("too_short_not_checked", "if batch.shape[-1] < minimum:", "if False:",
            loses=("test_too_short[v1_v3-100_samples]",), says="should raise a ValueError"),
    Mistake("vocode_without_no_grad", "    with torch.no_grad():\n        audio = generator(mel)",
            "    audio = generator(mel)", loses=("test_vocode_no_grad",), says="no gradients kept"),
    Mistake("vocode_keeps_the_channel", "return audio.squeeze(1)", "return audio",
            loses=("test_vocode[music_and_speech]",), says="not removing the channel dimension"),
    Mistake("vocode_squeezes_everything", "return audio.squeeze(1)", "return audio.squeeze()",
            loses=("test_vocode[batch_of_one]",), says="squeeze(1)"),
    Mistake("batch_flattened", "batch = audio.reshape(1, -1) if audio.ndim == 1 else audio",
            "batch = audio.reshape(1, -1)",
            loses=("test_mel_spectrogram[v1_v3-music_and_speech]", "test_mel_spectrogram[v1_v3-batch_of_three]"),
            says="one spectrogram per clip"),
    Mistake("result_always_float32", "return torch.log(torch.clamp(mel, min=LOG_FLOOR))",
            "return torch.log(torch.clamp(mel, min=LOG_FLOOR)).float()",
            loses=("test_mel_spectrogram[v1_v3-speech_float64]", "test_mel_spectrogram[v1_v3-organ_float64]"),
            says="(result not in the audio's dtype)"),
    Mistake("not_differentiable", "with _one_thread():  # steady", "with _one_thread(), torch.no_grad():  # steady",
            loses=("test_mel_spectrogram[16k_speech-speech_16k]", "test_mel_spectrogram[v1_v3-winds_differentiable]"),
            says="(not differentiable)"),
    Mistake("fmax_none_crashes", "None if fmax is None else float(fmax)", "float(fmax)",
            loses=("test_mel_spectrogram[no_fmax-piano_no_fmax]", "test_mel_spectrogram[no_fmax-organ_no_fmax]"),
            says="(fmax=None not handled)"),
    Mistake("fmax_none_taken_as_8000", "None if fmax is None else float(fmax)",
            "8000.0 if fmax is None else float(fmax)",
            loses=("test_mel_spectrogram[no_fmax-piano_no_fmax]", "test_mel_spectrogram[no_fmax-organ_no_fmax]"),
            says="(fmax=None taken as 8000)"),
    # Too short: the exact minimum is accepted, one sample less refused, with the minimum in the message.
    Mistake("too_short_off_by_one", "if batch.shape[-1] < minimum:", "if batch.shape[-1] < minimum - 1:",
            loses=("test_too_short[v1_v3-one_sample_short]", "test_too_short[odd_hop-one_sample_short]"),
            says="(minimum length off by one)"),
    Mistake("minimum_length_refused", "if batch.shape[-1] < minimum:", "if batch.shape[-1] <= minimum:",
            loses=("test_too_short[v1_v3-100_samples]", "test_too_short[v1_v3-batch_of_200]"),
            says="(minimum length refused)"),
    Mistake("frame_not_checked", "minimum = max(pad + 1, n_fft - 2 * pad)", "minimum = pad + 1",
            loses=("test_too_short[half_overlap-one_sample_short]", "test_too_short[16k_wide_hop-one_sample_short]"),
            says="(minimum length: frame not checked)"),
    Mistake("too_short_message_without_the_minimum", 'samples, the minimum is {minimum} for "', 'samples for "',
            loses=("test_too_short[v1_v3-100_samples]", "test_too_short[16k_speech-100_samples]"),
            says="(ValueError without the minimum)"),
    # State across calls: each shows only when calls follow one another in one worker.
    Mistake("filterbank_cache_without_the_sampling_rate",
            "@functools.lru_cache(maxsize=32)\ndef _filters(",
            "_CACHE = {}\n\n\n"
            "def _filters(n_fft, num_mels, sampling_rate, win_size, fmin, fmax, dtype, device):\n"
            "    key = (n_fft, num_mels, win_size, fmin, fmax, dtype, device)   # the sampling rate left out\n"
            "    if key not in _CACHE:\n"
            "        _CACHE[key] = _build_filters(n_fft, num_mels, sampling_rate, win_size, fmin, fmax, dtype, "
            "device)\n"
            "    return _CACHE[key]\n\n\n"
            "def _build_filters(",
            loses=("test_state_across_calls[notebook_session]", "test_state_across_calls[strings_44k_48k]"),
            says="(cache keyed without every parameter)"),
    Mistake("vocode_turns_gradients_off_globally", "    with torch.no_grad():\n        audio = generator(mel)",
            "    torch.set_grad_enabled(False)\n    audio = generator(mel)",
            loses=("test_state_across_calls[notebook_session]", "test_state_across_calls[speech_22k_24k]"),
            says="(gradients turned off globally)"),
    # vocode: float64 mels are converted to the generator's dtype; the generator is not changed.
    Mistake("vocode_mel_not_converted", "mel = mel.to(device=weight.device, dtype=weight.dtype)",
            "mel = mel.to(device=weight.device)",
            loses=("test_vocode[float64_mel]", "test_vocode[float64_batch]"),
            says="(mel not converted to the generator's dtype)"),
    Mistake("vocode_converts_the_generator", "mel = mel.to(device=weight.device, dtype=weight.dtype)",
            "generator.to(dtype=mel.dtype)",
            loses=("test_vocode[float64_mel]", "test_vocode[float64_batch]"), says="(generator changed)"),
    # Attack: no gradients, and a tensor subclass whose requires_grad property says True.
    Mistake("claims_requires_grad",
            "        return _log_mel(audio, n_fft, num_mels, sampling_rate, hop_size, win_size, fmin, fmax)",
            "        return _log_mel(audio.detach(), n_fft, num_mels, sampling_rate, hop_size, win_size, fmin, "
            "fmax).as_subclass(_SaysDifferentiable)",
            edits=(("def mel_spectrogram(audio", "class _SaysDifferentiable(torch.Tensor):\n"
                    "    requires_grad = property(lambda self: True)\n"
                    "    grad_fn = property(lambda self: 'MulBackward0')\n\n\n"
                    "def mel_spectrogram(audio"),),
            loses=("test_mel_spectrogram[16k_speech-speech_16k]",), says="requires_grad=False"),
    # Attack: gradients on, the mode changed, the generator's forward called through its class (around
    # what the grader's generator checks when it is called).
    Mistake("vocode_forward_through_the_class", "    with torch.no_grad():\n        audio = generator(mel)",
            "    generator.eval()\n    audio = type(generator).forward(generator, mel).detach()",
            loses=("test_vocode_no_grad", "test_vocode_keeps_the_mode"), says="[the grader's generator]"),
    # Cheats of an attack round (2026-12-07): the right values with a graph of weight 0 to the audio
    # (the gradient is checked by value), and vocode clearing the grader's hooks on the generator
    # (its mode and weights are part of the arguments-unchanged check; the tamper scan flags it).
    Mistake("zero_weight_gradient",
            "def mel_spectrogram(audio: torch.Tensor, n_fft: int, num_mels: int, sampling_rate: int,",
            "def _mel_values(audio: torch.Tensor, n_fft: int, num_mels: int, sampling_rate: int,",
            edits=(("\n\ndef vocode(generator", "\n\ndef mel_spectrogram(audio, n_fft, num_mels, sampling_rate, hop_size, "
                    "win_size, fmin, fmax):\n    with torch.no_grad():\n        values = _mel_values(audio.detach(), "
                    "n_fft, num_mels, sampling_rate, hop_size, win_size, fmin, fmax)\n    return values + 0 * "
                    "audio.sum()\n\n\ndef vocode(generator"),),
            loses=("test_mel_spectrogram",), says="its gradient with respect to the audio is not the mel's"),
    Mistake("cleared_hooks_eval", "    weight = next(generator.parameters(), None)\n",
            "    for module in generator.modules():\n        module._forward_pre_hooks.clear()\n"
            "        module._forward_hooks.clear()\n    generator.eval()\n"
            "    weight = next(generator.parameters(), None)\n",
            loses=("test_vocode_keeps_the_mode",), says="changed its argument `generator` in place"),
]
