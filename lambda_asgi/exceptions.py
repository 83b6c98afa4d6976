"""The exceptions lambda_asgi raises at its users.

Every exception derives from :class:`LambdaAsgiError`, so ``except LambdaAsgiError`` catches
anything the adapter itself complains about, while errors raised by the wrapped application
propagate (or become 500 responses) untouched.
"""

from __future__ import annotations

from collections.abc import Iterable


class LambdaAsgiError(Exception):
    """Base class of every error lambda_asgi raises."""


class ConfigurationError(LambdaAsgiError):
    """Raised when an :class:`~lambda_asgi.Adapter` is built with an invalid option.

    ``option`` names the offending keyword argument.
    """

    def __init__(self, option: str, message: str) -> None:
        super().__init__(f"{option}: {message}")
        self.option = option


class UnsupportedEventError(LambdaAsgiError):
    """Raised when no event source recognises the Lambda event.

    ``keys`` lists the event's top-level keys and ``sources`` the names of the sources that
    were tried, so the log line says what arrived and what would have been accepted.
    """

    def __init__(self, keys: Iterable[str], sources: Iterable[str], hint: str = "") -> None:
        self.keys = tuple(keys)
        self.sources = tuple(sources)
        self.hint = hint
        keys = ", ".join(self.keys) or "none"
        message = (
            f"no event source recognises this event (top-level keys: {keys}); "
            f"supported sources: {', '.join(self.sources)}"
        )
        if hint:
            message = f"{message}. {hint}"
        super().__init__(message)


class InvalidRequestError(LambdaAsgiError):
    """Raised when an event is recognised but its request cannot be delivered faithfully.

    The adapter answers such a request with an error response (``status``, 400 unless the
    source says otherwise, e.g. 413 for a body the front door truncated) and never calls the
    application; ``reason`` says what was wrong (for example a body flagged as base64 that is
    not base64).
    """

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class EventHandlingError(LambdaAsgiError):
    """Raised when the app answers a non-HTTP event (``events_path``) with a failure.

    That is a status outside 2xx, or a body that cannot become the handler's result. Raising
    makes Lambda count the invocation as failed, so it retries the event or sends it to the
    failure destination. ``source`` names the event's origin (``aws:sqs``), ``status`` and
    ``body`` are what the app sent.
    """

    def __init__(self, source: str, status: int, body: bytes, problem: str = "") -> None:
        self.source = source
        self.status = status
        self.body = body
        excerpt = body[:200].decode("utf-8", "replace")
        problem = problem or f"status {status}"
        super().__init__(f"the app failed the {source} event: {problem} (body: {excerpt!r})")


class LifespanError(LambdaAsgiError):
    """Raised when the ASGI lifespan startup fails, answers with a message other than
    ``lifespan.startup.complete`` or ``lifespan.startup.failed``, does not finish within the
    Adapter's ``lifespan_timeout``, or is unsupported with ``lifespan="on"``.

    Raised from the :class:`~lambda_asgi.Adapter` constructor, that is during Lambda's init
    phase, so Lambda reports an initialisation error instead of serving a broken app.
    """


class ProtocolError(LambdaAsgiError):
    """Raised inside ``send()`` when the application breaks the ASGI HTTP protocol.

    Examples: a body before ``http.response.start``, a second start, a status that is not an
    integer between 100 and 599, headers that are not byte pairs. The adapter logs the
    violation and answers 500 if the response is not complete.
    """


class RuntimeAPIError(LambdaAsgiError):
    """Raised when the Lambda Runtime API cannot be reached or answers what the custom runtime
    (:mod:`lambda_asgi.runtime`) cannot use: a bad address, a broken connection, a bad reply.
    """


class WebSocketError(LambdaAsgiError):
    """Raised when a WebSocket connection cannot be reached through API Gateway's Management
    API (:mod:`lambda_asgi.websocket`); the base class of the errors below, raised itself when
    the endpoint or region cannot be told, or a call needs a connection store that is missing.
    """


class ConnectionGoneError(WebSocketError, OSError):
    """Raised when API Gateway answers 410 Gone: the connection ``connection_id`` no longer
    exists (the client left, or the connection outlived its 2 hours or 10 idle minutes).

    It is an :class:`OSError`, as the ASGI spec asks of a ``send()`` on a closed connection,
    so Starlette and FastAPI turn it into ``WebSocketDisconnect``.
    """

    def __init__(self, connection_id: str) -> None:
        super().__init__(f"WebSocket connection {connection_id!r} is gone (410)")
        self.connection_id = connection_id


class MessageTooLargeError(WebSocketError, ValueError):
    """Raised when a message is larger than API Gateway accepts: ``size`` bytes against the
    ``limit`` of 131072 (128 KB). Checked before any call, and raised as well if API Gateway
    answers 413.
    """

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(
            f"a WebSocket message of {size} bytes exceeds API Gateway's limit of {limit} bytes"
        )
        self.size = size
        self.limit = limit


class ManagementAPIError(WebSocketError):
    """Raised when a Management API call for ``connection_id`` fails for any other reason:
    ``status`` is the HTTP status (None when no answer came: a network error, no credentials)
    and ``code`` the AWS error code (``ForbiddenException``, ``LimitExceededException`` once
    the retries ran out) or the botocore exception's name.
    """

    def __init__(
        self, connection_id: str, status: int | None, code: str, message: str = ""
    ) -> None:
        detail = f": {message}" if message else ""
        super().__init__(
            f"Management API call for connection {connection_id!r} failed "
            f"(status {status}, {code}){detail}"
        )
        self.connection_id = connection_id
        self.status = status
        self.code = code
