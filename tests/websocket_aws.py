"""What the WebSocket tests share: a clean AWS environment, realistic WebSocket API events, the
connection table as the docs define it, and a Management API client under botocore's Stubber.
"""

from __future__ import annotations

import copy
import os
import re
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from lambda_asgi.websocket import _management

API_ID = "abcd1234"
REGION = "eu-west-1"
DOMAIN = f"{API_ID}.execute-api.{REGION}.amazonaws.com"
STAGE = "prod"
ENDPOINT = f"https://{DOMAIN}/{STAGE}"
CONNECTION = "L0SM9cOFvHcCIhw="
ROOT = Path(__file__).resolve().parent.parent

# A $default MESSAGE event as API Gateway sends it (the shape of the developer guide's sample
# and of Powertools' test events): no headers, no query, the frame in body.
MESSAGE_EVENT: dict[str, Any] = {
    "requestContext": {
        "routeKey": "$default",
        "messageId": "ABCD1234efgh5678=",
        "eventType": "MESSAGE",
        "extendedRequestId": "ABCD1234efgh5678=",
        "requestTime": "05/Dec/2026:07:00:00 +0000",
        "messageDirection": "IN",
        "stage": STAGE,
        "connectedAt": 1796454000000,
        "requestTimeEpoch": 1796454000123,
        "identity": {"sourceIp": "192.0.2.10"},
        "requestId": "ABCD1234efgh5678=",
        "domainName": DOMAIN,
        "connectionId": CONNECTION,
        "apiId": API_ID,
    },
    "body": '{"action": "chat", "text": "hello"}',
    "isBase64Encoded": False,
}


def message_event(**context: Any) -> dict[str, Any]:
    """MESSAGE_EVENT with some requestContext fields replaced (None deletes one)."""
    event = copy.deepcopy(MESSAGE_EVENT)
    for key, value in context.items():
        if value is None:
            del event["requestContext"][key]
        else:
            event["requestContext"][key] = value
    return event


def clean_aws_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Dummy credentials, Lambda's region variables, no endpoint configured, no config files,
    and no Management API left over from another test (each module's autouse fixture)."""
    for name in list(os.environ):
        if name.startswith(("AWS_ENDPOINT_URL", "AWS_IGNORE_CONFIGURED", "AWS_PROFILE")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setattr(_management, "_APIS", {})


def stubbed_client() -> Any:
    """A real ``apigatewaymanagementapi`` client for ENDPOINT, to wrap in a Stubber."""
    return boto3.client("apigatewaymanagementapi", endpoint_url=ENDPOINT, region_name=REGION)


def documented_table() -> dict[str, Any]:
    """The connection table's CloudFormation properties, from the block in the docs."""
    page = (ROOT / "docs" / "websocket-connections.md").read_text()
    block = re.search(r"```yaml[^\n]*\n(ConnectionsTable:\n.*?)```", page, re.DOTALL)
    assert block is not None, "docs/websocket-connections.md lost its table definition"
    resource: dict[str, Any] = yaml.safe_load(block[1])["ConnectionsTable"]
    assert resource["Type"] == "AWS::DynamoDB::Table"
    properties: dict[str, Any] = resource["Properties"]
    return properties


def create_connection_table(name: str = "connections", region: str = "us-east-1") -> Any:
    """The table exactly as docs/websocket-connections.md defines it, in whatever DynamoDB
    boto3 reaches (moto's, inside ``mock_aws``); returns a client for it."""
    properties = documented_table()
    client = boto3.client("dynamodb", region_name=region)
    client.create_table(
        TableName=name,
        AttributeDefinitions=properties["AttributeDefinitions"],
        KeySchema=properties["KeySchema"],
        BillingMode=properties["BillingMode"],
    )
    client.update_time_to_live(
        TableName=name, TimeToLiveSpecification=properties["TimeToLiveSpecification"]
    )
    return client
