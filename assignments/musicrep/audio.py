"""Render MIDI to audio with FluidSynth (through ``midi2audio``).

The one place in the project that turns MIDI into sound: fixtures, the notebook
and the examples all call :func:`render_midi`.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

# Debian's timgm6mb-soundfont: small (6 MB) and General MIDI complete.
DEFAULT_SOUNDFONT = "/usr/share/sounds/sf2/TimGM6mb.sf2"


def soundfont_path() -> Path:
    """The General MIDI soundfont to use (``MUSICREP_SOUNDFONT`` overrides the default)."""
    path = Path(os.environ.get("MUSICREP_SOUNDFONT", DEFAULT_SOUNDFONT))
    if not path.is_file():
        raise FileNotFoundError(
            f"No General MIDI soundfont at {path}. Install one (Debian/Ubuntu: "
            f"apt-get install timgm6mb-soundfont) or set MUSICREP_SOUNDFONT.")
    return path


def render_midi(midi, sample_rate: int, *, mono: bool = True, timeout: float = 120.0) -> np.ndarray:
    """Synthesize ``midi`` with FluidSynth.

    Args:
        midi: a ``mido.MidiFile``, the bytes of a MIDI file, or a path to one.
        sample_rate: output rate in Hz.
        mono: average the two channels FluidSynth renders.
        timeout: seconds before giving up (FluidSynth renders forever when a
            sustained note is never ended).

    Returns:
        float32 array, ``[samples]`` when ``mono`` else ``[samples, 2]``, in [-1, 1].
    """
    import soundfile

    if shutil.which("fluidsynth") is None:
        raise FileNotFoundError("FluidSynth is not installed (apt-get install fluidsynth).")
    with tempfile.TemporaryDirectory() as tmp:
        midi_path = Path(tmp) / "in.mid"
        if isinstance(midi, (str, os.PathLike)):
            midi_path.write_bytes(Path(midi).read_bytes())
        elif isinstance(midi, (bytes, bytearray)):
            midi_path.write_bytes(bytes(midi))
        else:
            midi.save(str(midi_path))
        wav_path = Path(tmp) / "out.wav"
        # midi2audio runs FluidSynth without a time limit: run it in a child we can stop.
        script = ("import sys; from midi2audio import FluidSynth; "
                  "FluidSynth(sys.argv[1], int(sys.argv[2])).midi_to_audio(sys.argv[3], sys.argv[4])")
        child = subprocess.Popen([sys.executable, "-c", script, str(soundfont_path()), str(sample_rate),
                                  str(midi_path), str(wav_path)], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
            raise TimeoutError(f"FluidSynth did not finish rendering within {timeout:g} s "
                               f"(a note that is never ended?)") from None
        if not wav_path.is_file():
            raise RuntimeError("FluidSynth produced no audio: is the MIDI file valid?")
        audio, rate = soundfile.read(str(wav_path), dtype="float32", always_2d=True)
    assert rate == sample_rate, (rate, sample_rate)
    return audio.mean(axis=1) if mono else audio
