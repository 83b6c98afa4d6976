"""Realistic Lambda events and a fake context, for testing code that runs behind AWS.

Each builder takes a *client request* (method, the percent-encoded path the client put on the
wire, its raw query string or decoded parameters, headers in the client's casing, cookies and
body) and returns the event the AWS front door hands to Lambda for it: API Gateway REST (Lambda
proxy integration), HTTP API payload 1.0 and 2.0, Lambda Function URLs, Application Load
Balancer targets, Lambda@Edge request triggers and VPC Lattice targets (v1 and v2). Each
source's quirks are reproduced: which path is decoded, where the stage appears, how repeated
query parameters and headers are folded, where cookies go, and how an empty body looks. Ids
and times are fixed realistic values, so whole-event assertions stay stable.

For ``Adapter(app, events_path=...)`` there are builders of non-HTTP events too: ``sqs_event``,
``sns_event``, ``s3_event``, ``eventbridge_event``, ``scheduled_event``, ``dynamodb_event``
and ``kinesis_event``. For API Gateway WebSocket APIs: ``websocket_connect_event``,
``websocket_message_event``, ``websocket_disconnect_event``, and ``CapturedSends`` to record
what the app sends to its connections (``Adapter(app, websocket_api=CapturedSends())``).

Standard library only: this module is imported by users' test suites.
"""

from __future__ import annotations

from ._alb import alb_event
from ._api_gateway import function_url_event, http_api_event, rest_event
from ._context import FakeContext
from ._edge import edge_event
from ._events import (
    dynamodb_event,
    eventbridge_event,
    kinesis_event,
    s3_event,
    scheduled_event,
    sns_event,
    sqs_event,
)
from ._lattice import lattice_event
from ._websocket import (
    CapturedSends,
    websocket_connect_event,
    websocket_disconnect_event,
    websocket_message_event,
)

__all__ = [
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
