"""How MIDI crosses the sandbox boundary (this file runs inside the worker).

An argument ``Ext("midi", blobs=[file bytes])`` reaches student code as a
``mido.MidiFile``; a ``mido.MidiFile`` that student code returns goes back to
the grader as the bytes of the file it would save.
"""
from __future__ import annotations

import io


def _midi_file(meta: dict, blobs: list[bytes]):
    import mido
    return mido.MidiFile(file=io.BytesIO(blobs[0]))


def _midi_bytes(value):
    import mido
    if not isinstance(value, mido.MidiFile):
        return None
    buffer = io.BytesIO()
    value.save(file=buffer)
    return "midi", {}, [buffer.getvalue()]


def preload() -> None:
    import mido  # noqa: F401


DECODERS = {"midi": _midi_file}
ENCODERS = [_midi_bytes]
