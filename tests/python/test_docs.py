"""The documentation's sources quote only real ``make`` targets and commands that parse.

The built sites' links are checked by ``make docs`` (scripts/check_docs.py,
run by the test command); here the checker itself is tested on a small site.
"""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SPEC = importlib.util.spec_from_file_location(
    "check_docs", ROOT / "scripts" / "check_docs.py"
)
check_docs = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(check_docs)

SOURCES = sorted(
    [ROOT / "README.md", ROOT / "pkgdown" / "index.md", ROOT / "bench" / "README.md"]
    + list((ROOT / "docs").rglob("*.md"))
    + list((ROOT / "vignettes").glob("*.Rmd"))
)


def test_sources_are_found():
    names = {p.relative_to(ROOT).as_posix() for p in SOURCES}
    assert {"README.md", "docs/python/index.md", "vignettes/niimasker.Rmd"} <= names


@pytest.mark.parametrize(
    "source", SOURCES, ids=lambda p: p.relative_to(ROOT).as_posix()
)
def test_quoted_make_targets_exist(source):
    targets = check_docs.makefile_targets()
    assert {"demo", "test", "docs"} <= targets
    missing = check_docs.quoted_make_targets(source.read_text()) - targets
    assert not missing, (
        f"{source.name} quotes make targets the Makefile lacks: {missing}"
    )


@pytest.mark.parametrize(
    "source", SOURCES, ids=lambda p: p.relative_to(ROOT).as_posix()
)
def test_quoted_commands_parse(source):
    problems = [
        problem
        for line in check_docs.quoted_commands(source.read_text())
        if (problem := check_docs.command_problem(line))
    ]
    assert not problems


def test_the_sources_quote_commands():
    assert len(check_docs.quoted_commands((ROOT / "README.md").read_text())) == 1
    quoted = [
        line for p in SOURCES for line in check_docs.quoted_commands(p.read_text())
    ]
    assert len(quoted) >= 15


def test_command_check_refuses_what_the_command_refuses():
    assert check_docs.command_problem("niimasker out -i a.nii.gz -r b.nii.gz") is None
    assert check_docs.command_problem("niimasker out -i a.nii.gz --detrnd") is not None
    assert (
        check_docs.command_problem("niimasker out -i a.nii.gz --detrend maybe")
        is not None
    )


def test_make_target_check_reads_code_only():
    text = (
        "Run `make docs`, then\n\n```sh\nmake test   # make a copy\n"
        "cd x && make dist\n```\nto make sure you make it, or `make TARGET`."
    )
    assert check_docs.quoted_make_targets(text) == {"docs", "test", "dist"}


def test_link_check_finds_missing_files_and_anchors(tmp_path):
    (tmp_path / "guide").mkdir()
    (tmp_path / "index.html").write_text(
        '<a href="guide/a.html#top">a</a> <a href="guide/a.html#nowhere">b</a>'
        '<img src="logo.png"> <a href="https://example.org/x">out</a> <a href="#here">c</a>'
        '<h1 id="here">x</h1>'
    )
    (tmp_path / "guide" / "a.html").write_text(
        '<h1 id="top">A</h1><a href="../gone.html">g</a>'
    )
    pages, checked, broken = check_docs.broken_links(tmp_path)
    assert (pages, checked) == (2, 5)
    assert sorted(broken) == [
        "guide/a.html: ../gone.html (no such file)",
        "index.html: guide/a.html#nowhere (no element with that id)",
        "index.html: logo.png (no such file)",
    ]


def test_readme_links_reach_files():
    import re

    text = (ROOT / "README.md").read_text()
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    local = [link for link in links if not link.startswith(("http://", "https://"))]
    assert len(local) >= 10
    assert not [link for link in local if not (ROOT / link).exists()]


def test_readme_python_quick_start_runs(monkeypatch):
    text = (ROOT / "README.md").read_text()
    blocks = [
        body for language, body in check_docs._code_blocks(text) if language == "python"
    ]
    quick = [b for b in blocks if "extract_timeseries(" in b]
    assert len(quick) == 1
    monkeypatch.chdir(ROOT)
    namespace: dict = {}
    exec(compile(quick[0], "README.md", "exec"), namespace)  # noqa: S102
    assert namespace["result"][0].data.shape == (80, 12)
