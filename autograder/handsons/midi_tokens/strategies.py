"""The generated inputs of Hands-on 2's round-trip checks: hypothesis strategies, and
:func:`generated_examples`, the values the recipe stores from them (``*.generated.json``).

They generate valid inputs only; they hold nothing of the solution. The graders read the stored
values: drawing them at grading time cost ~1 s of hypothesis's engine per grading (issue 23), and
the draws were not fixed even derandomized (hypothesis mixes constants from the source of every
loaded module into them, so a code change anywhere changed them).
"""
from __future__ import annotations

import contextlib



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


def generated_examples(strategy, examples: int = 40, seed: int = 0) -> list:
    """The distinct values among the first ``examples`` hypothesis draws from ``strategy`` with
    ``seed``, in the order it draws them (small first; it draws ``[]`` several times), blind to the
    loaded modules' constants: the same in every process, whatever else it imported, and on every
    machine."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as seeded

    values: list = []

    @seeded(seed)
    @settings(max_examples=examples, database=None, deadline=None, phases=(Phase.generate,),
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def draw(value):
        values.append(value)

    with _no_local_constants():
        draw()
    seen: set[str] = set()
    return [v for v in values if not (repr(v) in seen or seen.add(repr(v)))]


@contextlib.contextmanager
def _no_local_constants():
    """Hypothesis draws, now and then, a constant found in the source of any loaded module outside
    site-packages (ours): which modules a process imported would change the stored values (a
    ``fixtures verify`` of every hands-on drew others than a ``regen`` of this one). Private API,
    pinned by the lock: a change fails the recipe here, loudly, rather than changing values."""
    from hypothesis.internal.conjecture import providers
    found = providers._get_local_constants
    providers.CONSTANTS_CACHE.cache.clear()
    providers._get_local_constants = providers.Constants
    try:
        yield
    finally:
        providers._get_local_constants = found
        providers.CONSTANTS_CACHE.cache.clear()
