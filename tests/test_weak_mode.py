"""Weak mode (no namespaces, ``--allow-weak-sandbox``) leaves nothing behind: submissions that
start daemons (double forks, new sessions, ``nohup``) and one that reads the other submission
graded beside it, from its calls and from a daemon meant to outlive it, graded through the real
command line with ``AUTOGRADER_SANDBOX=weak``. When the batch ends no process it started is
alive (the test's supervisor is a subreaper: nothing can hide from it by re-parenting), nothing
writes anything afterwards, and neither spy read the other's files.
"""
from __future__ import annotations

import os
import re
import secrets
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from .helpers import MODULE, grade_args, processes_mentioning, results, run_cli, worker_orphans

ATTACKS_DIR = Path(__file__).resolve().parent / "attacks"
SUBMISSIONS = {"detached_processes": "detached_processes", "spy": "spy_other_submissions",
               "spy_twin": "spy_other_submissions"}


def _listing(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


@pytest.fixture(scope="module")
def weak(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("weak")
    markdir = Path(tempfile.mkdtemp(prefix="weak-evidence-", dir="/tmp"))
    os.chmod(markdir, 0o1777)   # a worker of another uid may write here: what it writes is evidence
    mark = f"agweak{secrets.token_hex(4)}-"
    subs = tmp / "subs"
    for name, attack in SUBMISSIONS.items():
        source = (ATTACKS_DIR / attack / f"{MODULE}.py").read_text()
        source = source.replace("@@MARK@@", mark + attack).replace("@@MARKDIR@@", str(markdir))
        (subs / name).mkdir(parents=True)
        (subs / name / f"{MODULE}.py").write_text(source)
    started = time.time()
    try:
        run = run_cli(grade_args([subs / name for name in SUBMISSIONS], tmp / "out", "--jobs", "2",
                                 "--allow-weak-sandbox", "--budget", "20", "--call-timeout-floor", "10"),
                      tmp, env={"AUTOGRADER_SANDBOX": "weak"})
        after = _listing(markdir)
        time.sleep(2.0)   # a daemon still alive would write again (they write every 0.2-0.5 s)
        yield {"run": run, "out": tmp / "out", "mark": mark, "markdir": markdir, "started": started,
               "after": after, "later": _listing(markdir), "orphans": worker_orphans(started),
               "processes": processes_mentioning(mark)}
    finally:
        shutil.rmtree(markdir, ignore_errors=True)
        for folder in ("/tmp", "/var/tmp", "/dev/shm"):   # weak mode: what the daemons wrote while graded
            for path in Path(folder).glob(f"{mark}*"):
                path.unlink(missing_ok=True)


def test_weak_batch_completes(weak):
    run = weak["run"]
    assert run.returncode == 0, run.output[-3000:]
    for name in SUBMISSIONS:
        result = results(weak["out"], name)
        assert result["extra_data"]["sandbox"] == "weak" and result["score"] == 0, result["output"]
        assert result["extra_data"]["grader_errors"] == 0


def test_no_process_outlives_a_weak_grading(weak):
    leftovers = [f"{p['pid']} uid {p['uid']}: {p.get('cmdline', '')[:120]}" for p in weak["run"].leftovers]
    assert not leftovers, f"processes outlived the batch: {leftovers}"
    assert not weak["orphans"] and not weak["processes"], (weak["orphans"], weak["processes"])
    assert weak["later"] == weak["after"], "something kept writing after the batch ended"


def test_weak_workers_cannot_read_each_others_submission(weak):
    found = [p.name for p in weak["markdir"].iterdir() if "-found-" in p.name]
    assert not found, f"a daemon read another submission: {found}"
    for name in ("spy", "spy_twin"):
        outputs = "\n".join(t["output"] for t in results(weak["out"], name)["tests"])
        reports = re.findall(r"AG-ATTACK report: (\d+) found: (.*)", outputs)
        assert reports, f"{name} never reported (did it run?):\n{outputs[:2000]}"
        assert all(count == "0" for count, _ in reports), [detail for count, detail in reports if count != "0"][:3]
