"""How a grading variant of hands-on 2 differs from the shipped fixtures (variant 0).

Every case keeps what it is about (the same edge case, the same token structure, the same
bpm): a variant transposes melodic pitches (modulo 128), maps velocities and programs through bijections
that keep 0 (a velocity of 0 is a note-off or a silent note, a program of 0 is the default),
shifts every onset of token lists, takes other Bach chorales for the chorale cases and
another seed for the drum groove. Bijections keep equal values equal and different values
different, so every rule of the docstrings is exercised the same way on every variant (the
fairness the issue asks for), yet no expected output of the release answers a variant.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import mido

from . import midi_files

DRUM_CHANNEL = 9
# A program named in a description ("(99, token 83)", "one of them (50)"): a variant leaves it out.
_VARIED_VALUE = re.compile(r"\(\d+, (?=token)| \(\d+\)")


def _shift_nonzero(value: int, shift: int) -> int:
    """1..127 -> 1..127 rotated by ``shift``; 0 stays 0."""
    return value if value == 0 else 1 + (value - 1 + shift) % 127


@dataclass(frozen=True)
class Variation:
    transpose: int = 0        # semitones added to melodic pitches
    velocity_shift: int = 0   # rotation of velocities 1..127
    program_shift: int = 0    # rotation of programs / instruments 1..127
    onset_shift: int = 0      # hundredths added to every onset of a token list
    number: int = 0

    @classmethod
    def of(cls, variant) -> "Variation":
        """The variation of ``variant`` (``None`` or number 0: none at all)."""
        if variant is None or variant.shipped:
            return cls()
        rng = variant.rng("midi_tokens/variation")
        transpose = int(rng.choice([d for d in range(-6, 7) if d]))
        return cls(transpose=transpose, velocity_shift=int(rng.integers(5, 123)),
                   program_shift=int(rng.integers(5, 123)), onset_shift=int(rng.integers(1, 400)),
                   number=variant.number)

    @property
    def none(self) -> bool:
        return self.number == 0

    def describe(self, description: str) -> str:
        """What a case is about, said the same way on every variant: the feedback must not name the
        transform (nor a varied value, say a program: its difference with the release's would tell
        the transform), else a table of the release's answers undone by it earns the points."""
        if self.none:
            return description
        return _VARIED_VALUE.sub(lambda m: "(" if m.group(0).startswith("(") else "", description)

    def summary(self) -> str:
        """The transform, for the instructor (never in student-facing text)."""
        return (f"variant {self.number}: pitches {self.transpose:+d} semitones, velocities +{self.velocity_shift}, "
                f"programs +{self.program_shift} (mod 127, 0 kept), onsets +{self.onset_shift}")

    # ------------------------------------------------------------ MIDI files
    def _message(self, message: mido.Message) -> mido.Message:
        if message.type in ("note_on", "note_off", "polytouch") and message.channel != DRUM_CHANNEL:
            message = message.copy(note=self.pitch(message.note))
        if message.type == "note_on":
            message = message.copy(velocity=_shift_nonzero(message.velocity, self.velocity_shift))
        if message.type == "program_change":
            message = message.copy(program=_shift_nonzero(message.program, self.program_shift))
        return message

    def midi(self, midi: mido.MidiFile | None) -> mido.MidiFile | None:
        """``midi`` with pitches, velocities and programs varied (the same file for variant 0)."""
        if self.none or midi is None:
            return midi
        copy = mido.MidiFile(type=midi.type, ticks_per_beat=midi.ticks_per_beat)
        for track in midi.tracks:
            copy.tracks.append(mido.MidiTrack(self._message(m) for m in track))
        return midi_files.reloaded(copy)

    def pitch(self, note: int) -> int:
        """A melodic pitch transposed; a bijection of 0..127 (the rare pitch pushed past an end
        comes back at the other), so equal pitches stay equal and different ones different."""
        return (note + self.transpose) % 128

    # ------------------------------------------------------------ token lists
    def tokens(self, tokens) -> tuple:
        """A token list varied field by field; a value that is not valid for its field (an invalid
        case's bad token) and an incomplete last tuple are kept as they are, so a bad token stays
        the first bad token at the same index."""
        tokens = tuple(tokens)
        if self.none:
            return tokens
        out = list(tokens)
        for start in range(0, len(tokens) - 4, 5):
            onset, duration, note, instrument, velocity = tokens[start:start + 5]
            if _valid(onset, 0, None):
                out[start] = onset + self.onset_shift
            if _valid(note, 0, 127) and _valid(instrument, 0, 128) and instrument != 128:
                out[start + 2] = self.pitch(note)
            if _valid(instrument, 0, 127):
                out[start + 3] = _shift_nonzero(instrument, self.program_shift)
            if _valid(velocity, 0, 127):
                out[start + 4] = _shift_nonzero(velocity, self.velocity_shift)
        return tuple(out)


def _valid(value, low: int, high: int | None) -> bool:
    return type(value) is int and value >= low and (high is None or value <= high)
