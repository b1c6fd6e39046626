"""``autograder demo``: the bundled submissions graded in one batch, as a newcomer first sees it.

The fast tier's one grading per hands-on (``make test-fast``): the reference gets full marks,
the untouched stubs zero with a message on every line, and the partial example (two hands-ons
done, one left as the stub) is in between; the table names all three.
"""
import json

from autograder.engine import handsons
from autograder.engine.session import maxima

from .helpers import run_cli


def test_demo_grades_the_reference_the_partial_example_and_the_stubs(tmp_path):
    out = tmp_path / "demo"
    run = run_cli(["demo", "--out", str(out)], tmp_path, timeout=900)
    assert run.returncode == 0, run.output
    for title in ("reference (solutions/)", "partial (examples/partial/)", "untouched stubs (assignments/)"):
        assert title in run.output
    full = sum(maxima(handsons.names()).values())
    reference, partial, stubs = (json.loads((out / name / "results.json").read_text())
                                 for name in ("solutions", "partial", "assignments"))
    assert reference["score"] == full and all(t["status"] == "passed" for t in reference["tests"])
    assert {t["tags"][0] for t in reference["tests"]} == set(handsons.names())
    assert stubs["score"] == 0 and all(t["output"] for t in stubs["tests"])
    assert 0 < partial["score"] < full
