"""Reading Lambda results back into HTTP, per front door (what ``serve`` sends and ``invoke
--pretty`` prints): every shape each front door accepts, and a 502 for each it refuses."""

from __future__ import annotations

from typing import Any

import pytest

from lambda_asgi.cli._http import (
    HttpResponse,
    ResultReader,
    alb_result,
    answer,
    bad_gateway,
    edge_result,
    http_api_result,
    http_api_v1_result,
    lattice_result,
    render,
    rest_result,
)
from lambda_asgi.testing import alb_event, edge_event, http_api_event, lattice_event, rest_event

REST = rest_event()
HTTP_API = http_api_event()
ALB = alb_event()
ALB_MULTI = alb_event(multi_value=True)
EDGE = edge_event()
LATTICE = lattice_event()
JSON = ("Content-Type", "application/json")


@pytest.mark.parametrize(
    ("read", "result", "event", "expected"),
    [
        pytest.param(
            rest_result,
            {
                "statusCode": 201,
                "headers": {"Location": "/a", "X-Twice": "1", "Retry-After": 5},
                "multiValueHeaders": {"x-twice": ["1", "2"], "Set-Cookie": ["a=1", "b=2"]},
                "body": "made",
                "isBase64Encoded": False,
            },
            REST,
            HttpResponse(
                201,
                "Created",
                [
                    ("Location", "/a"),
                    ("Retry-After", "5"),
                    ("x-twice", "1"),
                    ("x-twice", "2"),
                    ("Set-Cookie", "a=1"),
                    ("Set-Cookie", "b=2"),
                ],
                b"made",
            ),
            id="rest merges headers into multiValueHeaders, a pair in both once",
        ),
        pytest.param(
            http_api_v1_result,
            {"statusCode": "200", "cookies": ["ignored"], "body": "aGk=", "isBase64Encoded": True},
            http_api_event(payload_version="1.0"),
            HttpResponse(200, "OK", [], b"hi"),
            id="http api 1.0 ignores unknown keys and decodes base64",
        ),
        pytest.param(
            http_api_result,
            {"statusCode": 299, "headers": {"a": "1, 2"}, "cookies": ["s=1", "t=2"]},
            HTTP_API,
            HttpResponse(
                299, "", [("a", "1, 2"), ("Set-Cookie", "s=1"), ("Set-Cookie", "t=2")], b""
            ),
            id="http api 2.0 turns cookies into Set-Cookie; an unknown status has no phrase",
        ),
        pytest.param(
            http_api_result,
            {"message": "no statusCode"},
            HTTP_API,
            HttpResponse(200, "OK", [JSON], b'{"message": "no statusCode"}'),
            id="http api 2.0 takes a result without statusCode as a JSON body",
        ),
        pytest.param(
            http_api_result,
            "just a string",
            HTTP_API,
            HttpResponse(200, "OK", [JSON], b'"just a string"'),
            id="http api 2.0 takes any JSON value as a body",
        ),
        pytest.param(
            alb_result,
            {
                "statusCode": 418,
                "statusDescription": "418 Short And Stout",
                "headers": {"x-a": "1"},
                "body": "",
                "isBase64Encoded": False,
            },
            ALB,
            HttpResponse(418, "Short And Stout", [("x-a", "1")], b""),
            id="alb takes the reason from statusDescription",
        ),
        pytest.param(
            alb_result,
            {"statusCode": 200, "statusDescription": "200", "multiValueHeaders": {"x": ["1", "2"]}},
            ALB_MULTI,
            HttpResponse(200, "OK", [("x", "1"), ("x", "2")], b""),
            id="alb multi-value mode",
        ),
        pytest.param(
            edge_result,
            {
                "status": "302",
                "statusDescription": "Found",
                "headers": {
                    "location": [{"key": "Location", "value": "/b"}],
                    "set-cookie": [{"value": "a=1"}, {"key": "Set-Cookie", "value": "b=2"}],
                },
                "body": "aGk=",
                "bodyEncoding": "base64",
            },
            EDGE,
            HttpResponse(
                302,
                "Found",
                [("Location", "/b"), ("set-cookie", "a=1"), ("Set-Cookie", "b=2")],
                b"hi",
            ),
            id="edge list-format headers and bodyEncoding",
        ),
        pytest.param(
            edge_result,
            {"status": "204", "statusDescription": ""},
            EDGE,
            HttpResponse(204, "No Content", [], b""),
            id="edge without headers or body",
        ),
        pytest.param(
            lattice_result,
            {"statusCode": 200, "headers": {"a": "1"}, "body": "x", "isBase64Encoded": False},
            LATTICE,
            HttpResponse(200, "OK", [("a", "1")], b"x"),
            id="lattice",
        ),
    ],
)
def test_results_the_front_door_accepts(
    read: ResultReader, result: Any, event: dict[str, Any], expected: HttpResponse
) -> None:
    assert answer(read, result, event) == expected


@pytest.mark.parametrize(
    ("read", "result", "event", "reason"),
    [
        (rest_result, [1], REST, "the result is not a JSON object: [1]"),
        (rest_result, {"statusCode": 200, "cookies": []}, REST,
         "REST APIs accept only statusCode, headers, multiValueHeaders, body, isBase64Encoded; "
         "got cookies"),
        (rest_result, {"body": "x"}, REST, "statusCode must be an integer status, got None"),
        (rest_result, {"statusCode": 99}, REST, "statusCode must be an integer status, got 99"),
        (rest_result, {"statusCode": True}, REST, "statusCode must be an integer status, got True"),
        (rest_result, {"statusCode": 200, "headers": ["a"]}, REST,
         "headers must be an object, got ['a']"),
        (rest_result, {"statusCode": 200, "multiValueHeaders": {"a": "1"}}, REST,
         "multiValueHeaders must map names to lists, got {'a': '1'}"),
        (rest_result, {"statusCode": 200, "headers": {"a": True}}, REST,
         "header 'a' has a non-string value True"),
        (rest_result, {"statusCode": 200, "headers": {"a": "1\r\nb: 2"}}, REST,
         "header 'a': '1\\r\\nb: 2' is not a valid HTTP header"),
        (rest_result, {"statusCode": 200, "headers": {"a b": "1"}}, REST,
         "header 'a b': '1' is not a valid HTTP header"),
        (rest_result, {"statusCode": 200, "body": {"a": 1}}, REST,
         "body must be a string, got dict"),
        (rest_result, {"statusCode": 200, "body": "not base64!", "isBase64Encoded": True}, REST,
         "isBase64Encoded is true but body is not base64"),
        (http_api_result, {"statusCode": 200, "cookies": "a=1"}, HTTP_API,
         "cookies must be a list of strings, got 'a=1'"),
        (http_api_result, {"statusCode": 200, "cookies": ["a=1\nb"]}, HTTP_API,
         "header 'Set-Cookie': 'a=1\\nb' is not a valid HTTP header"),
        (alb_result, {"statusCode": 200, "body": None}, ALB,
         'ALB refuses a null body; send "" instead'),
        (alb_result, {"statusCode": "200", "body": ""}, ALB,
         "statusCode must be an integer status, got '200'"),
        (alb_result, {"statusCode": 200, "headers": {"x": 1}}, ALB,
         "header 'x' has a non-string value 1"),
        (edge_result, {"uri": "/", "method": "GET", "headers": {}}, EDGE,
         "the function returned the request, to forward to the origin; there is no origin here"),
        (edge_result, {"status": 200}, EDGE, 'status must be a string such as "200", got 200'),
        (edge_result, {"status": "200", "headers": {"a": {"key": "A"}}}, EDGE,
         "headers must map names to [{\"key\", \"value\"}] lists, got {'a': {'key': 'A'}}"),
        (edge_result, {"status": "200", "headers": {"a": ["1"]}}, EDGE,
         "headers must map names to [{\"key\", \"value\"}] lists, got {'a': ['1']}"),
        (edge_result, {"status": "200", "body": "x", "bodyEncoding": "gzip"}, EDGE,
         "bodyEncoding must be \"text\" or \"base64\", got 'gzip'"),
        (lattice_result, {"statusCode": 200, "headers": {"a": ["1", "2"]}}, LATTICE,
         "header 'a' has a non-string value ['1', '2']"),
    ],
)  # fmt: skip
def test_results_the_front_door_refuses_are_a_502(
    caplog: pytest.LogCaptureFixture,
    read: ResultReader,
    result: Any,
    event: dict[str, Any],
    reason: str,
) -> None:
    assert answer(read, result, event) == bad_gateway()
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("ERROR", f"the front door would answer 502: malformed result: {reason}")
    ]


@pytest.mark.parametrize(
    ("event", "result", "ignored", "mode"),
    [
        (
            ALB,
            {"statusCode": 200, "multiValueHeaders": {"x": ["1"]}},
            "multiValueHeaders",
            "single",
        ),
        (ALB_MULTI, {"statusCode": 200, "headers": {"x": "1"}}, "headers", "multi"),
    ],
)
def test_alb_ignores_the_header_key_of_the_other_mode(
    caplog: pytest.LogCaptureFixture,
    event: dict[str, Any],
    result: dict[str, Any],
    ignored: str,
    mode: str,
) -> None:
    assert alb_result(result, event) == HttpResponse(200, "OK", [], b"")
    assert [r.getMessage() for r in caplog.records] == [
        f"the target group is in {mode}-value header mode: ALB ignores the result's {ignored!r}"
    ]


def test_render_an_empty_body() -> None:
    assert render(HttpResponse(204, "No Content", [("x", "1")], b"")) == (
        "HTTP/1.1 204 No Content\nx: 1\n\n"
    )
    assert render(HttpResponse(299, "", [], b"ok")) == "HTTP/1.1 299\n\nok"
