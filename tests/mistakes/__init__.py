"""Deliberately wrong implementations: each is the reference with ONE mistake.

A mistake is a single textual edit of ``solutions/<module>.py`` (``find`` must
occur exactly once there, so a change of the reference that invalidates a
mistake fails loudly). ``loses`` names the checks that must cost points
(``test_function`` or ``test_function[case]``); ``says`` is text the feedback of
one of them must contain (the classic mistake named), when given.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Mistake:
    name: str
    find: str
    replace: str
    loses: tuple[str, ...]
    says: str = ""
    edits: tuple[tuple[str, str], ...] = field(default=())   # more edits when one is not enough

    def apply(self, source: str) -> str:
        for find, replace in ((self.find, self.replace), *self.edits):
            count = source.count(find)
            assert count == 1, f"mistake {self.name}: {find!r} occurs {count} times in the reference"
            source = source.replace(find, replace)
        return source
