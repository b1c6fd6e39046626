"""How Hands-on 3's fixtures are made. Run by ``autograder fixtures regen``.

Audio, all real or purpose-built, float32:

- music: public-domain scores of music21's corpus exported to MIDI (tidied by
  ``musicrep.tiny_encodec.piece_midi``) and rendered with FluidSynth
  (``musicrep.audio.render_midi``) at the rate each parameter set needs;
- speech: made with espeak-ng, read with soundfile and resampled with librosa;
- silence, fades to and from the 1e-5 floor, very quiet speech (near the floor).

Expected values:

- ``mel_spectrogram``: the reference's output on float32 audio, and an
  independent computation of the same formula with numpy and librosa in
  float64 (the recipe checks that the two agree far inside the graders'
  tolerance); plus, for the feedback, what classic mistakes would return on a
  few probe frames (see ``mistake_outputs``), for the graders to recognise them;
- ``vocode``: the reference's output with a tiny seeded HiFi-GAN generator
  (``musicrep.hifigan.make_tiny_checkpoint``), stored as safetensors + JSON.

Which inputs are public and which hidden is decided here, in one place.
"""
from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import librosa
import numpy as np
import torch

from ...engine.fixtures import Drift, require
from . import grading

# (n_fft, num_mels, sampling_rate, hop_size, win_size, fmin, fmax)
PARAMETER_SETS = {
    "v1_v3": (1024, 80, 22050, 256, 1024, 0, 8000),            # HiFi-GAN V1, V2 and V3
    "short_window": (1024, 80, 22050, 256, 800, 0, 8000),      # win_size < n_fft
    "no_fmax": (1024, 80, 22050, 256, 1024, 0, None),          # fmax=None: sampling_rate / 2
    "odd_hop": (1024, 80, 22050, 275, 600, 0, None),           # n_fft - hop_size odd: pad rounds down
    "44k_fmin": (2048, 128, 44100, 512, 2048, 40, 16000),      # fmin > 0, 44.1 kHz
    "16k_speech": (512, 64, 16000, 160, 400, 50, 7600),        # another rate, small FFT, fmin > 0
    "24k": (1024, 100, 24000, 256, 1024, 0, 12000),            # another rate (BigVGAN's 24 kHz set)
    # n_fft / sampling_rate is large here, so silence (sqrt(1e-9) in every bin) lies
    # above the 1e-5 floor and the 1e-9 under the square root shows.
    "8k_fine": (4096, 80, 8000, 512, 4096, 0, None),
}
PIANO, ORGAN, STRINGS, WINDS = (0,), (19,), (40, 40, 41, 42), (73, 68, 71, 70)
MUSIC_PEAK, SPEECH_PEAK = 0.7, 0.7
TINY_SEEDS = {"public": 0, "hidden": 1}
# Float outputs: how far they may move on another CPU, a tenth of what the graders allow.
LOG_MEL_DRIFT = Drift("log-mel", rtol=0.0, peak=1e-5, graders="mel_tolerance: at least 1e-3 relative in the "
                      "linear domain, 1e-3 log units")
WAVEFORM_DRIFT = Drift("vocoded waveform", rtol=1e-5, peak=1e-5, graders="check_vocode: rtol 1e-4 + atol 1e-5")


def params_dict(name: str) -> dict:
    keys = ("n_fft", "num_mels", "sampling_rate", "hop_size", "win_size", "fmin", "fmax")
    return dict(zip(keys, PARAMETER_SETS[name]))


# ------------------------------------------------------------------ audio

def music(corpus_path: str, programs: tuple[int, ...], rate: int, start: float, seconds: float) -> np.ndarray:
    """An excerpt of a corpus score rendered with FluidSynth, scaled to MUSIC_PEAK."""
    from musicrep.audio import render_midi
    from musicrep.tiny_encodec import Piece, piece_midi

    midi = piece_midi(Piece(corpus_path, programs, seconds=start + seconds + 1.0))
    audio = render_midi(midi, rate).astype(np.float64)
    first = round(start * rate)
    excerpt = audio[first:first + round(seconds * rate)]
    require(excerpt.size == round(seconds * rate), corpus_path,
            f"the rendering has {audio.size} samples, too few for {seconds} s from {start} s")
    return (excerpt * (MUSIC_PEAK / np.abs(excerpt).max())).astype(np.float32)


def speech(text: str, voice: str, rate: int, seconds: float, start: float = 0.0) -> np.ndarray:
    """``text`` said by espeak-ng (22.05 kHz), resampled to ``rate``, scaled to SPEECH_PEAK."""
    import soundfile

    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "speech.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-w", str(wav), text], check=True, capture_output=True)
        audio, native = soundfile.read(str(wav), dtype="float64")
    if native != rate:
        audio = librosa.resample(audio, orig_sr=native, target_sr=rate)
    first = round(start * rate)
    excerpt = audio[first:first + round(seconds * rate)]
    require(excerpt.size == round(seconds * rate), f"speech {text!r}",
            f"espeak-ng said it in {audio.size / rate:.2f} s, too short for {seconds} s from {start} s")
    return (excerpt * (SPEECH_PEAK / np.abs(excerpt).max())).astype(np.float32)


def fade_out(audio: np.ndarray, rate: int, decibels_per_second: float) -> np.ndarray:
    t = np.arange(audio.size) / rate
    return (audio * 10 ** (-decibels_per_second * t / 20)).astype(np.float32)


def fade_in(audio: np.ndarray, peak: float) -> np.ndarray:
    """From 0 to ``peak``: its bands cross the floor on the way up."""
    ramp = np.linspace(0.0, 1.0, audio.size)
    return (audio / np.abs(audio).max() * peak * ramp).astype(np.float32)


def silence(rate: int, seconds: float) -> np.ndarray:
    return np.zeros(round(rate * seconds), dtype=np.float32)


# ------------------------------------------------------------------ cases

@dataclass
class MelCase:
    name: str
    description: str
    params: str
    audio: object          # () -> np.ndarray [T] or [B, T]


@dataclass
class ShortCase:
    name: str
    description: str
    params: str
    audio: object


def _stack(*clips):
    return lambda: np.stack([clip() for clip in clips])


def _public_cases() -> tuple[list[MelCase], list[ShortCase]]:
    bach = lambda: music("bach/bwv66.6", PIANO, 22050, 1.0, 1.2)  # noqa: E731
    fox = lambda rate, seconds: speech("The quick brown fox jumps over the lazy dog.", "en-us",  # noqa: E731
                                       rate, seconds)
    mel = [
        MelCase("bach_chorale", "J. S. Bach, chorale BWV 66.6 on the piano (FluidSynth), 1.2 s, "
                "1-D audio [T]", "v1_v3", bach),
        MelCase("music_and_speech", "a batch [2, T]: Bach on the piano and espeak-ng speech, 1.2 s",
                "v1_v3", _stack(lambda: music("bach/bwv66.6", PIANO, 22050, 3.0, 1.2),
                                lambda: fox(22050, 1.2))),
        MelCase("silence_and_fade_out", "a batch [2, T]: silence, and Bach fading out by 60 dB a second "
                "(its bands sink to the 1e-5 floor one after the other)", "v1_v3",
                _stack(lambda: silence(22050, 1.2), lambda: fade_out(bach(), 22050, 60))),
        MelCase("speech_short_window", "espeak-ng speech, win_size=800 < n_fft=1024", "short_window",
                lambda: fox(22050, 1.2)),
        MelCase("string_quartet_44k", "W. A. Mozart, string quartet K. 156 (FluidSynth strings) at "
                "44.1 kHz, fmin=40", "44k_fmin", lambda: music("mozart/k156/movement1", STRINGS, 44100, 1.0, 0.8)),
        MelCase("speech_16k", "espeak-ng speech at 16 kHz, n_fft=512, hop 160, window 400, 50-7600 Hz",
                "16k_speech", lambda: fox(16000, 1.2)),
    ]
    short = [ShortCase("100_samples", "100 samples, with HiFi-GAN's parameters (pad = 384)", "v1_v3",
                       lambda: bach()[:100])]
    return mel, short


def _hidden_cases() -> tuple[list[MelCase], list[ShortCase]]:
    winds = lambda rate, start, seconds: music("bach/bwv269", WINDS, rate, start, seconds)  # noqa: E731
    voice = lambda rate, seconds, voice="en-gb-x-rp+f3": speech(  # noqa: E731
        "Representation learning for music: from audio to mel spectrogram and back.", voice, rate, seconds)
    organ = lambda rate, start, seconds: music("bach/bwv10.7", ORGAN, rate, start, seconds)  # noqa: E731
    mel = [
        MelCase("bach_winds", "J. S. Bach, chorale BWV 269 on flute, oboe, clarinet and bassoon, 1-D audio",
                "v1_v3", lambda: winds(22050, 1.0, 1.2)),
        MelCase("batch_of_three", "a batch [3, T]: organ, speech, and speech fading in from 0 to 3e-4 "
                "(from below the floor to above it)", "v1_v3",
                _stack(lambda: organ(22050, 2.0, 1.0), lambda: voice(22050, 1.0),
                       lambda: fade_in(voice(22050, 1.0), 3e-4))),
        MelCase("silence", "0.5 s of silence: every band at the floor, log(1e-5)", "v1_v3",
                lambda: silence(22050, 0.5)),
        MelCase("speech_fade_out", "speech fading out by 80 dB a second", "v1_v3",
                lambda: fade_out(voice(22050, 1.2), 22050, 80)),
        MelCase("whisper_quiet_speech", "speech with a peak of 2e-4: most bands just above or below the floor",
                "v1_v3", lambda: (voice(22050, 1.2) * (2e-4 / SPEECH_PEAK)).astype(np.float32)),
        MelCase("two_frames", "600 samples of music: 2 frames", "v1_v3", lambda: winds(22050, 2.0, 1.0)[:600]),
        MelCase("music_short_window", "Bach on winds, win_size=800 < n_fft=1024", "short_window",
                lambda: winds(22050, 3.0, 1.2)),
        MelCase("organ_no_fmax", "Bach on the organ, fmax=None (up to 11025 Hz)", "no_fmax",
                lambda: organ(22050, 1.0, 1.2)),
        MelCase("speech_odd_hop", "speech, hop_size=275, win_size=600, fmax=None: n_fft - hop_size is odd",
                "odd_hop", lambda: voice(22050, 1.2, "en-us")),
        MelCase("string_quartet_44k", "W. A. Mozart, string quartet K. 80 at 44.1 kHz, fmin=40", "44k_fmin",
                lambda: music("mozart/k80/movement1", STRINGS, 44100, 1.0, 0.8)),
        MelCase("speech_16k_batch", "a batch [2, T] at 16 kHz: speech, and the same speech 60 dB quieter",
                "16k_speech", _stack(lambda: voice(16000, 1.0),
                                     lambda: (voice(16000, 1.0) * 1e-3).astype(np.float32))),
        MelCase("music_24k", "Bach on winds at 24 kHz, 100 mels up to 12 kHz", "24k",
                lambda: winds(24000, 1.5, 1.2)),
        MelCase("silence_8k_fine", "silence at 8 kHz with n_fft=4096: here sqrt(1e-9) in every bin adds up "
                "above the floor", "8k_fine", lambda: silence(8000, 0.6)),
        MelCase("quiet_speech_8k_fine", "speech at 8 kHz (n_fft=4096) with a peak of 1e-4", "8k_fine",
                lambda: (voice(8000, 1.2) * (1e-4 / SPEECH_PEAK)).astype(np.float32)),
    ]
    short = [
        ShortCase("batch_of_200", "a batch [2, 200] with HiFi-GAN's parameters (pad = 384)", "v1_v3",
                  lambda: np.stack([winds(22050, 1.0, 0.1)[:200], voice(22050, 0.1)[:200]])),
        ShortCase("16k_100_samples", "100 samples at 16 kHz, n_fft=512, hop 160 (pad = 176)", "16k_speech",
                  lambda: voice(16000, 0.1)[:100]),
        ShortCase("44k_500_samples", "500 samples at 44.1 kHz, n_fft=2048, hop 512 (pad = 768)", "44k_fmin",
                  lambda: music("mozart/k80/movement1", STRINGS, 44100, 1.0, 0.1)[:500]),
        ShortCase("8k_1000_samples", "1000 samples at 8 kHz, n_fft=4096, hop 512 (pad = 1792)", "8k_fine",
                  lambda: voice(8000, 0.2)[:1000]),
    ]
    return mel, short


# (name, description, [(corpus or speech maker)], frames) of vocode inputs: audio -> mel by the reference
def _vocode_inputs(visibility: str) -> list[tuple[str, str, object]]:
    if visibility == "public":
        return [("music_and_speech", "a batch of 2 mels: Bach on the piano and speech, 40 frames",
                 _stack(lambda: music("bach/bwv66.6", PIANO, 22050, 2.0, 40 * 256 / 22050),
                        lambda: speech("Hello, HiFi-GAN.", "en-us", 22050, 40 * 256 / 22050)))]
    return [
        ("batch_of_one", "a batch of one mel [1, 80, 50] (speech)",
         lambda: speech("Vocoders turn spectrograms into sound.", "en-gb-x-rp+f3", 22050, 50 * 256 / 22050)[None]),
        ("batch_of_three", "a batch of 3 mels: organ, strings and silence, 30 frames",
         _stack(lambda: music("bach/bwv10.7", ORGAN, 22050, 1.0, 30 * 256 / 22050),
                lambda: music("mozart/k80/movement1", STRINGS, 22050, 1.0, 30 * 256 / 22050),
                lambda: silence(22050, 30 * 256 / 22050))),
    ]


# ------------------------------------------------------------------ expected values

def librosa_log_mel(audio: np.ndarray, n_fft, num_mels, sampling_rate, hop_size, win_size, fmin, fmax):
    """The contract computed independently, with numpy and librosa in float64: ``[B, num_mels, frames]``."""
    out = []
    for clip in np.atleast_2d(np.asarray(audio, dtype=np.float64)):
        pad = (n_fft - hop_size) // 2
        padded = np.pad(clip, pad, mode="reflect")
        stft = librosa.stft(padded, n_fft=n_fft, hop_length=hop_size, win_length=win_size, window="hann",
                            center=False, dtype=np.complex128)
        magnitude = np.sqrt(stft.real ** 2 + stft.imag ** 2 + 1e-9)
        basis = librosa.filters.mel(sr=sampling_rate, n_fft=n_fft, n_mels=num_mels, fmin=fmin, fmax=fmax)
        out.append(np.log(np.maximum(basis.astype(np.float64) @ magnitude, 1e-5)))
    return np.stack(out)


# What each classic mistake computes (torch, float32, written the way a student
# would write it). The graders compare a failing answer with these, at a few
# probe frames, to name the mistake; tests/mistakes checks they do.
MISTAKES = ("zero_padding", "padding_left_only", "padding_right_only", "power", "log10", "htk", "htk_no_norm",
            "no_norm", "window_n_fft", "no_window", "symmetric_window", "no_epsilon", "normalized_stft")


def mistake_output(audio: np.ndarray, n_fft, num_mels, sampling_rate, hop_size, win_size, fmin, fmax,
                   mistake: str, dtype=torch.float32) -> np.ndarray:
    """What ``mistake`` computes, in ``dtype`` (float64 for what the fixtures store: which mistakes
    show on a case is then decided the same way on every machine)."""
    y = torch.from_numpy(np.atleast_2d(audio).astype(np.float32)).to(dtype)
    pad = (n_fft - hop_size) // 2
    sides = {"padding_left_only": (2 * pad, 0), "padding_right_only": (0, 2 * pad)}.get(mistake, (pad, pad))
    mode = "constant" if mistake == "zero_padding" else "reflect"
    y = torch.nn.functional.pad(y.unsqueeze(1), sides, mode=mode).squeeze(1)
    window, length = torch.hann_window(win_size, dtype=dtype), win_size
    if mistake == "window_n_fft":
        window, length = torch.hann_window(n_fft, dtype=dtype), n_fft
    elif mistake == "no_window":
        window = torch.ones(win_size, dtype=dtype)
    elif mistake == "symmetric_window":
        window = torch.hann_window(win_size, periodic=False, dtype=dtype)
    spectrum = torch.stft(y, n_fft, hop_length=hop_size, win_length=length, window=window, center=False,
                          normalized=mistake == "normalized_stft", onesided=True, return_complex=True)
    power = spectrum.real ** 2 + spectrum.imag ** 2
    if mistake == "power":
        magnitude = power + 1e-9
    elif mistake == "no_epsilon":
        magnitude = torch.sqrt(power)
    else:
        magnitude = torch.sqrt(power + 1e-9)
    options = {"htk": dict(htk=True), "htk_no_norm": dict(htk=True, norm=None), "no_norm": dict(norm=None)}
    basis = librosa.filters.mel(sr=sampling_rate, n_fft=n_fft, n_mels=num_mels, fmin=fmin, fmax=fmax,
                                **options.get(mistake, {}))
    mel = torch.clamp(torch.from_numpy(basis).to(dtype) @ magnitude, min=1e-5)
    return (torch.log10(mel) if mistake == "log10" else torch.log(mel)).numpy()


def mistake_outputs(audio: np.ndarray, params: tuple, expected: np.ndarray) -> tuple[list[str], np.ndarray | None]:
    """The mistakes that show at the probe frames of this case, and their outputs there
    ``[mistakes, B, num_mels, probes]``. ``expected`` is the float64 computation of the contract;
    the mistakes are computed in float64 too: the choice does not depend on this CPU's rounding."""
    probes = grading.probe_frames(expected.shape[-1])
    names, outputs = [], []
    for mistake in MISTAKES:
        try:
            output = mistake_output(audio, *params, mistake=mistake, dtype=torch.float64)
        except RuntimeError:    # e.g. reflect padding by more than the clip: that mistake crashes here
            continue
        if output.shape != expected.shape:
            continue
        at_probes = output[..., probes]
        if grading.fraction_close(at_probes, expected[..., probes]) <= 1 - grading.MISTAKE_SHOWS:
            names.append(mistake)
            outputs.append(at_probes)
    return names, (np.stack(outputs).astype(np.float32) if outputs else None)


def _agree(ours: np.ndarray, theirs: np.ndarray, what: str) -> None:
    """The reference and the independent computation agree far inside the graders' tolerance."""
    require(ours.shape == theirs.shape, what, f"the reference's shape {ours.shape} is not {theirs.shape}")
    slack = np.abs(ours.astype(np.float64) - theirs) / grading.mel_tolerance(theirs)
    require(slack.max() < 0.2, what, f"the reference and the independent computation differ by "
                                     f"{slack.max():.2f} of the graders' tolerance (at most 0.2 expected)")


def _one_thread(function):
    def wrapper(*args, **kwargs):
        before = torch.get_num_threads()
        torch.set_num_threads(1)   # as in the worker
        try:
            return function(*args, **kwargs)
        finally:
            torch.set_num_threads(before)
    return wrapper


@_one_thread
def build(public, hidden, reference) -> None:
    from musicrep import hifigan

    for visibility, writer, (mel_cases, short_cases) in (("public", public, _public_cases()),
                                                         ("hidden", hidden, _hidden_cases())):
        for case in mel_cases:
            params = PARAMETER_SETS[case.params]
            audio = np.ascontiguousarray(case.audio(), dtype=np.float32)
            expected = reference.mel_spectrogram(torch.from_numpy(audio), *params).numpy()
            independent = librosa_log_mel(audio, *params)
            _agree(expected, independent, case.name)
            names, outputs = mistake_outputs(audio, params, independent)
            fields = dict(description=case.description, parameter_set=case.params, params=params_dict(case.params),
                          audio=writer.add_array(f"{case.name}.audio.npy", audio),
                          expected=writer.add_array(f"{case.name}.mel.npy", expected.astype(np.float32),
                                                    drift=LOG_MEL_DRIFT),
                          librosa=writer.add_array(f"{case.name}.librosa.npy", independent.astype(np.float32),
                                                   drift=LOG_MEL_DRIFT),
                          mistakes=names)
            if outputs is not None:
                fields["mistake_outputs"] = writer.add_array(f"{case.name}.mistakes.npy", outputs,
                                                             drift=LOG_MEL_DRIFT)
            writer.add_case("mel", f"{case.params}-{case.name}", **fields)

        for case in short_cases:
            params = PARAMETER_SETS[case.params]
            audio = np.ascontiguousarray(case.audio(), dtype=np.float32)
            n_fft, hop_size = params[0], params[3]
            pad = (n_fft - hop_size) // 2
            require(audio.shape[-1] <= pad, case.name, "not clearly too short (the borderline has its own case)")
            try:
                reference.mel_spectrogram(torch.from_numpy(audio), *params)
                require(False, case.name, "the reference accepted audio too short to pad")
            except ValueError:
                pass
            writer.add_case("too_short", f"{case.params}-{case.name}", description=case.description,
                            parameter_set=case.params, params=params_dict(case.params),
                            audio=writer.add_array(f"{case.name}.short.npy", audio),
                            minimum=max(pad + 1, n_fft - 2 * pad))

        with tempfile.TemporaryDirectory() as tmp:
            folder = hifigan.make_tiny_checkpoint(Path(tmp) / "tiny", seed=TINY_SEEDS[visibility])
            checkpoint = [writer.add_file(f"tiny_hifigan/{name}", folder / name) for name in
                          (hifigan.CONFIG_NAME, hifigan.WEIGHTS_NAME)]
            generator = hifigan.load_pretrained_folder(folder)   # as the worker's decoder does
        config = generator.config
        for name, description, make in _vocode_inputs(visibility):
            audio = np.ascontiguousarray(make(), dtype=np.float32)
            # The input, computed in float64 and rounded: the same on every machine.
            mel = torch.from_numpy(librosa_log_mel(audio, config.n_fft, config.num_mels, config.sampling_rate,
                                                   config.hop_size, config.win_size, config.fmin,
                                                   config.fmax).astype(np.float32))
            waveform = reference.vocode(generator, mel)
            require(waveform.shape == (mel.shape[0], mel.shape[2] * config.hop_size), f"vocode {name}",
                    f"the reference's waveform has shape {tuple(waveform.shape)}")
            writer.add_case("vocode", name, description=description, checkpoint=checkpoint,
                            hop_size=config.hop_size,
                            mel=writer.add_array(f"{name}.vocode_mel.npy", mel.numpy()),
                            expected=writer.add_array(f"{name}.vocode_audio.npy", waveform.numpy(),
                                                      drift=WAVEFORM_DRIFT))
