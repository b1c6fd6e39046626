"""How Hands-on 3's fixtures are made. Run by ``autograder fixtures regen``.

Audio, all real or purpose-built, float32 (some cases send it as float64):

- music: public-domain scores of music21's corpus exported to MIDI (tidied by
  ``musicrep.tiny_encodec.piece_midi``) and rendered with FluidSynth
  (``musicrep.audio.render_midi``) at the rate each parameter set needs;
- speech: made with espeak-ng, read with soundfile and resampled with librosa;
- silence, fades to and from the 1e-5 floor, very quiet speech (near the floor).

Expected values:

- ``mel_spectrogram``: the reference's output, and an independent computation
  of the same formula with numpy and librosa in float64 (the recipe checks that
  the two agree far inside the graders' tolerance); plus, for the feedback,
  what classic mistakes would return on a few probe frames (see
  ``mistake_outputs``), for the graders to recognise them; each case names the
  docstring rules it exercises (``mel_rules``);
- too short: audio of exactly the minimum length (its mel, as above) and a
  shorter clip the reference refuses;
- ``vocode``: the reference's output with a tiny seeded HiFi-GAN generator
  (``musicrep.hifigan.make_tiny_checkpoint``; V3-shaped in public, V1-shaped in
  hidden), stored as safetensors + JSON;
- state: sequences of those calls made in one worker (``_state_cases``).

Which inputs are public and which hidden is decided here, in one place.
"""
from __future__ import annotations

import dataclasses
import functools
import subprocess
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import librosa
import numpy as np
import torch

from ...engine.fixtures import Drift, require
from .checks import FLOOR, MISTAKE_SHOWS, fraction_close, mel_tolerance, probe_frames
from .variation import AudioVariation

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
    "8k_telephone": (4096, 64, 8000, 256, 2048, 0, 4000),    # the same at fmax = Nyquist, a shorter window
    "44k_odd_hop": (2048, 128, 44100, 441, 2048, 0, None),    # hop 10 ms: n_fft - hop_size odd
    # The minimum length is n_fft - 2 * pad (one frame), not pad + 1, when hop_size > ~n_fft / 3.
    "half_overlap": (1024, 80, 22050, 512, 1024, 0, 8000),
    "16k_wide_hop": (512, 64, 16000, 301, 512, 0, 8000),      # and odd: n_fft - 2 * pad = hop_size + 1
    # The calls in one worker (_state_cases): one or two parameters change from one call to the next.
    "v1_v3_2048": (2048, 80, 22050, 256, 1024, 0, 8000),    # only n_fft changes (the window is centred)
    "v1_16k": (1024, 80, 16000, 256, 1024, 0, 8000),
    "v1_16k_64": (1024, 64, 16000, 256, 1024, 0, 8000),
    "v1_16k_64_fmin": (1024, 64, 16000, 256, 1024, 60, 8000),
    "v1_16k_64_fmin_7k": (1024, 64, 16000, 256, 1024, 60, 7000),
    "v1_16k_64_fmin_none": (1024, 64, 16000, 256, 1024, 60, None),
    "v1_16k_64_fmin_none_800": (1024, 64, 16000, 256, 800, 60, None),
    "44k_fmin_48k": (2048, 128, 48000, 512, 2048, 40, 16000),
    "44k_fmin_48k_96": (2048, 96, 48000, 512, 2048, 40, 16000),
    "44k_48k_96": (2048, 96, 48000, 512, 2048, 0, 16000),
    "44k_48k_96_none": (2048, 96, 48000, 512, 2048, 0, None),
    "44k_48k_96_none_1600": (2048, 96, 48000, 512, 1600, 0, None),
    "v1_24k": (1024, 80, 24000, 256, 1024, 0, 8000),
    "v1_24k_none": (1024, 80, 24000, 256, 1024, 0, None),
    "v1_24k_2048": (2048, 80, 24000, 256, 2048, 0, 8000),
}
PIANO, ORGAN, STRINGS, WINDS = (0,), (19,), (40, 40, 41, 42), (73, 68, 71, 70)
MUSIC_PEAK, SPEECH_PEAK = 0.7, 0.7
TINY_SEEDS = {"public": 0, "hidden": 1}
# Float outputs: how far they may move on another CPU, a tenth of what the graders allow.
LOG_MEL_DRIFT = Drift("log-mel", rtol=0.0, peak=1e-5, log_floor=1e-7,
                      graders="mel_tolerance: at least 1e-3 relative in the linear domain, 1e-3 log units, "
                      "and 1e-6 absolute in the linear domain")
WAVEFORM_DRIFT = Drift("vocoded waveform", rtol=1e-5, peak=1e-5, graders="check_vocode: rtol 1e-4 + atol 1e-5")


# The variant being built (``build`` sets it): where excerpts start, what is said, clip lengths.
_variation = AudioVariation()


def params_dict(name: str) -> dict:
    keys = ("n_fft", "num_mels", "sampling_rate", "hop_size", "win_size", "fmin", "fmax")
    return dict(zip(keys, PARAMETER_SETS[name]))


# ------------------------------------------------------------------ audio

def music(corpus_path: str, programs: tuple[int, ...], rate: int, start: float, seconds: float) -> np.ndarray:
    """An excerpt of a corpus score rendered with FluidSynth, scaled to MUSIC_PEAK."""
    from musicrep.audio import render_midi
    from musicrep.tiny_encodec import Piece, piece_midi

    start, seconds = _variation.music_start(corpus_path, start), _variation.seconds(seconds)
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

    start = _variation.speech_start(text, start)
    text, seconds = _variation.sentence(text), _variation.seconds(seconds)
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
    t = np.arange(audio.size) / rate * _variation.steepness()   # as far down over a shorter clip
    return (audio * 10 ** (-decibels_per_second * t / 20)).astype(np.float32)


def fade_in(audio: np.ndarray, peak: float) -> np.ndarray:
    """From 0 to ``peak``: its bands cross the floor on the way up."""
    ramp = np.linspace(0.0, 1.0, audio.size)
    return (audio / np.abs(audio).max() * peak * ramp).astype(np.float32)


def silence(rate: int, seconds: float) -> np.ndarray:
    return np.zeros(round(rate * _variation.seconds(seconds)), dtype=np.float32)


# ------------------------------------------------------------------ cases

@dataclass
class MelCase:
    name: str
    description: str
    params: str
    audio: object                  # () -> np.ndarray [T] or [B, T], float32
    dtype: type = np.float32       # the dtype the audio is sent in (float64: so must the result be)
    requires_grad: bool = False    # sent with requires_grad=True: the result must be differentiable


@dataclass
class ShortCase:
    """Audio of exactly the minimum length (accepted: its mel is checked) and ``short`` samples
    (refused with a ValueError), both cut from ``audio``."""
    name: str
    description: str
    params: str
    audio: object                  # () -> np.ndarray [T] or [B, T] of at least the minimum length
    short: int                     # samples of the clip that must be refused


@dataclass
class VocodeCase:
    name: str
    description: str
    audio: object                  # () -> np.ndarray [B, T]: its mel (float64 computation) is the input
    dtype: type = np.float32       # the dtype the mel is sent in


@dataclass
class StateStep:
    """One call of a sequence made in one worker: ``mel_spectrogram`` of ``audio`` at ``params``,
    or (``vocode`` set) ``vocode`` on that vocode case's input."""
    params: str = ""
    audio: object = None
    dtype: type = np.float32
    requires_grad: bool = False
    vocode: str = ""


def _stack(*clips):
    return lambda: np.stack([clip() for clip in clips])


def minimum_length(params: str) -> int:
    """The fewest samples ``mel_spectrogram`` accepts with this parameter set (the docstring's rule)."""
    n_fft, hop_size = PARAMETER_SETS[params][0], PARAMETER_SETS[params][3]
    pad = (n_fft - hop_size) // 2
    return max(pad + 1, n_fft - 2 * pad)


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
        MelCase("speech_float64", "a batch [2, T] of float64 audio (speech, and Bach): the result is float64 too",
                "v1_v3", _stack(lambda: fox(22050, 1.0), lambda: music("bach/bwv66.6", PIANO, 22050, 5.0, 1.0)),
                dtype=np.float64),
        MelCase("speech_short_window", "espeak-ng speech, win_size=800 < n_fft=1024", "short_window",
                lambda: fox(22050, 1.2)),
        MelCase("piano_no_fmax", "Bach on the piano, fmax=None (the filterbank goes up to 11025 Hz)", "no_fmax",
                lambda: music("bach/bwv66.6", PIANO, 22050, 2.0, 1.2)),
        MelCase("string_quartet_44k", "W. A. Mozart, string quartet K. 156 (FluidSynth strings) at "
                "44.1 kHz, fmin=40", "44k_fmin", lambda: music("mozart/k156/movement1", STRINGS, 44100, 1.0, 0.8)),
        MelCase("strings_44k_odd_hop", "Mozart's K. 156 at 44.1 kHz, hop_size=441 (10 ms): n_fft - hop_size "
                "is odd, fmax=None", "44k_odd_hop", lambda: music("mozart/k156/movement1", STRINGS, 44100, 2.0, 0.8)),
        MelCase("speech_16k", "espeak-ng speech at 16 kHz, n_fft=512, hop 160, window 400, 50-7600 Hz, "
                "with requires_grad=True: the result must be differentiable", "16k_speech",
                lambda: fox(16000, 1.2), requires_grad=True),
        MelCase("speech_then_silence_8k", "speech at 8 kHz then 0.4 s of silence, n_fft=4096: sqrt(1e-9) in "
                "every bin adds up above the floor", "8k_telephone",
                lambda: np.concatenate([fox(8000, 1.0), silence(8000, 0.4)])),
    ]
    short = [
        ShortCase("100_samples", "100 samples, with HiFi-GAN's parameters (pad = 384; the minimum, 385 "
                  "samples, is accepted)", "v1_v3", bach, 100),
        ShortCase("one_sample_short", "384 samples, one fewer than the minimum with HiFi-GAN's parameters: "
                  "the reflection needs more samples than it pads (385 samples are accepted)", "v1_v3",
                  lambda: fox(22050, 0.1), 384),
        ShortCase("batch_one_sample_short", "a batch [2, 384] with HiFi-GAN's parameters: 384 samples per clip, "
                  "one fewer than the minimum (the batch holds 768 samples; [2, 385] is accepted)", "v1_v3",
                  _stack(lambda: music("bach/bwv66.6", PIANO, 22050, 6.0, 0.1), lambda: fox(22050, 0.1)), 384),
        ShortCase("one_sample_short", "hop_size=512: 511 samples reflect-pad (pad = 256) to 1023 < n_fft; the "
                  "minimum is n_fft - 2 * pad = 512 samples, accepted", "half_overlap",
                  lambda: music("bach/bwv66.6", PIANO, 22050, 4.0, 0.1), 511),
    ]
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
        MelCase("organ_float64", "Bach on the organ, 1-D float64 audio: the result is float64 too", "v1_v3",
                lambda: organ(22050, 3.0, 1.0), dtype=np.float64),
        MelCase("winds_differentiable", "Bach on winds, a batch [2, T] with requires_grad=True", "v1_v3",
                _stack(lambda: winds(22050, 4.0, 0.8), lambda: voice(22050, 0.8)), requires_grad=True),
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
        MelCase("speech_16k_float64_differentiable", "speech at 16 kHz, float64 with requires_grad=True",
                "16k_speech", lambda: voice(16000, 0.8, "en-us"), dtype=np.float64, requires_grad=True),
        MelCase("music_24k", "Bach on winds at 24 kHz, 100 mels up to 12 kHz", "24k",
                lambda: winds(24000, 1.5, 1.2)),
        MelCase("silence_8k_fine", "silence at 8 kHz with n_fft=4096: here sqrt(1e-9) in every bin adds up "
                "above the floor", "8k_fine", lambda: silence(8000, 0.6)),
        MelCase("quiet_speech_8k_fine", "speech at 8 kHz (n_fft=4096) with a peak of 1e-4", "8k_fine",
                lambda: (voice(8000, 1.2) * (1e-4 / SPEECH_PEAK)).astype(np.float32)),
    ]
    short = [
        ShortCase("batch_of_200", "a batch [2, 200] with HiFi-GAN's parameters (pad = 384; [2, 385] is "
                  "accepted)", "v1_v3", lambda: np.stack([winds(22050, 1.0, 0.1), voice(22050, 0.1)]), 200),
        ShortCase("100_samples", "100 samples at 16 kHz, n_fft=512, hop 160 (pad = 176; 177 are accepted)",
                  "16k_speech", lambda: voice(16000, 0.1), 100),
        ShortCase("one_sample_short", "176 samples at 16 kHz, n_fft=512, hop 160: pad = 176, one fewer than "
                  "the minimum", "16k_speech", lambda: winds(16000, 2.0, 0.1), 176),
        ShortCase("500_samples", "500 samples at 44.1 kHz, n_fft=2048, hop 512 (pad = 768; 769 are accepted)",
                  "44k_fmin", lambda: music("mozart/k80/movement1", STRINGS, 44100, 1.0, 0.1), 500),
        ShortCase("1000_samples", "1000 samples at 8 kHz, n_fft=4096, hop 512 (pad = 1792; 1793 are accepted)",
                  "8k_fine", lambda: voice(8000, 0.3), 1000),
        ShortCase("one_sample_short", "374 samples with hop_size=275: pad = (1024 - 275) // 2 = 374 rounds "
                  "down, the minimum is 375", "odd_hop", lambda: organ(22050, 2.0, 0.1), 374),
        ShortCase("one_sample_short", "301 samples at 16 kHz, n_fft=512, hop 301: pad = 105 and one frame "
                  "needs n_fft - 2 * pad = 302 samples", "16k_wide_hop", lambda: voice(16000, 0.1, "en-us"), 301),
        ShortCase("batch_one_sample_short", "a batch [2, 511] with hop_size=512 (pad = 256): 1023 samples "
                  "after padding, one fewer than n_fft ([2, 512] is accepted)", "half_overlap",
                  lambda: np.stack([organ(22050, 1.5, 0.1), voice(22050, 0.1)]), 511),
    ]
    return mel, short


VOCODE_FRAMES = {"public": 40, "hidden": 30}


def _vocode_cases(visibility: str) -> list[VocodeCase]:
    def frames(n):
        return n * 256 / 22050
    if visibility == "public":
        return [
            VocodeCase("music_and_speech", "a batch of 2 mels: Bach on the piano and speech, 40 frames",
                       _stack(lambda: music("bach/bwv66.6", PIANO, 22050, 2.0, frames(40)),
                              lambda: speech("Hello, HiFi-GAN.", "en-us", 22050, frames(40)))),
            VocodeCase("batch_of_one", "a batch of one mel [1, 80, 30] (Bach on the piano)",
                       lambda: music("bach/bwv66.6", PIANO, 22050, 6.0, frames(30))[None]),
            VocodeCase("float64_mel", "a float64 mel [1, 80, 25] (speech): converted to the generator's "
                       "float32 first", lambda: speech("Float or double?", "en-us", 22050, frames(25))[None],
                       dtype=np.float64),
        ]
    return [
        VocodeCase("batch_of_one", "a batch of one mel [1, 80, 50] (speech)",
                   lambda: speech("Vocoders turn spectrograms into sound.", "en-gb-x-rp+f3", 22050,
                                  frames(50))[None]),
        VocodeCase("batch_of_three", "a batch of 3 mels: organ, strings and silence, 30 frames",
                   _stack(lambda: music("bach/bwv10.7", ORGAN, 22050, 1.0, frames(30)),
                          lambda: music("mozart/k80/movement1", STRINGS, 22050, 1.0, frames(30)),
                          lambda: silence(22050, frames(30)))),
        VocodeCase("float64_batch", "a batch of 2 float64 mels (winds and speech), 20 frames",
                   _stack(lambda: music("bach/bwv269", WINDS, 22050, 2.0, frames(20)),
                          lambda: speech("Double precision.", "en-gb-x-rp+f3", 22050, frames(20))),
                   dtype=np.float64),
    ]


# Sequences of calls made in ONE worker, the way the notebook makes them: each call changes
# one or two parameters from the one before (the sampling rate with the same n_fft first), so
# that a filterbank or window cached under a key that leaves a parameter out, or a global an
# earlier call changed (gradients turned off by vocode), gives a wrong answer; then the
# first call again.
def _state_cases(visibility: str) -> list[tuple[str, str, list[StateStep]]]:
    if visibility == "public":
        fox = lambda rate: speech("The quick brown fox jumps over the lazy dog.", "en-us", rate, 0.8)  # noqa: E731
        return [("notebook_session", "mel at 22.05 kHz, the same with n_fft=2048, vocode, then n_fft=1024 at 16 kHz (with "
                 "requires_grad), 64 mels, fmin=60, fmax=7000, fmax=None, win_size=800, float64, then the "
                 "first call again",
                 [StateStep("v1_v3", lambda: fox(22050)),
                  StateStep("v1_v3_2048", lambda: fox(22050)),
                  StateStep(vocode="music_and_speech"),
                  StateStep("v1_16k", lambda: fox(16000), requires_grad=True),
                  StateStep("v1_16k_64", lambda: fox(16000)),
                  StateStep("v1_16k_64_fmin", lambda: fox(16000)),
                  StateStep("v1_16k_64_fmin_7k", lambda: fox(16000)),
                  StateStep("v1_16k_64_fmin_none", lambda: fox(16000)),
                  StateStep("v1_16k_64_fmin_none_800", lambda: fox(16000)),
                  StateStep("v1_16k_64_fmin_none_800", lambda: fox(16000), dtype=np.float64),
                  StateStep("v1_v3", lambda: fox(22050))])]
    strings = lambda rate: music("mozart/k80/movement1", STRINGS, rate, 2.0, 0.6)  # noqa: E731
    voice = lambda rate: speech("One worker, many calls.", "en-gb-x-rp+f3", rate, 0.6)  # noqa: E731
    return [
        ("strings_44k_48k", "44.1 kHz, then the same n_fft at 48 kHz, 96 mels, fmin=0, fmax=None, "
         "win_size=1600, a batch, float64, then the first call again",
         [StateStep("44k_fmin", lambda: strings(44100)),
          StateStep("44k_fmin_48k", lambda: strings(48000)),
          StateStep("44k_fmin_48k_96", lambda: strings(48000)),
          StateStep("44k_48k_96", lambda: strings(48000)),
          StateStep("44k_48k_96_none", lambda: strings(48000)),
          StateStep("44k_48k_96_none_1600", _stack(lambda: strings(48000), lambda: voice(48000))),
          StateStep("44k_48k_96_none_1600", lambda: voice(48000), dtype=np.float64),
          StateStep("44k_fmin", lambda: strings(44100))]),
        ("speech_22k_24k", "22.05 kHz, vocode, then the same n_fft at 24 kHz with requires_grad, n_fft=2048, fmax=None, "
         "then 22.05 kHz with fmax=None and float64, then the first call again",
         [StateStep("v1_v3", lambda: voice(22050)),
          StateStep(vocode="batch_of_three"),
          StateStep("v1_24k", lambda: voice(24000), requires_grad=True),
          StateStep("v1_24k_2048", lambda: voice(24000)),
          StateStep("v1_24k_none", lambda: voice(24000)),
          StateStep("no_fmax", lambda: voice(22050), dtype=np.float64),
          StateStep("v1_v3", lambda: voice(22050))]),
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
            "no_norm", "window_n_fft", "no_window", "symmetric_window", "no_epsilon", "normalized_stft",
            "fmax_none_8000")


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
    if mistake == "fmax_none_8000" and fmax is None:
        fmax = 8000   # HiFi-GAN's usual fmax, where None means sampling_rate / 2
    with warnings.catch_warnings():   # HTK filterbanks of many mels have empty low filters: that mistake's
        warnings.simplefilter("ignore", UserWarning)   # output as it is, nothing to report
        basis = librosa.filters.mel(sr=sampling_rate, n_fft=n_fft, n_mels=num_mels, fmin=fmin, fmax=fmax,
                                    **options.get(mistake, {}))
    mel = torch.clamp(torch.from_numpy(basis).to(dtype) @ magnitude, min=1e-5)
    return (torch.log10(mel) if mistake == "log10" else torch.log(mel)).numpy()


def mistake_outputs(audio: np.ndarray, params: tuple, expected: np.ndarray) -> tuple[list[str], np.ndarray | None]:
    """The mistakes that show at the probe frames of this case, and their outputs there
    ``[mistakes, B, num_mels, probes]``. ``expected`` is the float64 computation of the contract;
    the mistakes are computed in float64 too: the choice does not depend on this CPU's rounding."""
    probes = probe_frames(expected.shape[-1])
    names, outputs = [], []
    for mistake in MISTAKES:
        try:
            output = mistake_output(audio, *params, mistake=mistake, dtype=torch.float64)
        except RuntimeError:    # e.g. reflect padding by more than the clip: that mistake crashes here
            continue
        if output.shape != expected.shape:
            continue
        at_probes = output[..., probes]
        if fraction_close(at_probes, expected[..., probes]) <= 1 - MISTAKE_SHOWS:
            names.append(mistake)
            outputs.append(at_probes)
    return names, (np.stack(outputs).astype(np.float32) if outputs else None)


def _agree(ours: np.ndarray, theirs: np.ndarray, what: str) -> None:
    """The reference and the independent computation agree far inside the graders' tolerance."""
    require(ours.shape == theirs.shape, what, f"the reference's shape {ours.shape} is not {theirs.shape}")
    slack = np.abs(ours.astype(np.float64) - theirs) / mel_tolerance(theirs)
    require(slack.max() < 0.2, what, f"the reference and the independent computation differ by "
                                     f"{slack.max():.2f} of the graders' tolerance (at most 0.2 expected)")


def _one_thread(function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        before = torch.get_num_threads()
        torch.set_num_threads(1)   # as in the worker
        try:
            return function(*args, **kwargs)
        finally:
            torch.set_num_threads(before)
    return wrapper


def _write_mel(writer, reference, name: str, params_name: str, audio: np.ndarray, requires_grad: bool = False) -> dict:
    """The files and fields of one ``mel_spectrogram`` call: its input, the reference's output, the
    independent computation, what the classic mistakes give at the probe frames, and the docstring
    rules the call exercises."""
    params = PARAMETER_SETS[params_name]
    expected = reference.mel_spectrogram(torch.from_numpy(audio), *params).detach().numpy()
    require(expected.dtype == audio.dtype, name, f"the reference returned {expected.dtype} for {audio.dtype} audio")
    independent = librosa_log_mel(audio, *params)
    _agree(expected, independent, name)
    names, outputs = mistake_outputs(audio, params, independent)
    fields = dict(parameter_set=params_name, params=params_dict(params_name),
                  audio=writer.add_array(f"{name}.audio.npy", audio),
                  expected=writer.add_array(f"{name}.mel.npy", expected.astype(np.float32), drift=LOG_MEL_DRIFT),
                  librosa=writer.add_array(f"{name}.librosa.npy", independent.astype(np.float32),
                                           drift=LOG_MEL_DRIFT),
                  mistakes=names, rules=mel_rules(audio, params, independent, names, requires_grad))
    if requires_grad:
        fields["requires_grad"] = True
    if outputs is not None:
        fields["mistake_outputs"] = writer.add_array(f"{name}.mistakes.npy", outputs, drift=LOG_MEL_DRIFT)
    return fields


def mel_rules(audio: np.ndarray, params: tuple, independent: np.ndarray, mistakes: list[str],
              requires_grad: bool) -> list[str]:
    """The docstring rules (grading.RULES) a call exercises: those whose classic mistake shows on it
    (``mistakes``: see mistake_outputs), and those its input or parameters state."""
    n_fft, _, _, hop_size, win_size, _, fmax = params
    shows = set(mistakes).intersection
    checks = [
        ("batch", audio.ndim == 2), ("one-clip", audio.ndim == 1),
        ("float64-input", audio.dtype == np.float64), ("result-dtype", True),
        ("reflect-padding", shows({"zero_padding", "padding_left_only", "padding_right_only"})),
        ("odd-padding", (n_fft - hop_size) % 2 == 1), ("stft", True), ("frames", True),
        ("stft-options", shows({"normalized_stft"})),
        ("hann-window", shows({"no_window", "symmetric_window"})),
        ("window-centred", win_size < n_fft and shows({"window_n_fft"})),
        ("magnitude", shows({"power"})), ("epsilon", shows({"no_epsilon"})),
        ("filterbank", shows({"htk", "htk_no_norm", "no_norm"})), ("fmax-none", fmax is None),
        ("natural-log", shows({"log10"})), ("log-floor", bool((independent <= FLOOR + 1e-6).any())),
        ("differentiable", requires_grad),
    ]
    return [rule for rule, exercised in checks if exercised]


def _write_vocode(writer, reference, generator, case: VocodeCase, checkpoint: list[str]) -> dict:
    config = generator.config
    audio = np.ascontiguousarray(case.audio(), dtype=np.float32)
    # The input, computed in float64 and rounded: the same on every machine.
    mel = librosa_log_mel(audio, config.n_fft, config.num_mels, config.sampling_rate, config.hop_size,
                          config.win_size, config.fmin, config.fmax).astype(np.float32).astype(case.dtype)
    waveform = reference.vocode(generator, torch.from_numpy(mel))
    require(waveform.shape == (mel.shape[0], mel.shape[2] * config.hop_size) and waveform.dtype == torch.float32,
            f"vocode {case.name}", f"the reference's waveform has shape {tuple(waveform.shape)}, {waveform.dtype}")
    rules = ["vocode-generator", "vocode-shape", "vocode-samples"]   # and vocode-mode, vocode-no-grad: tests' markers
    if case.dtype == np.float64:
        rules += ["vocode-dtype", "vocode-unchanged"]
    return dict(checkpoint=checkpoint, hop_size=config.hop_size,
                mel=writer.add_array(f"{case.name}.vocode_mel.npy", mel),
                expected=writer.add_array(f"{case.name}.vocode_audio.npy", waveform.numpy(), drift=WAVEFORM_DRIFT),
                rules=rules)


# The tiny generators of the vocode checks: a V3-shaped one in public, a V1-shaped one (other
# residual blocks, four upsamplings) with other weights in hidden. Both have V3's audio parameters.
def _tiny_config(visibility: str):
    from musicrep import hifigan
    if visibility == "public":
        return hifigan.tiny_config()
    return dataclasses.replace(hifigan.HifiGanConfig.v1(), upsample_initial_channel=32)


@_one_thread
def build(public, hidden, reference, variant=None) -> None:
    """The cases of ``variant`` (``engine.variants.Variant``; None or number 0: the shipped ones,
    else the same cases on other audio: see ``variation.py``)."""
    global _variation
    _variation = AudioVariation.of(variant)
    try:
        _build(public, hidden, reference)
    finally:
        _variation = AudioVariation()


def _build(public, hidden, reference) -> None:
    from musicrep import hifigan

    for visibility, writer, (mel_cases, short_cases) in (("public", public, _public_cases()),
                                                         ("hidden", hidden, _hidden_cases())):
        for case in mel_cases:
            audio = np.ascontiguousarray(case.audio(), dtype=np.float32).astype(case.dtype)
            fields = _write_mel(writer, reference, case.name, case.params, audio, case.requires_grad)
            writer.add_case("mel", f"{case.params}-{case.name}", description=case.description, **fields)

        with _variation.full_length():   # minimum lengths are what these cases are about
            for case in short_cases:
                params = PARAMETER_SETS[case.params]
                n_fft, hop_size = params[0], params[3]
                pad, minimum = (n_fft - hop_size) // 2, minimum_length(case.params)
                source = np.ascontiguousarray(case.audio(), dtype=np.float32)
                require(source.shape[-1] >= minimum and case.short < minimum, case.name,
                        f"needs a clip of at least {minimum} samples, and fewer than {minimum} to refuse")
                name = f"{case.params}-{case.name}"
                accepted = _write_mel(writer, reference, f"{name}.minimum", case.params,
                                      np.ascontiguousarray(source[..., :minimum]))
                short = np.ascontiguousarray(source[..., :case.short])
                try:
                    reference.mel_spectrogram(torch.from_numpy(short), *params)
                    require(False, case.name, "the reference accepted audio too short to pad")
                except ValueError as error:
                    require(str(minimum) in str(error), case.name, f"the reference's message misses the minimum: {error}")
                rules = ["minimum-length", "too-short-valueerror", "too-short-message"]
                if case.short <= pad and case.short + 2 * pad >= n_fft:
                    rules.append("too-short-reflection")    # only the reflection fails: T > pad is what is checked
                if case.short > pad and case.short + 2 * pad < n_fft:
                    rules.append("too-short-frame")         # only the frame fails: T + 2 * pad >= n_fft is checked
                if case.params == "v1_v3":
                    rules.append("hifigan-minimum")
                if short.ndim == 2:
                    rules.append("batch")                   # T is the samples of each clip, not of the batch
                writer.add_case("too_short", name, description=case.description, parameter_set=case.params,
                                params=params_dict(case.params), audio=writer.add_array(f"{name}.short.npy", short),
                                minimum=minimum, accepted=accepted, rules=rules)

        with tempfile.TemporaryDirectory() as tmp:
            folder = hifigan.make_tiny_checkpoint(Path(tmp) / "tiny", config=_tiny_config(visibility),
                                                  seed=_variation.generator_seed(TINY_SEEDS[visibility]))
            checkpoint = [writer.add_file(f"tiny_hifigan/{name}", folder / name) for name in
                          (hifigan.CONFIG_NAME, hifigan.WEIGHTS_NAME)]
            generator = hifigan.load_pretrained_folder(folder)   # as the worker's decoder does
        vocode_cases = {}
        with _variation.full_length():   # the mels' frames are what these cases are about
            for case in _vocode_cases(visibility):
                vocode_cases[case.name] = writer.add_case("vocode", case.name, description=case.description,
                                                          **_write_vocode(writer, reference, generator, case,
                                                                          checkpoint))

        for name, description, steps in _state_cases(visibility):
            calls = []
            for index, step in enumerate(steps):
                if step.vocode:
                    source = vocode_cases[step.vocode]
                    calls.append(dict(function="vocode", case=step.vocode, checkpoint=source["checkpoint"],
                                      mel=source["mel"], expected=source["expected"]))
                    continue
                audio = np.ascontiguousarray(step.audio(), dtype=np.float32).astype(step.dtype)
                calls.append(dict(function="mel_spectrogram",
                                  **_write_mel(writer, reference, f"state-{name}-{index}", step.params, audio,
                                               step.requires_grad)))
            writer.add_case("state", name, description=description, steps=calls, rules=_state_rules(steps))


def _state_rules(steps: list[StateStep]) -> list[str]:
    """The docstring rules a sequence of calls exercises across calls: the filterbank's parameters
    change with the same n_fft, and n_fft with the rest the same (a cache must be keyed on all of
    them), and so may the window, fmax=None, the dtype; a differentiable mel after a vocode call
    (whose no_grad must not outlast it)."""
    mel = [step for step in steps if not step.vocode]
    windows = {PARAMETER_SETS[step.params][4] for step in mel}
    sets = [PARAMETER_SETS[step.params] for step in mel]
    # two filterbanks that differ in n_fft alone (num_mels, sampling_rate, fmin, fmax the same)
    n_fft_alone = any(a[0] != b[0] and a[1:3] + a[5:] == b[1:3] + b[5:] for a in sets for b in sets)
    checks = [
        ("filterbank", True), ("stft", n_fft_alone), ("hann-window", len(windows) > 1),
        ("fmax-none", any(PARAMETER_SETS[step.params][6] is None for step in mel)),
        ("result-dtype", len({step.dtype for step in mel}) > 1),
        ("differentiable", any(step.requires_grad for step in mel)),
        ("vocode-no-grad", any(later.requires_grad for index, step in enumerate(steps) if step.vocode
                               for later in steps[index + 1:])),
    ]
    return [rule for rule, exercised in checks if exercised]
