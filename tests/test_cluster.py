"""Grading on a Dask cluster (``autograder grade --scheduler``), with real processes:
a ``dask scheduler`` and two single-threaded ``dask worker`` processes on 127.0.0.1.

The cluster gives the same results as a local ``--jobs 1`` run; a worker killed
mid-batch, or the instructor's process killed mid-batch, loses and duplicates
nothing; a task failing on two workers is a grader failure, never a score; a worker
without the strong sandbox refuses as a local run does; an unreachable scheduler is
a clear error with no grades.csv."""
from __future__ import annotations

import ast
import re
import sqlite3
import subprocess
import time
from pathlib import Path

import distributed  # noqa: F401: never skipped: `make test` installs the cluster group (.[cluster])
import numpy as np
import pytest

from autograder.engine import handsons
from autograder.engine.client import LOAD_CLAUSE

from .helpers import (MODULE, REPO, SLOWER_MIDI, DaskCluster, finish_cli, free_port, full_marks, grade_args,
                      gradebook_rows, grades, kill_group, results, run_cli, start_cli, submission_folder,
                      worker_orphans)

FAST = ["--budget", "20", "--call-timeout-floor", "5"]
SMALL_BUDGET = ["--budget", "10", "--call-timeout-floor", "5"]   # the hanging submission: 2 calls, then none


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    since = time.time()
    dask = DaskCluster(tmp_path_factory.mktemp("cluster"))
    yield dask
    leftovers = dask.close()
    assert not leftovers, f"processes outlived the cluster: {leftovers}"
    assert not worker_orphans(since)


def _every_function(root: Path, name: str, body: str) -> Path:
    """A submission whose every function of every hands-on has ``body``."""
    files = {}
    for module in handsons.names():
        tree = ast.parse(handsons.get(module).stub_path.read_text())
        functions = [node.name for node in tree.body if isinstance(node, ast.FunctionDef)]
        files[f"{module}.py"] = "import ctypes\n\n" + "".join(
            f"def {function}(*args, **kwargs):\n    {body}\n\n\n" for function in functions)
    return submission_folder(root, name, files)


WALL_TIME = re.compile(r"\d+(\.\d+)? s\b")


def _lines(result: dict) -> list[tuple]:
    """What a grading decided, line by line: name, score, status, message (wall times and what the
    machine's load added aside: where the budget cut a call, how much was left depends on how long
    the calls took, and a busy machine adds how long a stopped call waited for a CPU)."""
    return [(t["name"], t["score"], t["status"], WALL_TIME.sub("<t> s", LOAD_CLAUSE.sub("", t["output"])))
            for t in result["tests"]]


def _pictures(folder: Path) -> dict[str, dict[str, list]]:
    found = {}
    for path in sorted((folder / "artifacts").glob("*.npz")):
        with np.load(path, allow_pickle=False) as data:
            found[path.name] = {key: data[key].tolist() for key in data.files}
    return found


def _local_and_remote(tmp_path: Path, cluster, subs: list[Path], *args: str, exact: bool = True) -> tuple[Path, Path]:
    """Grade ``subs`` locally (--jobs 1) and on the cluster; the two output folders. ``exact``: every
    result line, grades.csv and the gradebook compared as they are (the caller compares otherwise)."""
    local, remote = tmp_path / "local", tmp_path / "remote"
    here = run_cli(["grade", *map(str, subs), "--out", str(local), "--jobs", "1", *args], tmp_path)
    assert here.returncode == 0, here.output[-3000:]
    there = run_cli(["grade", *map(str, subs), "--out", str(remote), "--scheduler", cluster.address, *args], tmp_path)
    assert there.returncode == 0, there.output[-3000:]
    assert not there.leftovers
    for sub in subs:
        mine, theirs = results(local, sub.name), results(remote, sub.name)
        if exact:
            assert _lines(theirs) == _lines(mine), sub.name
            assert theirs["score"] == mine["score"] and theirs["output"] == mine["output"], sub.name
        assert theirs["extra_data"]["sandbox"] == "root" and not theirs["extra_data"].get("incomplete"), sub.name
        assert (remote / sub.name / "grading.log").stat().st_size > 0
    if exact:
        assert grades(remote) == grades(local)
        assert gradebook_rows(remote) == gradebook_rows(local)
    return local, remote


def test_a_the_cluster_grades_the_bundled_examples_exactly_as_a_local_run(tmp_path, cluster):
    subs = [handsons.SOLUTIONS_DIR, REPO / "examples" / "partial", handsons.STUBS_DIR,
            _every_function(tmp_path / "subs", "crashes", "ctypes.string_at(0)")]
    local, remote = _local_and_remote(tmp_path, cluster, subs, "--html")
    for name in ("solutions", "partial", "assignments", "crashes"):
        assert _pictures(remote / name) == _pictures(local / name), name
        assert (remote / name / "report.html").exists()
    assert _pictures(remote / "solutions"), "the report's pictures must come back too"
    assert (remote / "index.html").exists()
    assert full_marks(results(remote, "solutions")) and results(remote, "assignments")["score"] == 0
    crashes = [t["output"] for t in results(remote, "crashes")["tests"]]
    assert all("the worker process crashed (signal SIGSEGV" in o for o in crashes), crashes[:3]


def _cut(line: tuple) -> tuple:
    """A result line of a hanging call with how it was cut left out: stopped at its limit or not run
    once the budget was used. Which one a call gets depends on the machine's load (a call the
    backstop stops while it waits for a CPU uses less of the budget), never on where it ran."""
    name, score, status, message = line
    cut = "did not finish within" in message or "used up its time budget" in message
    return name, score, status, "<cut>" if cut else message


def test_a_a_hanging_submission_is_cut_as_locally(tmp_path, cluster):
    subs = [_every_function(tmp_path / "subs", "hangs", "while True: pass")]
    local, remote = _local_and_remote(tmp_path, cluster, subs, "--module", MODULE, *SMALL_BUDGET, exact=False)
    for out in (local, remote):
        hanging = [t["output"] for t in results(out, "hangs")["tests"]]
        assert sum("did not finish within" in o for o in hanging) >= 2, hanging
        assert hanging[-1].startswith("not run: this submission used up its time budget"), hanging
        assert all("did not finish within" in o or "used up its time budget" in o for o in hanging), hanging
    assert [_cut(line) for line in _lines(results(remote, "hangs"))] == \
        [_cut(line) for line in _lines(results(local, "hangs"))]


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> list[Path]:
    """Midi-tokens submissions, two of them a little slow: a batch that lasts long
    enough to be interrupted."""
    root = tmp_path_factory.mktemp("batch")
    reference = (handsons.SOLUTIONS_DIR / f"{MODULE}.py").read_text()
    sources = {"reference_a": reference, "slow_a": reference + SLOWER_MIDI,
               "partial": (REPO / "examples" / "partial" / f"{MODULE}.py").read_text(),
               "stub": (handsons.STUBS_DIR / f"{MODULE}.py").read_text(),
               "alternative": (REPO / "tests" / "alternatives" / f"{MODULE}.py").read_text(),
               "slow_b": reference + SLOWER_MIDI, "reference_b": reference}
    return [submission_folder(root, name, {f"{MODULE}.py": source}) for name, source in sources.items()]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, cluster, batch) -> Path:
    out = tmp_path_factory.mktemp("uninterrupted") / "out"
    run = run_cli(grade_args(batch, out, "--scheduler", cluster.address, *FAST), out.parent)
    assert run.returncode == 0, run.output[-3000:]
    return out


def _same_as(out: Path, reference: Path, batch: list[Path]) -> None:
    for sub in batch:
        assert _lines(results(out, sub.name)) == _lines(results(reference, sub.name)), sub.name
    assert grades(out) == grades(reference)
    book = gradebook_rows(out)
    assert book == gradebook_rows(reference)
    assert sorted(name for name, _, _ in book) == sorted(p.name for p in batch), "one row per submission"


def _recorded(out: Path) -> list:
    try:
        return gradebook_rows(out)
    except sqlite3.Error:   # not made yet
        return []


def test_b_a_worker_killed_mid_batch_loses_nothing(tmp_path, cluster, batch, uninterrupted):
    out = tmp_path / "out"
    report = tmp_path / "run.json"
    started = time.monotonic()
    process = start_cli(grade_args(batch, out, "--scheduler", cluster.address, *FAST), report)
    try:
        # Once the batch is under way, kill w0 in the middle of a grading.
        while time.monotonic() - started < 300 and process.poll() is None and \
                not (_recorded(out) and cluster.busy("w0")):
            time.sleep(0.05)
        assert process.poll() is None, "the batch ended before a worker could be killed"
        done_before = len(_recorded(out))
        leftovers = cluster.kill("w0")
        assert not leftovers, f"processes outlived the killed worker: {leftovers}"
        run = finish_cli(process, report, started, timeout=300)
    finally:
        cluster.start_worker("w0")   # for the next tests
    assert run.returncode == 0, run.output[-3000:]
    assert done_before < len(batch)
    _same_as(out, uninterrupted, batch)
    cluster.wait_for_workers(2)


def test_c_the_instructors_process_killed_mid_batch_resumes(tmp_path, cluster, batch, uninterrupted):
    out = tmp_path / "out"
    report = tmp_path / "killed.json"
    started = time.monotonic()
    process = start_cli(grade_args(batch, out, "--scheduler", cluster.address, *FAST), report)
    while time.monotonic() - started < 300 and process.poll() is None and len(_recorded(out)) < 2:
        time.sleep(0.05)
    kill_group(report)
    killed = finish_cli(process, report, started, timeout=120)
    assert killed.returncode == -9, f"the batch ended before it was killed:\n{killed.output[-2000:]}"
    recorded = _recorded(out)
    assert 2 <= len(recorded) < len(batch), recorded
    assert not killed.leftovers
    assert not (out / "grades.csv").exists(), "a killed batch must not leave a grades.csv"

    again = run_cli(grade_args(batch, out, "--scheduler", cluster.address, *FAST), tmp_path)
    assert again.returncode == 0, again.output[-3000:]
    progress = {line.split(": ")[0].strip(): line for line in again.stdout.splitlines() if line.startswith("  ")}
    for name, _, _ in recorded:
        assert "(unchanged: from the gradebook)" in progress.get(name, ""), (name, again.stdout[-2000:])
    _same_as(out, uninterrupted, batch)
    assert set(recorded) <= set(gradebook_rows(out))


PLUGIN = "break-grading"


@pytest.fixture
def broken_grading(cluster):
    """Install on the real workers a Dask worker plugin of this test's: every grading task
    fails (``"raise"``) or kills its worker process (``"die"``; the nanny starts a new one)."""
    from distributed.diagnostics.plugin import WorkerPlugin

    class BreakGrading(WorkerPlugin):   # defined here, so that it travels by value
        name = PLUGIN

        def __init__(self, how: str):
            self.how = how

        def setup(self, worker):
            from autograder.engine import cluster as engine
            self.original = engine._WorkerHost.__dict__["get"]
            how = self.how

            def broken(cls):
                if how == "die":
                    import os
                    import signal
                    os.kill(os.getpid(), signal.SIGKILL)
                raise RuntimeError("this worker's grading is broken on purpose")

            engine._WorkerHost.get = classmethod(broken)

        def teardown(self, worker):
            from autograder.engine import cluster as engine
            engine._WorkerHost.get = self.original

    def install(how: str) -> None:
        with cluster.client() as client:
            client.register_plugin(BreakGrading(how))

    yield install
    with cluster.client() as client:
        client.unregister_worker_plugin(PLUGIN)
    cluster.wait_for_workers(2)


@pytest.mark.parametrize("how, words", [("raise", "broken on purpose"), ("die", "Dask workers died while grading")])
def test_d_a_task_failing_on_two_workers_is_a_grader_failure(tmp_path, cluster, batch, broken_grading, how, words):
    broken_grading(how)
    out = tmp_path / "out"
    run = run_cli(grade_args(batch[:1], out, "--scheduler", cluster.address, *FAST), tmp_path, timeout=300)
    assert run.returncode == 4, run.output[-3000:]
    result = results(out, batch[0].name)
    assert result["extra_data"]["incomplete"] and words in result["output"], result["output"]
    assert "grading on the cluster failed" in result["output"]
    if how == "raise":   # tried on both workers, one after the other
        assert len(set(result["extra_data"]["tried_on"])) == 2, result["extra_data"]
    assert gradebook_rows(out) == [], "a grader failure is never recorded as a grade"
    assert grades(out)[batch[0].name]["status"].startswith("grading on the cluster failed")


def test_e_a_worker_without_the_strong_sandbox_refuses_as_locally(tmp_path, batch):
    weak = {"AUTOGRADER_SANDBOX": "weak"}
    local = run_cli(grade_args(batch[:1], tmp_path / "local", *FAST), tmp_path, env=weak)
    dask = DaskCluster(tmp_path / "weak-cluster", workers=1, env=weak)
    try:
        refused = run_cli(grade_args(batch[:1], tmp_path / "refused", "--scheduler", dask.address, *FAST), tmp_path)
        allowed = run_cli(grade_args(batch[:1], tmp_path / "allowed", "--scheduler", dask.address,
                                     "--allow-weak-sandbox", *FAST), tmp_path)
    finally:
        assert not dask.close()
    assert refused.returncode == local.returncode == 3, refused.output[-3000:]
    message = "Refusing to grade: the strong sandbox is not available (AUTOGRADER_SANDBOX=weak is set"
    assert message in local.output and message in refused.output, refused.output[-3000:]
    assert "--allow-weak-sandbox" in refused.output and "on the Dask worker tcp://127.0.0.1:" in refused.output
    assert not (tmp_path / "refused" / "grades.csv").exists()
    assert allowed.returncode == 0, allowed.output[-3000:]
    result = results(tmp_path / "allowed", batch[0].name)
    assert result["extra_data"]["sandbox"] == "weak" and "weak mode" in result["output"] and full_marks(result)


def test_f_an_unreachable_scheduler_is_a_clear_error_with_no_table(tmp_path, batch):
    out = tmp_path / "out"
    out.mkdir()
    (out / "grades.csv").write_text("an earlier run's table\n")
    address = f"tcp://127.0.0.1:{free_port()}"
    run = run_cli(grade_args(batch[:2], out, "--scheduler", address), tmp_path,
                  env={"DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "3s"}, timeout=120)
    assert run.returncode == 6, run.output[-3000:]
    assert f"cannot reach the Dask scheduler at {address}" in run.output, run.output[-3000:]
    assert "No grades.csv was written" in run.output
    assert not (out / "grades.csv").exists(), "an earlier table must not pass for this run's"
    assert not list(out.glob("*/results.json"))
    assert not run.leftovers


def _certificates(folder: Path) -> dict[str, Path]:
    """A certificate authority and, signed by it, a certificate for the cluster's machines
    (here one for all: scheduler, workers and the instructor)."""
    folder.mkdir()
    ca, ca_key, cert, key = (folder / n for n in ("ca.pem", "ca.key", "cluster.pem", "cluster.key"))

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=grading CA",
            "-keyout", str(ca_key), "-out", str(ca))
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=grading cluster", "-keyout", str(key),
            "-out", str(folder / "cluster.csr"))
    openssl("x509", "-req", "-in", str(folder / "cluster.csr"), "-CA", str(ca), "-CAkey", str(ca_key),
            "-CAcreateserial", "-days", "2", "-out", str(cert))
    return {"ca": ca, "cert": cert, "key": key}


def test_g_a_tls_cluster_with_certificates_from_dask_configuration(tmp_path, batch):
    tls = _certificates(tmp_path / "certs")
    config = tmp_path / "dask-config"   # as docs/instructors.md shows it: the instructor's Dask configuration
    config.mkdir()
    (config / "autograder-tls.yaml").write_text(
        "distributed:\n  comm:\n    require-encryption: true\n    tls:\n"
        f"      ca-file: {tls['ca']}\n      client:\n        cert: {tls['cert']}\n        key: {tls['key']}\n")
    dask = DaskCluster(tmp_path / "tls-cluster", workers=1, tls=tls)
    try:
        assert dask.address.startswith("tls://127.0.0.1:")
        graded = run_cli(grade_args(batch[:1], tmp_path / "out", "--scheduler", dask.address, *FAST), tmp_path,
                         env={"DASK_CONFIG": str(config)})
        plain = run_cli(grade_args(batch[:1], tmp_path / "plain", "--scheduler", dask.address), tmp_path,
                        env={"DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "3s"}, timeout=120)
    finally:
        assert not dask.close()
    assert graded.returncode == 0, graded.output[-3000:]
    assert full_marks(results(tmp_path / "out", batch[0].name))
    assert plain.returncode == 6 and "cannot reach the Dask scheduler" in plain.output, plain.output[-3000:]
    assert not (tmp_path / "plain" / "grades.csv").exists()
