"""Code similarity across submissions (copydetect), as an HTML report.

Each hands-on module is compared with the same module of every other
submission; the stub's own code (signatures, docstrings) is boilerplate and
never counts as copying.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from .engine import handsons
from .engine.display import inert_name
from .engine.submission import SubmissionError, load_submission


def similarity_report(paths: list[str], output: Path, threshold: float = 0.33) -> tuple[list[tuple], list[str]]:
    """Write the HTML report to ``output``; (pairs above ``threshold``, problems).

    A pair is ``(similarity of a to b, similarity of b to a, file a, file b)``,
    most similar first; files are named ``<submission>/<module>.py``.
    """
    from copydetect import CopyDetector

    modules = handsons.names()
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="ag-similarity-") as tmp:
        root, boilerplate = Path(tmp) / "submissions", Path(tmp) / "boilerplate"
        boilerplate.mkdir(parents=True)
        for module in modules:
            (boilerplate / f"{module}.py").write_bytes(handsons.get(module).stub_path.read_bytes())
        for path in paths:
            try:
                submission = load_submission(path, modules)
            except SubmissionError as error:
                problems.append(f"{path}: {error}")
                continue
            # copydetect's page shows file names unescaped: the names there must be inert
            label = inert_name(submission.name)
            folder = root / (label if label.strip(".") else f"_{label}")
            folder.mkdir(parents=True, exist_ok=True)
            for module in submission.modules:
                (folder / f"{module}.py").write_bytes(submission.files[f"{module}.py"])
        detector = CopyDetector(test_dirs=[str(root)], ref_dirs=[str(root)], boilerplate_dirs=[str(boilerplate)],
                                extensions=["py"], same_name_only=True, display_t=threshold, autoopen=False,
                                silent=True, out_file=str(output))
        detector.run()
        pairs = [(float(a), float(b), str(Path(fa).relative_to(root)), str(Path(fb).relative_to(root)))
                 for a, b, fa, fb, *_ in detector.get_copied_code_list()]
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        detector.generate_html_report()
    return sorted(pairs, reverse=True), problems
