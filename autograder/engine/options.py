"""What a batch of gradings is given: the parts graded, the limits, the pool to grade on.

Below the batch, its pools and the grading of one submission, which all read it; it
imports nothing of theirs.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from . import handsons
from .client import TimePolicy
from .sandbox import Limits


@dataclass
class Options:
    modules: list[str] = field(default_factory=handsons.names)
    visibilities: tuple[str, ...] = ("public", "hidden")
    jobs: int = 1
    limits: Limits = field(default_factory=Limits)
    time_policy: TimePolicy = field(default_factory=TimePolicy)
    mode: str | None = None      # sandbox mode; None = the strongest available
    regrade: bool = False        # grade again even what the gradebook already has
    html: bool = False           # keep the public checks' pictures and write HTML reports
    roster: dict[str, str] = field(default_factory=dict)   # submission name -> student id
    public_weight: float = 1.0   # what public checks' points count (0: grade on hidden checks only)
    scheduler: str | None = None   # a Dask scheduler's address: grade on that cluster, not here
    allow_weak: bool = False       # cluster workers without the strong sandbox may grade (weakly)
    course_secret: Path | None = None   # its file; None: variants.secret_path() (made if missing)
    variant: int | None = None     # grade every submission on this variant, not each student's own

    @property
    def scope(self) -> str:
        """What decides a grade besides the code: graded parts, weights and time limits."""
        scope = {"modules": self.modules, "visibilities": list(self.visibilities),
                 "floor": self.time_policy.floor_seconds, "budget": self.time_policy.budget_seconds}
        if self.public_weight != 1:
            scope["public_weight"] = self.public_weight
        return json.dumps(scope)
