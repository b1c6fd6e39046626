"""Every grading in the tests assigns variants with one fixed course secret (tests/course-secret,
for tests only): the variants the tests see are the same in every run and every clone."""
import os
from pathlib import Path

os.environ.setdefault("AUTOGRADER_COURSE_SECRET_FILE", str(Path(__file__).with_name("course-secret")))
