"""Per-student variants: every check graded on inputs nobody else (and no release) has seen.

Variant 0 is the shipped fixtures (``fixtures/<module>/{public,hidden}``: what a student's
``autograder check`` runs on). Variants 1..K (``fixtures/<module>/variants/<k>/{public,hidden}``,
never in the student release) hold the same cases, by group and id, built by the recipe from
other seeds and other inputs. ``fixtures/term.json`` says which term made them and K.

A submission's variant is ``1 + HMAC-SHA256(course secret, term + "\\0" + student id) mod K``:
the same student always gets the same variant (regrades are reproducible), and without the
course secret (kept by the instructor, never shipped to students) nobody can predict it.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import handsons

TERM_FILE = handsons.FIXTURES_DIR / "term.json"
SECRET_FILE = handsons.REPO_ROOT / ".course-secret"
SECRET_VARIABLE = "AUTOGRADER_COURSE_SECRET_FILE"
DEFAULT_TERM = "default"
DEFAULT_COUNT = 8


@dataclass(frozen=True)
class Variant:
    """What a recipe draws one variant from. ``number`` 0 is the shipped fixtures: a recipe
    builds exactly today's cases for it; any other number draws other inputs for the same cases."""
    number: int
    term: str = DEFAULT_TERM

    def seed(self, name: str) -> int:
        """A 63-bit seed for ``name`` in this variant and term (the same on every machine)."""
        digest = hashlib.sha256(f"{self.term}\0{self.number}\0{name}".encode()).digest()
        return int.from_bytes(digest[:8], "little") >> 1

    def rng(self, name: str) -> np.random.Generator:
        """A numpy Generator for ``name`` (numpy draws reproduce on every CPU; torch's do not)."""
        return np.random.Generator(np.random.PCG64(self.seed(name)))

    @property
    def shipped(self) -> bool:
        return self.number == 0


# ------------------------------------------------------------------ the term

@dataclass(frozen=True)
class Term:
    name: str = DEFAULT_TERM
    count: int = DEFAULT_COUNT     # K, the number of grading variants

    def variants(self) -> list[Variant]:
        """Variant 0 (shipped) and the K grading variants."""
        return [Variant(n, self.name) for n in range(self.count + 1)]


def read_term(path: Path | None = None) -> Term:
    path = Path(path or TERM_FILE)
    if not path.is_file():
        return Term()
    data = json.loads(path.read_text())
    return Term(str(data["term"]), int(data["variants"]))


def term_json(term: Term) -> dict:
    return {"term": term.name, "variants": term.count}


# ------------------------------------------------------------------ the course secret

class SecretError(Exception):
    """No usable course secret (unreadable or empty file)."""


def secret_path(given: Path | None = None) -> Path:
    """The course secret's file: ``given`` (--course-secret), else $AUTOGRADER_COURSE_SECRET_FILE,
    else ``.course-secret`` at the repository root (gitignored)."""
    if given is not None:
        return Path(given)
    return Path(os.environ.get(SECRET_VARIABLE) or SECRET_FILE)


def make_secret(path: Path) -> Path:
    """Write a fresh random secret to ``path`` (readable by its owner only)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32) + "\n")
    return path


def read_secret(path: Path) -> bytes:
    try:
        secret = Path(path).read_bytes().strip()
    except OSError as error:
        raise SecretError(f"cannot read the course secret {path}: {error.strerror}") from None
    if len(secret) < 16:
        raise SecretError(f"the course secret {path} is shorter than 16 bytes")
    return secret


def variant_of(student: str, secret: bytes, term: Term) -> int:
    """The grading variant (1..K) of ``student`` this term."""
    if term.count < 1:
        return 0
    mac = hmac.new(secret, f"{term.name}\0{student}".encode(), hashlib.sha256).digest()
    return 1 + int.from_bytes(mac, "big") % term.count


# ------------------------------------------------------------------ which variant graders read

_current = 0


def use(number: int) -> None:
    """Graders in this process read variant ``number`` from now on (0: the shipped fixtures).
    Set by the grader of one submission before its checks run."""
    global _current
    _current = int(number)


def current() -> int:
    return _current


def folder(module: str, visibility: str, number: int, root: Path | None = None) -> Path:
    root = Path(root or handsons.get(module).fixtures_root)
    if number == 0:
        return root / module / visibility
    return root / module / "variants" / str(number) / visibility
