"""template.yaml through the real SAM CLI; the built function run as ``sam local invoke`` would.

``sam validate --lint`` and ``sam build`` (without a container) run as they would for a user.
``sam local invoke`` itself needs Docker, which CI does not have, so the test reproduces what
it does with the same pieces outside a container: the Lambda Python image runs the official
runtime client (awslambdaric) in /var/task, the function directory ``sam build`` produced, with
the image's, the bootstrap's and sam's environment, against the Runtime Interface Emulator.
Here awslambdaric runs in the built function directory with that environment (sam's part read
from the SAM CLI's own code, see tests/sam_probe.py) against lambda_asgi's RuntimeEmulator, fed
events from ``sam local generate-event``. One process per invocation, like sam's one container
per ``sam local invoke``.

The process sees no site-packages (``-S``): its path is the function directory, then a runtime
directory holding only awslambdaric and its dependencies (the image's /var/runtime), then the
standard library. ``-v`` makes it log where every module came from, and the test checks that
lambda_asgi, the example app and its dependencies came from the build, never from this checkout.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from examples.app import app
from lambda_asgi.emulator import Result, RuntimeEmulator
from lambda_asgi.exceptions import UnsupportedEventError
from lambda_asgi.testing import FakeContext, function_url_event
from tests.conftest import AdapterFactory

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv-sam" / "bin"
FUNCTION = "ExampleFunction"
HANDLER = "examples.app.handler"
RUNTIME = "python3.11"


def run_sam(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the SAM CLI from .venv-sam; fail (never skip) when scripts/setup has not made it."""
    if not (BIN / "sam").exists():
        pytest.fail(f"{BIN / 'sam'} is missing: run scripts/setup, which installs the SAM CLI")
    # sam build looks up python3.11 on PATH: the test interpreter's own directory comes first,
    # so the dependencies it installs match the interpreter that later runs the function.
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0", "PATH": path}
    return subprocess.run(
        [str(BIN / "sam"), *args], cwd=ROOT, env=env, capture_output=True, text=True, check=check
    )


def probe(*args: str) -> Any:
    done = subprocess.run(
        [str(BIN / "python"), str(ROOT / "tests" / "sam_probe.py"), *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def generate_event(*args: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(run_sam("local", "generate-event", *args).stdout)
    return event


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``sam build`` once for the module (about 10 s), into a temporary directory."""
    assert sys.version_info[:2] == (3, 11), f"the template's Runtime is {RUNTIME}: run on 3.11"
    build_dir = tmp_path_factory.mktemp("sam") / "build"
    run_sam("build", "--template-file", "template.yaml", "--build-dir", str(build_dir))
    return build_dir


@pytest.fixture(scope="module")
def runtime_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The image's /var/runtime: awslambdaric and its dependencies, and nothing else."""
    runtime = tmp_path_factory.mktemp("runtime")
    pending, seen = ["awslambdaric"], set()
    while pending:
        dist = metadata.distribution(pending.pop())
        seen.add(dist.metadata["Name"].lower())
        for top in {file.parts[0] for file in dist.files or ()}:
            # Skip the metadata and anything installed outside site-packages (scripts: "..").
            if not top.endswith(".dist-info") and top != ".." and not (runtime / top).exists():
                (runtime / top).symlink_to(Path(str(dist.locate_file(top))))
        for requirement in dist.requires or ():
            name = re.split(r"[\s;<>=!~\[(]", requirement, maxsplit=1)[0].lower()
            if "extra ==" not in requirement and name not in seen:
                pending.append(name)
    return runtime


def test_template_passes_sam_validate_lint() -> None:
    done = run_sam("validate", "--lint", "--template-file", "template.yaml", check=False)
    assert (done.returncode, done.stdout, done.stderr) == (
        0,
        f"{ROOT / 'template.yaml'} is a valid SAM Template\n",
        "",
    )


def test_template_puts_one_function_behind_every_front_door() -> None:
    template = probe("template", str(ROOT / "template.yaml"))
    function = template["Resources"][FUNCTION]["Properties"]
    assert template["Globals"]["Function"]["Handler"] == HANDLER
    assert template["Globals"]["Function"]["Runtime"] == RUNTIME
    assert function["FunctionUrlConfig"] == {"AuthType": "NONE"}
    assert {name: event["Type"] for name, event in function["Events"].items()} == {
        "HttpApiAnyPath": "HttpApi",
        "RestApiRoot": "Api",
        "RestApiAnyPath": "Api",
    }
    assert template["Resources"]["RestApi"]["Properties"]["BinaryMediaTypes"] == [
        "image~1png",
        "multipart~1form-data",
        "application~1octet-stream",
    ]
    assert sorted(template["Outputs"]) == [
        "FunctionName",
        "FunctionUrl",
        "HttpApiUrl",
        "RestApiUrl",
    ]


def test_build_holds_the_package_the_app_and_its_dependencies(build: Path) -> None:
    task_root = build / FUNCTION
    for module in ("lambda_asgi/__init__.py", "examples/app.py", "fastapi/__init__.py"):
        assert (task_root / module).is_file(), module
    assert not (task_root / "lambda_asgi").is_symlink()
    assert list(task_root.glob("pydantic_core/_pydantic_core.*.so"))
    assert not list(task_root.rglob("__pycache__"))
    built = probe("template", str(build / "template.yaml"))
    assert built["Resources"][FUNCTION]["Properties"]["CodeUri"] == FUNCTION


@pytest.fixture(scope="module")
def function_env(build: Path, runtime_dir: Path) -> dict[str, str]:
    """Everything but the Runtime API address, from the three layers that set it on Lambda."""
    image = {  # the Lambda Python image's ENV lines, with its directories mapped to ours
        "LANG": "en_US.UTF-8",
        "TZ": ":/etc/localtime",
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin"]),
        "LAMBDA_TASK_ROOT": str(build / FUNCTION),
        "LAMBDA_RUNTIME_DIR": str(runtime_dir),
    }
    # /var/runtime/bootstrap names the runtime; its bootstrap.py leaves PYTHONPATH set to
    # LAMBDA_RUNTIME_DIR, which is also how this process finds awslambdaric.
    bootstrap = {"AWS_EXECUTION_ENV": f"AWS_Lambda_{RUNTIME}", "PYTHONPATH": str(runtime_dir)}
    sam = probe("env", str(build / "template.yaml"), FUNCTION)
    # Lambda's /var/task is read-only, so every cold start compiles the app afresh; here the
    # bytecode goes to a cache outside the build, shared by the module's invocations.
    pycache = str(build.parent / "pycache")
    return {**image, **bootstrap, **sam, "PYTHONPYCACHEPREFIX": pycache}


class Invoked:
    """One ``sam local invoke``: the Runtime API's result and the function process's log."""

    def __init__(self, result: Result, log: str) -> None:
        self.result = result
        self.log = log

    def loaded_files(self) -> set[Path]:
        """The source or extension file of every module ``python -v`` reports loading."""
        found = _LOADED.findall(self.log)
        return {Path(next(path for path in paths if path)) for paths in found}


# "# <cached .pyc> matches <source>", "# code object from <source>" (compiled afresh; the .pyc
# it then read is quoted and skipped) and "# extension module 'name' loaded from '<.so>'".
_LOADED = re.compile(
    r"^# (?:\S+ matches (\S+)|code object from ([^'\n]+\.py)|"
    r"extension module '[^']+' loaded from '([^']+)')$",
    re.MULTILINE,
)


def invoke(function_env: dict[str, str], event: dict[str, Any], tmp_path: Path) -> Invoked:
    env = function_env
    with RuntimeEmulator(
        function_name=env["AWS_LAMBDA_FUNCTION_NAME"],
        function_timeout=float(env["AWS_LAMBDA_FUNCTION_TIMEOUT"]),
        region=env["AWS_REGION"],
    ) as emulator:
        task_root = env["LAMBDA_TASK_ROOT"]
        env = {**emulator.environ(HANDLER, task_root=task_root), **env}
        log_path = tmp_path / "function.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-S", "-v", "-m", "awslambdaric", HANDLER],
                cwd=task_root,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                result = emulator.invoke(event, timeout=60.0)
            finally:
                emulator.shutdown(process)
    return Invoked(result, log_path.read_text(encoding="utf-8", errors="replace"))


def assert_ran_from_build(invoked: Invoked, function_env: dict[str, str]) -> None:
    """Every module came from the function directory, the runtime directory or the standard
    library, and lambda_asgi, the app and its dependencies from the function directory."""
    task_root = Path(function_env["LAMBDA_TASK_ROOT"])
    roots = (
        task_root,
        Path(function_env["LAMBDA_RUNTIME_DIR"]),
        Path(sysconfig.get_paths()["stdlib"]),
    )
    loaded = invoked.loaded_files()
    assert [path for path in loaded if not any(path.is_relative_to(root) for root in roots)] == []
    for module in ("lambda_asgi/__init__.py", "lambda_asgi/adapter.py", "examples/app.py"):
        assert task_root / module in loaded, module
    assert [path for path in loaded if "lambda_asgi" in path.parts] == [
        path for path in loaded if path.is_relative_to(task_root / "lambda_asgi")
    ]
    assert any(path.is_relative_to(task_root / "pydantic_core") for path in loaded)


# The sample event's "Host" header and its multiValueHeaders entry disagree (1234567890 vs
# 0123456789); like API Gateway's own events, lambda_asgi reads the multi-value one.
REST_URL = "https://0123456789.execute-api.us-east-1.amazonaws.com/prod"
LAMP = {"id": 1, "name": "lamp", "price": 12.5, "tags": ["home"]}


def test_rest_api_event_through_the_built_function(
    function_env: dict[str, str], tmp_path: Path
) -> None:
    event = generate_event("apigateway", "aws-proxy", "--method", "GET", "--path", "items/1")
    invoked = invoke(function_env, event, tmp_path)
    body = json.dumps({**LAMP, "url": f"{REST_URL}/items/1"}, separators=(",", ":"))
    assert (invoked.result.status, invoked.result.json()) == (
        "success",
        {
            "statusCode": 200,
            "headers": {"content-length": str(len(body)), "content-type": "application/json"},
            "multiValueHeaders": {},
            "body": body,
            "isBase64Encoded": False,
        },
    )
    assert_ran_from_build(invoked, function_env)


def test_http_api_event_through_the_built_function(
    function_env: dict[str, str], tmp_path: Path
) -> None:
    body = '{"name": "desk", "price": 80}'
    event = generate_event(
        "apigateway", "http-api-proxy", "--method", "POST", "--path", "items", "--body", body
    )
    # generate-event has no option for headers; a client posting JSON sends this one.
    event["headers"]["content-type"] = "application/json"
    invoked = invoke(function_env, event, tmp_path)
    created = '{"id":2,"name":"desk","price":80.0,"tags":[]}'
    assert (invoked.result.status, invoked.result.json()) == (
        "success",
        {
            "statusCode": 201,
            "headers": {
                "content-length": str(len(created)),
                "content-type": "application/json",
                "location": "https://id.execute-api.us-east-1.amazonaws.com/items/2",
            },
            "cookies": ["last_created=2; Path=/; SameSite=lax"],
            "body": created,
            "isBase64Encoded": False,
        },
    )
    assert_ran_from_build(invoked, function_env)


def test_alb_event_through_the_built_function(function_env: dict[str, str], tmp_path: Path) -> None:
    event = generate_event("alb", "request", "--method", "GET", "--path", "items/9", "--body", "")
    invoked = invoke(function_env, event, tmp_path)
    assert (invoked.result.status, invoked.result.json()) == (
        "success",
        {
            "statusCode": 404,
            "statusDescription": "404 Not Found",
            "headers": {"content-length": "22", "content-type": "application/json"},
            "body": '{"detail":"no item 9"}',
            "isBase64Encoded": False,
        },
    )
    assert_ran_from_build(invoked, function_env)


def test_function_url_event_through_the_built_function(
    function_env: dict[str, str], tmp_path: Path
) -> None:
    # sam local generate-event has no Function URL event: lambda_asgi.testing builds one.
    event = function_url_event(path="/items", query={"tag": ["home", "garden"]})
    invoked = invoke(function_env, event, tmp_path)
    body = json.dumps([LAMP], separators=(",", ":"))
    assert (invoked.result.status, invoked.result.json()) == (
        "success",
        {
            "statusCode": 200,
            "headers": {"content-length": str(len(body)), "content-type": "application/json"},
            "cookies": [],
            "body": body,
            "isBase64Encoded": False,
        },
    )
    assert_ran_from_build(invoked, function_env)


def test_non_http_event_fails_the_invocation_with_a_named_error(
    function_env: dict[str, str], tmp_path: Path, make_adapter: AdapterFactory
) -> None:
    event = generate_event("sqs", "receive-message")
    with pytest.raises(UnsupportedEventError) as raised:
        make_adapter(app)(event, FakeContext())
    invoked = invoke(function_env, event, tmp_path)
    error = invoked.result.json()
    assert (invoked.result.status, {**error, "stackTrace": None}) == (
        "error",
        {
            "errorType": "UnsupportedEventError",
            "errorMessage": str(raised.value),
            "requestId": invoked.result.request_id,
            "stackTrace": None,
        },
    )
    task_root = function_env["LAMBDA_TASK_ROOT"]
    frames = re.findall(r'File "([^"]+)"', "".join(error["stackTrace"]))
    assert frames
    assert [frame for frame in frames if not frame.startswith(f"{task_root}/lambda_asgi/")] == []
