"""Check the documentation: links of the built sites, and commands quoted in the sources.

Run by ``make docs`` after the sites are built (``scripts/check_docs.py
build/docs/python build/docs/r``): every relative link and image of every
page must reach a file of the site, and every ``#anchor`` an element with that
id (external ``http(s)``/``mailto`` links are not followed: the build is
offline). ``tests/python/test_docs.py`` checks the checker itself and the
sources: every ``make TARGET`` quoted in the README, the guide or the vignette
names a target of the Makefile, and every ``niimasker ...`` command line quoted
in a shell block parses with the command's own parser.

Prints one line per site (``docs: <site>: N pages, N links, N broken``) and
exits non-zero when a link is broken.
"""

from __future__ import annotations

import re
import shlex
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent


class _Page(HTMLParser):
    """The ids a page defines and the links it makes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for key in ("id", "name"):
            if values.get(key) and (key == "id" or tag == "a"):
                self.ids.add(str(values[key]))
        for key in ("href", "src"):
            link = values.get(key)
            if link and not (
                tag == "link"
                and key == "href"
                and "preconnect" in str(values.get("rel"))
            ):
                self.links.append(link)


def _read(page: Path) -> _Page:
    parsed = _Page()
    parsed.feed(page.read_text(encoding="utf-8", errors="replace"))
    return parsed


def broken_links(site: Path) -> tuple[int, int, list[str]]:
    """Return (pages, links checked, broken links as 'page: link (why)') of a built site."""
    pages = sorted(site.rglob("*.html"))
    parsed = {page.resolve(): _read(page) for page in pages}
    broken, checked = [], 0
    for page, content in parsed.items():
        for link in content.links:
            parts = urlsplit(link)
            if parts.scheme or link.startswith("//") or link.startswith("javascript:"):
                continue
            checked += 1
            target = (
                page
                if not parts.path
                else (page.parent / unquote(parts.path)).resolve()
            )
            if target.is_dir():
                target = target / "index.html"
            where = f"{page.relative_to(site.resolve())}: {link}"
            if not target.exists():
                broken.append(f"{where} (no such file)")
                continue
            if parts.fragment and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else _read(target).ids
                if unquote(parts.fragment) not in ids:
                    broken.append(f"{where} (no element with that id)")
    return len(pages), checked, broken


def _code_blocks(text: str) -> list[tuple[str, str]]:
    """Return (language, body) of each fenced block of a Markdown/R Markdown text."""
    return re.findall(
        r"^```+\s*\{?([A-Za-z]*)[^\n]*\n(.*?)^```+\s*$", text, re.S | re.M
    )


def quoted_make_targets(text: str) -> set[str]:
    """Return the targets of every ``make target`` the text quotes as a command.

    A command is a code span or a line of a code block that starts with
    ``make`` (or runs it after ``&&`` or ``;``); comments are left out, and an
    upper-case word (``make TARGET``) is a placeholder.
    """
    spans = re.findall(r"`([^`\n]+)`", text)
    for _, body in _code_blocks(text):
        spans.extend(body.splitlines())
    found = set()
    command = re.compile(r"(?:^|&&|;)\s*(?:\$\s*)?make\s+([a-z][\w-]*)")
    for span in spans:
        for match in command.finditer(span.split(" #")[0].strip()):
            found.add(match.group(1))
    return found


def makefile_targets(makefile: Path = ROOT / "Makefile") -> set[str]:
    """Return the targets the Makefile defines."""
    text = makefile.read_text()
    return set(re.findall(r"^([A-Za-z][\w-]*)\s*:(?!=)", text, re.M))


def quoted_commands(text: str) -> list[str]:
    """Return every ``niimasker ...`` command line of the text's shell blocks."""
    commands = []
    for language, body in _code_blocks(text):
        if language not in ("sh", "bash", "shell", "console", ""):
            continue
        joined = re.sub(r"\\\n\s*", " ", body)
        for line in joined.splitlines():
            line = line.strip().removeprefix("$ ")
            if re.match(r"^(\.venv/bin/)?niimasker\s", line):
                commands.append(line)
    return commands


def command_problem(line: str) -> str | None:
    """Return why a quoted ``niimasker`` command line does not parse, or None."""
    from niimasker_core.faces.cli import _spell_bare_flags, build_parser

    words = shlex.split(line, comments=True)[1:]
    parser = build_parser()
    parser.exit_on_error = False
    try:
        parser.parse_args(_spell_bare_flags(words, parser))
    except SystemExit:
        return f"does not parse: {line}"
    except Exception as exc:  # argparse.ArgumentError and friends
        return f"does not parse ({exc}): {line}"
    return None


def main(argv: list[str]) -> int:
    status = 0
    for folder in argv:
        site = Path(folder)
        pages, checked, broken = broken_links(site)
        print(f"docs: {site}: {pages} pages, {checked} links, {len(broken)} broken")
        for line in broken:
            print(f"  broken: {line}")
        if broken or pages == 0:
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
