"""Known mistakes as data: a stable id with the explanation a grader gives for it.

A hands-on's grader keeps each explanation next to the message that uses it::

    MISTAKES = {
        "center": Diagnosis("mel_spectrogram/center-true", "torch.stft(..., center=True) pads ..."),
    }
    fail(f"{message}\\nLikely cause: {MISTAKES['center']}")

A :class:`Diagnosis` is the explanation's text (a ``str``: messages are made as before, with
``.format`` fields where the grader fills some in), registered under its id. When a result line is
recorded, :func:`diagnose` reads each ``Likely cause:`` line of its message (the grader's words:
what a submission printed or raised is quoted under a label, never at a line's start) and names
the registered mistakes whose explanation it is. A failure no explanation matches is
"unrecognised" (the class report groups those by check and kind of failure). An explanation that
comes with a fixture (what a purpose-built file is about) is registered when a grader first gives
it, in the process that records the line.
"""
from __future__ import annotations

import re
import string

CAUSE = "Likely cause: "
UNRECOGNISED = "unrecognised"
_ID = re.compile(r"[a-z0-9_]+/[a-z0-9][a-z0-9-]*")
REGISTRY: dict[str, "Diagnosis"] = {}


class Diagnosis(str):
    """The explanation of a known mistake (a ``str``), with its stable id ``<hands-on>/<mistake>``."""

    id: str
    pattern: re.Pattern

    def __new__(cls, id: str, explanation: str) -> "Diagnosis":
        if not _ID.fullmatch(id):
            raise ValueError(f"a mistake id is '<hands-on>/<lower-case-words>': {id!r}")
        known = REGISTRY.get(id)
        if known is not None and str(known) != explanation:
            raise ValueError(f"two explanations for the mistake {id}")
        self = super().__new__(cls, explanation)
        self.id = id
        self.pattern = _pattern(explanation)
        REGISTRY[id] = self
        return self

    @property
    def module(self) -> str:
        return self.id.split("/", 1)[0]


def slug(text: str) -> str:
    """``text`` as the second part of a mistake id: lower case, words joined by ``-``."""
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-") or "unnamed"


def _pattern(explanation: str) -> re.Pattern:
    """The explanation as a regular expression: literal text, any text where a ``{field}`` is."""
    parts = []
    for literal, field, _, _ in string.Formatter().parse(explanation):
        parts.append(re.escape(literal))
        if field is not None:
            parts.append(r".*?")
    return re.compile("".join(parts), re.DOTALL)


def causes(message: str) -> list[str]:
    """The rest of each line of ``message`` that starts with ``Likely cause:``."""
    return [found.group(1) for found in re.finditer(rf"(?m)^{re.escape(CAUSE)}(.*)$", message)]


def diagnose(module: str, message: str) -> list[str]:
    """The ids of the registered mistakes of ``module`` that ``message`` names, in its order. A
    cause may name several ("one of these: A OR B"); where explanations overlap, the longest wins."""
    candidates = sorted((d for d in REGISTRY.values() if d.module == module), key=len, reverse=True)
    found: list[tuple[int, str]] = []
    for offset, cause in enumerate(causes(message)):
        taken: list[tuple[int, int]] = []
        for diagnosis in candidates:
            match = diagnosis.pattern.search(cause)
            if match and match.end() > match.start() and \
                    not any(match.start() < end and start < match.end() for start, end in taken):
                taken.append(match.span())
                found.append(((offset, match.start()), diagnosis.id))
    ids = [id for _, id in sorted(found)]
    return list(dict.fromkeys(ids))


def known(module: str | None = None) -> dict[str, str]:
    """id -> explanation of the registered mistakes (of ``module``), the graders imported."""
    return {id: str(d) for id, d in sorted(REGISTRY.items()) if module is None or d.module == module}
