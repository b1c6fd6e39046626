"""Hostile submissions (tests/attacks/<name>/midi_tokens.py), graded through the real
command line: each one scores 0 (see UNAVOIDABLE for the one exception), causes no
grader error, finishes in bounded time, leaves no process behind, writes nothing
outside its scratch folder, changes nothing in the checkout or the Python
installation, and learns nothing it could use; the student is told what happened.

Every attack is graded in ONE batch (``--jobs 2``), next to a copy of the
reference (which must keep its full marks: the attacks harm nobody else); the
tests below are assertions on what that batch left, one per attack and property,
so that one attack's failure hides no other's.

An attack file may hold placeholders, filled in when the batch is set up:
``@@MARK@@`` (a marker unique to the run and the attack: any file, process or
output carrying it is the attack's doing), ``@@MARKDIR@@`` (a world-writable
folder where a successful attack leaves evidence), ``@@OUT@@`` (the output
folder), ``@@REPO@@`` (the checkout), ``@@SUBMISSIONS@@`` (the folder of every
submitted folder), ``@@PORT@@`` (a port the test listens on, TCP and UDP, IPv4
and IPv6) and ``@@SECRET_HASHES@@`` (the sha256 of every file of the references,
fixtures and graders). The grader runs with a secret in its environment.
"""
from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import sysconfig
import site
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from autograder.engine import handsons
from autograder.engine.display import HIDDEN_CHARS, QUOTE_PREFIX, visible
from autograder.engine.results import clean_text

from .helpers import (MODULE, REPO, grade_args, grades, max_score, processes_mentioning, results, run_cli,
                      worker_orphans)

ATTACKS_DIR = Path(__file__).resolve().parent / "attacks"
ATTACKS = sorted(p.name for p in ATTACKS_DIR.iterdir() if (p / f"{MODULE}.py").is_file())
TWINS = {"scratch_spy_twin": "scratch_spy",   # graded beside their original (adjacent: at the same time)
         "spy_other_submissions_twin": "spy_other_submissions"}
SUBMISSIONS = ATTACKS + sorted(TWINS)
CONTROL = "control"                            # a copy of the reference, in the same batch
FLOOR, BUDGET = 20.0, 20.0                      # seconds of calls: per call at least, per submission in all
JOBS = 2
# How long gradings may take scales with the control's grading in the same batch (the reference,
# under the same load), and leaves out what workers waited for a CPU (extra_data.waited_seconds):
# another batch on the machine makes everything slower, not an attack's grading longer than allowed.
SUBMISSION_SLACK = 20, 3                       # an attack: BUDGET + FLOOR + 20 s + 3 control gradings
BATCH_SLACK = 60, 5     # the batch: its gradings / JOBS + the longest + 60 s + 5 control gradings
GUARD_SECONDS = 1800                           # only a hung batch is stopped by the test itself
# What no attack may change, byte for byte.
PROTECTED = [handsons.SOLUTIONS_DIR / f"{MODULE}.py", handsons.STUBS_DIR / f"{MODULE}.py",
             handsons.FIXTURES_DIR / MODULE, handsons.PLUGINS_DIR / MODULE, REPO / "autograder" / "engine",
             REPO / "autograder" / "worker", REPO / "pyproject.toml", REPO / "Makefile"]


# ------------------------------------------------------------------ the batch

class Listener:
    """TCP and UDP on 127.0.0.1 and ::1, one port: records anything that arrives."""

    def __init__(self):
        self.received: list[str] = []
        self.sockets: list[socket.socket] = []
        first = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        first.bind(("127.0.0.1", 0))
        self.port = first.getsockname()[1]
        self.sockets.append(first)
        for family, kind, host in ((socket.AF_INET, socket.SOCK_DGRAM, "127.0.0.1"),
                                   (socket.AF_INET6, socket.SOCK_STREAM, "::1"),
                                   (socket.AF_INET6, socket.SOCK_DGRAM, "::1")):
            try:
                extra = socket.socket(family, kind)
                extra.bind((host, self.port))
                self.sockets.append(extra)
            except OSError:
                pass   # no IPv6 here
        self.stopped = False
        for sock in self.sockets:
            sock.settimeout(0.2)
            if sock.type == socket.SOCK_STREAM:
                sock.listen(16)
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock: socket.socket) -> None:
        while not self.stopped:
            try:
                if sock.type == socket.SOCK_STREAM:
                    connection, address = sock.accept()
                    self.received.append(f"TCP connection from {address}")
                    connection.close()
                else:
                    data, address = sock.recvfrom(4096)
                    self.received.append(f"UDP datagram from {address}: {data[:60]!r}")
            except (socket.timeout, OSError):
                continue

    def close(self) -> None:
        self.stopped = True
        time.sleep(0.3)
        for sock in self.sockets:
            sock.close()


def _files_under(paths) -> dict[str, str]:
    """relative path -> sha256 of every file under ``paths`` (caches left out)."""
    digests = {}
    for top in paths:
        top = Path(top)
        for path in ([top] if top.is_file() else sorted(top.rglob("*"))):
            if path.is_file() and "__pycache__" not in path.parts:
                digests[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


def _secret_hashes() -> list[str]:
    """The references', fixtures' and graders' files, but the codecs (the worker runs them:
    they are in the sandbox on purpose) and trivial contents ("[]" is in other packages too)."""
    tops = [handsons.SOLUTIONS_DIR, handsons.FIXTURES_DIR, handsons.PLUGINS_DIR]
    return sorted({digest for path, digest in _files_under(tops).items()
                   if Path(path).name != "codec.py" and Path(path).stat().st_size >= 64})


def _git_status() -> set[str]:
    lines = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=REPO, text=True,
                           capture_output=True, check=True).stdout.splitlines()
    return {line for line in lines if "__pycache__" not in line}


def _site_folders() -> list[Path]:
    """Every folder a fresh Python of this installation reads .pth/sitecustomize from."""
    folders = {Path(p) for p in sys.path if p}
    folders.update(Path(p) for p in site.getsitepackages())
    folders.add(Path(site.getusersitepackages()))
    folders.update(Path(sysconfig.get_paths()[key]) for key in ("purelib", "platlib", "stdlib", "platstdlib"))
    folders.update({Path.home() / ".local" / "lib", Path("/usr/lib/python3/dist-packages"), Path("/usr/local/lib")})

    def in_checkout(path: Path) -> bool:   # the checkout has its own checks; its virtualenv is a site
        return path.resolve().is_relative_to(REPO) and not path.resolve().is_relative_to(REPO / ".venv")
    return sorted(p for p in folders if p.is_dir() and not in_checkout(p))


def _site_state() -> dict[str, str]:
    """Names in each site folder, and the content of the files Python runs at start-up."""
    state = {}
    for folder in _site_folders():
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            continue
        state[f"{folder}/"] = hashlib.sha256("\n".join(names).encode()).hexdigest()
        for name in names:
            if name.endswith(".pth") or name in ("sitecustomize.py", "usercustomize.py"):
                try:
                    state[f"{folder}/{name}"] = hashlib.sha256((folder / name).read_bytes()).hexdigest()
                except OSError:
                    pass
    return state


def _shared_places() -> list[Path]:
    """Where an escaped process would write first: world-writable folders, the home
    folder, the current folder, the checkout (top level and out/)."""
    return [Path("/tmp"), Path("/var/tmp"), Path("/dev/shm"), Path("/run/lock"), Path.home(), Path.cwd(), REPO,
            REPO / "out"]


@dataclass
class Batch:
    tmp: Path
    out: Path
    subs: Path
    markdir: Path
    base: str                      # every attack's marker starts with this
    secret: str                    # in the grader's environment
    port: int
    run: object = None
    received: list[str] = field(default_factory=list)
    traces: list[str] = field(default_factory=list)      # evidence found on the machine, each naming a marker
    changes: list[str] = field(default_factory=list)     # changes found that carry no marker
    before_subs: dict = field(default_factory=dict)
    after_subs: dict = field(default_factory=dict)

    def marker(self, name: str) -> str:
        return f"{self.base}{TWINS.get(name, name)}"

    def results(self, name: str) -> dict:
        return results(self.out, name)

    def text(self, name: str) -> str:
        """Everything the grading of ``name`` wrote: results.json and grading.log."""
        folder = self.out / name
        return "\n".join(p.read_bytes().decode("utf-8", "replace") for p in folder.iterdir() if p.is_file())

    def attribute(self, evidence: str) -> str:
        names = [n for n in ATTACKS if f"{self.base}{n}" in evidence]
        return max(names, key=len) if names else ""


def _prepare(batch: Batch) -> None:
    hashes = _secret_hashes()
    values = {"@@MARKDIR@@": str(batch.markdir), "@@OUT@@": str(batch.out), "@@REPO@@": str(REPO),
              "@@SUBMISSIONS@@": str(batch.subs), "@@PORT@@": str(batch.port), "@@SECRET_HASHES@@": repr(hashes)}
    for name in SUBMISSIONS:
        source = (ATTACKS_DIR / TWINS.get(name, name) / f"{MODULE}.py").read_text()
        source = source.replace("@@MARK@@", batch.marker(name))
        for key, value in values.items():
            source = source.replace(key, value)
        assert not re.search(r"@@[A-Z_]+@@", source), f"{name}: a placeholder the test does not fill"
        (batch.subs / name).mkdir(parents=True)
        (batch.subs / name / f"{MODULE}.py").write_text(source)
    (batch.subs / CONTROL).mkdir()
    shutil.copy(handsons.SOLUTIONS_DIR / f"{MODULE}.py", batch.subs / CONTROL / f"{MODULE}.py")


def _look_for_traces(batch: Batch) -> None:
    """Files carrying a marker where no attack should have written (shared folders,
    the evidence folder, the checkout, the site folders) and new submitted files."""
    seen: set[Path] = set()

    def check(path: Path) -> None:
        if path in seen or not path.is_file():
            return
        seen.add(path)
        try:
            with open(path, "rb") as handle:
                head = handle.read(1 << 20)
        except OSError:
            return
        evidence = path.name + "\n" + head.decode("utf-8", "replace")
        if batch.base in evidence:
            batch.traces.append(f"{path}: {evidence[:200]!r}")

    for folder in _shared_places() + _site_folders():
        try:
            for entry in os.scandir(folder):
                if batch.base in entry.name or entry.name in ("results.json", "grades.csv", "sitecustomize.py",
                                                               "usercustomize.py") or entry.name.endswith(".pth"):
                    check(Path(entry.path))
        except OSError:
            pass
    for path in batch.markdir.iterdir():
        batch.traces.append(f"{path}: {path.read_bytes()[:200]!r}" if batch.base.encode() in path.read_bytes()
                            else f"{path} (no marker)")
    for root, dirs, files in os.walk(REPO):
        dirs[:] = [d for d in dirs if d not in (".git", ".venv", "__pycache__")]
        for name in files:
            path = Path(root, name)
            if path.stat().st_size < (8 << 20):
                check(path)
    for path in set(batch.after_subs) - set(batch.before_subs):   # new files among the submissions
        check(Path(path))
        if not any(path in trace for trace in batch.traces):
            batch.traces.append(f"{path} (new, no marker)")


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("attacks")
    # World-writable, so that an attack that got out of the sandbox could leave its evidence here.
    markdir = Path(tempfile.mkdtemp(prefix="attack-evidence-", dir="/tmp"))
    os.chmod(markdir, 0o1777)
    listener = Listener()
    batch = Batch(tmp, tmp / "out", tmp / "subs", markdir, f"agatk{secrets.token_hex(4)}-",
                  f"s3cr3t-{secrets.token_hex(12)}", listener.port)
    try:
        _prepare(batch)
        batch.before_subs = _files_under([batch.subs])
        status, site_state, protected = _git_status(), _site_state(), _files_under(PROTECTED)
        order = [CONTROL]
        for name in ATTACKS:   # each twin right after its original: two jobs grade them at the same time
            order += [name] + [twin for twin, original in TWINS.items() if original == name]
        started = time.time()
        batch.run = run_cli(grade_args([batch.subs / n for n in order], batch.out, "--jobs", str(JOBS),
                                       "--budget", str(BUDGET), "--call-timeout-floor", str(FLOOR)),
                            tmp, env={"AG_ATTACK_SECRET": batch.secret}, timeout=GUARD_SECONDS)
        # A fresh Python of this installation: anything planted in its start-up would run now.
        subprocess.run([sys.executable, "-c", "pass"], check=True, timeout=60)
        time.sleep(1.0)   # a process that escaped would have had time to write
        batch.received = list(listener.received)
        batch.after_subs = _files_under([batch.subs])
        _look_for_traces(batch)
        batch.changes += [f"git status: {line}" for line in sorted(_git_status() ^ status)]
        site_now = _site_state()
        batch.changes += [f"site: {key}" for key in sorted(set(site_state) | set(site_now))
                          if site_state.get(key) != site_now.get(key)]
        now = _files_under(PROTECTED)
        batch.changes += [f"changed: {path}" for path in sorted(set(protected) | set(now))
                          if protected.get(path) != now.get(path)]
        batch.changes += [f"orphan worker process: {line}" for line in worker_orphans(started)]
        batch.changes += [f"process: {line}" for line in processes_mentioning(batch.base)]
        yield batch
    finally:
        listener.close()
        shutil.rmtree(markdir, ignore_errors=True)


# ------------------------------------------------------------------ the whole batch

def test_the_batch_completes_and_the_grader_survives(batch):
    run = batch.run
    assert run.returncode == 0, f"exit code {run.returncode}:\n{run.output[-4000:]}"
    times = [batch.results(name)["execution_time"] for name in SUBMISSIONS + [CONTROL]]
    fixed, controls = BATCH_SLACK
    # JOBS slots taking the next submission when free end within sum / JOBS + the longest grading
    # (Graham's bound for list scheduling), whatever the load made each grading last.
    limit = sum(times) / JOBS + max(times) + fixed + controls * batch.results(CONTROL)["execution_time"]
    assert run.seconds < limit, f"the batch took {run.seconds:.0f} s, more than {limit:.0f} s (its gradings took " \
                                f"{sum(times):.0f} s on {JOBS} jobs, the longest {max(times):.0f} s)"
    rows = grades(batch.out)
    assert set(rows) == set(SUBMISSIONS) | {CONTROL}, "grades.csv must have a row per submission"
    control = batch.results(CONTROL)
    assert control["score"] == max_score() and rows[CONTROL]["score"] == f"{max_score():g}", control["output"]
    assert all(t["status"] == "passed" for t in control["tests"]), "the reference lost points beside the attacks"


def test_nothing_is_left_behind_or_changed(batch):
    """The machine after the batch: no process, no network traffic, no change."""
    leftovers = [f"{p['pid']} uid {p['uid']}: {p.get('cmdline', '')[:120]}" for p in batch.run.leftovers]
    assert not leftovers, f"processes outlived the grading: {leftovers}"
    assert not batch.received, f"the network listener was reached: {batch.received}"
    assert not batch.traces, "files written outside the sandbox:\n" + "\n".join(batch.traces)
    assert not batch.changes, "the machine changed:\n" + "\n".join(batch.changes)
    assert batch.after_subs == batch.before_subs, "a submitted file changed"


# ------------------------------------------------------------------ each attack

# The only points an attack may earn, and why: for a list of one token, naming index 0
# (as shotgun_errors names every index) is the right answer.
UNAVOIDABLE = {name: {"midi_tokens: tokens_to_midi rejects invalid tokens [single_token]"}
               for name in ("shotgun_errors", "shotgun_half")}


@pytest.mark.parametrize("name", SUBMISSIONS)
def test_scores_zero_without_grader_errors(batch, name):
    result = batch.results(name)
    earned = [f"{t['name']}: {t['score']}" for t in result["tests"]
              if t["score"] and t["name"] not in UNAVOIDABLE.get(name, ())]
    assert not earned, f"{name} earned points: {earned[:5]}"
    expected = sum(t["score"] for t in result["tests"])   # 0, or the unavoidable lines
    assert result["score"] == expected <= 1, result["output"][:2000]
    assert result["tests"], "every check must be reported, failed"
    extra = result["extra_data"]
    assert extra["grader_errors"] == 0 and not extra.get("incomplete"), (
        "the attack made a grader fail: " + next((t["output"][:2000] for t in result["tests"]
                                                   if t["extra_data"]["kind"] == "grader_error"), result["output"]))
    row = grades(batch.out)[name]
    assert row["score"] == f"{expected:g}" and row["status"] == "graded", row
    assert extra["sandbox"] == "root"


@pytest.mark.parametrize("name", SUBMISSIONS)
def test_finishes_in_bounded_time(batch, name):
    result = batch.results(name)
    seconds = result["execution_time"] - result["extra_data"].get("waited_seconds", 0.0)
    fixed, controls = SUBMISSION_SLACK
    # Calls may use more than BUDGET in all: the last one's limit, the rest of the budget, leaves out
    # what it waited for a CPU, and a stall is cut only at that limit (stall_requests: 32 s of calls
    # beside another test suite, load average 5): one FLOOR more.
    limit = BUDGET + FLOOR + fixed + controls * batch.results(CONTROL)["execution_time"]
    assert seconds < limit, f"{name} took {seconds:.0f} s to grade (besides waiting for a CPU), more than {limit:.0f} s"


@pytest.mark.parametrize("name", SUBMISSIONS)
def test_leaves_no_process_and_no_file(batch, name):
    source = (ATTACKS_DIR / TWINS.get(name, name) / f"{MODULE}.py").read_text()[:200]
    mine = [p for p in batch.run.leftovers if p.get("submission", "")[:200] == source
            or batch.marker(name) in p.get("cmdline", "")]
    assert not mine, f"processes of {name} outlived the grading: {mine}"
    traces = [t for t in batch.traces if batch.attribute(t) == TWINS.get(name, name)]
    assert not traces, f"{name} wrote outside its scratch folder:\n" + "\n".join(traces)
    own = str(batch.subs / name) + "/"
    changed = [path for path in set(batch.before_subs) | set(batch.after_subs)
               if path.startswith(own) and batch.before_subs.get(path) != batch.after_subs.get(path)]
    assert not changed, f"its submitted files changed: {changed}"


@pytest.mark.parametrize("name", SUBMISSIONS)
def test_results_are_clean_text(batch, name):
    """results.json is valid UTF-8 JSON with bounded messages, whatever student code printed, and
    every character of a message shows as itself (no terminal escape, bidi override, zero width...)."""
    result = batch.results(name)
    for test in result["tests"] + [result]:
        assert len(test["output"]) <= 21_000, test.get("name")
        assert clean_text(test["output"]) == test["output"]
        assert visible(test["output"], keep="\n\t") == test["output"], test["output"][:500]
    assert (batch.out / name / "grading.log").stat().st_size < 8 << 20


# ------------------------------------------------------------------ what each attack tried

def _outputs(batch: Batch, name: str) -> str:
    return "\n".join(t["output"] for t in batch.results(name)["tests"])


# attack -> words that must appear in some check's message (what happened, said to the student)
SAID = {
    "bad_strings": ["raised ValueError"],
    "exit_at_import": ["while importing", "must not exit the process"],
    "exit_process": ["must not exit the process"],
    "flood_output": ["more bytes of output not kept"],
    "hang_at_import": ["did not finish within", "while importing"],
    "hang_loop": ["did not finish within", "time budget"],
    "huge_results": ["returned more than", "not read"],
    "memory_hog": ["MemoryError"],
    "memory_fork": ["memory limit"],
    "memory_memfd": ["memory limit"],
    "segfault": ["SIGSEGV"],
    "stall_requests": ["did not finish within"],
    "spin_processes": ["did not finish within"],
    "forge_output": ["without the worker's token"],
    "answers_ahead": ["student code must not write to the grader's channel"],
    "pickle_payload": ["Object arrays cannot be loaded"],
    "hostile_values": ["got a generator", "could not be read", "nested too deep", "cannot be saved"],
    "patch_serializer": ["not readable", "cannot read", "points at a missing blob"],
    "shotgun_errors": ["names 20 of the 20 token indices"],
    "shotgun_half": ["names 10 of the 20 token indices"],
}
# attacks that send back what they found: the report must say they found nothing
REPORTS = ["read_answers", "peek_proc", "walk_filesystem", "network", "forge_files", "plant_site",
           "steal_secrets", "inherited_fds", "fill_disk", "tamper_submission", "user_namespace", "scratch_spy",
           "scratch_spy_twin", "spy_other_submissions", "spy_other_submissions_twin"]


@pytest.mark.parametrize("name", sorted(SAID))
def test_the_student_is_told_what_happened(batch, name):
    outputs = _outputs(batch, name)
    for words in SAID[name]:
        assert words in outputs, f"{name}: no message mentions {words!r}:\n{outputs[:3000]}"


@pytest.mark.parametrize("name", REPORTS)
def test_the_attack_found_nothing(batch, name):
    outputs = _outputs(batch, name)
    reports = re.findall(r"AG-ATTACK report: (\d+) found: (.*)", outputs)
    assert reports, f"{name} never reported (did it run?):\n{outputs[:3000]}"
    found = [detail for count, detail in reports if count != "0"]
    assert not found, f"{name} found: {found[:3]}"


def test_the_grader_secret_stays_secret(batch):
    everything = "\n".join(batch.text(name) for name in SUBMISSIONS)
    assert batch.secret not in everything and "AG_ATTACK_SECRET" not in everything


def test_forged_results_do_not_count(batch):
    """forge_files and forge_output wrote or printed full marks: the grader's own
    results.json and grades.csv are what count."""
    for name in ("forge_files", "forge_output", "forge_protocol"):
        result = batch.results(name)
        assert result["score"] == 0 and "full marks" not in result["output"]
        assert not any(t["name"] in ("forged", "all") for t in result["tests"])
        assert batch.marker(name) not in (batch.out / "grades.csv").read_text()
    assert not list(batch.out.glob(f"**/*{batch.base}*"))


def test_comparisons_happen_in_the_grader(batch):
    """Objects that equal everything, patched comparisons, tensor subclasses: each
    arrives as data (or an opaque description) and fails the checks."""
    for name in ("always_equal", "monkeypatch_compare", "tensor_subclass", "hostile_values"):
        assert all(t["status"] == "failed" for t in batch.results(name)["tests"]), name


def test_nothing_is_unpickled(batch):
    assert not (batch.markdir / "unpickled").exists()
    assert "unpickled" not in "\n".join(batch.traces)


def _quoted(line: str) -> bool:
    """A line of a quotation of student code's words: under its label, or on the label's line."""
    return line.startswith(QUOTE_PREFIX.strip()) or line.lstrip().startswith(QUOTE_PREFIX.strip()) or \
        re.match(r"^.*(Your code raised|Your code printed|The worker said|Its message(?: was)?): ['\"]", line) is not None


def test_student_words_never_pose_as_the_grader(batch):
    """pose_as_grader raises and prints "grader error ... please regrade this check by hand": every
    line saying so is a quotation of its code's words, under a label, never the grader's."""
    lines = [test["output"] for test in batch.results("pose_as_grader")["tests"]]
    assert any("please regrade this check by hand" in output for output in lines), lines[:3]
    for output in lines:
        for line in output.splitlines():
            if "please regrade" in line or "all 48 checks passed" in line or line.startswith("grader error"):
                assert _quoted(line), f"student words shown as the grader's: {line!r} in\n{output}"
        assert not output.startswith("grader error"), output
    assert "please regrade" not in batch.results("pose_as_grader")["output"]


def test_hidden_checks_show_no_more_than_the_start_of_a_message(batch):
    """leak_hidden_inputs raises (and prints) each input, compressed: public checks quote it whole
    (the student has those inputs anyway); hidden checks show at most HIDDEN_CHARS characters of it."""
    tests = batch.results("leak_hidden_inputs")["tests"]
    payload = re.compile(r"AG-LEAK [A-Za-z0-9+/=]*")
    public = [m for t in tests if t["visibility"] == "visible" for m in payload.findall(t["output"])]
    hidden = [m for t in tests if t["visibility"] != "visible" for m in payload.findall(t["output"])]
    assert public and max(map(len, public)) > 200, "the attack did not run: no payload in public checks"
    assert hidden, "hidden checks should still show the start of the message (its type and first words)"
    assert max(map(len, hidden)) <= HIDDEN_CHARS, max(hidden, key=len)
    for test in tests:
        if test["visibility"] != "visible":
            assert "Your code printed" not in test["output"] and "Traceback" not in test["output"], test["output"]


def test_the_feedback_never_names_how_the_variant_was_made(batch):
    """tests/attacks/harvest_variant: every reason quoted by the invalid-token checks of a grading
    variant is the release's reason (the transform, or a value it changed, would let a table of
    the release's answers be undone: +5 points unflagged in an attack round)."""
    from autograder.engine import fixtures, handsons
    result = batch.results("harvest_variant")
    assert result["extra_data"]["variant"] != 0
    outputs = _outputs(batch, "harvest_variant")
    quoted = re.findall(r"accepted invalid tokens \((.*?)\)(?: and|;)", outputs)
    assert quoted, outputs[:3000]
    shipped = [c["why"] for v in handsons.VISIBILITIES
               for c in fixtures.FixtureSet(handsons.get(MODULE).fixtures_dir(v)).cases("invalid")]
    numbers = set(re.findall(r"\d+", " ".join(shipped)))
    assert "semitones" not in outputs and not re.search(r"variant \d+:", outputs)
    assert all(set(re.findall(r"\d+", reason)) <= numbers for reason in quoted), quoted
