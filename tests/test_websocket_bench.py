"""Smoke test of bench.websocket: the children post to the local endpoint, every request is
checked, and the report has every figure. Timing is never asserted; ``python -m
bench.websocket`` reports it.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bench import websocket
from bench.websocket import FakeConnectionsEndpoint, Settings

TINY = Settings(samples=1, sends=2, import_runs=1)


def test_a_quick_run_reports_every_figure(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(websocket, "QUICK", TINY)
    output = tmp_path / "websocket.json"

    assert websocket.main(["--quick", "--json", str(output)]) == 0

    document = json.loads(output.read_text())
    assert document["settings"] == {"samples": 1, "sends": 2, "import_runs": 1}
    assert sorted(document["figures"]) == [
        "client_ms",
        "first_extra_ms",
        "first_over_later",
        "first_request_ms",
        "first_send_ms",
        "import_boto3_ms",
        "lambda_asgi_import_ms",
        "later_send_ms",
        "websocket_import_ms",
        "websocket_over_lambda_asgi_import",
    ]
    assert all(value > 0 for name, value in document["figures"].items() if name != "first_extra_ms")
    assert [sample["kind"] for sample in document["samples"]] == ["cold", "parts"]
    assert all(len(sample["later_ms"]) == 2 for sample in document["samples"])
    # The point of the package's lazy imports: the core never loads any of it.
    assert document["imported_by_lambda_asgi"] == []
    printed = capsys.readouterr().out
    assert "first / later" in printed
    assert "`import lambda_asgi`: none" in printed


def test_a_failing_child_is_a_benchmark_error() -> None:
    with FakeConnectionsEndpoint() as endpoint:
        pass  # closed: the child's first post is refused
    with pytest.raises(
        websocket.BenchmarkError, match=r"(?s)the cold child failed: .*ManagementAPIError"
    ):
        websocket._run_child("cold", TINY, endpoint)


def test_the_fake_endpoint_answers_like_api_gateway() -> None:
    with FakeConnectionsEndpoint(gone={"left="}) as endpoint:
        base = f"{endpoint.url}/prod/@connections"
        post = urllib.request.Request(f"{base}/here", data=b"hi", method="POST")
        with urllib.request.urlopen(post) as answer:
            assert (answer.status, answer.read()) == (200, b"")
        with urllib.request.urlopen(f"{base}/here") as answer:
            assert json.loads(answer.read()) == websocket.CONNECTION_DOCUMENT
        with pytest.raises(urllib.error.HTTPError) as gone:
            urllib.request.urlopen(f"{base}/left%3D")
        assert (gone.value.code, gone.value.headers["x-amzn-ErrorType"]) == (410, "GoneException")
        gone.value.close()
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"{endpoint.url}/elsewhere")
        assert missing.value.code == 404
        missing.value.close()
    assert endpoint.requests == [
        ("POST", "/prod/@connections/here", b"hi"),
        ("GET", "/prod/@connections/here", b""),
        ("GET", "/prod/@connections/left=", b""),
        ("GET", "/elsewhere", b""),
    ]
