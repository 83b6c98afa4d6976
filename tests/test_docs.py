"""The documentation site builds with ``mkdocs build --strict``, lists every page in its nav,
and the examples with printed output in docs/ print exactly what the pages show.

A page whose Python blocks are followed by blocks titled "Output" (```` ```text title="Output"
````) is run top to bottom in one namespace, as a reader would paste it, and every ``test_*``
function a block defines is called, as pytest would (coroutine functions on a fresh event
loop). Each Output block must match what the blocks before it printed, log lines of
``lambda_asgi`` included; ``...`` in it stands for any text, as in doctest, for what varies
between runs (a duration). After changing the library, refresh the pasted output with
``.venv/bin/python -m tests.test_docs`` and review the diff.
"""

from __future__ import annotations

import asyncio
import contextlib
import doctest
import inspect
import io
import logging
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from mkdocs.config import load_config

from tests.test_cli_docs import Shell, documented

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
MKDOCS = Path(sys.executable).with_name("mkdocs")
OUTPUT_INFO = 'text title="Output"'
# A fence at any indentation (inside admonitions too); the body is dedented by that indentation.
FENCE = re.compile(
    r"^(?P<indent>[ ]*)```(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=indent)```[ ]*$",
    re.MULTILINE | re.DOTALL,
)


class Block:
    """One fenced code block of a page, located so its text can be replaced."""

    def __init__(self, match: re.Match[str]) -> None:
        indent = match["indent"]
        self.info = match["info"].strip()
        self.start, self.end = match.span("body")
        self.indent = indent
        self.code = "".join(
            line.removeprefix(indent) for line in match["body"].splitlines(keepends=True)
        )


def blocks(text: str) -> list[Block]:
    return [Block(match) for match in FENCE.finditer(text)]


def executed_pages() -> list[Path]:
    """The pages with printed output to check: those that have an Output block."""
    return sorted(path for path in DOCS.rglob("*.md") if OUTPUT_INFO in path.read_text())


def run_page(path: Path) -> list[tuple[Block, str]]:
    """Run the page's Python blocks in order; pair each Output block with what was printed."""
    namespace: dict[str, object] = {"__name__": f"docs_{path.stem}"}
    printed = io.StringIO()
    pairs: list[tuple[Block, str]] = []
    # Warnings and errors the examples log go to the printed output too, as a reader's console
    # shows them when logging is not configured.
    handler = logging.StreamHandler(printed)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.WARNING)
    logger = logging.getLogger("lambda_asgi")
    level = logger.level
    logger.setLevel(logging.WARNING)
    logger.addHandler(handler)
    # Libraries that run on the thread's current event loop (Mangum) get one of the page's
    # own, closed afterwards, so nothing is left behind for the garbage collector to warn of.
    current = asyncio.new_event_loop()
    asyncio.set_event_loop(current)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(printed):
            # Mangum (docs/migrating.md) asks asyncio for a loop in a way newer Pythons deprecate.
            warnings.filterwarnings("ignore", category=DeprecationWarning, module="mangum")
            for block in blocks(path.read_text()):
                if block.info.split(" ")[0] == "python":
                    run_block(block, namespace, f"{path}:{block.info}")
                elif block.info == OUTPUT_INFO:
                    pairs.append((block, printed.getvalue()))
                    printed.seek(0)
                    printed.truncate()
    finally:
        asyncio.set_event_loop(None)
        current.close()
        logger.removeHandler(handler)
        logger.setLevel(level)
    return pairs


def run_block(block: Block, namespace: dict[str, object], filename: str) -> None:
    """Execute one block, then call the ``test_*`` functions it defined."""
    known = set(namespace)
    exec(compile(block.code, filename, "exec"), namespace)
    for name in [name for name in namespace if name not in known]:
        if name.startswith("test_"):
            call_test(namespace[name])


def call_test(function: object) -> None:
    assert callable(function)
    if inspect.iscoroutinefunction(function):
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(function())
        finally:
            loop.close()
    else:
        function()


def matches(want: str, got: str) -> bool:
    return doctest.OutputChecker().check_output(want, got, doctest.ELLIPSIS)


@pytest.mark.parametrize("page", executed_pages(), ids=lambda path: str(path.relative_to(DOCS)))
def test_pasted_output_is_what_the_examples_print(page: Path) -> None:
    pairs = run_page(page)
    assert pairs
    for block, printed in pairs:
        assert matches(block.code, printed), f"{page.name}: output at {block.start} is stale"


def test_every_python_block_in_the_docs_compiles() -> None:
    # Pages without printed output show snippets (with the reader's `app`) that are not run;
    # they must still be valid Python.
    compiled = 0
    for path in [*DOCS.rglob("*.md"), ROOT / "README.md"]:
        for block in blocks(path.read_text()):
            if block.info.split(" ")[0] == "python":
                compile(block.code, f"{path}:{block.info}", "exec")
                compiled += 1
    assert compiled > 50


def test_site_builds_strict_with_every_page_in_the_nav(tmp_path: Path) -> None:
    site = tmp_path / "site"
    build = subprocess.run(
        [str(MKDOCS), "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},  # a banner about Material's future
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert build.returncode == 0, build.stderr
    assert "WARNING " not in build.stderr, build.stderr

    config = load_config(str(ROOT / "mkdocs.yml"))
    assert config["strict"] is True
    in_nav = set(nav_pages(config["nav"]))
    pages = {str(path.relative_to(DOCS)) for path in DOCS.rglob("*.md")}
    assert pages - in_nav == set(), "add these pages to the nav in mkdocs.yml"

    # Each page gets a URL of its own: `sources.md` beside `sources/index.md` would both be
    # written to sources/index.html, one page silently replacing the other.
    built = {page: html_path(page) for page in pages}
    assert len(set(built.values())) == len(built), built
    titles = {
        "index.md": "Getting started",
        "event-sources/rest.md": "REST API",
        "event-sources/lattice.md": "VPC Lattice",
        "sources.md": "Custom sources",
        "testing.md": "Testing helpers",
        "migrating.md": "Migrating from Mangum",
    }
    for page, title in titles.items():
        heading = re.compile(f'<h1 id="[^"]+">{re.escape(title)}<')
        assert heading.search((site / built[page]).read_text()), page
    reference = (site / "reference" / "index.html").read_text()
    for name in ("lambda_asgi.Adapter", "lambda_asgi.testing.rest_event", "ConfigurationError"):
        assert name in reference, name
    assert "fonts.googleapis.com" not in (site / "index.html").read_text()


def test_getting_started_commands_run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # `serve` is left out here, as in docs/cli.md: test_cli_serve.py runs it.
    monkeypatch.setattr(sys, "path", [str(ROOT), *sys.path])
    monkeypatch.chdir(tmp_path)
    shell = Shell(capsys, monkeypatch)
    lines = [line for commands, _ in documented("docs/index.md") for line in commands]
    assert [line.split()[1] for line in lines] == ["invoke", "event"]
    for line in lines:
        assert shell.run(line).startswith("{")


def html_path(page: str) -> str:
    """Where mkdocs writes a page with directory URLs: a.md and a/index.md go to a/index.html."""
    stem = page.removesuffix(".md")
    if stem == "index" or stem.endswith("/index"):
        return f"{stem}.html"
    return f"{stem}/index.html"


def nav_pages(nav: object) -> list[str]:
    """Every page file named in a mkdocs nav, however deeply nested."""
    if isinstance(nav, str):
        return [nav]
    if isinstance(nav, dict):
        return [page for value in nav.values() for page in nav_pages(value)]
    if isinstance(nav, list):
        return [page for item in nav for page in nav_pages(item)]
    return []


def refresh() -> None:
    """Rewrite every Output block with what its examples print now."""
    for page in executed_pages():
        text = page.read_text()
        for block, printed in reversed(run_page(page)):
            if matches(block.code, printed):
                continue  # keeps its ... elisions
            body = "".join(
                block.indent + line if line.strip() else line
                for line in printed.splitlines(keepends=True)
            )
            text = text[: block.start] + body + text[block.end :]
        page.write_text(text)
        print(f"refreshed {page.relative_to(ROOT)}")


if __name__ == "__main__":
    refresh()
