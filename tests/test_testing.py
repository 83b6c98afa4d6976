"""The event builders reproduce what each AWS front door makes of one client request."""

from __future__ import annotations

import copy
import inspect
import time
from base64 import b64decode
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from lambda_asgi import testing
from lambda_asgi.testing import (
    FakeContext,
    alb_event,
    edge_event,
    function_url_event,
    http_api_event,
    lattice_event,
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


DISTRIBUTION = "d111111abcdef8.cloudfront.net"
EDGE_CONFIG = {
    "distributionDomainName": DISTRIBUTION,
    "distributionId": "EDFDVBD6EXAMPLE",
    "requestId": "4TyzHTaYWb1GX1qTfsHhEqV6HUDd_BzoBZnwfnvQc_1oF26ClkoUSEQ==",
}
VIA = "2.0 2afae0d44e2540f472c0635ab62c232b.cloudfront.net (CloudFront)"


def entry(key: str, value: str) -> dict[str, str]:
    return {"key": key, "value": value}


def test_edge_event_origin_request() -> None:
    assert edge_event(**REQUEST) == {
        "Records": [
            {
                "cf": {
                    "config": {**EDGE_CONFIG, "eventType": "origin-request"},
                    "request": {
                        "body": {
                            "action": "read-only",
                            "data": "AAE=",
                            "encoding": "base64",
                            "inputTruncated": False,
                        },
                        "clientIp": IP,
                        "headers": {
                            "host": [entry("Host", "example.org")],
                            "user-agent": [entry("User-Agent", "curl/8.5.0")],
                            "accept": [entry("Accept", "*/*")],
                            "content-type": [entry("Content-Type", "application/octet-stream")],
                            "x-multi": [entry("X-Multi", "1"), entry("X-Multi", "2")],
                            "cookie": [entry("Cookie", "a=1; b=2")],
                            "content-length": [entry("Content-Length", "2")],
                            "via": [entry("Via", VIA)],
                            "x-forwarded-for": [entry("X-Forwarded-For", IP)],
                        },
                        "method": "POST",
                        "origin": {
                            "custom": {
                                "customHeaders": {},
                                "domainName": "example.org",
                                "keepaliveTimeout": 5,
                                "path": "",
                                "port": 443,
                                "protocol": "https",
                                "readTimeout": 30,
                                "sslProtocols": ["TLSv1.2"],
                            }
                        },
                        "querystring": "a=1&a=2&q=x%20y+z",
                        "uri": "/capture/space%20value",
                    },
                }
            }
        ]
    }


def test_edge_event_viewer_request() -> None:
    event = edge_event(
        **{**REQUEST, "headers": {"X-Forwarded-For": "198.51.100.7", "Host": "www.example.com"}},
        event_type="viewer-request",
        include_body=False,
        distribution_domain="d2.cloudfront.net",
        distribution_id="E2",
        request_id="r-1",
    )
    assert event == {
        "Records": [
            {
                "cf": {
                    "config": {
                        "distributionDomainName": "d2.cloudfront.net",
                        "distributionId": "E2",
                        "eventType": "viewer-request",
                        "requestId": "r-1",
                    },
                    "request": {
                        "clientIp": IP,
                        "headers": {
                            "user-agent": [entry("User-Agent", "curl/8.5.0")],
                            "accept": [entry("Accept", "*/*")],
                            "x-forwarded-for": [entry("X-Forwarded-For", "198.51.100.7")],
                            "host": [entry("Host", "www.example.com")],
                            "cookie": [entry("Cookie", "a=1; b=2")],
                            "content-length": [entry("Content-Length", "2")],
                        },
                        "method": "POST",
                        "querystring": "a=1&a=2&q=x%20y+z",
                        "uri": "/capture/space%20value",
                    },
                }
            }
        ]
    }


def test_edge_event_origin_request_appends_the_viewer_to_x_forwarded_for() -> None:
    event = edge_event(
        headers={"X-Forwarded-For": "198.51.100.7", "Host": "www.example.com"},
        origin={"s3": {"domainName": "my-bucket.s3.amazonaws.com", "path": ""}},
    )
    headers = event["Records"][0]["cf"]["request"]["headers"]
    assert headers["host"] == [entry("Host", "my-bucket.s3.amazonaws.com")]
    assert headers["x-forwarded-for"] == [entry("X-Forwarded-For", f"198.51.100.7, {IP}")]
    event = edge_event(origin={})
    assert event["Records"][0]["cf"]["request"]["headers"]["host"] == [entry("Host", DISTRIBUTION)]


@pytest.mark.parametrize(
    ("body", "base64", "kind", "limit", "data", "encoding", "truncated"),
    [
        (None, None, "origin-request", None, "", "base64", False),
        (b"", None, "origin-request", None, "", "base64", False),
        (b"\xff" * 3, None, "origin-request", 2, "//8=", "base64", True),
        ("caf\u00e9", False, "origin-request", None, "caf\u00e9", "text", False),
        ("caf\u00e9", False, "viewer-request", 3, "caf", "text", True),
        ("aGk=", True, "origin-request", 1, "aGk=", "base64", False),
        (b"x" * (40 * 1024 + 1), None, "viewer-request", None, None, "base64", True),
        (b"x" * (40 * 1024 + 1), None, "origin-request", None, None, "base64", False),
        (b"x" * (1024 * 1024 + 1), None, "origin-request", None, None, "base64", True),
    ],
)
def test_edge_event_bodies_truncate_like_cloudfront(
    body: str | bytes | None,
    base64: bool | None,
    kind: Any,
    limit: int | None,
    data: str | None,
    encoding: str,
    truncated: bool,
) -> None:
    event = edge_event(body=body, base64=base64, event_type=kind, max_body_size=limit)
    exposed = event["Records"][0]["cf"]["request"]["body"]
    if data is None:  # the default limits: check the exposed size instead of the data
        size = 40 * 1024 if kind == "viewer-request" else 1024 * 1024
        assert len(b64decode(exposed["data"])) == min(size, len(body or b""))
        data = exposed["data"]
    assert exposed == {
        "action": "read-only",
        "data": data,
        "encoding": encoding,
        "inputTruncated": truncated,
    }


LATTICE_ARN = "arn:aws:vpc-lattice:us-east-1:123456789012"
LATTICE_HOST = "my-service-0a40eebed65f8d69c.7d67968.vpc-lattice-svcs.us-east-1.on.aws"


def test_lattice_event_v2() -> None:
    assert lattice_event(**REQUEST) == {
        "version": "2.0",
        "path": "/capture/space%20value?a=1&a=2&q=x%20y+z",
        "method": "POST",
        "headers": {
            "host": [LATTICE_HOST],
            "user-agent": ["curl/8.5.0"],
            "accept": ["*/*"],
            "content-type": ["application/octet-stream"],
            "x-multi": ["1", "2"],
            "cookie": ["a=1; b=2"],
            "content-length": ["2"],
            "x-forwarded-for": [IP],
        },
        "queryStringParameters": {"a": ["1", "2"], "q": ["x%20y+z"]},
        "body": "AAE=",
        "isBase64Encoded": True,
        "requestContext": {
            "serviceNetworkArn": f"{LATTICE_ARN}:servicenetwork/sn-0bf3f2882e9cc805a",
            "serviceArn": f"{LATTICE_ARN}:service/svc-0a40eebed65f8d69c",
            "targetGroupArn": f"{LATTICE_ARN}:targetgroup/tg-6d0ecf831eec9f09",
            "identity": {
                "sourceVpcArn": "arn:aws:ec2:us-east-1:123456789012:vpc/vpc-0b8276c84697e7339"
            },
            "region": "us-east-1",
            "timeEpoch": "1700000000000000",
        },
    }


def test_lattice_event_v1() -> None:
    assert lattice_event(**REQUEST, version=1) == {
        "raw_path": "/capture/space%20value",
        "method": "POST",
        "headers": {
            "host": LATTICE_HOST,
            "user-agent": "curl/8.5.0",
            "accept": "*/*",
            "content-type": "application/octet-stream",
            "x-multi": "1,2",
            "cookie": "a=1; b=2",
            "content-length": "2",
            "x-forwarded-for": IP,
        },
        "query_string_parameters": {"a": "2", "q": "x%20y+z"},
        "body": "AAE=",
        "is_base64_encoded": True,
    }


def test_lattice_event_empty_request_and_options() -> None:
    event = lattice_event(
        headers={"X-Forwarded-For": "198.51.100.7", "Content-Length": "0"},
        host="svc.example.com",
        region="eu-west-1",
        time_epoch_ms=1,
    )
    assert "body" not in event and "queryStringParameters" not in event
    assert (event["path"], event["isBase64Encoded"]) == ("/", False)
    assert event["headers"]["host"] == ["svc.example.com"]
    assert event["headers"]["x-forwarded-for"] == [f"198.51.100.7, {IP}"]
    assert event["headers"]["content-length"] == ["0"]
    assert (event["requestContext"]["region"], event["requestContext"]["timeEpoch"]) == (
        "eu-west-1",
        "1000",
    )
    v1 = lattice_event(version=1)
    assert (v1["body"], v1["query_string_parameters"]) == ("", {})


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
    for build in (rest_event, http_api_event, function_url_event, alb_event, lattice_event):
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


def containers(value: Any) -> Iterator[dict[str, Any] | list[Any]]:
    """Every dict and list in an event, depth first."""
    if isinstance(value, dict | list):
        yield value
        for item in value.values() if isinstance(value, dict) else value:
            yield from containers(item)


def mutate(event: dict[str, Any]) -> None:
    """What a test might do to an event: add to, rewrite and empty every nested dict and list."""
    for found in list(containers(event)):
        if isinstance(found, dict):
            for key in found:
                if not isinstance(found[key], dict | list):
                    found[key] = "mutated"
            found["mutated"] = True
        else:
            found.append("mutated")
            found[0] = "mutated"


BUILDERS = [
    pytest.param(getattr(testing, name), id=name)
    for name in testing.__all__
    if inspect.isfunction(getattr(testing, name))
]


@pytest.mark.parametrize("build", BUILDERS)
def test_every_builder_returns_a_fresh_event(build: Callable[[], dict[str, Any]]) -> None:
    pristine = copy.deepcopy(build())
    mutate(build())
    first, second = build(), build()
    assert first == second == pristine
    # A tree, as if parsed from AWS's JSON: no container shared between events or within one.
    ids = [id(found) for event in (first, second) for found in containers(event)]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(
    "build",
    [
        lambda: http_api_event(payload_version="1.0", query="a=1&a=2", headers={"X": "1"}),
        lambda: alb_event(multi_value=True, query="a=1&a=2", headers={"X": ["1", "2"]}),
        lambda: alb_event(health_check=True),
        lambda: edge_event(event_type="viewer-request", body=b"hi"),
        lambda: lattice_event(version=1, query="a=1&a=2", body="text"),
        lambda: rest_event(path="/items/1", stage_variables={"v": "1"}),
    ],
    ids=["http-api-v1", "alb-multi", "alb-health", "edge-viewer", "lattice-v1", "rest-stage"],
)
def test_builder_variants_return_fresh_events(build: Callable[[], dict[str, Any]]) -> None:
    test_every_builder_returns_a_fresh_event(build)


def test_events_do_not_share_the_callers_structures() -> None:
    """Nested values passed in are copied: editing the event leaves the caller's input alone."""
    origin = {"s3": {"domainName": "bucket.s3.amazonaws.com", "customHeaders": {}}}
    detail = {"order": {"lines": [1, 2]}}
    image = {"Id": {"N": "7"}, "Tags": {"L": [{"S": "a"}]}}
    attributes = {"kind": {"DataType": "String", "StringValue": "a"}}
    inputs = copy.deepcopy([origin, detail, image, attributes])
    events = [
        testing.edge_event(origin=origin),
        testing.eventbridge_event(detail=detail),
        testing.dynamodb_event(new_images=[image]),
        testing.sqs_event(message_attributes=attributes),
        testing.sns_event(message_attributes=attributes),
    ]
    for event in events:
        mutate(event)
        ids = [id(found) for found in containers(event)]
        assert len(ids) == len(set(ids))
    assert [origin, detail, image, attributes] == inputs


def test_exported_names() -> None:
    assert testing.__all__ == [
        "CapturedSends",
        "FakeContext",
        "alb_event",
        "dynamodb_event",
        "edge_event",
        "eventbridge_event",
        "function_url_event",
        "http_api_event",
        "kinesis_event",
        "lattice_event",
        "rest_event",
        "s3_event",
        "scheduled_event",
        "sns_event",
        "sqs_event",
        "websocket_connect_event",
        "websocket_disconnect_event",
        "websocket_message_event",
    ]
