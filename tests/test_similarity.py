"""The similarity report finds a renamed copy and ignores the stub's own code."""
import shutil

from autograder.engine import handsons
from autograder.similarity import similarity_report


def test_renamed_copy_is_found_and_stub_code_is_not_copying(tmp_path):
    reference = handsons.get("midi_tokens").reference_path.read_text()
    for name, text in {"alice": reference,
                       "bob": reference.replace("sounding", "playing").replace("notes", "events"),
                       "carol": (handsons.REPO_ROOT / "examples" / "partial" / "midi_tokens.py").read_text()}.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "midi_tokens.py").write_text(text)
    shutil.copytree(handsons.STUBS_DIR, tmp_path / "untouched", ignore=shutil.ignore_patterns("musicrep"))
    (tmp_path / "broken.zip").write_bytes(b"not a zip")
    pairs, problems = similarity_report([str(p) for p in sorted(tmp_path.iterdir())], tmp_path / "report.html")
    files = {frozenset((a, b)) for _, _, a, b in pairs}
    assert frozenset(("alice/midi_tokens.py", "bob/midi_tokens.py")) in files
    assert not any("untouched" in name or "carol" in name for pair in files for name in pair)
    assert problems and "broken.zip" in problems[0]
    assert (tmp_path / "report.html").stat().st_size > 1000


def test_names_in_the_report_are_inert(tmp_path):
    """copydetect's page shows file names unescaped: a submission named as HTML stays text there."""
    reference = handsons.get("midi_tokens").reference_path.read_text()
    hostile = '<img src=x onerror="alert(1)">\u202eecila'
    for name in (hostile, "bob"):
        (tmp_path / "subs" / name).mkdir(parents=True)
        (tmp_path / "subs" / name / "midi_tokens.py").write_text(reference)
    pairs, _ = similarity_report([str(p) for p in sorted((tmp_path / "subs").iterdir())], tmp_path / "report.html")
    page = (tmp_path / "report.html").read_text()
    assert pairs and "<img src=x" not in page and "\u202e" not in page
    assert any("_img src=x onerror=_alert(1)__\\u202eecila/midi_tokens.py" in (a, b) for _, _, a, b in pairs), pairs
