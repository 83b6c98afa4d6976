"""template.yaml through the real SAM CLI; the built functions run as ``sam local invoke`` would.

``sam validate --lint`` and ``sam build`` (without a container) run as they would for a user.
``sam local invoke`` itself needs Docker, which CI does not have; it would start the Lambda
Python image on the built function directory. tests/lambda_image.py reproduces that image with
processes: the official runtime client (awslambdaric), or lambda_asgi's runtime through the
exec wrapper, runs in the built function directory with the image's environment plus what sam
passes for the function (read from the SAM CLI's own code by tests/sam_probe.py), against
lambda_asgi's RuntimeEmulator in place of the Runtime Interface Emulator, and each event (from
``sam local generate-event`` where sam has a generator) gets a fresh process, as each
``sam local invoke`` gets a fresh container. Every invocation proves from the process's import
log that lambda_asgi, the app and its dependencies came from the build, not from this checkout.

``sam build`` runs once for the module (10 to 15 s); the module takes 15 to 35 s on two cores.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from examples.app import app
from examples.store import CONTENT_DISPOSITION, PIXEL_PNG, STREAM_CHUNKS
from lambda_asgi.exceptions import UnsupportedEventError
from lambda_asgi.testing import FakeContext, function_url_event
from tests.conftest import AdapterFactory
from tests.lambda_image import Invoked, LambdaImage

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv-sam" / "bin"
FUNCTIONS = ("ExampleFunction", "StreamingFunction")
HANDLER = "examples.app.handler"
RUNTIME = "python3.11"
# sam build resolves the template's Runtime to that interpreter, and LambdaImage runs the
# function on the test interpreter as that image's: other Pythons cannot stand in for it.
pytestmark = pytest.mark.skipif(
    "python{}.{}".format(*sys.version_info) != RUNTIME,
    reason=f"the template's Runtime is {RUNTIME}: sam build and the image need that Python",
)
# Loaded by every invocation that reached the app, from the function directory.
APP_MODULES = ("lambda_asgi/__init__.py", "lambda_asgi/adapter.py", "examples/app.py")


def run_sam(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the SAM CLI from .venv-sam; fail (never skip) when scripts/setup has not made it."""
    if not (BIN / "sam").exists():
        pytest.fail(f"{BIN / 'sam'} is missing: run scripts/setup, which installs the SAM CLI")
    # sam build looks up python3.11 on PATH: the test interpreter's own directory comes first,
    # so the dependencies it installs match the interpreter that later runs the function.
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0", "PATH": path}
    done = subprocess.run(
        [str(BIN / "sam"), *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if check and done.returncode:
        pytest.fail(f"sam {' '.join(args)} exited {done.returncode}:\n{done.stdout}{done.stderr}")
    return done


def probe(*args: str) -> Any:
    done = subprocess.run(
        [str(BIN / "python"), str(ROOT / "tests" / "sam_probe.py"), *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        pytest.fail(f"sam_probe.py {' '.join(args)} exited {done.returncode}:\n{done.stderr}")
    return json.loads(done.stdout)


def generate_event(*args: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(run_sam("local", "generate-event", *args).stdout)
    return event


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``sam build`` once for the module, into a temporary directory."""
    build_dir = tmp_path_factory.mktemp("sam") / "build"
    run_sam("build", "--template-file", "template.yaml", "--build-dir", str(build_dir))
    return build_dir


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> LambdaImage:
    return LambdaImage(tmp_path_factory.mktemp("image"), RUNTIME)


@pytest.fixture(scope="module")
def envs(build: Path, image: LambdaImage) -> dict[str, dict[str, str]]:
    """Each built function's process environment, by logical ID."""
    sam = probe("env", str(build / "template.yaml"), *FUNCTIONS)
    return {name: image.environ(build / name, sam[name]) for name in FUNCTIONS}


@pytest.fixture
def sam_local_invoke(
    build: Path, image: LambdaImage, envs: dict[str, dict[str, str]], tmp_path: Path
) -> Callable[[str, Any], Invoked]:
    """``sam local invoke FUNCTION --event ...``, and the check that the build's code ran."""

    def invoke(function: str, event: Any) -> Invoked:
        invoked = image.invoke(envs[function], event, tmp_path / f"{function}.log")
        if invoked.result.status == "success":
            image.assert_ran_from(invoked, build / function, *APP_MODULES)
        return invoked

    return invoke


def test_template_passes_sam_validate_lint() -> None:
    # cfn-lint findings, warnings included, go to stdout and fail it ("Linting failed").
    # stderr is left alone: once a week sam tells there that PyPI has a newer version.
    done = run_sam("validate", "--lint", "--template-file", "template.yaml", check=False)
    assert (done.returncode, done.stdout) == (
        0,
        f"{ROOT / 'template.yaml'} is a valid SAM Template\n",
    )


def test_template_puts_the_app_behind_every_front_door() -> None:
    template = probe("template", str(ROOT / "template.yaml"))
    resources = template["Resources"]
    assert template["Globals"]["Function"]["Handler"] == HANDLER
    assert template["Globals"]["Function"]["Runtime"] == RUNTIME
    buffered, streaming = (resources[name]["Properties"] for name in FUNCTIONS)
    assert buffered["FunctionUrlConfig"] == {"AuthType": "NONE"}
    assert {name: event["Type"] for name, event in buffered["Events"].items()} == {
        "HttpApiAnyPath": "HttpApi",
        "RestApiRoot": "Api",
        "RestApiAnyPath": "Api",
    }
    assert resources["RestApi"]["Properties"]["BinaryMediaTypes"] == [
        "image~1png",
        "multipart~1form-data",
        "application~1octet-stream",
    ]
    assert streaming["FunctionUrlConfig"] == {"AuthType": "NONE", "InvokeMode": "RESPONSE_STREAM"}
    assert streaming["Environment"]["Variables"] == {
        "AWS_LAMBDA_EXEC_WRAPPER": "/var/task/lambda_asgi/runtime/bootstrap",
        "LAMBDA_ASGI_INVOKE_MODE": "response_stream",
    }
    assert {name: output["Value"] for name, output in template["Outputs"].items()} == {
        "HttpApiUrl": {
            "Fn::Sub": "https://${ServerlessHttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/"
        },
        "RestApiUrl": {
            "Fn::Sub": "https://${RestApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/prod/"
        },
        "FunctionUrl": {"Fn::GetAtt": ["ExampleFunctionUrl", "FunctionUrl"]},
        "StreamingFunctionUrl": {"Fn::GetAtt": ["StreamingFunctionUrl", "FunctionUrl"]},
        "FunctionName": {"Ref": "ExampleFunction"},
    }


def test_build_holds_the_package_the_app_and_its_dependencies(build: Path) -> None:
    built = probe("template", str(build / "template.yaml"))
    for function in FUNCTIONS:
        task_root = build / function
        assert built["Resources"][function]["Properties"]["CodeUri"] == function
        for module in (*APP_MODULES, "fastapi/__init__.py", "python_multipart/__init__.py"):
            assert (task_root / module).is_file(), module
        assert not (task_root / "lambda_asgi").is_symlink()
        assert list(task_root.glob("pydantic_core/_pydantic_core.*.so"))
        assert os.access(task_root / "lambda_asgi" / "runtime" / "bootstrap", os.X_OK)
        assert not list(task_root.rglob("__pycache__"))


# The sample event's "Host" header and its multiValueHeaders entry disagree (1234567890 vs
# 0123456789); like API Gateway's own events, lambda_asgi reads the multi-value one.
REST_URL = "https://0123456789.execute-api.us-east-1.amazonaws.com/prod"
LAMP = {"id": 1, "name": "lamp", "price": 12.5, "tags": ["home"]}
Invoke = Callable[[str, Any], Invoked]  # the sam_local_invoke fixture


def compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def test_rest_api_event(sam_local_invoke: Invoke) -> None:
    event = generate_event("apigateway", "aws-proxy", "--method", "GET", "--path", "items/1")
    result = sam_local_invoke("ExampleFunction", event).result
    body = compact({**LAMP, "url": f"{REST_URL}/items/1"})
    assert (result.status, result.json()) == (
        "success",
        {
            "statusCode": 200,
            "headers": {"content-length": str(len(body)), "content-type": "application/json"},
            "multiValueHeaders": {},
            "body": body,
            "isBase64Encoded": False,
        },
    )


def test_rest_api_binary_response(sam_local_invoke: Invoke) -> None:
    event = generate_event("apigateway", "aws-proxy", "--method", "GET", "--path", "download")
    result = sam_local_invoke("ExampleFunction", event).result
    # Base64 with the flag set; API Gateway turns it back into bytes for clients whose Accept
    # names one of the REST API's BinaryMediaTypes (image/png).
    assert (result.status, result.json()) == (
        "success",
        {
            "statusCode": 200,
            "headers": {
                "content-disposition": CONTENT_DISPOSITION,
                "content-length": str(len(PIXEL_PNG)),
                "content-type": "image/png",
            },
            "multiValueHeaders": {},
            "body": base64.b64encode(PIXEL_PNG).decode(),
            "isBase64Encoded": True,
        },
    )


def test_http_api_event(sam_local_invoke: Invoke) -> None:
    body = '{"name": "desk", "price": 80}'
    event = generate_event(
        "apigateway", "http-api-proxy", "--method", "POST", "--path", "items", "--body", body
    )
    # generate-event has no option for headers; a client posting JSON sends this one.
    event["headers"]["content-type"] = "application/json"
    result = sam_local_invoke("ExampleFunction", event).result
    created = compact({"id": 2, "name": "desk", "price": 80.0, "tags": []})
    assert (result.status, result.json()) == (
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


def test_alb_event(sam_local_invoke: Invoke) -> None:
    event = generate_event("alb", "request", "--method", "GET", "--path", "items/9", "--body", "")
    result = sam_local_invoke("ExampleFunction", event).result
    assert (result.status, result.json()) == (
        "success",
        {
            "statusCode": 404,
            "statusDescription": "404 Not Found",
            "headers": {"content-length": "22", "content-type": "application/json"},
            "body": '{"detail":"no item 9"}',
            "isBase64Encoded": False,
        },
    )


def test_function_url_event(sam_local_invoke: Invoke) -> None:
    # sam local generate-event has no Function URL event: lambda_asgi.testing builds one.
    event = function_url_event(path="/items", query={"tag": ["home", "garden"]})
    result = sam_local_invoke("ExampleFunction", event).result
    body = compact([LAMP])
    assert (result.status, result.json()) == (
        "success",
        {
            "statusCode": 200,
            "headers": {"content-length": str(len(body)), "content-type": "application/json"},
            "cookies": [],
            "body": body,
            "isBase64Encoded": False,
        },
    )


def test_streaming_function_url_event(sam_local_invoke: Invoke, build: Path) -> None:
    invoked = sam_local_invoke("StreamingFunction", function_url_event(path="/stream"))
    result = invoked.result
    assert (result.status, result.streamed, result.prelude, result.payload) == (
        "success",
        True,
        {
            "statusCode": 200,
            "headers": {"content-type": "text/plain; charset=utf-8"},
            "cookies": [],
        },
        b"".join(STREAM_CHUNKS),
    )
    # The exec wrapper replaced the managed runtime client: awslambdaric never ran.
    loaded = invoked.loaded_files()
    assert build / "StreamingFunction" / "lambda_asgi" / "runtime" / "loop.py" in loaded
    assert not [path for path in loaded if "awslambdaric" in path.parts]


def test_non_http_event_fails_the_invocation_with_a_named_error(
    sam_local_invoke: Invoke, build: Path, make_adapter: AdapterFactory
) -> None:
    event = generate_event("sqs", "receive-message")
    with pytest.raises(UnsupportedEventError) as raised:
        make_adapter(app)(event, FakeContext())
    result = sam_local_invoke("ExampleFunction", event).result
    error = result.json()
    assert (result.status, {**error, "stackTrace": None}) == (
        "error",
        {
            "errorType": "UnsupportedEventError",
            "errorMessage": str(raised.value),
            "requestId": result.request_id,
            "stackTrace": None,
        },
    )
    frames = re.findall(r'File "([^"]+)"', "".join(error["stackTrace"]))
    package = build / "ExampleFunction" / "lambda_asgi"
    assert frames
    assert [frame for frame in frames if not Path(frame).is_relative_to(package)] == []
