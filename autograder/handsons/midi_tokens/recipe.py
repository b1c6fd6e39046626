"""How Hands-on 2's fixtures are made: the grading inputs, and expected values from the reference.

The inputs come from ``inputs.py`` (MIDI files) and ``token_inputs.py`` (token lists).
Run by ``autograder fixtures regen``.

Which inputs are public (students see them and their expected tokens) and which
are hidden is decided here, in one place, and so is which docstring rules
(``grading.RULES``) each case exercises: every rule has a public case and hidden ones.
"""
from __future__ import annotations

import zlib
from fractions import Fraction

from collections import Counter

from ...engine.fixtures import require
from . import exact_times, inputs, midi_files, strategies, token_inputs
from .variation import Variation

PUBLIC_MIDI = ("velocity_zero_note_off", "oldest_closed_first", "stray_note_offs", "open_at_end",
               "drums_channel_10", "bach_bwv66_6", "zero_length_notes", "docstring_example",
               "tempo_in_later_track", "program_change_while_sounding", "note_off_in_another_track",
               "end_of_track_delay", "duration_rounded_itself", "no_notes", "type_2_refused",
               "same_instant_order", "open_note_other_track_ends_later")
PUBLIC_TOKENS = ("repeated_note", "drums", "bpm_90", "bpm_96", "bpm_160", "three_instruments_unsorted",
                 "silent_instrument", "order_at_one_tick", "empty_bpm_90", "docstring_example",
                 "twelve_melodic_and_drums")
PUBLIC_INVALID = ("length_not_multiple_of_5", "note_128", "velocity_128", "negative_duration", "sixteen_melodic",
                  "instrument_129", "not_an_integer", "bad_before_incomplete", "negative_onset_last_note",
                  "sixteenth_melodic_silent")
PUBLIC_BAD_BPM = ("bpm_12000", "bpm_0")
PUBLIC_SEQUENCES = ("notebook_session",)
# Real music whose overlapping notes of one instrument and pitch end in the order they start
# (the round trip's condition): hidden round-trip cases.
ROUND_TRIP_MUSIC = ("bach_bwv269", "joplin_maple_leaf_rag", "drum_groove")

REAL_MUSIC_RULES = ["tracks-merged", "rounding", "note-velocity", "note-on-order", "same-instant-order", "plain-ints"]
MIDI_RULES = {
    "velocity_zero_note_off": ["velocity-0-is-off", "rounding"],
    "oldest_closed_first": ["oldest-first", "note-velocity"],
    "stray_note_offs": ["stray-note-off"],
    "open_at_end": ["open-until-last-event", "plain-ints"],
    "drums_channel_10": ["drums-128", "program-at-onset", "tracks-merged", "note-on-order", "same-instant-order"],
    "program_changes_mid_file": ["program-at-onset", "later-program-change"],
    "several_tracks": ["tracks-merged", "note-on-order", "same-instant-order"],
    "tempo_changes": ["every-set-tempo"],
    "not_120_bpm": ["rounding"],
    "repeated_notes": ["oldest-first", "velocity-0-is-off"],
    "zero_length_notes": ["zero-length-kept"],
    "duration_not_end_rounded": ["duration-rounded-itself", "rounding"],
    "everything": ["every-set-tempo", "program-at-onset", "later-program-change", "drums-128", "note-on-order",
                   "same-instant-order", "velocity-0-is-off", "any-track-same-channel", "oldest-first",
                   "stray-note-off", "open-until-last-event", "zero-length-kept", "plain-ints"],
    "tempo_in_later_track": ["every-set-tempo", "tracks-merged", "note-velocity"],
    "several_tempos_late_track": ["every-set-tempo", "open-until-last-event"],
    "program_change_while_sounding": ["later-program-change", "program-at-onset"],
    "program_changes_while_sounding_2": ["later-program-change", "program-at-onset", "drums-128"],
    "note_off_in_another_track": ["any-track-same-channel"],
    "end_of_track_delay": ["open-until-last-event"],
    "end_of_track_delay_later_track": ["open-until-last-event"],
    "open_note_other_track_ends_later": ["open-until-last-event", "same-instant-order", "tracks-merged"],
    "open_note_in_later_track": ["open-until-last-event", "tracks-merged"],
    "same_instant_order": ["same-instant-order", "note-on-order", "tracks-merged", "drums-128"],
    "same_instant_order_2": ["same-instant-order", "note-on-order", "zero-length-kept", "every-set-tempo"],
    "duration_rounded_itself": ["duration-rounded-itself", "rounding"],
    "docstring_example": ["drums-128", "velocity-0-is-off", "open-until-last-event", "program-at-onset",
                          "same-instant-order"],
    "no_notes": ["no-notes"],
    "no_notes_several_tracks": ["no-notes"],
    "type_2_refused": ["type-2-refused"],
    "type_2_chorale": ["type-2-refused"],
    "bach_bwv66_6": REAL_MUSIC_RULES,
    "bach_bwv269": REAL_MUSIC_RULES,
    "mozart_k458_minuet": REAL_MUSIC_RULES + ["any-track-same-channel"],
    "joplin_maple_leaf_rag": REAL_MUSIC_RULES + ["every-set-tempo"],
    "drum_groove": REAL_MUSIC_RULES + ["drums-128", "zero-length-kept"],
}
BPM_RULES = ["ticks-per-beat", "tempo-10ms", "tempo-at-time-0"]
TOKENS_RULES = {
    "repeated_note": ["order-at-one-tick", "program-change-first", "track-holds-only-notes"],
    "repeated_note_unsorted": ["order-at-one-tick", "t2m-any-order"],
    "zero_length_notes": ["order-at-one-tick"],
    "order_at_one_tick": ["order-at-one-tick"],
    "same_onset_same_pitch": ["order-at-one-tick"],
    "overlapping_same_pitch": ["order-at-one-tick"],
    "drums": ["drums-channel-9", "program-change-first"],
    "three_instruments_unsorted": ["t2m-any-order", "track-per-instrument", "own-channel", "drums-channel-9"],
    "several_instruments": ["t2m-any-order", "track-per-instrument", "own-channel", "drums-channel-9",
                            "program-change-first", "track-holds-only-notes"],
    "fifteen_melodic_and_drums": ["own-channel", "drums-channel-9", "track-holds-only-notes"],
    "twelve_melodic_and_drums": ["own-channel", "drums-channel-9", "track-per-instrument"],
    "long_times": ["tempo-10ms", "track-holds-only-notes"],
    "empty": ["no-tokens"],
    "empty_bpm_90": ["no-tokens"],
    "empty_bpm_133": ["no-tokens"],
    "silent_note": ["silent-note-left-out"],
    "silent_instrument": ["silent-note-left-out", "track-per-instrument"],
    "silent_drums_first": ["silent-note-left-out", "track-per-instrument", "program-change-first"],
    "docstring_example": ["order-at-one-tick", "drums-channel-9", "program-change-first", "track-holds-only-notes"],
    **{f"bpm_{bpm}": BPM_RULES for bpm in (90, 96, 160, 100, 133, 60, 32, 480, 2400)},
}
INVALID_RULES = {
    "sixteen_melodic": ["sixteenth-melodic"],
    "length_not_multiple_of_5": ["incomplete-tuple"],
    "length_one_short": ["incomplete-tuple"],
    "single_token": ["incomplete-tuple"],
    "negative_onset": ["negative-time"],
    "negative_onset_last_note": ["negative-time"],
    "sixteenth_melodic_silent": ["sixteenth-melodic", "silent-note-left-out"],
    "silent_instrument_among_fifteen": ["sixteenth-melodic", "silent-note-left-out"],
    "sixteenth_melodic_silent_several": ["sixteenth-melodic", "silent-note-left-out"],
    "negative_duration": ["negative-time"],
    "note_128": ["note-velocity-range"],
    "note_negative": ["note-velocity-range"],
    "velocity_negative": ["note-velocity-range"],
    "velocity_128": ["note-velocity-range"],
    "instrument_129": ["instrument-range"],
    "instrument_negative": ["instrument-range"],
    "not_an_integer": ["not-an-integer"],
    "string_token": ["not-an-integer"],
    "none_token": ["not-an-integer"],
    "first_of_two": ["first-bad-token", "note-velocity-range"],
    "bad_before_incomplete": ["first-bad-token", "instrument-range"],
    "negative_before_incomplete": ["first-bad-token", "negative-time"],
    "sixteenth_melodic_and_bad_velocity": ["first-bad-token", "sixteenth-melodic"],
    "bad_note_before_sixteenth_melodic": ["first-bad-token", "sixteenth-melodic"],
}
BAD_BPM_RULES = {"bpm_12000": ["bpm-range", "ticks-per-beat"], "bpm_20000": ["bpm-range", "ticks-per-beat"]}

# What each purpose-built file is about, said to the student when their tokens differ.
HINTS = {
    "velocity_zero_note_off": "a note_on with velocity 0 is a note-off.",
    "oldest_closed_first": "when several notes of one channel and pitch are sounding, a note-off ends "
                           "the one that began first (the oldest).",
    "stray_note_offs": "a note-off with no sounding note of its channel and pitch is ignored.",
    "open_at_end": "a note still sounding at the end of the file ends at the file's last event "
                   "(the last message, end_of_track included: midi.length seconds).",
    "drums_channel_10": "notes on channel 10 (msg.channel == 9) are drums: instrument 128.",
    "program_changes_mid_file": "a note's instrument is the program of its channel at its onset; "
                                "a later program_change does not change it.",
    "several_tracks": "all tracks are merged in time (iterate the MidiFile itself, not one track).",
    "tempo_changes": "every set_tempo applies from its time on, whichever track holds it.",
    "not_120_bpm": "times come from the file's tempo and ticks per beat (msg.time in seconds when "
                   "iterating the MidiFile).",
    "repeated_notes": "when a note ends and the same pitch starts again at one tick, the note-off "
                      "ends the older note whatever the order of the two messages.",
    "zero_length_notes": "a note-on and its note-off at the same instant make a note of duration 0, "
                         "which is kept.",
    "duration_not_end_rounded": "duration is round(100 * (t_off - t_on)), not "
                                "round(100 * t_off) - round(100 * t_on).",
    "everything": "this file mixes every edge case; check each rule of the docstring.",
    "tempo_in_later_track": "every set_tempo applies from its time on, whichever track holds it (here none "
                            "is in the first track, and the tempo changes twice); read the file the way "
                            "`for msg in midi` does.",
    "several_tempos_late_track": "every set_tempo applies from its time on, whichever track holds it (here "
                                 "only the last track has them).",
    "program_change_while_sounding": "a program_change while a note sounds does not change that note: a "
                                     "note's instrument is its channel's program at its note_on, not at its "
                                     "note-off.",
    "program_changes_while_sounding_2": "a note's instrument is its channel's program at its note_on (a "
                                        "program_change in another track counts too, from its time on); "
                                        "later changes do not change notes already sounding.",
    "note_off_in_another_track": "a note-off ends the sounding note of its channel and pitch whatever track "
                                 "holds it.",
    "end_of_track_delay": "a note never ended lasts until the file's last event, end_of_track included "
                          "(midi.length), not until the last note message.",
    "end_of_track_delay_later_track": "a note never ended lasts until the file's last event (the end of the "
                                      "track that ends last: midi.length), not the end of its own track.",
    "duration_rounded_itself": "duration is round(100 * (t_off - t_on)), not "
                               "round(100 * t_off) - round(100 * t_on).",
    "docstring_example": "this is the example of the docstring.",
    "open_note_other_track_ends_later": "a note never ended lasts until the file's last event (midi.length), "
                                        "here in another track than the note's: not the end of its own track.",
    "open_note_in_later_track": "a note never ended lasts until the file's last event (midi.length), here the "
                                "end of the first track: not the end of its own track, nor of the last track.",
}


def _exact_times(midi) -> list:
    """Each note's exact onset and offset in hundredths of a second, keyed by the
    note's expected tokens; lets the grader recognise rounding mistakes."""
    events, last_tick = exact_times.merged_events(midi)
    spans = exact_times.note_spans(events, last_tick)
    denominator = Fraction(midi.ticks_per_beat * 10_000)
    return [[float(start / denominator), float(end / denominator)] for start, end in spans]


def _gradable(midi, name: str) -> None:
    require(exact_times.is_tie_free(midi), name, "a note time is within 1e-3 hundredth of a second of "
            "k + 0.5: its rounding would be ambiguous")   # exact arithmetic (Fractions): the same everywhere
    require(not exact_times.ambiguous_program_changes(midi), name,
            "a program_change and a note-on of its channel share a tick: the instrument would be ambiguous")


CHORALE_SLOTS = ("bach_bwv66_6", "bach_bwv269")   # cases a variant fills with other Bach chorales


def _round_trips(reference, midi) -> bool:
    tokens = reference.midi_to_tokens(midi)
    back = reference.midi_to_tokens(reference.tokens_to_midi(list(tokens), bpm=120))
    return Counter(token_inputs.as_tuples(tokens)) == Counter(token_inputs.as_tuples(back))


def _shipped_music() -> dict:
    return {case.name: case.midi for case in inputs.real_music_midis()}


def _chorales(variant, reference) -> list[tuple[str, str, str]]:
    """Other Bach chorales for the chorale cases of ``variant``: drawn from music21's corpus,
    each tie-free (after the usual tempo scaling), gradable and round-tripping (the hidden
    round-trip check takes one's tokens), none of the shipped ones, and each showing the
    end-rounding mistake exactly when the shipped chorale of its case does (else that mistake
    would lose more on some variants than on others: the fairness across variants)."""
    shipped = {path for _, path, _ in inputs.CORPUS_PIECES}
    paths = inputs.chorale_paths()
    order = [paths[i] for i in variant.rng("midi_tokens/chorales").permutation(len(paths))]
    chosen = []
    for path in order:
        if path in shipped:
            continue
        try:
            midi, _ = exact_times.without_ties(midi_files.reloaded(inputs.corpus_midi(path)))
        except Exception:   # noqa: BLE001 - a corpus file music21 cannot export, or one never tie-free
            continue
        name = CHORALE_SLOTS[len(chosen)]
        if exact_times.end_rounding_shows(midi) != exact_times.end_rounding_shows(_shipped_music()[name]):
            continue
        if exact_times.ambiguous_program_changes(midi) or not reference.midi_to_tokens(midi) \
                or not _round_trips(reference, midi):
            continue
        chosen.append((name, path, f"J. S. Bach, chorale {path.split('/')[1].upper().replace('BWV', 'BWV ')} "
                                   f"(4 voices on one channel)"))
        if len(chosen) == len(CHORALE_SLOTS):
            return chosen
    require(False, "bach chorales", "the corpus has too few usable chorales")


def real_music(variant, reference) -> list:
    """The real-music cases: the shipped pieces for variant 0; for another variant, other
    chorales in the chorale cases and another seed for the drum groove (Mozart and Joplin stay,
    varied like every file by :class:`Variation`)."""
    if variant is None or variant.shipped:
        return inputs.real_music_midis()
    chorales = {name: (name, path, description) for name, path, description in _chorales(variant, reference)}
    pieces = tuple(chorales.get(name, (name, path, description)) for name, path, description in inputs.CORPUS_PIECES)
    return inputs.real_music_midis(pieces, groove_seed=_groove_seed(variant))


def _groove_seed(variant) -> int:
    """The drum groove's seed for ``variant``: the first of its draws whose groove shows the
    end-rounding mistake exactly when the shipped groove does (see :func:`_chorales`)."""
    wanted = exact_times.end_rounding_shows(_shipped_music()["drum_groove"])
    rng = variant.rng("midi_tokens/drum_groove")
    for _ in range(200):
        seed = int(rng.integers(0, 2**32))
        groove, _ = exact_times.without_ties(inputs.drum_groove(seed))
        if exact_times.end_rounding_shows(groove) == wanted:
            return seed
    require(False, "drum_groove", "no seed gives a groove like the shipped one")


def _midi_cases(public, hidden, reference, variation: Variation, music: list) -> None:
    midis = inputs.edge_case_midis() + inputs.no_notes_midis() + inputs.type_2_midis(music) + music
    for case in midis:
        writer = public if case.name in PUBLIC_MIDI else hidden
        case = inputs.MidiCase(case.name, variation.describe(case.description), variation.midi(case.midi),
                               case.raises, variation.midi(case.companion))
        fields = {"description": case.description, "rules": MIDI_RULES[case.name],
                  "midi": writer.add_bytes(f"{case.name}.mid", midi_files.midi_bytes(case.midi))}
        if case.raises:
            try:
                reference.midi_to_tokens(case.midi)
            except Exception as error:   # the reference must refuse it the same way
                require(type(error).__name__ == case.raises, case.name, f"the reference raised {error!r}")
            else:
                require(False, case.name, f"the reference did not raise {case.raises}")
            fields["raises"] = case.raises
        else:
            _gradable(case.midi, case.name)
            tokens = reference.midi_to_tokens(case.midi)
            require(bool(tokens) or case.companion is not None, case.name,
                    "a file without notes needs a companion with notes (else [] for everything passes)")
            fields["expected"] = writer.add_json(f"{case.name}.tokens.json", tokens)
            if case.name in HINTS:
                fields["mistake_hint"] = HINTS[case.name]
                notes = token_inputs.as_tuples(tokens)
                times = _exact_times(case.midi)
                if len(times) == len(notes):
                    fields["exact_times"] = [[list(n), t] for n, t in zip(notes, times)]
        if case.companion is not None:
            _gradable(case.companion, f"{case.name} (companion)")
            companion_tokens = reference.midi_to_tokens(case.companion)
            require(bool(companion_tokens), case.name, "the companion file must have notes")
            fields["companion_midi"] = writer.add_bytes(f"{case.name}.companion.mid",
                                                        midi_files.midi_bytes(case.companion))
            fields["companion_expected"] = writer.add_json(f"{case.name}.companion.tokens.json", companion_tokens)
        writer.add_case("midi_to_tokens", case.name, **fields)
        if case.name in ROUND_TRIP_MUSIC:
            require(writer is hidden, case.name, "round-trip music is hidden")
            writer.add_case("round_trip", case.name, description=f"tokens of {case.description}",
                            tokens=fields["expected"], rules=["round-trip"])


def _midi_file_of(writer, reference, name: str, tokens, bpm: int) -> str:
    return writer.add_bytes(name, midi_files.midi_bytes(reference.tokens_to_midi(list(tokens), bpm=bpm)))


def build(public, hidden, reference, variant=None) -> None:
    """The cases of ``variant`` (``engine.variants.Variant``; None or number 0: the shipped ones)."""
    variation = Variation.of(variant)
    _midi_cases(public, hidden, reference, variation, real_music(variant, reference))

    for case in token_inputs.token_edge_cases():
        case = token_inputs.TokensCase(case.name, variation.describe(case.description),
                                       variation.tokens(case.tokens), case.bpm,
                                       None if case.expected is None else variation.tokens(case.expected),
                                       None if case.companion is None else variation.tokens(case.companion))
        writer = public if case.name in PUBLIC_TOKENS else hidden
        require(bool(case.tokens) or case.companion is not None, case.name,
                "no tokens needs a companion with notes (else one empty file for everything passes)")
        fields = {"description": case.description, "bpm": case.bpm, "rules": TOKENS_RULES[case.name],
                  "tokens": writer.add_json(f"{case.name}.in.json", list(case.tokens)),
                  "expected_midi": _midi_file_of(writer, reference, f"{case.name}.expected.mid", case.tokens,
                                                 case.bpm)}
        if case.companion is not None:
            fields["companion_tokens"] = writer.add_json(f"{case.name}.companion.in.json", list(case.companion))
            fields["companion_midi"] = _midi_file_of(writer, reference, f"{case.name}.companion.expected.mid",
                                                     case.companion, case.bpm)
        writer.add_case("tokens_to_midi", case.name, **fields)

    for case in token_inputs.invalid_token_cases():
        writer = public if case.name in PUBLIC_INVALID else hidden
        writer.add_case("invalid", case.name, why=variation.describe(case.description), tokens=list(variation.tokens(case.tokens)),
                        bpm=case.bpm, bad_index=case.bad_index,
                        rules=["error-names-first-bad-token", *INVALID_RULES[case.name]])

    for case in token_inputs.bad_bpm_cases():
        writer = public if case.name in PUBLIC_BAD_BPM else hidden
        writer.add_case("bad_bpm", case.name, description=case.description, bpm=case.bpm,
                        tokens=list(variation.tokens(case.tokens)), companion_bpm=case.companion_bpm,
                        companion_midi=_midi_file_of(writer, reference, f"{case.name}.companion.expected.mid",
                                                     variation.tokens(case.tokens), case.companion_bpm),
                        rules=BAD_BPM_RULES.get(case.name, ["bpm-range"]))

    for case in token_inputs.sequence_cases():
        writer = public if case.name in PUBLIC_SEQUENCES else hidden
        steps, written = [], {}
        for step in case.steps:
            step = token_inputs.Step(step.name, variation.midi(step.midi), variation.tokens(step.tokens), step.bpm)
            if step.name not in written:
                index = len(written)
                if step.function == "midi_to_tokens":
                    _gradable(step.midi, f"{case.name}: {step.name}")
                    written[step.name] = {
                        "midi": writer.add_bytes(f"{case.name}.{index}.mid", midi_files.midi_bytes(step.midi)),
                        "expected": writer.add_json(f"{case.name}.{index}.tokens.json",
                                                    reference.midi_to_tokens(step.midi))}
                else:
                    written[step.name] = {
                        "tokens": writer.add_json(f"{case.name}.{index}.in.json", list(step.tokens)), "bpm": step.bpm,
                        "expected_midi": _midi_file_of(writer, reference, f"{case.name}.{index}.expected.mid",
                                                       step.tokens, step.bpm)}
            steps.append({"function": step.function, "what": step.name, **written[step.name]})
        writer.add_case("sequence", case.name, description=variation.describe(case.description), steps=steps)

    _generated_inputs(public, hidden)


def _generated_inputs(public, hidden) -> None:
    """The round-trip checks' generated token lists (and tempos), drawn by hypothesis
    (``strategies.py``) and stored: ``round_trip.generated.json`` (public), and
    ``tokens_to_midi.generated.json`` and ``round_trip.generated.json`` (hidden), each
    ``{"valid": [...], "crowded": [...]}`` in the order the checks take them (small first). The
    same in every variant: what a round trip checks holds for any valid input (nothing to copy),
    and a mistake only some draws catch (a bpm at the edge of its range, instrument 9) lost 2
    points more on one variant than another when each variant drew its own."""
    from hypothesis import strategies as st

    def draw(name: str, strategy, examples: int) -> list:
        # A seed per set: with one seed, a strategy inside another (a tuple's lists) draws alike.
        return strategies.generated_examples(strategy, examples, zlib.crc32(name.encode()))

    valid, crowded, bpms = strategies.valid_token_lists, strategies.crowded_token_lists, strategies.valid_bpms
    public.add_json("round_trip.generated.json", {"valid": draw("public-valid", valid(), 40),
                                                  "crowded": draw("public-crowded", crowded(), 30)})
    hidden.add_json("tokens_to_midi.generated.json",
                    {"valid": draw("tokens-valid", st.tuples(valid(), bpms()), 40),
                     "crowded": draw("tokens-crowded", st.tuples(crowded(), bpms()), 20)})
    hidden.add_json("round_trip.generated.json",
                    {"valid": draw("round-trip-valid", st.tuples(valid(max_notes=40), bpms()), 40),
                     "crowded": draw("round-trip-crowded", st.tuples(crowded(max_notes=16), bpms()), 30)})
