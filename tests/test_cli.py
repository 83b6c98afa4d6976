"""``lambda-asgi invoke`` and ``lambda-asgi event``, run in-process through ``main()``, plus
one run of the installed console script; every input mistake is one line and exit status 2."""

from __future__ import annotations

import hashlib
import io
import json
import os
import runpy
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from examples.app import handler as example_handler
from lambda_asgi import UnsupportedEventError
from lambda_asgi.cli import main
from lambda_asgi.sources import detect
from lambda_asgi.testing import (
    FakeContext,
    alb_event,
    edge_event,
    function_url_event,
    http_api_event,
    lattice_event,
    rest_event,
)
from tests import cli_apps

ROOT = Path(__file__).resolve().parent.parent
CONSOLE_SCRIPT = Path(sys.executable).with_name("lambda-asgi")

Builder = Callable[..., dict[str, Any]]
SOURCE_BUILDERS: list[tuple[str, Builder, dict[str, Any]]] = [
    ("rest", rest_event, {}),
    ("http-api", http_api_event, {}),
    ("http-api-v1", http_api_event, {"payload_version": "1.0"}),
    ("function-url", function_url_event, {}),
    ("alb", alb_event, {}),
    ("alb-multi", alb_event, {"multi_value": True}),
    ("edge", edge_event, {}),
    ("edge-viewer", edge_event, {"event_type": "viewer-request"}),
    ("lattice", lattice_event, {}),
    ("lattice-v1", lattice_event, {"version": 1}),
]
SOURCE_NAMES = [name for name, _, _ in SOURCE_BUILDERS]
REQUEST_OPTIONS = [
    *("-X", "post", "--path", "/a%20b?x=1", "-q", "y=2&y=3"),
    *("-H", "X-Custom: one", "-H", "X-Custom:two", "-b", "s=1", "--cookie", "t=2"),
    *("-d", "hello", "--source-ip", "198.51.100.9"),
]
REQUEST: dict[str, Any] = {
    "method": "POST",
    "path": "/a%20b",
    "query": "x=1&y=2&y=3",
    "headers": [("X-Custom", "one"), ("X-Custom", "two")],
    "cookies": ["s=1", "t=2"],
    "body": "hello",
    "source_ip": "198.51.100.9",
}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``lambda-asgi argv`` in-process: (exit status, stdout, stderr)."""
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def one_line_error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Run a command that must fail on its input; return its single stderr line."""
    status, out, err = run(capsys, *argv)
    assert (status, out) == (2, "")
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    return lines[0]


def usage_error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Like :func:`one_line_error`, for mistakes argparse itself catches."""
    with pytest.raises(SystemExit) as exit_info:
        main(list(argv))
    out, err = capsys.readouterr()
    assert (exit_info.value.code, out) == (2, "")
    assert len(err.splitlines()) == 1, err
    return err.rstrip("\n")


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in an empty directory; whatever the command adds to sys.path is undone."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    return tmp_path


# -- invoke ------------------------------------------------------------------------------


@pytest.mark.parametrize(("source", "build", "extra"), SOURCE_BUILDERS)
def test_invoke_builds_the_sources_event_and_prints_the_result(
    capsys: pytest.CaptureFixture[str], source: str, build: Builder, extra: dict[str, Any]
) -> None:
    status, out, err = run(
        capsys, "invoke", "tests.cli_apps:echo", "--source", source, *REQUEST_OPTIONS
    )
    expected = cli_apps.adapter(build(**REQUEST, **extra), FakeContext())
    assert status == 0
    assert out == json.dumps(expected, indent=2) + "\n"
    # The app's prints and logs go to stderr (and lambda_asgi's, such as ALB's warning about
    # a second cookie in single-value mode): stdout stays pure JSON.
    assert err.splitlines()[:2] == [
        "echo: a print from the app",
        f"WARNING tests.cli_apps: echo: POST {json.loads(expected['body'])['path']}",
    ]


def test_invoke_defaults_to_an_http_api_get_of_the_root(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, _ = run(capsys, "invoke", "tests.cli_apps:handler")
    assert status == 0
    assert json.loads(out) == {
        "statusCode": 200,
        "headers": {"content-type": "text/plain"},
        "body": "GET",
    }


def test_invoke_the_example_app_pretty(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(
        capsys,
        "invoke",
        "examples.app:handler",
        "--source",
        "rest",
        "--path",
        "/items/1",
        "--pretty",
    )
    result = example_handler(rest_event(path="/items/1"), FakeContext())
    headers = [f"{name}: {value}" for name, value in result["headers"].items()]
    assert (status, err) == (0, "")
    assert out == "\n".join(["HTTP/1.1 200 OK", *headers, "", result["body"]]) + "\n"
    assert json.loads(result["body"])["url"] == (
        "https://abc123defg.execute-api.us-east-1.amazonaws.com/prod/items/1"
    )


def test_invoke_pretty_shows_every_header_and_cookie(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(
        capsys, "invoke", "tests.cli_apps:echo", "--source", "alb-multi", "--pretty"
    )
    head, _, body = out.partition("\n\n")
    assert status == 0
    assert head.splitlines() == [
        "HTTP/1.1 200 OK",
        "content-type: application/json",
        "x-echo: first",
        "x-echo: second",
        "Set-Cookie: a=1; Path=/",
        "Set-Cookie: b=2; Path=/",
    ]
    assert json.loads(body)["headers"][0] == [
        "host",
        "my-alb-1234567890.us-east-1.elb.amazonaws.com",
    ]


def test_invoke_pretty_notes_a_binary_body_by_size_and_digest(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, _ = run(
        capsys,
        "invoke",
        "tests.cli_apps:echo",
        "--path",
        "/png",
        "--source",
        "function-url",
        "--pretty",
    )
    digest = hashlib.sha256(cli_apps.PNG).hexdigest()
    assert status == 0
    assert out == (
        "HTTP/1.1 200 OK\n"
        "content-type: image/png\n"
        "\n"
        f"<binary body: {len(cli_apps.PNG)} bytes, sha256 {digest}>\n"
    )


def test_invoke_pretty_takes_a_result_without_status_as_json_on_http_api(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, _ = run(capsys, "invoke", "tests.cli_apps:no_status", "--pretty")
    assert status == 0
    assert out == "HTTP/1.1 200 OK\nContent-Type: application/json\n\n[1, 2, 3]\n"


def test_invoke_pretty_shows_the_502_for_a_malformed_result(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, err = run(
        capsys, "invoke", "tests.cli_apps:rest_with_cookies", "--source", "rest", "--pretty"
    )
    assert status == 0
    assert out == (
        "HTTP/1.1 502 Bad Gateway\nContent-Type: application/json\n\n"
        '{"message":"Internal Server Error"}\n'
    )
    assert err == (
        "ERROR lambda_asgi.cli: the front door would answer 502: malformed result: REST APIs "
        "accept only statusCode, headers, multiValueHeaders, body, isBase64Encoded; got cookies\n"
    )


def test_invoke_reads_the_event_from_a_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    event = alb_event(path="/items/1", multi_value=True)
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))
    status, out, _ = run(capsys, "invoke", "examples.app:handler", "--event", str(path))
    assert status == 0
    assert json.loads(out) == example_handler(event, FakeContext())
    status, out, _ = run(capsys, "invoke", "examples.app:handler", "--event", str(path), "--pretty")
    result = example_handler(event, FakeContext())
    headers = [
        f"{name}: {v}" for name, values in result["multiValueHeaders"].items() for v in values
    ]
    assert out == "\n".join(["HTTP/1.1 200 OK", *headers, "", result["body"]]) + "\n"


def test_invoke_reads_the_event_from_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    event = http_api_event(path="/items", query="tag=office")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(json.dumps(event).encode())))
    status, out, _ = run(capsys, "invoke", "examples.app:handler", "--event", "-")
    assert (status, json.loads(out)) == (0, example_handler(event, FakeContext()))


def test_invoke_pretty_of_a_non_http_event_prints_the_result_as_json(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "sqs.json"
    path.write_text(json.dumps({"Records": [{"eventSource": "aws:sqs", "body": "x"}]}))
    status, out, _ = run(
        capsys, "invoke", "tests.cli_apps:any_handler", "--event", str(path), "--pretty"
    )
    assert (status, json.loads(out)) == (0, {"statusCode": 204, "body": ""})


@pytest.mark.parametrize("stdin", [False, True])
def test_invoke_sends_a_binary_body_file(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    stdin: bool,
) -> None:
    path = tmp_path / "body.bin"
    path.write_bytes(cli_apps.PNG)
    if stdin:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(cli_apps.PNG)))
    argv = [
        "invoke",
        "tests.cli_apps:echo",
        "-X",
        "PUT",
        "--body-file",
        "-" if stdin else str(path),
    ]
    status, out, _ = run(capsys, *argv)
    event = http_api_event(method="PUT", body=cli_apps.PNG)
    assert event["isBase64Encoded"] is True
    assert (status, json.loads(out)) == (0, cli_apps.adapter(event, FakeContext()))


@pytest.mark.parametrize(
    "app", ["tests.cli_apps:adapter", "tests.cli_apps:echo_object", "tests.cli_apps:echo"]
)
def test_invoke_takes_an_adapter_or_wraps_an_asgi_app(
    capsys: pytest.CaptureFixture[str], app: str
) -> None:
    status, out, _ = run(capsys, "invoke", app, "--path", "/missing")
    assert (status, json.loads(out)) == (
        0,
        {
            "statusCode": 404,
            "headers": {"content-type": "text/plain"},
            "cookies": [],
            "body": "no such thing",
            "isBase64Encoded": False,
        },
    )


def test_invoke_uses_a_handler_taking_any_arguments_as_a_handler(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, _ = run(capsys, "invoke", "tests.cli_apps:any_handler")
    assert (status, json.loads(out)) == (0, {"statusCode": 204, "body": ""})


def test_invoke_trusts_a_callable_without_a_signature_to_be_a_handler(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, _ = run(capsys, "invoke", "tests.cli_apps:unreadable")
    assert (status, json.loads(out)) == (0, {"statusCode": 200, "body": "trusted"})


def test_invoke_reports_a_raising_handler_like_lambda(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "invoke", "tests.cli_apps:raising")
    result = json.loads(out)
    assert status == 1
    assert result == {
        "errorMessage": "the handler broke",
        "errorType": "ValueError",
        "stackTrace": result["stackTrace"],
    }
    assert 'raise ValueError("the handler broke")' in result["stackTrace"][-1]
    assert err.startswith("Traceback (most recent call last):")
    assert err.endswith("ValueError: the handler broke\n")


def test_invoke_reports_a_result_lambda_cannot_serialize(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, err = run(capsys, "invoke", "tests.cli_apps:unserializable")
    assert (status, out) == (1, "")
    assert err == (
        "lambda-asgi: Lambda cannot serialize the handler's result: "
        "Object of type set is not JSON serializable\n"
    )


# -- event -------------------------------------------------------------------------------


@pytest.mark.parametrize(("source", "build", "extra"), SOURCE_BUILDERS)
def test_event_prints_the_sources_event(
    capsys: pytest.CaptureFixture[str], source: str, build: Builder, extra: dict[str, Any]
) -> None:
    status, out, err = run(capsys, "event", source, *REQUEST_OPTIONS)
    assert (status, err) == (0, "")
    assert json.loads(out) == build(**REQUEST, **extra)


def test_event_defaults_to_a_get_of_the_root(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "event", "rest")
    assert (status, json.loads(out)) == (0, rest_event())


class ClosedPipe(io.StringIO):
    """A stdout whose reader went away (``lambda-asgi event rest | head -1``)."""

    def __init__(self, fd: int) -> None:
        super().__init__()
        self.fd = fd

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def fileno(self) -> int:
        return self.fd


def test_a_reader_that_goes_away_ends_the_command_quietly(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with open(tmp_path / "stdout", "w") as file:
        monkeypatch.setattr(sys, "stdout", ClosedPipe(file.fileno()))
        assert main(["event", "rest"]) == 1
        # stdout now leads to /dev/null: what is written later is dropped, not an error
        os.write(file.fileno(), b"dropped")
    assert ((tmp_path / "stdout").read_text(), capsys.readouterr().err) == ("", "")


# -- help and version --------------------------------------------------------------------


def test_help_lists_the_sources(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["invoke", "--help"])
    out = capsys.readouterr().out
    assert exit_info.value.code == 0
    assert "--source SOURCE " in out
    assert out.endswith(
        "sources:\n"
        "  rest          API Gateway REST API\n"
        "  http-api      API Gateway HTTP API, payload 2.0\n"
        "  http-api-v1   API Gateway HTTP API, payload 1.0\n"
        "  function-url  Lambda Function URL\n"
        "  alb           Application Load Balancer\n"
        "  alb-multi     Application Load Balancer, multi-value headers\n"
        "  edge          Lambda@Edge, origin request\n"
        "  edge-viewer   Lambda@Edge, viewer request\n"
        "  lattice       VPC Lattice, event version 2\n"
        "  lattice-v1    VPC Lattice, event version 1\n"
    )


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert (exit_info.value.code, capsys.readouterr().out) == (0, "lambda-asgi 0.1.0\n")


def test_python_dash_m(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["lambda_asgi.cli", "event", "alb"])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_module("lambda_asgi.cli", run_name="__main__")
    assert (exit_info.value.code, json.loads(capsys.readouterr().out)) == (0, alb_event())


# -- one-line errors ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("app", "message"),
    [
        ("examples.app", "APP must look like 'module:attribute' (e.g. examples.app:handler), "
         "got 'examples.app'"),
        (":handler", "APP must look like 'module:attribute' (e.g. examples.app:handler), "
         "got ':handler'"),
        ("examples.app:nothing", "'examples.app' has no attribute 'nothing'"),
        ("examples.app:app.nothing", "'examples.app' has no attribute 'app.nothing'"),
        ("tests.cli_apps:NOT_CALLABLE",
         "tests.cli_apps:NOT_CALLABLE is not callable (it is a int)"),
        ("tests.cli_apps:one_argument", "tests.cli_apps:one_argument is neither a Lambda handler "
         "(event, context) nor an ASGI application (scope, receive, send)"),
        ("tests.cli_apps:failing_startup", "cannot serve tests.cli_apps:failing_startup: "
         "LifespanError: lifespan startup failed: no database"),
    ],
)  # fmt: skip
def test_a_bad_app_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str], app: str, message: str
) -> None:
    assert one_line_error(capsys, "invoke", app) == f"lambda-asgi: error: {message}"


def test_a_missing_module_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str], in_tmp: Path
) -> None:
    assert one_line_error(capsys, "invoke", "nosuchmodule.sub:app") == (
        "lambda-asgi: error: cannot import 'nosuchmodule.sub': no module named 'nosuchmodule' "
        f"(looked in the current directory {in_tmp} and sys.path)"
    )


def test_the_current_directory_is_searched_first(
    capsys: pytest.CaptureFixture[str], in_tmp: Path
) -> None:
    (in_tmp / "cli_local_app.py").write_text(
        "def handler(event, context):\n    return {'statusCode': 200, 'body': 'local'}\n"
    )
    status, out, _ = run(capsys, "invoke", "cli_local_app:handler")
    assert (status, json.loads(out)) == (0, {"statusCode": 200, "body": "local"})
    assert sys.path[0] == str(in_tmp)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("import nosuchdependency\n", "ModuleNotFoundError: No module named 'nosuchdependency'"),
        ("raise RuntimeError('boom at import')\n", "RuntimeError: boom at import"),
        ("raise RuntimeError()\n", "RuntimeError"),
        ("def broken(:\n", "SyntaxError: invalid syntax (cli_broken_"),
    ],
)
def test_an_app_failing_at_import_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str], in_tmp: Path, source: str, message: str
) -> None:
    name = f"cli_broken_{abs(hash(source))}"
    (in_tmp / f"{name}.py").write_text(source)
    error = one_line_error(capsys, "invoke", f"{name}:app")
    assert error.startswith(f"lambda-asgi: error: importing {name!r} failed: {message}")


def test_traceback_shows_what_lies_behind_an_error(
    capsys: pytest.CaptureFixture[str], in_tmp: Path
) -> None:
    (in_tmp / "cli_boom.py").write_text("raise RuntimeError('boom at import')\n")
    status, out, err = run(capsys, "invoke", "--traceback", "cli_boom:app")
    assert (status, out) == (2, "")
    assert err.startswith("Traceback (most recent call last):")
    assert "RuntimeError: boom at import" in err
    assert err.endswith(
        "lambda-asgi: error: importing 'cli_boom' failed: RuntimeError: boom at import\n"
    )


def test_event_file_errors_are_one_line(
    capsys: pytest.CaptureFixture[str], in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (in_tmp / "bad.json").write_text('{"httpMethod": ')
    (in_tmp / "latin1.json").write_bytes(b'{"path": "\xe9"}')
    app = "tests.cli_apps:handler"
    assert one_line_error(capsys, "invoke", app, "--event", "missing.json") == (
        "lambda-asgi: error: cannot read the event file 'missing.json': No such file or directory"
    )
    assert one_line_error(capsys, "invoke", app, "--event", ".") == (
        "lambda-asgi: error: cannot read the event file '.': Is a directory"
    )
    assert one_line_error(capsys, "invoke", app, "--event", "bad.json") == (
        "lambda-asgi: error: the event in 'bad.json' is not valid JSON: "
        "Expecting value: line 1 column 16 (char 15)"
    )
    assert one_line_error(capsys, "invoke", app, "--event", "latin1.json").startswith(
        "lambda-asgi: error: the event in 'latin1.json' is not valid JSON: 'utf-8' codec"
    )
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    assert one_line_error(capsys, "invoke", app, "--event", "-") == (
        "lambda-asgi: error: the event in standard input is not valid JSON: "
        "Expecting value: line 1 column 1 (char 0)"
    )


def test_an_event_no_source_accepts_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str], in_tmp: Path
) -> None:
    event = {"Records": [{"eventSource": "aws:sqs"}]}
    (in_tmp / "sqs.json").write_text(json.dumps(event))
    with pytest.raises(UnsupportedEventError) as refused:
        detect(event)
    assert one_line_error(capsys, "invoke", "tests.cli_apps:adapter", "--event", "sqs.json") == (
        f"lambda-asgi: error: {refused.value}"
    )


def test_request_option_errors_are_one_line(
    capsys: pytest.CaptureFixture[str], in_tmp: Path
) -> None:
    app = "tests.cli_apps:handler"
    assert one_line_error(
        capsys, "invoke", app, "--event", "e.json", "--path", "/", "-X", "GET"
    ) == ("lambda-asgi: error: --event gives the whole event: drop --method, --path")
    assert one_line_error(capsys, "invoke", app, "--event", "e.json", "--source", "alb") == (
        "lambda-asgi: error: --event gives the whole event: drop --source"
    )
    assert one_line_error(capsys, "event", "rest", "--path", "items") == (
        "lambda-asgi: error: --path must start with '/', got 'items'"
    )
    for header in ("X-Custom", ": value", "X Custom: value", " X: value"):
        assert one_line_error(capsys, "event", "rest", "-H", header) == (
            f"lambda-asgi: error: --header must look like 'Name: value', got {header!r}"
        )
    assert one_line_error(capsys, "event", "rest", "--body-file", "nothing.bin") == (
        "lambda-asgi: error: cannot read the body file 'nothing.bin': No such file or directory"
    )


def test_an_unsupported_source_is_a_one_line_error_listing_the_sources(
    capsys: pytest.CaptureFixture[str],
) -> None:
    choices = ", ".join(repr(name) for name in SOURCE_NAMES)
    assert usage_error(capsys, "event", "websocket") == (
        "lambda-asgi event: error: argument SOURCE: invalid choice: 'websocket' "
        f"(choose from {choices}) (see --help)"
    )
    assert usage_error(capsys, "invoke", "tests.cli_apps:handler", "--source", "sqs") == (
        "lambda-asgi invoke: error: argument --source: invalid choice: 'sqs' "
        f"(choose from {choices}) (see --help)"
    )
    assert usage_error(capsys, "event", "rest", "-d", "x", "--body-file", "f") == (
        "lambda-asgi event: error: argument --body-file: not allowed with argument -d/--body "
        "(see --help)"
    )
    assert usage_error(capsys) == (
        "lambda-asgi: error: the following arguments are required: COMMAND (see --help)"
    )


# -- the installed console script --------------------------------------------------------


def test_the_console_script(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": ""}
    done = subprocess.run(
        [str(CONSOLE_SCRIPT), "invoke", "tests.cli_apps:handler", "--source", "rest", "-X", "PUT"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert json.loads(done.stdout) == {
        "statusCode": 200,
        "headers": {"content-type": "text/plain"},
        "body": "PUT",
    }
    done = subprocess.run(
        [str(CONSOLE_SCRIPT), "invoke", "nosuchmodule:app"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        "lambda-asgi: error: cannot import 'nosuchmodule': no module named 'nosuchmodule' "
        f"(looked in the current directory {tmp_path} and sys.path)\n"
    )


def test_importing_lambda_asgi_does_not_load_the_cli() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import sys, lambda_asgi; print('lambda_asgi.cli' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout == "False\n"
