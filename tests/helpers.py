"""Helpers of the tests that run ``autograder grade`` as a command (attacks, faults).

``run_cli`` runs the command under a small supervisor that is a *child subreaper*:
any process the grading leaves behind (a daemon that escaped the sandbox, a worker
that survived its grader) is re-parented to it instead of to init, so it is found,
reported and killed, and never outlives the test.
"""
from __future__ import annotations

import base64
import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

import mido

from autograder.engine import handsons
from autograder.engine.sandbox import WORKER_UID_BASE

REPO = handsons.REPO_ROOT
AUTOGRADER = [str(Path(sys.executable).with_name("autograder"))]
MODULE = "midi_tokens"

_SUPERVISOR = r'''
import ctypes, json, os, signal, subprocess, sys, time
ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)   # PR_SET_CHILD_SUBREAPER
report, grace = sys.argv[1], float(sys.argv[2])
child = subprocess.Popen(sys.argv[3:], start_new_session=True)
with open(report + ".pid", "w") as handle:
    handle.write(str(child.pid))
code = child.wait()

def reap():
    while True:
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                return
        except ChildProcessError:
            return

def descendants():
    parents = {}
    for name in os.listdir("/proc"):
        try:
            with open(f"/proc/{name}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            parents[int(name)] = (int(fields[1]), fields[0])
        except (OSError, ValueError, IndexError):
            pass
    mine, found = {os.getpid()}, True
    while found:
        found = False
        for pid, (parent, state) in parents.items():
            if parent in mine and pid not in mine:
                mine.add(pid)
                found = True
    return sorted(p for p in mine - {os.getpid()} if parents[p][1] != "Z")

def describe(pid):
    info = {"pid": pid}
    for key, path in (("cmdline", "cmdline"), ("status", "status")):
        try:
            with open(f"/proc/{pid}/{path}", "rb") as handle:
                info[key] = handle.read().replace(b"\0", b" ").decode(errors="replace")[:300]
        except OSError:
            pass
    uid = [line.split()[1] for line in info.get("status", "").splitlines() if line.startswith("Uid:")]
    info["uid"] = int(uid[0]) if uid else -1
    info.pop("status", None)
    try:   # which submission it came from: its root is a sandbox holding the submission's file
        with open(f"/proc/{pid}/root/submission/midi_tokens.py", "rb") as handle:
            info["submission"] = handle.read(400).decode(errors="replace")
    except OSError:
        pass
    return info

deadline = time.monotonic() + grace
while True:
    reap()
    left = descendants()
    if not left or time.monotonic() > deadline:
        break
    time.sleep(0.2)
details = [describe(pid) for pid in left]
for pid in left:
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
time.sleep(0.2)
reap()
with open(report, "w") as handle:
    json.dump({"returncode": code, "leftovers": details}, handle)
'''


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    leftovers: list[dict] = field(default_factory=list)   # processes still alive after the command

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def start_supervised(command: list[str], report: Path, env: dict | None = None, cwd: Path | None = None,
                     grace: float = 5.0, log: Path | None = None) -> subprocess.Popen:
    """Start ``command`` under the supervisor; ``report`` receives its exit code and
    leftovers, ``report.pid`` the command's pid (its process group is the command's own).
    Its output goes to pipes, or to the file ``log`` (for a long-running service)."""
    environment = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", **(env or {})}
    output = open(log, "ab") if log else subprocess.PIPE
    try:
        return subprocess.Popen([sys.executable, "-c", _SUPERVISOR, str(report), str(grace), *command],
                                stdout=output, stderr=subprocess.STDOUT if log else subprocess.PIPE,
                                text=True, errors="replace", env=environment, cwd=cwd)
    finally:
        if log:
            output.close()


def start_cli(args: list[str], report: Path, env: dict | None = None, cwd: Path | None = None,
              grace: float = 5.0, wrap: list[str] = ()) -> subprocess.Popen:
    """Start ``autograder ARGS`` (after the command prefix ``wrap``, if any) under the supervisor."""
    return start_supervised([*wrap, *AUTOGRADER, *args], report, env, cwd, grace)


def finish_cli(process: subprocess.Popen, report: Path, started: float, timeout: float) -> Run:
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(report)
        stdout, stderr = process.communicate(timeout=60)
        stderr += f"\n[test: the command ran past {timeout} s and was killed]"
    data = json.loads(report.read_text()) if report.exists() else {"returncode": -1, "leftovers": []}
    return Run(data["returncode"], stdout, stderr, time.monotonic() - started, data["leftovers"])


def run_cli(args: list[str], tmp: Path, env: dict | None = None, cwd: Path | None = None,
            timeout: float = 600, grace: float = 5.0) -> Run:
    """Run ``autograder ARGS`` to the end; its exit code, output and leftover processes."""
    report = tmp / f"run-{time.monotonic_ns()}.json"
    started = time.monotonic()
    return finish_cli(start_cli(args, report, env, cwd, grace), report, started, timeout)


def kill_group(report: Path, sig: int = signal.SIGKILL) -> None:
    """Signal the command's whole process group (the grader and the graders it forked)."""
    pid_file = Path(str(report) + ".pid")
    for _ in range(100):
        if pid_file.exists() and pid_file.read_text().strip():
            break
        time.sleep(0.05)
    try:
        os.killpg(int(pid_file.read_text()), sig)
    except (OSError, ValueError):
        pass


def public_checks(module: str = MODULE) -> tuple[int, float]:
    """(result lines, points) of a hands-on's public checks, from the graders themselves."""
    from autograder.engine.session import public_items
    items = public_items(module)
    return len(items), sum(points for _, _, points in items)


def max_score(module: str = MODULE) -> float:
    """A hands-on's full marks, public and hidden checks together."""
    from autograder.engine.session import maxima
    return maxima([module])[module]


def grade_args(paths, out: Path, *extra: str) -> list[str]:
    return ["grade", *map(str, paths), "--out", str(out), "--module", MODULE, *extra]


def results(out: Path, name: str) -> dict:
    """``OUT/<name>/results.json``, read strictly (valid UTF-8 and JSON)."""
    return json.loads((out / name / "results.json").read_bytes().decode("utf-8"))


def grades(out: Path) -> dict[str, dict]:
    """``OUT/grades.csv`` as {submission: row}."""
    with open(out / "grades.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len({row["submission"] for row in rows}) == len(rows), "a submission has two rows in grades.csv"
    return {row["submission"]: row for row in rows}


def gradebook_rows(out: Path) -> list[tuple]:
    """(submission, content hash, score) of every grading the gradebook holds."""
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        return sorted(db.execute("SELECT submission, content_sha256, score FROM gradings").fetchall())


def outcome(result: dict) -> dict:
    """What a grading decided, without timings: score and each check's status and points."""
    return {"score": result["score"],
            "tests": sorted((t["name"], t["status"], t["score"], t["max_score"]) for t in result["tests"])}


def full_marks(result: dict) -> bool:
    return bool(result["tests"]) and all(t["status"] == "passed" for t in result["tests"]) and \
        result["score"] == sum(t["max_score"] for t in result["tests"])


def worker_orphans(since: float) -> list[str]:
    """Processes of a worker uid (the sandbox's unprivileged uids) re-parented to init
    and started after ``since`` (a time.time()): what a sandbox that let a process
    escape its namespace would leave. Workers of other graders running on the machine
    have a living parent (their warden) and are not counted."""
    boot = time.time() - float(Path("/proc/uptime").read_text().split()[0])
    ticks = os.sysconf("SC_CLK_TCK")
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            status = Path(f"/proc/{name}/status").read_text()
            fields = Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()
            cmdline = Path(f"/proc/{name}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        uid = int(next(line.split()[1] for line in status.splitlines() if line.startswith("Uid:")))
        started = boot + int(fields[19]) / ticks
        if uid >= WORKER_UID_BASE and int(fields[1]) == 1 and started >= since - 1 and fields[0] != "Z":
            found.append(f"{name} (uid {uid}): {cmdline[:200]}")
    return found


def processes_mentioning(text: str) -> list[str]:
    """Live processes whose command line holds ``text`` (other than this test's own)."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            cmdline = Path(f"/proc/{name}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmdline and "pytest" not in cmdline:
            found.append(f"{name}: {cmdline[:200]}")
    return found


DASK = str(Path(sys.executable).with_name("dask"))


class DaskCluster:
    """A real Dask scheduler and workers on 127.0.0.1 (ports chosen by the system), each
    under the supervisor: :meth:`kill` and :meth:`close` return what each left behind."""

    def __init__(self, folder: Path, workers: int = 2, env: dict | None = None, tls: dict[str, Path] | None = None):
        """``tls``: {"ca", "cert", "key"} files: every connection is TLS, with these
        certificates for the scheduler and the workers."""
        self.folder, self.env, self.tls = Path(folder), dict(env or {}), tls
        self.folder.mkdir(parents=True, exist_ok=True)
        self.file = self.folder / "scheduler.json"
        self.processes: dict[str, tuple[subprocess.Popen, Path]] = {}
        self.tls_args = [] if tls is None else ["--tls-ca-file", str(tls["ca"]), "--tls-cert", str(tls["cert"]),
                                                "--tls-key", str(tls["key"])]
        self._start("scheduler", ["scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                  "--scheduler-file", str(self.file), *self.tls_args,
                                  *(["--protocol", "tls"] if tls else [])])
        deadline = time.monotonic() + 60
        while not self.file.exists() or not self.file.read_text().strip():
            assert time.monotonic() < deadline, self.log("scheduler")
            time.sleep(0.1)
        self.address = json.loads(self.file.read_text())["address"]
        for index in range(workers):
            self.start_worker(f"w{index}")
        self.wait_for_workers(workers)

    def _start(self, name: str, args: list[str], env: dict | None = None) -> None:
        report = self.folder / f"{name}-{time.monotonic_ns()}.json"
        process = start_supervised([DASK, *args], report, {**self.env, **(env or {})}, grace=10.0,
                                   log=self.folder / f"{name}.log")
        self.processes[name] = (process, report)

    def start_worker(self, name: str, env: dict | None = None) -> None:
        """One worker process (single-threaded, under a nanny) called ``name``."""
        self._start(name, ["worker", "--scheduler-file", str(self.file), "--nthreads", "1", "--nworkers", "1",
                           "--no-dashboard", "--host", "127.0.0.1", "--name", name,
                           "--local-directory", str(self.folder / name), "--death-timeout", "60",
                           *self.tls_args], env)

    def client(self):
        from distributed import Client, Security
        security = None if self.tls is None else Security(
            tls_ca_file=str(self.tls["ca"]), tls_client_cert=str(self.tls["cert"]),
            tls_client_key=str(self.tls["key"]), require_encryption=True)
        return Client(self.address, timeout=30, set_as_default=False, security=security)

    def wait_for_workers(self, count: int) -> None:
        with self.client() as client:
            client.wait_for_workers(count, timeout=120)

    def log(self, name: str) -> str:
        path = self.folder / f"{name}.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def pid(self, name: str) -> int:
        """The pid of the supervised command (a worker's nanny); its process group is its own."""
        report = self.processes[name][1]
        return int(Path(str(report) + ".pid").read_text())

    def busy(self, name: str) -> bool:
        """Whether the worker ``name`` is grading: a grader forked from its worker process."""
        table = _process_table()
        family, found = {self.pid(name)}, True
        while found:
            found = False
            for pid, (parent, _) in table.items():
                if parent in family and pid not in family:
                    family.add(pid)
                    found = True
        return any(parent in family and parent != self.pid(name) and command == table[parent][1]
                   for pid, (parent, command) in table.items() if pid in family and parent in table)

    def kill(self, name: str) -> list[dict]:
        """SIGKILL the process group of ``name``; what outlived it (killed by the supervisor)."""
        process, report = self.processes.pop(name)
        kill_group(report)
        process.wait(timeout=60)
        return json.loads(report.read_text())["leftovers"] if report.exists() else [{"report": "missing"}]

    def close(self) -> dict[str, list[dict]]:
        workers = [name for name in self.processes if name != "scheduler"]
        left = {name: self.kill(name) for name in workers}
        if "scheduler" in self.processes:
            left["scheduler"] = self.kill("scheduler")
        return {name: found for name, found in left.items() if found}


def _process_table() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, command line) of every live process."""
    table = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            fields = Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()
            command = Path(f"/proc/{name}/cmdline").read_bytes().decode(errors="replace")
        except (OSError, IndexError):
            continue
        if fields[0] != "Z":
            table[int(name)] = (int(fields[1]), command)
    return table


def free_port() -> int:
    """A port nothing listens on (for a scheduler that cannot be reached)."""
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def submission_folder(root: Path, name: str, files: dict[str, bytes | str]) -> Path:
    """A submission folder `root/name` holding `files` (relative path: text or bytes)."""
    folder = root / name
    for relative, content in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
    return folder


# Appended to the MIDI reference: the same answers, a little slower (a batch lasts long enough to be killed).
SLOWER_MIDI = """

import time as _time
_midi_to_tokens, _tokens_to_midi = midi_to_tokens, tokens_to_midi


def midi_to_tokens(midi):
    _time.sleep(0.03)   # a little slower than the reference: the batch lasts long enough to be killed
    return _midi_to_tokens(midi)


def tokens_to_midi(tokens, bpm=120):
    _time.sleep(0.03)
    return _tokens_to_midi(tokens, bpm=bpm)
"""


def _share(table: dict, share: float) -> dict:
    """``share`` of ``table``'s entries, spread over it (every other one for 0.5)."""
    return {key: value for i, (key, value) in enumerate(table.items()) if int((i + 1) * share) > int(i * share)}


def lookup_table(sets: list | None = None, share: float = 1.0) -> str:
    """A midi_tokens.py that only looks up the answers of fixture sets (a cheat): tokens (or the
    exception) by the messages of the file, MIDI files (or the bad index) by the tokens and bpm;
    ``share`` of each table's answers. By default the public fixtures of the release."""
    from autograder.engine import fixtures
    tokens, files, errors = {}, {}, {}
    for fixture_set in sets or [fixtures.FixtureSet(handsons.get("midi_tokens").fixtures_dir("public"))]:
        _add_answers(fixture_set, tokens, files, errors)
    files = {key: base64.b64encode(data).decode() for key, data in _share(files, share).items()}
    tokens, errors = _share(tokens, share), _share(errors, share)
    return textwrap.dedent(f'''\
        import base64, io
        import mido
        TIME_RESOLUTION = 100
        TOKENS, FILES, ERRORS = {tokens!r}, {files!r}, {errors!r}

        def midi_to_tokens(midi):
            answer = TOKENS.get(repr([str(m) for t in midi.tracks for m in t]), [])
            if isinstance(answer, str):
                raise {{"TypeError": TypeError}}.get(answer, ValueError)("refused")
            return answer

        def tokens_to_midi(tokens, bpm=120):
            key = repr((list(tokens), bpm))
            if key in ERRORS:
                raise ValueError(f"{{ERRORS[key]}} is bad")
            data = FILES.get(key)
            return mido.MidiFile(file=io.BytesIO(base64.b64decode(data))) if data else mido.MidiFile()
        ''')


def _add_answers(public, tokens: dict, files: dict, errors: dict) -> None:
    def key_of(path: str) -> str:
        midi = mido.MidiFile(public.path(path))
        return repr([str(m) for t in midi.tracks for m in t])

    for case in public.cases("midi_to_tokens"):
        tokens[key_of(case["midi"])] = public.read_json(case["expected"]) if "expected" in case else case["raises"]
        if "companion_midi" in case:
            tokens[key_of(case["companion_midi"])] = public.read_json(case["companion_expected"])
    for case in public.cases("tokens_to_midi") + public.cases("bad_bpm"):
        if "expected_midi" in case:
            files[repr((public.read_json(case["tokens"]), case["bpm"]))] = public.read_bytes(case["expected_midi"])
        else:
            errors[repr((public.read_json(case["tokens"]) if isinstance(case["tokens"], str) else case["tokens"],
                         case["bpm"]))] = "the bpm"
        if "companion_midi" in case:
            companion = (public.read_json(case["companion_tokens"]) if "companion_tokens" in case else
                         public.read_json(case["tokens"]) if isinstance(case["tokens"], str) else case["tokens"])
            files[repr((companion, case.get("companion_bpm", case["bpm"])))] = public.read_bytes(case["companion_midi"])
    for case in public.cases("invalid"):
        errors[repr((case["tokens"], case["bpm"]))] = f"token {case['bad_index']}"
