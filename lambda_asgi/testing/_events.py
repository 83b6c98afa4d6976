"""Builders for the non-HTTP events ``Adapter(app, events_path=...)`` delivers: SQS, SNS, S3,
EventBridge (and scheduled rules), DynamoDB streams and Kinesis streams.

Re-exported by :mod:`lambda_asgi.testing`; the shapes follow the sample events in the Lambda
documentation, with fixed ids and times so whole-event assertions stay stable.
"""

from __future__ import annotations

import hashlib
import uuid
from base64 import b64encode
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote_plus

from ._common import _fresh

_ACCOUNT_ID = "123456789012"
_REGION = "us-east-1"
_TIME = "2023-11-14T22:13:20Z"
_EPOCH_MS = 1_700_000_000_000
_SIGNATURE = "EXAMPLEpH+DcEwjAPg8O9mY8dReBSwksfg2S7WKQcikcNKWLQjwu6A4VbeS0QHVCk="
_S3_HOST_ID = "vlR7PnpV2Ce81l0PRw6jlUpck7Jo5ZsQjryTjKlc5aLWGVHPZLj5NeC6qMa0emYBDXOo6QBU0Wo="
_NEW_IMAGE = {"Id": {"N": "101"}, "Message": {"S": "New item!"}}


def _uuid(*parts: object) -> str:
    """A stable, realistic-looking id derived from the builder's inputs."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(map(str, parts))))


def sqs_event(
    *,
    bodies: Sequence[str] = ("Hello from SQS!",),
    queue: str = "my-queue",
    region: str = _REGION,
    message_attributes: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """An SQS batch: one record per message body, as an event source mapping delivers it.

    >>> event = sqs_event(bodies=["a", "b"])
    >>> [record["body"] for record in event["Records"]], event["Records"][0]["eventSource"]
    (['a', 'b'], 'aws:sqs')
    """
    return {
        "Records": [
            {
                "messageId": _uuid("sqs", queue, index, body),
                "receiptHandle": "AQEB" + hashlib.sha256(f"{queue}{index}".encode()).hexdigest(),
                "body": body,
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": str(_EPOCH_MS),
                    "SenderId": "AIDAIENQZJOLO23YVJ4VO",
                    "ApproximateFirstReceiveTimestamp": str(_EPOCH_MS + 2),
                },
                "messageAttributes": _fresh(message_attributes or {}),
                "md5OfBody": hashlib.md5(body.encode("utf-8")).hexdigest(),
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{region}:{_ACCOUNT_ID}:{queue}",
                "awsRegion": region,
            }
            for index, body in enumerate(bodies)
        ]
    }


def sns_event(
    *,
    message: str = "Hello from SNS!",
    subject: str | None = None,
    topic: str = "my-topic",
    region: str = _REGION,
    message_attributes: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """An SNS notification delivered to a Lambda subscription (``EventSource`` capitalised).

    >>> sns_event(message="hi")["Records"][0]["Sns"]["Message"]
    'hi'
    """
    topic_arn = f"arn:aws:sns:{region}:{_ACCOUNT_ID}:{topic}"
    return {
        "Records": [
            {
                "EventVersion": "1.0",
                "EventSubscriptionArn": f"{topic_arn}:{_uuid('subscription', topic)}",
                "EventSource": "aws:sns",
                "Sns": {
                    "SignatureVersion": "1",
                    "Timestamp": "2023-11-14T22:13:20.000Z",
                    "Signature": _SIGNATURE,
                    "SigningCertUrl": (
                        f"https://sns.{region}.amazonaws.com/SimpleNotificationService-"
                        "0123456789abcdef0123456789abcdef.pem"
                    ),
                    "MessageId": _uuid("sns", topic, message),
                    "Message": message,
                    "MessageAttributes": _fresh(message_attributes or {}),
                    "Type": "Notification",
                    "UnsubscribeUrl": (
                        f"https://sns.{region}.amazonaws.com/?Action=Unsubscribe"
                        f"&SubscriptionArn={topic_arn}:{_uuid('subscription', topic)}"
                    ),
                    "TopicArn": topic_arn,
                    "Subject": subject,
                },
            }
        ]
    }


def s3_event(
    *,
    bucket: str = "my-bucket",
    key: str = "uploads/report 2023.csv",
    size: int = 1024,
    event_name: str = "ObjectCreated:Put",
    region: str = _REGION,
) -> dict[str, Any]:
    """An S3 event notification. As S3 does, the object key is URL-encoded (spaces as ``+``).

    >>> s3_event(key="a b/c.txt")["Records"][0]["s3"]["object"]["key"]
    'a+b%2Fc.txt'
    """
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": region,
                "eventTime": "2023-11-14T22:13:20.000Z",
                "eventName": event_name,
                "userIdentity": {"principalId": "AWS:AIDAINPONIXQXHT3IKHL2"},
                "requestParameters": {"sourceIPAddress": "203.0.113.10"},
                "responseElements": {
                    "x-amz-request-id": "D82B88E5F771F645",
                    "x-amz-id-2": _S3_HOST_ID,
                },
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "on-upload",
                    "bucket": {
                        "name": bucket,
                        "ownerIdentity": {"principalId": "A3I5XTEXAMAI3E"},
                        "arn": f"arn:aws:s3:::{bucket}",
                    },
                    "object": {
                        "key": quote_plus(key),
                        "size": size,
                        "eTag": hashlib.md5(key.encode("utf-8")).hexdigest(),
                        "sequencer": "0C0F6F405D6ED209E1",
                    },
                },
            }
        ]
    }


def eventbridge_event(
    *,
    source: str = "com.example.orders",
    detail_type: str = "OrderPlaced",
    detail: Mapping[str, Any] | None = None,
    resources: Sequence[str] = (),
    region: str = _REGION,
) -> dict[str, Any]:
    """An EventBridge event as a rule's Lambda target receives it.

    >>> eventbridge_event(detail={"id": 1})["detail"]
    {'id': 1}
    """
    return {
        "version": "0",
        "id": _uuid("events", source, detail_type),
        "detail-type": detail_type,
        "source": source,
        "account": _ACCOUNT_ID,
        "time": _TIME,
        "region": region,
        "resources": list(resources),
        "detail": _fresh(detail or {}),
    }


def scheduled_event(*, rule: str = "my-schedule", region: str = _REGION) -> dict[str, Any]:
    """The event an EventBridge schedule rule sends (``detail-type: Scheduled Event``).

    >>> scheduled_event()["detail-type"]
    'Scheduled Event'
    """
    return eventbridge_event(
        source="aws.events",
        detail_type="Scheduled Event",
        resources=[f"arn:aws:events:{region}:{_ACCOUNT_ID}:rule/{rule}"],
        region=region,
    )


def dynamodb_event(
    *,
    new_images: Sequence[Mapping[str, Any]] = (_NEW_IMAGE,),
    key_name: str = "Id",
    event_name: str = "INSERT",
    table: str = "my-table",
    region: str = _REGION,
) -> dict[str, Any]:
    """A DynamoDB stream batch, one record per new image (typed attribute values).

    >>> dynamodb_event()["Records"][0]["dynamodb"]["Keys"]
    {'Id': {'N': '101'}}
    """
    stream = f"arn:aws:dynamodb:{region}:{_ACCOUNT_ID}:table/{table}/stream/2023-11-14T22:13:20.000"
    return {
        "Records": [
            {
                "eventID": hashlib.md5(f"{table}{index}".encode()).hexdigest(),
                "eventName": event_name,
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": region,
                "dynamodb": {
                    "ApproximateCreationDateTime": _EPOCH_MS // 1000,
                    "Keys": _fresh({key_name: image[key_name]} if key_name in image else {}),
                    "NewImage": _fresh(image),
                    "SequenceNumber": str(111 + index),
                    "SizeBytes": 26,
                    "StreamViewType": "NEW_AND_OLD_IMAGES",
                },
                "eventSourceARN": stream,
            }
            for index, image in enumerate(new_images)
        ]
    }


def kinesis_event(
    *,
    data: Sequence[bytes] = (b"Hello, this is a test.",),
    stream: str = "my-stream",
    partition_key: str = "1",
    region: str = _REGION,
) -> dict[str, Any]:
    """A Kinesis stream batch; each record's ``data`` is base64, as Kinesis delivers it.

    >>> kinesis_event(data=[b"hi"])["Records"][0]["kinesis"]["data"]
    'aGk='
    """
    records = []
    for index, payload in enumerate(data):
        sequence = str(49590338271490256608559692538361571095921575989136588898 + index)
        records.append(
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": partition_key,
                    "sequenceNumber": sequence,
                    "data": b64encode(payload).decode("ascii"),
                    "approximateArrivalTimestamp": _EPOCH_MS / 1000,
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": f"shardId-000000000006:{sequence}",
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": f"arn:aws:iam::{_ACCOUNT_ID}:role/lambda-role",
                "awsRegion": region,
                "eventSourceARN": f"arn:aws:kinesis:{region}:{_ACCOUNT_ID}:stream/{stream}",
            }
        )
    return {"Records": records}
