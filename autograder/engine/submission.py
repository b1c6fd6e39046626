"""Read a submission (a folder or a .zip) into memory, safely.

A submission holds any of the hands-on modules (``midi_tokens.py``...) at its
top level or inside one folder (``assignments/``). Everything the worker gets
is the ``.py`` files of that folder and its sub-packages, read here with
limits: no symlinks followed out, no path escaping, no zip bombs. What was
skipped is said in ``notes``, which reach the student's results.
"""
from __future__ import annotations

import hashlib
import os
import re
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

MAX_FILE_BYTES = 1 << 20
MAX_TOTAL_BYTES = 8 << 20
MAX_FILES = 200
MAX_DEPTH = 4
MAX_ZIP_MEMBERS = 2000
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_.\-]+$")


class SubmissionError(Exception):
    """The submission cannot be graded at all (unreadable zip, nothing gradable...)."""


@dataclass
class Submission:
    name: str                       # folder or zip name, the gradebook key
    source: str                     # where it was read from
    files: dict[str, bytes]         # relative path -> content, what the worker sees
    modules: list[str]              # gradable modules present
    notes: list[str] = field(default_factory=list)
    variant: int = 0                # the fixtures' grading variant (engine/variants.py), set by the batch

    @property
    def digest(self) -> str:
        """Content hash of what is graded (names and bytes)."""
        h = hashlib.sha256()
        for name in sorted(self.files):
            h.update(name.encode() + b"\0" + hashlib.sha256(self.files[name]).digest())
        return h.hexdigest()


def _safe_parts(relative: str) -> list[str] | None:
    path = PurePosixPath(relative.replace("\\", "/"))
    if path.is_absolute() or not path.parts:
        return None
    parts = list(path.parts)
    if any(p in ("..", ".", "") or not NAME_PATTERN.match(p) for p in parts):
        return None
    return parts


def _entries_from_dir(root: Path, notes: list[str]) -> dict[str, bytes]:
    entries: dict[str, bytes] = {}
    total = 0
    root_real = root.resolve()
    for current, dirs, files in os.walk(root, followlinks=False):
        depth = len(Path(current).relative_to(root).parts)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__"
                         and depth < MAX_DEPTH)
        for name in sorted(files):
            path = Path(current) / name
            relative = path.relative_to(root).as_posix()
            if not name.endswith(".py"):
                continue
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                notes.append(f"skipped {relative}: a symbolic link")
                continue
            if not stat.S_ISREG(info.st_mode) or _safe_parts(relative) is None:
                notes.append(f"skipped {relative}: not a regular file with a plain name")
                continue
            if not path.resolve().is_relative_to(root_real):
                notes.append(f"skipped {relative}: outside the submission")
                continue
            if info.st_size > MAX_FILE_BYTES:
                notes.append(f"skipped {relative}: larger than {MAX_FILE_BYTES >> 10} KiB")
                continue
            if len(entries) >= MAX_FILES or total + info.st_size > MAX_TOTAL_BYTES:
                notes.append(f"skipped {relative}: the submission is too large")
                continue
            try:
                with open(path, "rb") as handle:
                    data = handle.read(MAX_FILE_BYTES + 1)[:MAX_FILE_BYTES]
            except OSError as error:
                notes.append(f"skipped {relative}: unreadable ({error.strerror or error})")
                continue
            entries[relative] = data
            total += len(data)
    return entries


def _entries_from_zip(path: Path, notes: list[str]) -> dict[str, bytes]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise SubmissionError(f"{path.name} is not a readable zip file ({error})") from None
    entries: dict[str, bytes] = {}
    total = 0
    with archive:
        members = archive.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            raise SubmissionError(f"{path.name} holds {len(members)} entries; at most {MAX_ZIP_MEMBERS}")
        for member in members:
            name = member.filename
            if member.is_dir() or not name.endswith(".py"):
                continue
            parts = _safe_parts(name)
            mode = member.external_attr >> 16
            if parts is None:
                notes.append(f"skipped {name!r}: not a plain relative path (absolute, with '..', "
                             f"or with characters other than letters, digits, '_', '-' and '.')")
                continue
            if stat.S_ISLNK(mode):
                notes.append(f"skipped {name}: a symbolic link")
                continue
            if any(p.startswith(".") or p == "__pycache__" for p in parts) or len(parts) > MAX_DEPTH + 1:
                continue
            if member.file_size > MAX_FILE_BYTES:
                notes.append(f"skipped {name}: larger than {MAX_FILE_BYTES >> 10} KiB")
                continue
            if len(entries) >= MAX_FILES or total + member.file_size > MAX_TOTAL_BYTES:
                notes.append(f"skipped {name}: the submission is too large")
                continue
            try:
                with archive.open(member) as handle:   # read no more than declared: zip bombs stop here
                    data = handle.read(MAX_FILE_BYTES + 1)
            except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError) as error:
                notes.append(f"skipped {name}: unreadable ({error})")
                continue
            if len(data) > MAX_FILE_BYTES:
                notes.append(f"skipped {name}: larger than {MAX_FILE_BYTES >> 10} KiB")
                continue
            entries["/".join(parts)] = data
            total += len(data)
    return entries


def _drop_conflicts(entries: dict[str, bytes], notes: list[str]) -> None:
    """A path cannot be both a file and a folder (``a.py`` and ``a.py/b.py`` in one zip):
    keep the file, say so. Otherwise the worker could not lay the submission out."""
    folders = {"/".join(rel.split("/")[:i]) for rel in entries for i in range(1, rel.count("/") + 1)}
    for relative in sorted(entries):
        if any(relative.startswith(folder + "/") for folder in folders & set(entries)):
            del entries[relative]
            notes.append(f"skipped {relative}: a folder of that name is also a file")


def _capped(notes: list[str], keep: int = 30) -> list[str]:
    """At most ``keep`` notes (a folder of thousands of files must not flood the results)."""
    return notes if len(notes) <= keep else notes[:keep] + [f"... and {len(notes) - keep} more skipped file(s)"]


def _module_folder(entries: dict[str, bytes], modules: list[str]) -> str | None:
    """The folder ('' = top level) holding the most hands-on modules, at depth <= 1."""
    scores: dict[str, int] = {}
    for relative in entries:
        parts = relative.split("/")
        if len(parts) <= 2 and parts[-1][:-3] in modules:
            folder = "/".join(parts[:-1])
            scores[folder] = scores.get(folder, 0) + 1
    if not scores:
        return None
    return max(sorted(scores), key=lambda f: (scores[f], f == ""))


def load_submission(path: str | os.PathLike, modules: list[str]) -> Submission:
    """Read the submission at ``path``; raise :class:`SubmissionError` when nothing can be graded."""
    path = Path(path)
    notes: list[str] = []
    if path.is_symlink() and not path.exists():
        raise SubmissionError(f"{path} is a dangling symbolic link")
    try:
        if path.is_dir():
            entries = _entries_from_dir(path, notes)
            name = path.resolve().name
        elif path.is_file() and path.suffix.lower() == ".zip":
            entries = _entries_from_zip(path, notes)
            name = path.stem
        else:
            entries, name = None, ""
    except OSError as error:   # unreadable folder or zip: this submission only, with why
        raise SubmissionError(f"{path.name} could not be read ({error.strerror or error})") from None
    if entries is None:
        raise SubmissionError(f"{path} is neither a folder nor a .zip file" if path.exists()
                              else f"{path} does not exist")
    _drop_conflicts(entries, notes)
    notes[:] = _capped(notes)
    folder = _module_folder(entries, modules)
    if folder is None:
        why = ("; " + "; ".join(notes)) if notes else ""
        raise SubmissionError(
            f"nothing to grade in {path.name}: none of {', '.join(m + '.py' for m in modules)} "
            f"at its top level or in one folder{why}")
    prefix = f"{folder}/" if folder else ""
    files = {rel[len(prefix):]: data for rel, data in entries.items() if rel.startswith(prefix)}
    present = sorted(m for m in modules if f"{m}.py" in files)
    return Submission(name=name, source=str(path), files=files, modules=present, notes=notes)
