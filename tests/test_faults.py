"""Faults around grading, through the real command line: the grader killed halfway
through a batch, broken or hostile submission files, an output folder that
cannot be written, and the weak sandbox (where namespaces are missing)."""
from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import struct
import tempfile
import time
import zipfile
from pathlib import Path

import pytest

from autograder.engine import handsons

from .helpers import (MODULE, REPO, SLOWER_MIDI, finish_cli, full_marks, grade_args, gradebook_rows, grades,
                      kill_group, max_score, outcome, public_checks, results, Run, run_cli, start_cli,
                      submission_folder, worker_orphans)

REFERENCE = handsons.SOLUTIONS_DIR / f"{MODULE}.py"
MAX_SCORE = max_score()
FAST = ["--budget", "20", "--call-timeout-floor", "5"]


def _public_checks(result: dict) -> list[dict]:
    return [t for t in result["tests"] if t["visibility"] == "visible"]


# ------------------------------------------------------------------ (a) killed halfway



@pytest.fixture(scope="module")
def batch_of_submissions(tmp_path_factory) -> list[Path]:
    root = tmp_path_factory.mktemp("submissions")
    reference = REFERENCE.read_text()
    sources = {"reference_a": reference, "slow": reference + SLOWER_MIDI,
               "partial": (REPO / "examples" / "partial" / f"{MODULE}.py").read_text(),
               "stub": (handsons.STUBS_DIR / f"{MODULE}.py").read_text(),
               "alternative": (REPO / "tests" / "alternatives" / f"{MODULE}.py").read_text(),
               "reference_b": reference}
    return [submission_folder(root, name, {f"{MODULE}.py": source}) for name, source in sources.items()]


def test_a_killed_batch_resumes_to_the_same_results(tmp_path, batch_of_submissions):
    subs = batch_of_submissions
    names = [p.name for p in subs]
    # An uninterrupted run, for comparison.
    clean = run_cli(grade_args(subs, tmp_path / "clean", "--jobs", "2", *FAST), tmp_path)
    assert clean.returncode == 0, clean.output[-3000:]

    # The same batch, killed (SIGKILL to the command's process group) once some submissions are done.
    out = tmp_path / "killed"
    report = tmp_path / "killed-run.json"
    since = time.time()
    started = time.monotonic()
    tmpdir = tmp_path / "tmp"   # the sandbox's temporary files: none may outlive a killed grader
    tmpdir.mkdir()
    process = start_cli(grade_args(subs, out, "--jobs", "2", *FAST), report, env={"TMPDIR": str(tmpdir)})
    recorded: list = []
    while time.monotonic() - started < 300 and process.poll() is None and len(recorded) < 2:
        time.sleep(0.05)
        try:
            recorded = gradebook_rows(out)
        except sqlite3.Error:   # not created yet
            pass
    kill_group(report)
    killed = finish_cli(process, report, started, timeout=120)
    assert killed.returncode == -9, f"the batch ended before it was killed:\n{killed.output[-2000:]}"
    assert 2 <= len(recorded) < len(subs), recorded
    assert not killed.leftovers, f"processes outlived the killed grader: {killed.leftovers}"
    assert not worker_orphans(since)
    assert not (out / "grades.csv").exists(), "a killed batch must not leave a grades.csv"
    assert not list(tmpdir.iterdir()), list(tmpdir.iterdir())

    # The same command again completes the batch: what was recorded is kept, not graded twice.
    again = run_cli(grade_args(subs, out, "--jobs", "2", *FAST), tmp_path)
    assert again.returncode == 0, again.output[-3000:]
    progress = {line.split(": ")[0].strip(): line for line in again.stdout.splitlines() if line.startswith("  ")}
    for name, _, _ in recorded:
        assert "(unchanged: from the gradebook)" in progress.get(name, ""), (name, again.stdout[-2000:])
    for name in names:
        assert outcome(results(out, name)) == outcome(results(tmp_path / "clean", name)), name
    assert grades(out) == grades(tmp_path / "clean")
    book = gradebook_rows(out)
    assert book == gradebook_rows(tmp_path / "clean")
    assert sorted(name for name, _, _ in book) == sorted(names), "one gradebook row per submission, no duplicates"
    assert set(recorded) <= set(book)
    assert full_marks(results(out, "reference_a")) and full_marks(results(out, "slow"))
    assert not list(out.glob("*/.partial.jsonl")), "the rerun must clean the interrupted gradings' partial lines"


# ------------------------------------------------------------------ (b) bad submission files

def _zip(path: Path, entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in entries:
            archive.writestr(info, data)
    return path


def _with_declared_size(path: Path, size: int) -> Path:
    """Rewrite the first entry's declared (uncompressed) size, in its local header and in
    the central directory: a zip that lies about what it holds."""
    data = bytearray(path.read_bytes())
    assert data[:4] == b"PK\x03\x04"
    struct.pack_into("<I", data, 22, size)
    end = data.rindex(b"PK\x05\x06")
    central = struct.unpack_from("<I", data, end + 16)[0]
    assert data[central:central + 4] == b"PK\x01\x02"
    struct.pack_into("<I", data, central + 24, size)
    path.write_bytes(bytes(data))
    return path


def _symlink_entry(name: str, target: str) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.create_system = 3   # unix: the mode below is read
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, target.encode()


def _bad_submissions(root: Path, outside: Path) -> dict[str, tuple[Path, list[str]]]:
    """name -> (submission path, words its results.json must hold)."""
    zeros = b"\0" * (64 << 20)   # 64 MiB: ~64 KB deflated
    bad = {}

    corrupt = root / "corrupt.zip"
    corrupt.write_bytes(b"PK\x03\x04" + os.urandom(3000))
    bad["corrupt"] = (corrupt, ["not a readable zip file"])

    truncated = _zip(root / "truncated.zip", [(f"{MODULE}.py", REFERENCE.read_bytes())])
    truncated.write_bytes(truncated.read_bytes()[:-40])
    bad["truncated"] = (truncated, ["not a readable zip file"])

    bomb = _with_declared_size(_zip(root / "bomb.zip", [(f"{MODULE}.py", zeros)]), 2 << 30)
    bad["bomb"] = (bomb, ["larger than 1024 KiB", "nothing to grade"])

    liar = _with_declared_size(_zip(root / "liar.zip", [(f"{MODULE}.py", zeros)]), 1000)
    bad["liar"] = (liar, [f"{MODULE}.py", "nothing to grade"])

    honest = _zip(root / "honest_bomb.zip", [(f"{MODULE}.py", zeros)])
    bad["honest_bomb"] = (honest, ["larger than 1024 KiB"])

    escape = f"../{outside.name}/escaped.py"
    traversal = _zip(root / "traversal.zip", [(escape, b"x = 1\n"), (f"/{outside}/absolute.py", b"x = 1\n"),
                                              (f"../{MODULE}.py", REFERENCE.read_bytes()),
                                              (f"assignments/../../{MODULE}.py", REFERENCE.read_bytes()),
                                              ("C:\\evil\\midi_tokens.py", REFERENCE.read_bytes())])
    bad["traversal"] = (traversal, ["not a plain relative path", "nothing to grade"])

    zipped_link = _zip(root / "zip_symlink.zip", [_symlink_entry(f"{MODULE}.py", str(REFERENCE)),
                                                  _symlink_entry(f"assignments/{MODULE}.py",
                                                                 f"../../../..{REFERENCE}")])
    bad["zip_symlink"] = (zipped_link, ["a symbolic link", "nothing to grade"])

    linked = root / "folder_symlink"
    linked.mkdir()
    (linked / f"{MODULE}.py").symlink_to(REFERENCE)           # the reference, if it were followed
    (linked / "assignments").symlink_to(handsons.SOLUTIONS_DIR, target_is_directory=True)
    bad["folder_symlink"] = (linked, ["a symbolic link", "nothing to grade"])

    latin = b"def midi_to_tokens(midi):\n    return '\xff\xfe\xc3\x28'\n"   # not UTF-8, no encoding line
    bad["not_utf8"] = (submission_folder(root, "not_utf8", {f"{MODULE}.py": latin}), ["importing", "SyntaxError"])
    bad["folder_named_module"] = (submission_folder(root, "folder_named_module",
                                          {f"{MODULE}.py/__init__.py": REFERENCE.read_bytes(),
                                           f"{MODULE}.py/x.py": b"x = 1\n"}),
                                  ["nothing to grade"])
    bad["nothing"] = (submission_folder(root, "nothing", {"README.txt": "my homework", "other.py": "x = 1\n",
                                                "notes/midi_tokens.txt": "not python"}), ["nothing to grade"])
    bad["huge"] = (submission_folder(root, "huge", {f"{MODULE}.py": b"# " + b"x" * (20 << 20) + b"\n",
                                          "data.bin": os.urandom(1 << 20)}),
                   ["larger than 1024 KiB", "nothing to grade"])
    bad["encrypted"] = (_encrypted_zip(root / "encrypted.zip"), ["unreadable", "nothing to grade"])
    dangling = root / "dangling"
    dangling.symlink_to(root / "does-not-exist")
    bad["dangling"] = (dangling, ["dangling symbolic link"])
    bad["grades.csv"] = (submission_folder(root, "grades.csv", {f"{MODULE}.py": "def midi_to_tokens(midi):\n    return []\n"}),
                         [])
    return bad


def _encrypted_zip(path: Path) -> Path:
    """A zip whose only module is marked encrypted (flag bit 0): it cannot be read."""
    _zip(path, [(f"{MODULE}.py", REFERENCE.read_bytes())])
    data = bytearray(path.read_bytes())
    struct.pack_into("<H", data, 6, struct.unpack_from("<H", data, 6)[0] | 1)
    end = data.rindex(b"PK\x05\x06")
    central = struct.unpack_from("<I", data, end + 16)[0]
    struct.pack_into("<H", data, central + 8, struct.unpack_from("<H", data, central + 8)[0] | 1)
    path.write_bytes(bytes(data))
    return path


def test_b_bad_submissions_are_rejected_or_graded_safely(tmp_path):
    root = tmp_path / "subs"
    root.mkdir()
    outside = tmp_path / "outside"   # where the path-escaping entries point
    outside.mkdir()
    good = submission_folder(root, "good", {f"{MODULE}.py": REFERENCE.read_text()})
    bad = _bad_submissions(root, outside)
    before_subs = [p.name for p in root.iterdir()]
    out = tmp_path / "out"
    run = run_cli(grade_args([good, *[path for path, _ in bad.values()]], out, "--jobs", "2", *FAST), tmp_path)
    assert run.returncode == 0, run.output[-3000:]
    assert not run.leftovers
    rows = grades(out)
    good_result = results(out, "good")
    assert all(t["status"] == "passed" for t in _public_checks(good_result)) and full_marks(good_result)
    assert rows["good"]["score"] == f"{MAX_SCORE:g}"
    for name, (path, words) in bad.items():
        folder = "_grades.csv" if name == "grades.csv" else name   # never the batch's own table
        result = results(out, folder)
        text = result["output"] + "\n".join(t["output"] for t in result["tests"])
        assert result["score"] == 0, (name, result["output"][:1000])
        assert result["extra_data"].get("grader_errors", 0) == 0, name
        for word in words:
            assert word in text, f"{name}: the results do not say {word!r}:\n{text[:2000]}"
        assert folder in rows and rows[folder]["score"] == "0", name
    assert rows["_grades.csv"]["status"] == "graded"
    assert list(outside.iterdir()) == [], "a zip entry was written outside"
    assert not list(tmp_path.rglob("escaped.py")) and not list(tmp_path.rglob("absolute.py"))
    assert sorted(p.name for p in root.iterdir()) == sorted(before_subs), "the submissions folder changed"


# ------------------------------------------------------------------ (c) the output folder cannot be written

def _no_table(run, out_listing: list[str]) -> None:
    assert run.returncode == 5, f"exit code {run.returncode}:\n{run.output[-3000:]}"
    assert "Grading stopped" in run.output and "cannot write" in run.output, run.output[-3000:]
    assert "grades.csv" not in out_listing


@pytest.fixture(scope="module")
def one_submission(tmp_path_factory) -> Path:
    return submission_folder(tmp_path_factory.mktemp("one"), "good", {f"{MODULE}.py": REFERENCE.read_text()})


def test_c_output_is_a_file(tmp_path, one_submission):
    out = tmp_path / "out"
    out.write_text("a file where the output folder should be\n")
    run = run_cli(grade_args([one_submission], out, *FAST), tmp_path)
    _no_table(run, [])
    assert out.read_text() == "a file where the output folder should be\n"


def _in_private_mounts(tmp_path: Path, setup: str, args: list[str]) -> tuple[Run, list[str]]:
    """Run the command in a private mount namespace after ``setup`` (shell, $OUT is the
    output folder): nothing mounted there outlives the command. The output folder's
    listing, as the command left it, comes back too."""
    out = tmp_path / "out"
    out.mkdir()
    listing = tmp_path / "listing.txt"
    script = (f'set -e; OUT="{out}"; {setup}; set +e; "$@"; code=$?; cd "$OUT" && find . > "{listing}"; exit $code')
    command = ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh"]
    report = tmp_path / "private-run.json"
    started = time.monotonic()
    process = start_cli(args, report, wrap=command)
    run = finish_cli(process, report, started, timeout=300)
    names = [Path(line).name for line in listing.read_text().split()] if listing.exists() else []
    return run, names


@pytest.mark.skipif(shutil.which("unshare") is None or os.geteuid() != 0, reason="needs root and unshare")
def test_c_output_is_read_only(tmp_path, one_submission):
    run, names = _in_private_mounts(tmp_path, 'mount --bind "$OUT" "$OUT"; mount -o remount,bind,ro "$OUT"',
                                    grade_args([one_submission], tmp_path / "out", *FAST))
    _no_table(run, names)
    assert "Read-only file system" in run.output


@pytest.fixture(scope="module")
def one_output_kib(tmp_path_factory, one_submission) -> int:
    """What grading one submission writes to the output folder (KiB, whole pages as tmpfs counts
    them): results.json, the gradebook, the log. The tiny file systems below are sized from it, so
    that they fill where they should however much the graders write."""
    tmp = tmp_path_factory.mktemp("one-output")
    run = run_cli(grade_args([one_submission], tmp / "out", *FAST), tmp)
    assert run.returncode == 0, run.output[-2000:]
    return sum(-(-p.stat().st_size // 4096) * 4 for p in (tmp / "out").rglob("*") if p.is_file())


@pytest.mark.skipif(shutil.which("unshare") is None or os.geteuid() != 0, reason="needs root and unshare")
@pytest.mark.parametrize("share, copies", [(0.25, 1), (3, 6)], ids=["at-start", "mid-batch"])
def test_c_disk_full(tmp_path, one_submission, one_output_kib, share, copies):
    """A tiny file system as the output folder: full before grading starts (a quarter of what
    one submission writes), or after a few submissions (three submissions' worth for six: then
    each results.json written is complete, and the table is not)."""
    size = f"{max(4, int(share * one_output_kib) // 4 * 4)}k"
    subs = [submission_folder(tmp_path / "subs", f"copy{i}", {f"{MODULE}.py": REFERENCE.read_text()}) for i in range(copies)]
    run, names = _in_private_mounts(tmp_path, f'mount -t tmpfs -o size={size} tmpfs "$OUT"',
                                    grade_args(subs, tmp_path / "out", "--jobs", "2", *FAST))
    _no_table(run, names)
    assert "No space left on device" in run.output or "disk is full" in run.output, run.output[-2000:]
    assert not run.leftovers
    if copies > 1:   # what was graded before the disk filled up is there, complete
        assert "results.json" in names, (size, names)


# ------------------------------------------------------------------ (d) weak sandbox

@pytest.fixture
def weak_tmp():
    """TMPDIR for a weak-mode run: traversable by the worker's uid, and checked empty afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="agtest-weak-", dir="/tmp"))
    os.chmod(folder, 0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_d_weak_sandbox_is_refused_unless_allowed(tmp_path, one_submission, weak_tmp):
    env = {"AUTOGRADER_SANDBOX": "weak", "TMPDIR": str(weak_tmp)}
    refused = run_cli(grade_args([one_submission], tmp_path / "refused", *FAST), tmp_path, env=env)
    assert refused.returncode != 0 and "--allow-weak-sandbox" in refused.output, refused.output[-2000:]
    assert not (tmp_path / "refused" / "grades.csv").exists()
    allowed = run_cli(grade_args([one_submission], tmp_path / "allowed", "--allow-weak-sandbox", *FAST), tmp_path,
                      env=env)
    assert allowed.returncode == 0, allowed.output[-3000:]
    result = results(tmp_path / "allowed", "good")
    assert result["extra_data"]["sandbox"] == "weak" and "weak mode" in result["output"]
    assert full_marks(result)
    assert not allowed.leftovers
    assert list(weak_tmp.iterdir()) == [], "weak mode left folders behind"


def test_d_check_in_weak_mode_says_so_once_and_runs_the_public_checks(tmp_path, weak_tmp):
    submission_folder(tmp_path, "assignments", {f"{MODULE}.py": REFERENCE.read_text()})
    run = run_cli(["check", MODULE], tmp_path, env={"AUTOGRADER_SANDBOX": "weak", "TMPDIR": str(weak_tmp)},
                  cwd=tmp_path)
    assert run.returncode == 0, run.output[-3000:]
    notices = [line for line in run.output.splitlines() if "strong sandbox" in line]
    assert len(notices) == 1 and notices[0].startswith("Note:"), notices
    passed = [line for line in run.output.splitlines() if line.startswith("PASS")]
    assert len(passed) == public_checks()[0] and "FAIL" not in run.output
    assert list(weak_tmp.iterdir()) == [], "weak mode left folders behind"


# ------------------------------------------------------------------ (e) two batches on one machine

def test_e_each_autograder_process_claims_its_own_block_of_worker_uids():
    from autograder.engine.sandbox import claim_uid_block
    first, first_lock = claim_uid_block()
    second, second_lock = claim_uid_block()
    try:
        assert first_lock is not None and second_lock is not None, "no lock folder could be written"
        assert first != second                  # exclusive while held...
    finally:
        os.close(second_lock)
    again, again_lock = claim_uid_block()
    try:
        assert again == second                  # ...and free again once released
    finally:
        os.close(again_lock)
        os.close(first_lock)


def test_e_a_fork_bomb_in_one_batch_changes_nothing_in_another(tmp_path):
    """Two batches at once on this machine, one holding a fork bomb: the other's results are what
    it gets alone (the process limit is per uid, and each batch has uids of its own)."""
    calm = [submission_folder(tmp_path / "calm", "reference", {f"{MODULE}.py": REFERENCE.read_text()}),
            submission_folder(tmp_path / "calm", "partial", {f"{MODULE}.py": (REPO / "examples" / "partial" /
                                                                   f"{MODULE}.py").read_text()})]
    bomb = submission_folder(tmp_path / "hostile", "fork_bomb", {f"{MODULE}.py": (
        REPO / "tests" / "attacks" / "fork_bomb" / f"{MODULE}.py").read_text()})
    started = time.monotonic()
    hostile = start_cli(grade_args([bomb], tmp_path / "hostile-out", "--budget", "15", "--call-timeout-floor", "5"),
                        tmp_path / "hostile.json")
    time.sleep(3)   # the bomb is going off
    beside = run_cli(grade_args(calm, tmp_path / "beside", *FAST), tmp_path)
    hostile_run = finish_cli(hostile, tmp_path / "hostile.json", started, timeout=600)
    alone = run_cli(grade_args(calm, tmp_path / "alone", *FAST), tmp_path)
    assert beside.returncode == alone.returncode == 0, beside.output[-2000:] + alone.output[-2000:]
    assert hostile_run.returncode == 0 and not hostile_run.leftovers, hostile_run.output[-2000:]

    def lines(out: Path, name: str) -> list[tuple]:
        return sorted((t["name"], t["status"], t["score"], t["output"]) for t in results(out, name)["tests"])

    for name in ("reference", "partial"):
        assert lines(tmp_path / "beside", name) == lines(tmp_path / "alone", name), name
    assert full_marks(results(tmp_path / "beside", "reference"))
