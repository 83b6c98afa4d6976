"""Response streaming: one invocation answered as a stream of bytes while the app produces it.

For Function URLs with InvokeMode ``RESPONSE_STREAM`` and API Gateway REST streaming
integrations, the response is a ``POST .../response`` in streaming mode whose body starts with
the ``application/vnd.awslambda.http-integration-response`` prelude (the JSON of status,
headers and cookies, in the shape the front door's buffered result uses, without the body)
and 8 NUL bytes, followed by the body bytes as the app sends them. ``drain()`` on the socket is
the backpressure: the app's ``send()`` waits while Lambda is not reading. A failure after the
first bytes went out is reported in the ``Lambda-Runtime-Function-Error-*`` trailers.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from typing import TYPE_CHECKING, Any

from .._model import Response
from ..cycle import run_http
from ..exceptions import LambdaAsgiError
from ..logs import lambda_extension, log_access
from .client import Connection, error_document

if TYPE_CHECKING:
    from .._model import Source
    from .._types import Headers
    from ..adapter import Adapter
    from .client import ChunkedBody
    from .context import Context

logger = logging.getLogger("lambda_asgi.runtime")

CONTENT_TYPE = "application/vnd.awslambda.http-integration-response"
DELIMITER = b"\0" * 8
STREAM_LIMIT = 200 * 1024 * 1024
"""Bytes a streamed response may carry (Lambda's limit for response streaming)."""
STREAMABLE = frozenset({"function_url", "rest"})
"""The sources whose front doors can stream a response."""


class ResponseStream:
    """The streaming ``POST .../response`` of one invocation; the cycle's sink."""

    def __init__(
        self,
        connection: Connection,
        request_id: str,
        source: Source,
        event: Any,
        adapter: Adapter,
        *,
        head: bool = False,
        limit: int = STREAM_LIMIT,
    ) -> None:
        self._connection = connection
        self._path = f"/2018-06-01/runtime/invocation/{request_id}/response"
        self._source = source
        self._event = event
        self._adapter = adapter
        self._head = head
        self._limit = limit
        self._size = 0
        self.status = 0
        self.body: ChunkedBody | None = None

    async def start(self, status: int, headers: Headers) -> None:
        """Open the stream and send the prelude built from the app's status and headers."""
        self.status = status
        exclude = self._adapter._exclude
        if exclude:
            headers = [(name, value) for name, value in headers if name.lower() not in exclude]
        result = self._source.to_response(
            Response(status, headers, b""), self._event, self._adapter.config
        )
        await self._open({k: v for k, v in result.items() if k not in ("body", "isBase64Encoded")})

    async def _open(self, prelude: dict[str, Any]) -> None:
        self.body = await self._connection.stream(
            self._path,
            {
                "Lambda-Runtime-Function-Response-Mode": "streaming",
                "Content-Type": CONTENT_TYPE,
                "Trailer": "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body",
            },
        )
        await self.body.write(json.dumps(prelude).encode("utf-8") + DELIMITER)

    async def write(self, chunk: bytes) -> None:
        """Send body bytes as they come; a HEAD answer sends none."""
        assert self.body is not None, "start() comes first"
        if self._head:
            return
        self._size += len(chunk)
        if self._size > self._limit:
            raise LambdaAsgiError(
                f"the streamed response exceeds Lambda's limit of {self._limit} bytes"
            )
        await self.body.write(chunk)

    @property
    def size(self) -> int:
        """Body bytes streamed so far."""
        return self._size

    async def send_result(self, result: Any) -> None:
        """Stream a complete buffered result dictionary (an answer made without the app)."""
        body = result.get("body") or ""
        data = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
        await self._open({k: v for k, v in result.items() if k not in ("body", "isBase64Encoded")})
        await self.write(data)

    async def finish(self, exc: BaseException | None = None) -> None:
        """End the stream; with ``exc``, report it in the error trailers."""
        assert self.body is not None, "start() comes first"
        trailers = None
        if exc is not None:
            document = error_document(exc)
            trailers = {
                "Lambda-Runtime-Function-Error-Type": document["errorType"],
                "Lambda-Runtime-Function-Error-Body": base64.b64encode(
                    json.dumps(document).encode("utf-8")
                ).decode("ascii"),
            }
        status, _, answer = await self.body.finish(trailers)
        if status != 202:
            logger.error("Lambda refused the streamed response (%d): %.200r", status, answer)


async def stream_invocation(
    adapter: Adapter, connection: Connection, event: Any, context: Context
) -> bool:
    """Answer one invocation as a stream; False if its source cannot stream (answer buffered).

    Requests that never reach the app (a malformed event, a bad request) get the Adapter's
    answer, streamed in one piece.
    """
    source = adapter._detect(event)
    if source.name not in STREAMABLE:
        return False
    request_id = context.aws_request_id
    try:
        scope, body = source.to_scope(event, context, adapter.config)
    except Exception:
        result = await adapter.handle(event, context)
        stream = ResponseStream(connection, request_id, source, event, adapter)
        await stream.send_result(result)
        await stream.finish()
        return True
    started = time.perf_counter()
    scope["state"] = adapter.state.copy()
    scope["extensions"]["aws.lambda"] = lambda_extension(source.name, context)
    root_path, method, path = scope["root_path"], scope["method"], scope["path"]
    head = method == "HEAD"
    stream = ResponseStream(connection, request_id, source, event, adapter, head=head)
    try:
        response = await run_http(adapter.app, scope, body, request_id, stream)
    except Exception as exc:  # after the first bytes: only the trailers can tell
        await stream.finish(exc)
    else:
        if stream.body is None:  # nothing streamed yet: a small or empty body, or a 500
            await stream.start(response.status, response.headers)
            await stream.write(response.body)
        await stream.finish()
    if adapter._access_log:
        log_access(source.name, scope, root_path, method, path, stream.status, stream.size, started)
    return True
