"""The docs stay true: the rubric is the graders' rubric, the README's figures are the benchmarks
page's, and every link between the pages leads somewhere."""
import re
from pathlib import Path

from autograder.engine import handsons
from autograder.engine.session import rubric, rubric_markdown

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"


def _block(path: Path, name: str) -> str:
    """The text between `<!-- name:start -->` and `<!-- name:end -->` of a page."""
    found = re.search(rf"<!-- {name}:start -->\n(.*?)<!-- {name}:end -->", path.read_text(), re.S)
    assert found, f"{path.relative_to(ROOT)} has no {name} block"
    return found.group(1)


def rubric_summary() -> str:
    """The README's rubric: points per hands-on, public and hidden, from the graders' rubric."""
    rows = rubric()
    lines = ["| hands-on | module | public checks | hidden checks | points |", "| --- | --- | ---: | ---: | ---: |"]
    for handson in handsons.all_handsons():
        mine = [r for r in rows if r["module"] == handson.name]
        public, hidden = (sum(r["points"] for r in mine if r["visibility"] == v) for v in ("public", "hidden"))
        lines.append(f"| Hands-on {handson.number}: {handson.title} | `{handson.name}` | {public:g} | {hidden:g} | "
                     f"**{public + hidden:g}** |")
    public, hidden = (sum(r["points"] for r in rows if r["visibility"] == v) for v in ("public", "hidden"))
    lines.append(f"| **total** | | {public:g} | {hidden:g} | **{public + hidden:g}** |")
    return "\n".join(lines) + "\n"


def test_readme_stays_a_two_minute_read():
    lines = README.read_text().count("\n")
    assert lines <= 150, f"README.md has {lines} lines: move what one role needs to its page under docs/"


def test_rubric_page_matches_the_graders():
    assert _block(DOCS / "rubric.md", "rubric") == rubric_markdown(), \
        "docs/rubric.md is stale: paste `autograder rubric --markdown`"


def test_readme_rubric_summary_matches_the_graders():
    assert _block(README, "rubric-summary") == rubric_summary(), \
        "the README's rubric is stale; it should read:\n" + rubric_summary()


def test_readme_headline_figures_are_the_benchmarks_pages():
    headline = _block(README, "headline")
    figures = re.findall(r"\*\*(.+?)\*\*", headline)
    assert len(figures) >= 5, headline
    current = _block(DOCS / "benchmarks.md", "benchmarks")
    missing = [f for f in figures if f"**{f}**" not in current]
    assert not missing, f"README figures not (or no longer) in docs/benchmarks.md: {missing}"


def _anchor(heading: str) -> str:
    """GitHub's anchor of a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_link_between_the_pages_leads_somewhere():
    pages = [README, ROOT / "CHANGELOG.md", *sorted(DOCS.glob("*.md"))]
    broken = []
    for page in pages:
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text()):
            if re.match(r"[a-z]+:", target):
                continue   # a web address
            path, _, anchor = target.partition("#")
            file = (page.parent / path).resolve() if path else page
            if not file.exists():
                broken.append(f"{page.relative_to(ROOT)}: {target} (no such file)")
            elif anchor and file.suffix == ".md":
                headings = re.findall(r"^#+ (.+)$", file.read_text(), re.M)
                if anchor not in {_anchor(h) for h in headings}:
                    broken.append(f"{page.relative_to(ROOT)}: {target} (no such heading)")
    assert not broken, broken


def test_notebook_otter_checks_are_generated_from_the_public_checks():
    from autograder.engine.otter import otter_test_file
    for module in handsons.names():
        path = handsons.STUBS_DIR / "checks" / f"{module}.py"
        assert path.read_text() == otter_test_file(module), f"{path} is stale: run `autograder otter-tests`"


def module_table() -> str:
    """docs/architecture.md's table: every module of the engine and the worker, and its one job
    (the first line of its docstring)."""
    import ast
    package = README.parent / "autograder"
    lines = ["| module | its one job |", "| --- | --- |"]
    for folder in ("engine", "worker"):
        for path in sorted((package / folder).glob("*.py")):
            if path.name != "__init__.py":
                job = ast.get_docstring(ast.parse(path.read_text())).splitlines()[0].replace("|", "\\|")
                lines.append(f"| `{folder}/{path.name}` | {job} |")
    return "\n".join(lines) + "\n"


def test_the_architecture_page_lists_every_engine_and_worker_module_with_its_job():
    page = README.parent / "docs" / "architecture.md"
    block = re.search(r"<!-- modules:start -->\n(.*?)<!-- modules:end -->", page.read_text(), re.S)
    assert block, "docs/architecture.md has no modules block"
    assert block.group(1) == module_table(), f"docs/architecture.md's module table is stale; it is:\n{module_table()}"
