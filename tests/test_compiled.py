"""The two builds of one package: the request path compiled with mypyc (the wheels published for
Lambda's platforms) and pure Python (any other install).

``scripts/test`` runs the whole suite on both: on the working tree's Python source, with
coverage, and on the compiled wheel that ``scripts/compile`` lays out, with
``LAMBDA_ASGI_TEST_COMPILED=1``. These tests make sure each run tests the build it says it
does: a compiled module left beside the sources would shadow them without a word.
"""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import lambda_asgi

ROOT = Path(__file__).resolve().parent.parent
EXPECT_COMPILED = os.environ.get("LAMBDA_ASGI_TEST_COMPILED") == "1"


def compiled_modules() -> list[str]:
    """The modules pyproject.toml's mypyc hook compiles, as dotted names."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    section = text.split("[tool.hatch.build.targets.wheel.hooks.mypyc]", 1)[1].split("\n[", 1)[0]
    paths = re.findall(r'"/(lambda_asgi/[\w/]+)\.py"', section)
    return [path.replace("/", ".").removesuffix(".__init__") for path in paths]


def test_the_hook_compiles_the_request_path() -> None:
    assert compiled_modules() == [
        "lambda_asgi._exchange",
        "lambda_asgi._http",
        "lambda_asgi._model",
        "lambda_asgi._tasks",
        "lambda_asgi.guards",
        "lambda_asgi.logs",
        "lambda_asgi.sources",
        "lambda_asgi.sources._request",
        "lambda_asgi.sources._response",
        "lambda_asgi.sources.http_api",
        "lambda_asgi.sources.rest",
        "lambda_asgi.sources.alb",
        "lambda_asgi.sources.lattice",
        "lambda_asgi.sources.edge",
    ]


def test_this_run_tests_the_build_it_says() -> None:
    assert lambda_asgi.COMPILED is EXPECT_COMPILED


@pytest.mark.parametrize("name", compiled_modules())
def test_each_module_is_of_the_build_under_test(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__file__ is not None
    assert (not module.__file__.endswith(".py")) is EXPECT_COMPILED, module.__file__


def test_the_compiled_modules_need_nothing_at_run_time() -> None:
    """mypyc's shared library is part of the wheel: serving a request imports nothing of mypy
    (nor anything beyond the standard library) in either build."""
    code = (
        "import sys\n"
        "import lambda_asgi\n"
        "from lambda_asgi.testing import FakeContext, rest_event\n"
        "async def app(scope, receive, send):\n"
        "    await send({'type': 'http.response.start', 'status': 204})\n"
        "    await send({'type': 'http.response.body'})\n"
        "handler = lambda_asgi.Adapter(app, lifespan='off')\n"
        "print(handler(rest_event(), FakeContext())['statusCode'], lambda_asgi.COMPILED)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('mypy', 'mypy_extensions', 'mypyc')))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=ROOT
    )
    assert completed.stderr == ""
    assert completed.stdout.splitlines() == [f"204 {EXPECT_COMPILED}", "[]"]


@pytest.mark.skipif(EXPECT_COMPILED, reason="the Python build's own check")
def test_a_build_without_the_hook_is_pure_python(tmp_path: Path) -> None:
    """What pip builds from source (an sdist, a git URL, a path in requirements.txt) is the
    Python package: no compiler, no mypy, one wheel for every platform."""
    env = {key: value for key, value in os.environ.items() if key != "HATCH_BUILD_HOOKS_ENABLE"}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
            "--wheel-dir",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        env=env,
        capture_output=True,
    )
    [wheel] = tmp_path.glob("lambda_asgi-*.whl")
    assert wheel.name.endswith("-py3-none-any.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert "lambda_asgi/cycle.py" in names
    assert [name for name in names if not name.endswith((".py", "py.typed"))] == [
        name for name in names if ".dist-info/" in name or "/bootstrap" in name
    ]
