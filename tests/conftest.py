"""Every grading in the tests assigns variants with one fixed course secret (tests/course-secret,
for tests only): the variants the tests see are the same in every run and every clone."""
import os
from pathlib import Path

os.environ.setdefault("AUTOGRADER_COURSE_SECRET_FILE", str(Path(__file__).with_name("course-secret")))

import pytest

# The fast tier (`make test-fast`, `pytest -m fast`): every module's unit tests and one grading
# per hands-on (test_demo.py), for the edit-run loop; under 5 minutes on 2 cores. What is left
# out grades many submissions, builds environments or checks the references against libraries
# (the mistake catalogue, attacks, faults, the cluster, the release and Gradescope venvs, the
# *_reference modules): `make test` runs everything, as CI does.
FAST_MODULES = {
    "test_architecture", "test_demo", "test_new_handson", "test_docs", "test_rules", "test_tables",
    "test_watch", "test_display", "test_similarity", "test_engine", "test_check_sharing", "test_offlimits",
    "test_class_report", "test_report", "test_encodec_speed_check", "test_errors", "test_reruns",
}


def _fast_only(config) -> bool:
    return config.getoption("markexpr", "") == "fast"


def pytest_ignore_collect(collection_path, config):
    """With ``-m fast``, the other modules are not even imported (some collect graders)."""
    if _fast_only(config) and collection_path.suffix == ".py" and collection_path.stem.startswith("test_"):
        return collection_path.stem not in FAST_MODULES or None
    return None


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.stem in FAST_MODULES:
            item.add_marker(pytest.mark.fast)
