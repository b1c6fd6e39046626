"""How a grading variant of hands-on 3 differs from the shipped fixtures (variant 0).

Every case keeps what it is about (its parameter set, its kind of audio: music of the same
score and instruments, speech in the same voice, silence, fades, the same dtype, batch shape
and minimum lengths): a variant takes each music excerpt from elsewhere in its score, has
other sentences said, draws other weights for the tiny HiFi-GAN generators, and halves the
clips of the mel cases and sequences (fades twice as steep, so they fall as far: the same
bands reach the floor) to keep the K variants small. The minimum-length and vocode cases keep
their lengths (those are what they are about). Draws are numpy ``Generator`` draws keyed by
what they vary, so one excerpt used twice is the same excerpt, on every machine.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

from ...engine.variants import Variant

# Other sentences (each said in well over 1.2 s by espeak-ng): a variant's speech.
SENTENCES = (
    "A mel spectrogram keeps the shape of the sound and drops its phase.",
    "Every frame of the window is weighted before the Fourier transform.",
    "Low voices and high flutes fall into different bands of the filterbank.",
    "The vocoder learns to put back the phase that the spectrogram threw away.",
    "Seven silver swans swam slowly across the quiet lake at dawn.",
    "Please measure twice before you cut the wooden board in half.",
    "Rain on the roof sounded like a thousand tiny drums all night.",
    "She sold the old bicycle and bought a violin with the money.",
    "Numbers, letters and voices all become arrays in the end.",
    "Turn the volume down a little, the neighbours are asleep.",
)
CLIP_SCALE = 0.5   # the mel cases' and sequences' clips, in a variant: half as long
MAX_START_SHIFT = 6.0   # seconds further into the score (every score used is longer than that)
MAX_SPEECH_SHIFT = 0.8  # seconds later into a sentence (each is said in over 2.5 s; clips take at most 0.6 s)


@dataclass
class AudioVariation:
    """The draws of one variant; ``number`` 0 changes nothing (the shipped audio)."""
    variant: object = None
    scale: float = 1.0
    _scaled: bool = field(default=True, repr=False)

    @classmethod
    def of(cls, variant) -> "AudioVariation":
        if variant is None or variant.shipped:
            return cls()
        return cls(variant, CLIP_SCALE)

    @property
    def none(self) -> bool:
        return self.variant is None

    def _rng(self, what: str):
        return self.variant.rng(f"mel_spectrogram/{what}")

    def seconds(self, seconds: float) -> float:
        """A clip's length in this variant."""
        return seconds * self.scale if self._scaled else seconds

    def steepness(self) -> float:
        """How much steeper a fade is here (its clip is shorter by as much)."""
        return 1.0 / self.scale if self._scaled else 1.0

    @contextlib.contextmanager
    def full_length(self):
        """Clips made in here keep their shipped length (minimum-length and vocode cases)."""
        before, self._scaled = self._scaled, False
        try:
            yield
        finally:
            self._scaled = before

    def music_start(self, corpus_path: str, start: float) -> float:
        """Where an excerpt starts: further into its score, by a draw of its own."""
        if self.none:
            return start
        return start + round(float(self._rng(f"start/{corpus_path}/{start}").uniform(0.5, MAX_START_SHIFT)), 3)

    def sentence(self, text: str) -> str:
        """The sentence said instead of ``text``: one text always becomes the same sentence, and
        a different one in each variant of a term (K <= len(SENTENCES))."""
        if self.none:
            return text
        first = Variant(0, self.variant.term).rng(f"mel_spectrogram/sentence/{text}").integers(len(SENTENCES))
        return SENTENCES[(int(first) + self.variant.number - 1) % len(SENTENCES)]

    def speech_start(self, text: str, start: float) -> float:
        """Where the speech starts in what espeak-ng said: a little later, by a draw of its own."""
        if self.none:
            return start
        return start + round(float(self._rng(f"speech-start/{text}/{start}").uniform(0.05, MAX_SPEECH_SHIFT)), 3)

    def generator_seed(self, seed: int) -> int:
        """The tiny HiFi-GAN's weights' seed instead of ``seed``."""
        if self.none:
            return seed
        return int(self._rng(f"generator/{seed}").integers(1_000, 2**31))
