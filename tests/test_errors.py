"""The one mechanic for "a ValueError whose message gives N" (autograder/engine/errors.py)."""
from autograder.engine.errors import missing_numbers, named_others, numbers_in


def test_numbers_are_found_however_they_are_written():
    assert {24000.0} <= set(numbers_in("rate 24,000 Hz")) and 24000.0 in numbers_in("24 kHz")
    assert missing_numbers("got 16000 and 24_000", [16000, 24000, 22050]) == [22050]


def test_a_message_pointing_at_the_right_token_passes_whatever_context_it_gives():
    honest = "token 3 is invalid (instrument of note #1, tokens 0-4): 129 is outside 0-128"
    assert named_others(honest, 3, 7) is None
    assert named_others("token 88 (the instrument of tuple 17): instrument 71 would be a 16th melodic "
                        "instrument; only 15 channels are melodic", 88, 120) is None


def test_a_message_naming_many_indices_does_not_point_at_one():
    assert named_others("the bad token is among 0, 1, 2, 3", 3, 7) is not None
    assert named_others(" ".join(f"token {i}" for i in range(0, 40, 2)), 4, 40) is not None
    # a single 'token <index>' that is not the right one gives no pass of its own
    assert named_others("token 2; see 0 1 3 5", 3, 7) is not None
