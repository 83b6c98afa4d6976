"""Small ASGI apps shared by the tests: they record what they received and answer as told."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from lambda_asgi import Adapter, LambdaContext
from lambda_asgi._types import Receive, Scope, Send

AWS_KEYS = ("aws.event", "aws.context")
TEXT_PLAIN = "text/plain; charset=utf-8"
"""The content type of the adapter's own error responses."""
BAD_BASE64 = "the event flags its body as base64 (isBase64Encoded) but it is not valid base64"
"""The reason of the 400 for a body like ``"not base64!"`` flagged as base64."""


class RecordingApp:
    """Records every HTTP scope and request body, then answers ``status``/``headers``/``body``.

    It supports the lifespan protocol and puts ``state`` into the lifespan state at startup,
    so tests can check that each request gets a copy of it.
    """

    def __init__(
        self,
        *,
        status: int = 200,
        headers: Sequence[tuple[bytes, bytes]] = (),
        body: bytes = b"",
        state: Mapping[str, Any] | None = None,
    ) -> None:
        self.status = status
        self.headers = list(headers)
        self.body = body
        self.state = dict(state or {})
        self.scopes: list[Scope] = []
        self.bodies: list[bytes] = []

    @property
    def scope(self) -> Scope:
        """The scope of the only request served so far."""
        assert len(self.scopes) == 1, f"expected one request, got {len(self.scopes)}"
        return self.scopes[0]

    @property
    def request_body(self) -> bytes:
        """The body of the only request served so far."""
        assert len(self.bodies) == 1, f"expected one request, got {len(self.bodies)}"
        return self.bodies[0]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    scope["state"].update(self.state)
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        self.scopes.append(scope)
        message = await receive()
        self.bodies.append(message["body"])
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        await send({"type": "http.response.body", "body": self.body})


def plain(scope: Scope) -> dict[str, Any]:
    """The scope without ``aws.event``/``aws.context``, which ``serve`` compares with ``is``,
    and without the ``aws.lambda`` extension, which ``serve`` checks against the context (and
    tests/test_observability.py asserts whole)."""
    plain = {key: value for key, value in scope.items() if key not in AWS_KEYS}
    extensions = plain.get("extensions")
    if isinstance(extensions, dict) and "aws.lambda" in extensions:
        plain["extensions"] = {k: v for k, v in extensions.items() if k != "aws.lambda"}
    return plain


def serve(
    make_adapter: Callable[..., Adapter],
    event: dict[str, Any],
    context: LambdaContext,
    app: RecordingApp | None = None,
    **options: Any,
) -> tuple[RecordingApp, dict[str, Any]]:
    """Invoke a fresh Adapter (``options``) around ``app`` once; return the app and result.

    The default app answers ``200 text/plain "ok"``. The scope must carry the very event and
    context objects the handler received.
    """
    app = app or RecordingApp(headers=[(b"content-type", b"text/plain")], body=b"ok")
    result = make_adapter(app, **options)(event, context)
    for scope in app.scopes:
        if scope["aws.event"] is not event or scope["aws.context"] is not context:
            raise AssertionError("aws.event/aws.context are not the objects passed in")
        extension = scope["extensions"]["aws.lambda"]
        if (
            extension["request_id"] != context.aws_request_id
            or extension["function_arn"] != context.invoked_function_arn
            or extension["remaining_time_ms"] != context.get_remaining_time_in_millis
        ):
            raise AssertionError(
                f"the aws.lambda extension does not match the context: {extension}"
            )
    return app, dict(result)
