"""The event builders reproduce what each AWS front door makes of one client request."""

from __future__ import annotations

import time
from typing import Any

import pytest

from lambda_asgi import testing
from lambda_asgi.testing import (
    FakeContext,
    alb_event,
    function_url_event,
    http_api_event,
    rest_event,
)

DOMAIN = "abc123defg.execute-api.us-east-1.amazonaws.com"
URL_DOMAIN = "abcdefghijklmnopqrstuvwxyz0123.lambda-url.us-east-1.on.aws"
TRACE = "Root=1-6553f100-4a3d2c1b0f9e8d7c6b5a4938"
TIME = "14/Nov/2023:22:13:20 +0000"
EPOCH = 1_700_000_000_000
IP = "203.0.113.10"
ARN = (
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/lambda-target/0123456789abcdef"
)

# One client request, sent to every front door: repeated query and header, an encoded path,
# cookies and a binary body.
REQUEST: dict[str, Any] = {
    "method": "POST",
    "path": "/capture/space%20value",
    "query": "a=1&a=2&q=x%20y+z",
    "headers": {"Content-Type": "application/octet-stream", "X-Multi": ["1", "2"]},
    "cookies": {"a": "1", "b": "2"},
    "body": b"\x00\x01",
}


def identity(**extra: None) -> dict[str, Any]:
    nulls = ["accessKey", "accountId", "caller", "cognitoAuthenticationProvider"]
    nulls += ["cognitoAuthenticationType", "cognitoIdentityId", "cognitoIdentityPoolId"]
    nulls += ["principalOrgId", "user", "userArn"]
    return {**dict.fromkeys(nulls), **extra, "sourceIp": IP, "userAgent": "curl/8.5.0"}


def test_rest_event() -> None:
    assert rest_event(**REQUEST) == {
        "resource": "/{proxy+}",
        "path": "/capture/space%20value",
        "httpMethod": "POST",
        "headers": {
            "Accept": "*/*",
            "Host": DOMAIN,
            "User-Agent": "curl/8.5.0",
            "X-Amzn-Trace-Id": TRACE,
            "X-Forwarded-For": IP,
            "X-Forwarded-Port": "443",
            "X-Forwarded-Proto": "https",
            "Content-Type": "application/octet-stream",
            "X-Multi": "2",
            "Cookie": "a=1; b=2",
        },
        "multiValueHeaders": {
            "Accept": ["*/*"],
            "Host": [DOMAIN],
            "User-Agent": ["curl/8.5.0"],
            "X-Amzn-Trace-Id": [TRACE],
            "X-Forwarded-For": [IP],
            "X-Forwarded-Port": ["443"],
            "X-Forwarded-Proto": ["https"],
            "Content-Type": ["application/octet-stream"],
            "X-Multi": ["1", "2"],
            "Cookie": ["a=1; b=2"],
        },
        "queryStringParameters": {"a": "2", "q": "x y z"},
        "multiValueQueryStringParameters": {"a": ["1", "2"], "q": ["x y z"]},
        "pathParameters": {"proxy": "capture/space value"},
        "stageVariables": None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123defg",
            "domainName": DOMAIN,
            "domainPrefix": "abc123defg",
            "extendedRequestId": "Ob7xKgXnIAMEb1Q=",
            "httpMethod": "POST",
            "identity": identity(),
            "path": "/prod/capture/space%20value",
            "protocol": "HTTP/1.1",
            "requestId": "5d8a6f2e-3b1c-4e7f-9a0d-2c4b6e8f1a3c",
            "requestTime": TIME,
            "requestTimeEpoch": EPOCH,
            "resourceId": "a1b2c3",
            "resourcePath": "/{proxy+}",
            "stage": "prod",
        },
        "body": "AAE=",
        "isBase64Encoded": True,
    }


def test_http_api_event_v2() -> None:
    assert http_api_event(**REQUEST, stage="dev", route_key="ANY /{proxy+}") == {
        "version": "2.0",
        "routeKey": "ANY /{proxy+}",
        "rawPath": "/dev/capture/space value",
        "rawQueryString": "a=1&a=2&q=x%20y+z",
        "cookies": ["a=1", "b=2"],
        "headers": {
            "accept": "*/*",
            "content-length": "2",
            "content-type": "application/octet-stream",
            "host": DOMAIN,
            "user-agent": "curl/8.5.0",
            "x-amzn-trace-id": TRACE,
            "x-forwarded-for": IP,
            "x-forwarded-port": "443",
            "x-forwarded-proto": "https",
            "x-multi": "1,2",
        },
        "queryStringParameters": {"a": "1,2", "q": "x y z"},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123defg",
            "domainName": DOMAIN,
            "domainPrefix": "abc123defg",
            "http": {
                "method": "POST",
                "path": "/dev/capture/space value",
                "protocol": "HTTP/1.1",
                "sourceIp": IP,
                "userAgent": "curl/8.5.0",
            },
            "requestId": "Ob7xKgXnIAMEb1Q=",
            "routeKey": "ANY /{proxy+}",
            "stage": "dev",
            "time": TIME,
            "timeEpoch": EPOCH,
        },
        "pathParameters": {"proxy": "capture/space value"},
        "body": "AAE=",
        "isBase64Encoded": True,
    }


def test_http_api_event_v1() -> None:
    event = http_api_event(**REQUEST, payload_version="1.0", stage="dev")
    # Lowercased, except the names HTTP API writes itself.
    headers = {
        "accept": "*/*",
        "Content-Length": "2",
        "Content-Type": "application/octet-stream",
        "Host": DOMAIN,
        "User-Agent": "curl/8.5.0",
        "X-Amzn-Trace-Id": TRACE,
        "X-Forwarded-For": IP,
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
        "x-multi": "2",
        "cookie": "a=1; b=2",
    }
    assert event == {
        "version": "1.0",
        "resource": "$default",
        "path": "/dev/capture/space value",
        "httpMethod": "POST",
        "headers": headers,
        "multiValueHeaders": {**{k: [v] for k, v in headers.items()}, "x-multi": ["1", "2"]},
        "queryStringParameters": {"a": "2", "q": "x y z"},
        "multiValueQueryStringParameters": {"a": ["1", "2"], "q": ["x y z"]},
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123defg",
            "domainName": DOMAIN,
            "domainPrefix": "abc123defg",
            "extendedRequestId": "Ob7xKgXnIAMEb1Q=",
            "httpMethod": "POST",
            "identity": identity(cognitoAmr=None),
            "path": "/dev/capture/space value",
            "protocol": "HTTP/1.1",
            "requestId": "Ob7xKgXnIAMEb1Q=",
            "requestTime": TIME,
            "requestTimeEpoch": EPOCH,
            "resourceId": "$default",
            "resourcePath": "$default",
            "stage": "dev",
        },
        "body": "AAE=",
        "isBase64Encoded": True,
    }


def test_function_url_event() -> None:
    assert function_url_event(**REQUEST) == {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/capture/space%20value",
        "rawQueryString": "a=1&a=2&q=x%20y+z",
        "cookies": ["a=1", "b=2"],
        "headers": {
            "accept": "*/*",
            "content-type": "application/octet-stream",
            "cookie": "a=1; b=2",
            "host": URL_DOMAIN,
            "user-agent": "curl/8.5.0",
            "x-amzn-tls-cipher-suite": "TLS_AES_128_GCM_SHA256",
            "x-amzn-tls-version": "TLSv1.3",
            "x-amzn-trace-id": TRACE,
            "x-forwarded-for": IP,
            "x-forwarded-port": "443",
            "x-forwarded-proto": "https",
            "x-multi": "1,2",
        },
        "queryStringParameters": {"a": "1,2", "q": "x y z"},
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "abcdefghijklmnopqrstuvwxyz0123",
            "domainName": URL_DOMAIN,
            "domainPrefix": "abcdefghijklmnopqrstuvwxyz0123",
            "http": {
                "method": "POST",
                "path": "/capture/space value",
                "protocol": "HTTP/1.1",
                "sourceIp": IP,
                "userAgent": "curl/8.5.0",
            },
            "requestId": "9e3f7a1b-6c2d-4f8e-a5b0-1d7c3e9f2b64",
            "routeKey": "$default",
            "stage": "$default",
            "time": TIME,
            "timeEpoch": EPOCH,
        },
        "body": "AAE=",
        "isBase64Encoded": True,
    }


def test_alb_event() -> None:
    assert alb_event(**REQUEST) == {
        "requestContext": {"elb": {"targetGroupArn": ARN}},
        "httpMethod": "POST",
        "path": "/capture/space%20value",
        "queryStringParameters": {"a": "2", "q": "x%20y+z"},
        "headers": {
            "content-type": "application/octet-stream",
            "cookie": "a=1; b=2",
            "host": "my-alb-1234567890.us-east-1.elb.amazonaws.com",
            "user-agent": "curl/8.5.0",
            "x-amzn-trace-id": TRACE,
            "x-forwarded-for": IP,
            "x-forwarded-port": "443",
            "x-forwarded-proto": "https",
            "x-multi": "2",
        },
        "body": "AAE=",
        "isBase64Encoded": True,
    }


def test_alb_event_multi_value() -> None:
    event = alb_event(**REQUEST, multi_value=True)
    assert "headers" not in event
    assert "queryStringParameters" not in event
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"], "q": ["x%20y+z"]}
    assert event["multiValueHeaders"]["x-multi"] == ["1", "2"]
    assert event["multiValueHeaders"]["cookie"] == ["a=1; b=2"]
    assert alb_event(multi_value=True)["multiValueQueryStringParameters"] == {}


def test_alb_health_check() -> None:
    assert alb_event(path="/health", headers={"Host": "x"}, body="ignored", health_check=True) == {
        "requestContext": {"elb": {"targetGroupArn": ARN}},
        "httpMethod": "GET",
        "path": "/health",
        "queryStringParameters": {},
        "headers": {"user-agent": "ELB-HealthChecker/2.0"},
        "body": "",
        "isBase64Encoded": False,
    }


def test_alb_leaves_the_query_undecoded() -> None:
    event = alb_event(query="x=a%2Bb&y=1+2&flag&&%41=%42")
    assert event["queryStringParameters"] == {"x": "a%2Bb", "y": "1+2", "flag": "", "%41": "%42"}


def test_alb_appends_the_peer_to_x_forwarded_for() -> None:
    assert alb_event()["headers"]["x-forwarded-for"] == IP
    event = alb_event(headers={"X-Forwarded-For": "198.51.100.7, 10.0.0.1"})
    assert event["headers"]["x-forwarded-for"] == f"198.51.100.7, 10.0.0.1, {IP}"


def test_rest_stage_and_custom_domain_paths() -> None:
    event = rest_event(path="/items/", stage="v1")
    assert (event["path"], event["requestContext"]["path"]) == ("/items/", "/v1/items/")
    event = rest_event(path="/items", domain_name="api.example.com", base_path="/shop")
    assert (event["path"], event["requestContext"]["path"]) == ("/shop/items", "/shop/items")
    assert event["requestContext"]["domainPrefix"] == "api"
    assert event["headers"]["Host"] == "api.example.com"
    assert event["pathParameters"] == {"proxy": "items"}
    assert rest_event(domain_name="api.example.com", base_path="shop")["path"] == "/shop"
    assert rest_event(domain_name="api.example.com")["requestContext"]["path"] == "/"


def test_rest_root_resource_and_empty_request() -> None:
    event = rest_event()
    assert (event["resource"], event["pathParameters"]) == ("/", None)
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert (event["body"], event["isBase64Encoded"]) == (None, False)
    event = rest_event(
        path="/users/42",
        resource="/users/{id}",
        path_parameters={"id": "42"},
        stage_variables={"env": "test"},
    )
    assert (event["pathParameters"], event["stageVariables"]) == ({"id": "42"}, {"env": "test"})


def test_client_headers_override_defaults_case_insensitively() -> None:
    event = rest_event(headers=[("host", "example.com"), ("user-agent", "a"), ("user-agent", "b")])
    assert "Host" not in event["headers"]
    assert event["multiValueHeaders"]["host"] == ["example.com"]
    assert event["multiValueHeaders"]["user-agent"] == ["a", "b"]
    assert event["requestContext"]["identity"]["userAgent"] == "b"


@pytest.mark.parametrize(
    ("query", "raw"),
    [
        ({"q": "a b&c", "r": ["1", "2"]}, "q=a%20b%26c&r=1&r=2"),
        ([("é", "/"), ("e", "")], "%C3%A9=%2F&e="),
        ("verbatim=%2B+", "verbatim=%2B+"),
    ],
)
def test_decoded_query_parameters_are_encoded(query: Any, raw: str) -> None:
    assert http_api_event(query=query)["rawQueryString"] == raw


def test_rest_and_http_api_decode_the_query() -> None:
    query = "a=%2B+b&flag&%C3%A9=1"
    expected = {"a": ["+ b"], "flag": [""], "é": ["1"]}
    assert rest_event(query=query)["multiValueQueryStringParameters"] == expected
    assert http_api_event(query=query)["queryStringParameters"] == {
        "a": "+ b",
        "flag": "",
        "é": "1",
    }


def test_http_api_paths() -> None:
    event = http_api_event(path="/a%2Fb/")
    assert (event["rawPath"], event["requestContext"]["http"]["path"]) == ("/a/b/", "/a/b")
    event = http_api_event(stage="prod")
    assert (event["rawPath"], event["requestContext"]["http"]["path"]) == ("/prod/", "/prod")
    assert http_api_event()["requestContext"]["http"]["path"] == "/"
    assert http_api_event(path="/x", payload_version="1.0", stage="prod")["path"] == "/prod/x"


@pytest.mark.parametrize("build", [http_api_event, function_url_event])
def test_payload_v2_leaves_out_empty_keys(build: Any) -> None:
    event = build()
    for key in ("cookies", "queryStringParameters", "pathParameters", "stageVariables", "body"):
        assert key not in event
    assert (event["rawQueryString"], event["isBase64Encoded"]) == ("", False)


def test_http_api_cookies_only_in_the_cookies_list() -> None:
    event = http_api_event(headers={"Cookie": "x=1; y=2"}, cookies=["z=3"])
    assert event["cookies"] == ["x=1", "y=2", "z=3"]
    assert "cookie" not in event["headers"]
    assert http_api_event(cookies="s=1; t=2")["cookies"] == ["s=1", "t=2"]
    assert http_api_event(stage_variables={"env": "test"})["stageVariables"] == {"env": "test"}


@pytest.mark.parametrize(
    ("body", "base64", "wire", "flag", "length"),
    [
        (b"\xff", None, "/w==", True, "1"),
        ("caf\u00e9".encode(), False, "caf\u00e9", False, "5"),
        ("{}", None, "{}", False, "2"),
        ("aGk=", True, "aGk=", True, "2"),
        ("not base64!", True, "not base64!", True, "11"),
    ],
)
def test_bodies(body: str | bytes, base64: bool | None, wire: str, flag: bool, length: str) -> None:
    for build in (rest_event, http_api_event, function_url_event, alb_event):
        event = build(body=body, base64=base64)
        assert (event["body"], event["isBase64Encoded"]) == (wire, flag)
    assert http_api_event(body=body, base64=base64)["headers"]["content-length"] == length


def test_empty_bodies() -> None:
    assert rest_event(body=b"")["body"] is None
    assert http_api_event(payload_version="1.0", body="")["body"] is None
    assert http_api_event()["headers"]["content-length"] == "0"
    assert "body" not in function_url_event(body=b"", base64=True)
    assert alb_event()["body"] == ""


def test_fake_context(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [100.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    context = FakeContext(timeout_ms=3_000)
    assert context.get_remaining_time_in_millis() == 3_000
    clock[0] += 1.25
    assert context.get_remaining_time_in_millis() == 1_750
    clock[0] += 10
    assert context.get_remaining_time_in_millis() == 0
    assert context.invoked_function_arn.endswith(":function:my-function")
    assert (context.memory_limit_in_mb, context.identity) == ("128", None)


def test_exported_names() -> None:
    assert testing.__all__ == [
        "FakeContext",
        "alb_event",
        "function_url_event",
        "http_api_event",
        "rest_event",
    ]
