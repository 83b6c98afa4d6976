"""Every ``lambda-asgi invoke`` and ``lambda-asgi event`` command in docs/cli.md and the
README runs as written (``serve`` and its ``curl`` lines are covered by test_cli_serve.py)."""

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
SKIPPED = ("curl ", "source ", "lambda-asgi serve", "jq ")


def shell_lines(markdown: str) -> list[str]:
    """The command lines of the ```bash blocks, continuations joined, comments dropped."""
    lines = []
    for block in re.findall(r"```bash\n(.*?)```", markdown, re.DOTALL):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split(" # ")[0].strip()
            if line and not line.startswith("#"):
                lines.append(line)
    return lines


def run_line(
    line: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run a pipeline of ``lambda-asgi`` commands (``|``, ``> file``, ``echo '...' > file``)."""
    line, _, target = line.partition(" > ")
    output = ""
    for command in line.split(" | "):
        argv = shlex.split(command)
        if argv[0] == "echo":
            output = argv[1] + "\n"
            continue
        if argv[0] != "lambda-asgi":
            break  # jq and the like only read the output
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(output.encode())))
        status = main(argv[1:])
        output, err = capsys.readouterr()
        assert status == 0, f"{command!r} failed: {err}"
    if target:
        Path(target).write_text(output)


@pytest.mark.parametrize("document", ["docs/cli.md", "README.md"])
def test_documented_commands_run(
    document: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    # A fresh copy of the example app, so the documented POSTs and PUTs leave the one the
    # rest of the suite imports untouched; files the commands write go to tmp_path.
    monkeypatch.delitem(sys.modules, "examples.app", raising=False)
    monkeypatch.delattr(examples, "app", raising=False)
    monkeypatch.setattr(sys, "path", [str(ROOT), *sys.path])
    monkeypatch.chdir(tmp_path)
    lines = [
        line
        for line in shell_lines((ROOT / document).read_text())
        if line.startswith(("lambda-asgi", "echo "))
        and not line.startswith(SKIPPED)
        and "myservice" not in line
    ]
    assert len(lines) >= (10 if document == "docs/cli.md" else 3)
    for line in lines:
        run_line(line, capsys, monkeypatch)
