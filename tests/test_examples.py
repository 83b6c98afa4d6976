"""The example app, driven the way scripts/demo drives it."""

from __future__ import annotations

import io
import json

from examples import demo


def test_demo_serves_every_front_door() -> None:
    out = io.StringIO()
    results = demo.main(out)
    assert [result["statusCode"] for result in results] == [200, 200, 201, 404]
    rest, http_api, function_url, alb = results
    assert json.loads(rest["body"]) == {
        "id": 1,
        "name": "lamp",
        "price": 12.5,
        "tags": ["home"],
        "url": "https://abc123defg.execute-api.us-east-1.amazonaws.com/prod/items/1",
    }
    assert json.loads(http_api["body"]) == [
        {"id": 1, "name": "lamp", "price": 12.5, "tags": ["home"]}
    ]
    assert function_url["cookies"] == [
        f"last_created={json.loads(function_url['body'])['id']}; Path=/; SameSite=lax"
    ]
    assert alb == {
        "statusCode": 404,
        "statusDescription": "404 Not Found",
        "multiValueHeaders": {
            "content-length": ["22"],
            "content-type": ["application/json"],
        },
        "body": '{"detail":"no item 7"}',
        "isBase64Encoded": False,
    }
    assert "== REST API, stage /prod" in out.getvalue()
