"""Attack: return objects that claim to equal anything: int and list subclasses
whose __eq__ is always true, a MidiFile subclass that equals everything, objects
that pretend to be lists."""
import mido


class Yes(int):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = int.__hash__


class YesList(list):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __len__(self):
        return 5


class AnyMidi(mido.MidiFile):
    def __eq__(self, other):
        return True


class Chameleon:
    __class__ = list

    def __eq__(self, other):
        return True

    def __iter__(self):
        return iter([Yes(0)] * 5)


_calls = [0]


def midi_to_tokens(midi):
    _calls[0] += 1
    return [YesList([Yes(1)] * 5), [Yes(0)] * 5, Chameleon()][_calls[0] % 3]


def tokens_to_midi(tokens, bpm=120):
    _calls[0] += 1
    return AnyMidi() if _calls[0] % 2 else Chameleon()
