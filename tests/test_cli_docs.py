"""Every ``lambda-asgi invoke`` and ``lambda-asgi event`` command in docs/cli.md and the
README runs as written, and where the page shows what a command prints, it prints exactly
that (``serve`` and its ``curl`` lines are covered by test_cli_serve.py)."""

from __future__ import annotations

import io
import re
import shlex
import sys
from pathlib import Path

import pytest

import examples
from lambda_asgi.cli import main

ROOT = Path(__file__).resolve().parent.parent
FENCE = re.compile(r"^```(?P<info>[^\n]*)\n(?P<body>.*?)^```$", re.MULTILINE | re.DOTALL)
SKIPPED = ("curl ", "source ", "lambda-asgi serve", "jq ")


def command_lines(code: str) -> list[str]:
    """A bash block's command lines: continuations joined, comments dropped."""
    lines = []
    for line in code.replace("\\\n", " ").splitlines():
        line = line.split(" # ")[0].strip()
        wanted = line.startswith(("lambda-asgi", "echo ")) and not line.startswith(SKIPPED)
        if wanted and "myservice" not in line:  # the reader's own code, in examples of errors
            lines.append(line)
    return lines


def documented(document: str) -> list[tuple[list[str], str | None]]:
    """Each bash block's commands, with the block shown right after it as its output (a
    plain or ``json`` block), if any."""
    fences = [(m["info"].strip(), m["body"]) for m in FENCE.finditer((ROOT / document).read_text())]
    found = []
    for index, (info, code) in enumerate(fences):
        if info == "bash":
            following = fences[index + 1] if index + 1 < len(fences) else ("bash", "")
            shown = following[1] if following[0] in ("", "json") else None
            found.append((command_lines(code), shown))
    return found


class Shell:
    """Runs pipelines of ``lambda-asgi`` commands (``|``, ``> file``, ``echo '...' > file``),
    each on a freshly imported example app, as separate processes would."""

    def __init__(self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
        self.capsys = capsys
        self.monkeypatch = monkeypatch

    def run(self, line: str) -> str:
        line, _, target = line.partition(" > ")
        output = ""
        for command in line.split(" | "):
            argv = shlex.split(command)
            if argv[0] == "echo":
                output = argv[1] + "\n"
                continue
            if argv[0] != "lambda-asgi":
                break  # jq and the like only read the output
            self.monkeypatch.delitem(sys.modules, "examples.app", raising=False)
            self.monkeypatch.delattr(examples, "app", raising=False)
            self.monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(output.encode())))
            status = main(argv[1:])
            output, err = self.capsys.readouterr()
            assert status == 0, f"{command!r} failed: {err}"
        if target:
            Path(target).write_text(output)
        return output


@pytest.mark.parametrize(("document", "at_least"), [("docs/cli.md", 15), ("README.md", 3)])
def test_documented_commands_run_and_print_what_is_shown(
    document: str,
    at_least: int,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    # The documented POSTs and PUTs change only fresh copies of the example app, and the
    # files the commands write go to tmp_path.
    monkeypatch.setattr(sys, "path", [str(ROOT), *sys.path])
    monkeypatch.chdir(tmp_path)
    shell = Shell(capsys, monkeypatch)
    ran = compared = 0
    for lines, shown in documented(document):
        for line in lines:
            output = shell.run(line)
            ran += 1
        if shown is not None and len(lines) == 1:
            assert output == shown, lines[0]
            compared += 1
    assert ran >= at_least
    assert compared == (3 if document == "docs/cli.md" else 0)
