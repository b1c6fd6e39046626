"""The calls Hands-on 2's graders make in the sandbox (``run_``): one per case, generated inputs, sequences.

Each ``run_`` function calls the student's code for one case and hands what came back to a
``check_`` of ``token_checks.py`` or ``midi_checks.py`` (generated inputs are stored fixtures:
``strategies.py`` draws them); :func:`run_sequence` makes calls one after the other in one worker
and tells state kept between calls from a plain mistake.
"""
from __future__ import annotations

import io

import mido
import numpy as np

from ...engine.client import StudentCodeError
from ...engine.compare import describe, fail
from ...engine.reruns import failure_of, message_of, passes_alone
from ...worker.wire import Ext
from .grading import M2T, MISTAKES, ROUND_HALF_EVEN, T2M, midi_arg, shown_tokens
from .midi_checks import check_holds_only_notes, check_midi, check_note_timing, check_notes_played, read_midi
from .token_checks import check_refused, check_round_trip, check_tokens


def show_piano_rolls(artifacts, expected: list[int], got: object) -> None:
    """Expected and returned notes side by side, for the HTML report."""
    if isinstance(got, list) and len(got) % 5 == 0 and all(type(v) is int for v in got):
        artifacts.piano_roll("notes: expected and yours", expected=np.array(expected).reshape(-1, 5),
                             yours=np.array(got).reshape(-1, 5))


def run_midi_to_tokens(student, fixture_set, case: dict, artifacts=None) -> None:
    """One ``midi_to_tokens`` case: tokens (or the error) of its file, and of its companion file
    when it has one (then an answer that fits every file, ``[]`` or an exception, earns nothing)."""
    if case.get("raises"):
        check_refused(lambda: student.call(M2T, midi_arg(fixture_set.read_bytes(case["midi"]))), case)
        done = f"midi_to_tokens refused the type 2 file with {case['raises']}, as it should"
        companion = "the same tracks as a type 1 file"
    else:
        got = student.call(M2T, midi_arg(fixture_set.read_bytes(case["midi"])))
        expected = fixture_set.read_json(case["expected"])
        if artifacts is not None:
            show_piano_rolls(artifacts, expected, got)
        check_tokens(got, expected, case)
        done = "midi_to_tokens gave [] for the file without notes, as it should"
        companion = "the same file with a note added"
    if "companion_midi" in case:
        got = student.call(M2T, midi_arg(fixture_set.read_bytes(case["companion_midi"])))
        check_tokens(got, fixture_set.read_json(case["companion_expected"]), case,
                     prefix=f"{done}; this check also reads {companion} (so that one answer for every file "
                            f"earns nothing), and there: ")


def run_round_trip(student, tokens: list[int], bpm: int = 120, reference=None) -> None:
    """``midi_to_tokens(tokens_to_midi(tokens, bpm))`` must give back the notes of ``tokens``, from a file
    that holds only what the docstring allows (so the tokens cannot ride along in a text event, say),
    read back as a file: the student's reader gets it with every note-off's velocity 0 (a free value a
    reader ignores, so it carries nothing either). With ``reference`` (its module: hidden checks; the
    student release has none), the reference's reader must read the notes from the file too."""
    midi = student.call(T2M, tokens, bpm=bpm) if bpm != 120 else student.call(T2M, tokens)
    written = read_midi(midi, "tokens_to_midi")
    check_notes_played(tokens, written)
    check_holds_only_notes(tokens, written)
    check_note_timing(tokens, written)
    if reference is not None:
        try:
            read = reference.midi_to_tokens(written)
        except Exception as error:
            fail(f"for tokens {shown_tokens(tokens)}, the reference's midi_to_tokens cannot read the file of your "
                 f"tokens_to_midi: {type(error).__name__}: {str(error)[:300]}")
        check_round_trip(tokens, read, reader="the reference's midi_to_tokens")
    check_round_trip(tokens, student.call(M2T, midi_arg(_silent_note_offs(written))))


def _silent_note_offs(midi: mido.MidiFile) -> bytes:
    """The file's bytes with every note_off's velocity 0 (what it is "of velocity 0" in the docstring)."""
    for track in midi.tracks:
        for index, message in enumerate(track):
            if message.type == "note_off" and message.velocity:
                track[index] = message.copy(velocity=0)
    out = io.BytesIO()
    midi.save(file=out)
    return out.getvalue()


def run_tokens_to_midi(student, fixture_set, case: dict) -> None:
    """One ``tokens_to_midi`` case, and its companion tokens at the same bpm when it has them
    (no tokens: then one file for every input earns nothing)."""
    got = student.call(T2M, fixture_set.read_json(case["tokens"]), bpm=case["bpm"])
    check_midi(got, fixture_set.read_bytes(case["expected_midi"]), case["bpm"])
    if "companion_tokens" in case:
        got = student.call(T2M, fixture_set.read_json(case["companion_tokens"]), bpm=case["bpm"])
        check_midi(got, fixture_set.read_bytes(case["companion_midi"]), case["bpm"],
                   prefix=f"tokens_to_midi([], bpm={case['bpm']}) gave the right file; this check also writes "
                          f"a few notes at the same bpm (so that one file for every input earns nothing), "
                          f"and there: ")


def run_bad_bpm(student, fixture_set, case: dict) -> None:
    """``tokens_to_midi`` must refuse ``case["bpm"]`` with ``ValueError`` and accept the valid
    ``companion_bpm`` near it (so that refusing every bpm earns nothing)."""
    bpm, tokens = case["bpm"], case["tokens"]
    ticks = f"round(6000 / {bpm}) = {round(6000 / bpm)}" if bpm else "6000 / 0 is undefined"
    try:
        value = student.call(T2M, tokens, bpm=bpm)
    except StudentCodeError as error:
        if error.kind != "exception":
            raise
        if error.exception != "ValueError":
            cause = f"\nLikely cause: {MISTAKES['bpm_unchecked']}" \
                if error.exception == "ZeroDivisionError" else ""
            fail(f"tokens_to_midi(tokens, bpm={bpm}) should raise ValueError ({ticks} is outside 1-1677); "
                 f"instead {error}{cause}")
    else:
        half = f" ({ROUND_HALF_EVEN}: round(0.5) = 0)" if bpm and (6000 / bpm) % 1 == 0.5 else ""
        what = "a MidiFile" if isinstance(value, Ext) and value.kind == "midi" else describe(value)
        fail(f"tokens_to_midi(tokens, bpm={bpm}) returned {what}; {ticks}{half} is outside 1-1677 "
             f"ticks per beat, so it should raise ValueError.")
    companion = case["companion_bpm"]
    try:
        got = student.call(T2M, tokens, bpm=companion)
    except StudentCodeError as error:
        if error.kind != "exception":
            raise
        fail(f"tokens_to_midi raised ValueError for bpm={bpm}, as it should, but it must accept bpm={companion} "
             f"(round(6000 / {companion}) = {round(6000 / companion)} is within 1-1677); instead {error}")
    check_midi(got, fixture_set.read_bytes(case["companion_midi"]), companion,
               prefix=f"tokens_to_midi raised ValueError for bpm={bpm}, as it should; this check also writes the "
                      f"same tokens at bpm={companion} (valid: so that refusing every bpm earns nothing), and "
                      f"there: ")


# ------------------------------------------------------------ several calls in one worker

def _run_step(student, fixture_set, step: dict) -> None:
    """One call of a sequence, its answer checked."""
    if step["function"] == M2T:
        got = student.call(M2T, midi_arg(fixture_set.read_bytes(step["midi"])))
        check_tokens(got, fixture_set.read_json(step["expected"]), {})
    else:
        got = student.call(T2M, fixture_set.read_json(step["tokens"]), bpm=step["bpm"])
        check_midi(got, fixture_set.read_bytes(step["expected_midi"]), step["bpm"])


def run_sequence(student, fixture_set, case: dict) -> None:
    """The calls of ``case["steps"]`` one after the other in one fresh worker, each checked;
    a wrong answer is tried again alone in a fresh worker, to tell state kept between calls
    from a plain mistake."""
    steps = case["steps"]
    student.fresh()
    for number, step in enumerate(steps, 1):
        label = f"call {number} of {len(steps)} in one worker: {step['function']} on {step['what']}"
        if step["function"] == T2M:
            label += f" (bpm={step['bpm']})"
        failure = failure_of(lambda: _run_step(student, fixture_set, step))
        if failure is None:
            continue
        problem = message_of(failure)
        earlier = next((n for n, s in enumerate(steps[:number - 1], 1) if s == step), None)
        # the first call already came first in its worker
        if number > 1 and passes_alone(student, lambda: _run_step(student, fixture_set, step)):
            repeat = f" (call {earlier} was the same call, and was right)" if earlier else ""
            fail(f"{label}: {problem}\nThe same call made alone, in a fresh worker, gives the right answer"
                 f"{repeat}: what the earlier calls left behind changed this one.\n"
                 f"Likely cause: {MISTAKES['state']}")
        fail(f"{label}: {problem}")
