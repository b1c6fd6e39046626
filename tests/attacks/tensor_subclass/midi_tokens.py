"""Attack: torch tensor subclasses that override comparisons and intercept every
torch function (so that any comparison done with them says "equal")."""
import torch


class Liar(torch.Tensor):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", "")
        if name in ("eq", "equal", "allclose", "isclose", "__eq__"):
            return True
        return super().__torch_function__(func, types, args, kwargs or {})

    def tolist(self):
        return [0] * 5


def midi_to_tokens(midi):
    return torch.zeros(5, dtype=torch.int64).as_subclass(Liar)


def tokens_to_midi(tokens, bpm=120):
    return torch.ones(3).as_subclass(Liar)
