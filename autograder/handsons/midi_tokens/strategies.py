"""Hypothesis strategies for Hands-on 2's round-trip checks (ships with the public checks).

They generate valid inputs only; they hold nothing of the solution.
"""
from __future__ import annotations


def _ends_in_order(notes: list[list[int]]) -> None:
    """Lengthen notes (in place) so that overlapping notes of one instrument and pitch
    end in the order they start: a note never ends before one that started strictly earlier."""
    groups: dict[tuple[int, int], list[list[int]]] = {}
    for note in notes:
        groups.setdefault((note[3], note[2]), []).append(note)
    for group in groups.values():
        group.sort(key=lambda note: note[0])
        latest_end, i = 0, 0
        while i < len(group):
            j = i
            while j < len(group) and group[j][0] == group[i][0]:
                j += 1
            for note in group[i:j]:
                note[1] = max(note[1], latest_end - note[0])
            latest_end = max([latest_end] + [note[0] + note[1] for note in group[i:j]])
            i = j


def valid_token_lists(max_notes: int = 24):
    """A hypothesis strategy of token lists the round trip must preserve.

    Up to 15 melodic instruments and drums, velocities 1-127, durations often 0,
    pitches often equal (so notes of one instrument and pitch overlap, repeat and
    start together), overlapping notes of one instrument and pitch ending in the
    order they start; times small, or up to an hour; tuples in any order.
    """
    from hypothesis import strategies as st

    @st.composite
    def token_lists(draw):
        melodic = draw(st.lists(st.integers(0, 127), unique=True, max_size=15))
        instruments = melodic + ([128] if draw(st.booleans()) or not melodic else [])
        note = st.tuples(
            st.one_of(st.integers(0, 300), st.integers(0, 360_000)),
            st.one_of(st.just(0), st.integers(0, 60), st.integers(0, 6000)),
            st.one_of(st.sampled_from([60, 61]), st.integers(0, 127)),
            st.sampled_from(instruments),
            st.integers(1, 127),
        )
        notes = [list(n) for n in draw(st.lists(note, max_size=max_notes))]
        _ends_in_order(notes)
        return [value for n in notes for value in n]

    return token_lists()


def crowded_token_lists(max_notes: int = 10):
    """A hypothesis strategy of token lists where notes of one instrument and pitch pile up.

    One or two instruments (drums among them, sometimes), two pitches, onsets within a few
    hundredths: notes of one pitch overlap, start together with other durations and
    velocities, and end where others start; overlapping ones end in the order they start,
    as the round trip needs. (Reading a note-off as ending the newest note, or writing the
    note-ons of one tick longest first, gives other notes back here.)
    """
    from hypothesis import strategies as st

    @st.composite
    def token_lists(draw):
        instruments = draw(st.lists(st.sampled_from([0, 33, 128]), min_size=1, max_size=2, unique=True))
        note = st.tuples(st.integers(0, 12), st.integers(0, 20), st.sampled_from([60, 61]),
                         st.sampled_from(instruments), st.integers(1, 127))
        notes = [list(n) for n in draw(st.lists(note, min_size=2, max_size=max_notes))]
        _ends_in_order(notes)
        return [value for n in notes for value in n]

    return token_lists()


def valid_bpms():
    """A hypothesis strategy of ``bpm`` values ``tokens_to_midi`` accepts."""
    from hypothesis import strategies as st
    return st.one_of(st.sampled_from([120, 60, 90, 100, 133, 240]), st.integers(4, 6000))
