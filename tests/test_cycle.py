"""One HTTP cycle through the Adapter: apps that misbehave, the protocol checks in send(), and
what receive() answers (the body once, then http.disconnect without hanging or cutting a
streamed response short)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections import OrderedDict
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any, cast

import anyio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lambda_asgi import ProtocolError
from lambda_asgi._types import Message, Receive, Scope, Send
from lambda_asgi.testing import FakeContext, http_api_event
from tests.conftest import AdapterFactory

Serve = Callable[..., Mapping[str, Any]]
Logged = Callable[[], list[tuple[str, int, str]]]

WHERE = f"GET /, aws_request_id={FakeContext().aws_request_id}"
START: Message = {"type": "http.response.start", "status": 200, "headers": []}
TEXT_START: Message = {**START, "headers": [(b"content-type", b"text/plain")]}
NO_BODY: Message = {"type": "http.request", "body": b"", "more_body": False}
DISCONNECT: Message = {"type": "http.disconnect"}
HALF: Message = {"type": "http.response.body", "body": b"half", "more_body": True}
ERROR_500 = {
    "statusCode": 500,
    "headers": {"content-type": "text/plain; charset=utf-8", "content-length": "21"},
    "cookies": [],
    "body": "Internal Server Error",
    "isBase64Encoded": False,
}


@pytest.fixture
def serve(make_adapter: AdapterFactory, context: FakeContext) -> Serve:
    """Answer one request (HTTP API 2.0 by default) with the app, lifespan off."""

    def serve(app: Any, event: Any = None) -> Mapping[str, Any]:
        result: Mapping[str, Any] = make_adapter(app, lifespan="off")(
            event or http_api_event(), context
        )
        return result

    return serve


@pytest.fixture
def logged(caplog: pytest.LogCaptureFixture) -> Logged:
    return lambda: [(r.name, r.levelno, r.getMessage()) for r in caplog.records]


def ok(body: str, headers: dict[str, str] | None = None, status: int = 200) -> dict[str, Any]:
    """The HTTP API 2.0 result of a successful response."""
    return {
        "statusCode": status,
        "headers": {"content-type": "text/plain"} if headers is None else headers,
        "cookies": [],
        "body": body,
        "isBase64Encoded": False,
    }


def raised(caplog: pytest.LogCaptureFixture) -> Any:
    """The exception type whose traceback the last log record carries."""
    exc_info = caplog.records[-1].exc_info
    return exc_info and exc_info[0]


def error(text: str) -> tuple[str, int, str]:
    return ("lambda_asgi", logging.ERROR, f"{text} ({WHERE})")


def violation(text: str) -> tuple[str, int, str]:
    return error(f"app error: ASGI protocol violation: {text}")


async def respond(send: Send, body: bytes) -> None:
    await send(TEXT_START)
    await send({"type": "http.response.body", "body": body})


def start(**fields: Any) -> Message:
    return {**START, **fields}


class Boom(Exception):
    pass


# -- apps that raise or stop early ---------------------------------------------------------


def test_exception_before_start_is_a_500_with_the_traceback(
    serve: Serve, logged: Logged, caplog: pytest.LogCaptureFixture
) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise Boom("database down")

    assert serve(app) == ERROR_500
    assert logged() == [error("app error: the ASGI app raised before responding; answering 500")]
    assert raised(caplog) is Boom


@pytest.mark.parametrize("sent", [[TEXT_START], [TEXT_START, HALF]], ids=["start", "mid-body"])
def test_exception_after_start_before_complete_is_a_500(
    serve: Serve, logged: Logged, caplog: pytest.LogCaptureFixture, sent: list[Message]
) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        for message in sent:
            await send(message)
        raise Boom("generator failed")

    assert serve(app) == ERROR_500
    assert logged() == [
        error("app error: the ASGI app raised after the response started; answering 500")
    ]
    assert raised(caplog) is Boom


def test_exception_after_complete_returns_the_response_as_sent(
    serve: Serve, logged: Logged, caplog: pytest.LogCaptureFixture
) -> None:
    async def background() -> None:
        raise Boom("email not sent")

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await respond(send, b"accepted")
        await background()  # Starlette runs background tasks here, after the body

    assert serve(app) == ok("accepted")
    assert logged() == [
        error(
            "app error: the ASGI app raised after its response was complete; "
            "the response is returned as sent"
        )
    ]
    assert raised(caplog) is Boom


def test_return_without_start_is_a_500(serve: Serve, logged: Logged) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()

    assert serve(app) == ERROR_500
    assert logged() == [
        error(
            "app error: the ASGI app returned without sending 'http.response.start'; answering 500"
        )
    ]


@pytest.mark.parametrize("sent", [[TEXT_START], [TEXT_START, HALF]], ids=["no-body", "mid-body"])
def test_return_mid_body_is_a_500(serve: Serve, logged: Logged, sent: list[Message]) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        for message in sent:
            await send(message)

    assert serve(app) == ERROR_500
    assert logged() == [
        error(
            "app error: the ASGI app returned before finishing its body "
            "(no 'http.response.body' with more_body=False); answering 500"
        )
    ]


# -- protocol violations -------------------------------------------------------------------

BODY_X: Message = {"type": "http.response.body", "body": b"x"}
PAIRS = "'headers' must be an iterable of [name, value] pairs, got"
NOT_BYTES = "header names and values must be bytes, got"
STATUS = "'status' must be an integer from 100 to 599, got"
FIRST = "expected 'http.response.start' first, got"
AFTER = "expected 'http.response.body' after the start, got"
BREAKER = "response header"
IN_VALUE = "has CR, LF or NUL in its value"
IN_NAME = "has CR, LF or NUL in its name"
NUL_NAME = b"x\0" * 40  # named by its first 60 bytes


@pytest.mark.parametrize(
    ("sent", "text"),
    [
        ([BODY_X], f"{FIRST} 'http.response.body'"),
        ([START, START], f"{AFTER} 'http.response.start'"),
        ([{"type": "http.response.trailers"}], f"{FIRST} 'http.response.trailers'"),
        ([START, {"type": "http.response.push", "path": "/x"}], f"{AFTER} 'http.response.push'"),
        ([{"status": 200}], f"{FIRST} None"),
        *[([start(status=value)], f"{STATUS} {value!r}") for value in ("200", True, 99, 600)],
        ([start(status=None)], f"{STATUS} None"),
        ([start(status=200.0)], f"{STATUS} 200.0"),
        ([start(headers=[(b"x-a",)])], f"{PAIRS} [(b'x-a',)]"),
        ([start(headers=7)], f"{PAIRS} 7"),
        ([start(headers=[("x-a", b"1")])], f"{NOT_BYTES} 'x-a': b'1'"),
        ([start(headers=[(b"x-a", "1")])], f"{NOT_BYTES} b'x-a': '1'"),
        ([start(headers=[b"ab"])], f"{NOT_BYTES} 97: 98"),
        ([start(headers=[(bytearray(b"x-a"), b"1")])], f"{NOT_BYTES} bytearray(b'x-a'): b'1'"),
        ([start(headers=[(b"x-a", b"1\r\nSet-Cookie: a=1")])], f"{BREAKER} b'x-a' {IN_VALUE}"),
        ([start(headers=[(b"x-ok", b"1"), (b"x-a", b"1\n")])], f"{BREAKER} b'x-a' {IN_VALUE}"),
        ([start(headers=[(b"set-cookie", b"a=1\x00")])], f"{BREAKER} b'set-cookie' {IN_VALUE}"),
        ([start(headers=[(b"x-a\r\nx-b", b"1")])], f"{BREAKER} b'x-a\\r\\nx-b' {IN_NAME}"),
        ([start(headers=[(NUL_NAME, b"\n")])], f"{BREAKER} {NUL_NAME[:60]!r} {IN_NAME}"),
        ([START, {"type": "http.response.body", "body": "text"}], "'body' must be bytes, got str"),
        ([cast(Message, "oops")], f"{FIRST} 'oops'"),
        (
            [cast(Message, "http.response.start")],
            "a message must be a dict, got the string 'http.response.start'",
        ),
        ([START, cast(Message, None)], f"{AFTER} None"),
    ],
)  # fmt: skip
def test_violation_raises_into_the_app_and_is_a_500(
    serve: Serve, logged: Logged, sent: list[Message], text: str
) -> None:
    seen: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            for message in sent:
                await send(message)
        except ProtocolError as exc:
            seen.append(str(exc))
            raise

    assert serve(app) == ERROR_500
    assert seen == [text]
    assert logged() == [violation(text)]


def test_message_after_complete_raises_but_the_response_stands(
    serve: Serve, logged: Logged
) -> None:
    seen: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await respond(send, b"done")
        try:
            await send({"type": "http.response.body", "body": b"more"})
        except ProtocolError as exc:
            seen.append(str(exc))
            raise

    text = "'http.response.body' sent after the response was complete"
    assert serve(app) == ok("done")
    assert seen == [text]
    assert logged() == [violation(text)]


def test_messages_of_dict_subclasses_and_bytes_like_bodies_are_accepted(serve: Serve) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send(OrderedDict(start(headers=[(b"content-type", b"text/plain")])))
        await send(OrderedDict(type="http.response.body", body=bytearray(b"a"), more_body=True))
        await send({"type": "http.response.body", "body": memoryview(b"b")})

    assert serve(app) == ok("ab")


@pytest.mark.parametrize("status", [HTTPStatus.OK, 100, 599])
def test_int_statuses_in_range_are_accepted(serve: Serve, status: int) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send(start(status=status))
        await send({"type": "http.response.body"})

    result = serve(app)
    assert result == ok("", {}, status=int(status))
    assert type(result["statusCode"]) is int


def test_app_that_swallows_the_error_and_returns_is_a_500(serve: Serve, logged: Logged) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        with contextlib.suppress(ProtocolError):
            await send(BODY_X)

    assert serve(app) == ERROR_500
    assert logged() == [
        violation(f"{FIRST} 'http.response.body'"),
        error(
            "app error: the ASGI app returned without sending 'http.response.start'; answering 500"
        ),
    ]


def test_app_that_swallows_the_error_then_responds_is_served(serve: Serve, logged: Logged) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await send(start(status="200"))
        except ProtocolError:
            await respond(send, b"recovered")

    assert serve(app) == ok("recovered")
    assert logged() == [violation(f"{STATUS} '200'")]


# -- receive() -----------------------------------------------------------------------------


def test_first_receive_returns_the_whole_body(serve: Serve) -> None:
    received: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        received.append(await receive())
        await respond(send, b"ok")

    assert serve(app, http_api_event(method="POST", body=b"name=lamp")) == ok("ok")
    assert received == [{"type": "http.request", "body": b"name=lamp", "more_body": False}]


def test_second_receive_in_the_only_task_disconnects_at_once(serve: Serve) -> None:
    received: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        received.append(await receive())
        with anyio.fail_after(1):
            received.append(await receive())
        await respond(send, b"ok")

    assert serve(app) == ok("ok")
    assert received == [NO_BODY, DISCONNECT]


def test_second_receive_under_wait_for_is_bounded_by_its_own_timeout(serve: Serve) -> None:
    """From 3.12 wait_for() awaits receive() in the app's own task: disconnect at once. Before,
    it runs receive() in a task of its own, which looks exactly like a listener beside a
    streamed response, so it waits for the response, but only until the caller's timeout."""
    seen: list[Message | None] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        try:
            seen.append(await asyncio.wait_for(receive(), 0.2))
        except asyncio.TimeoutError:
            seen.append(None)
        await respond(send, b"ok")

    assert serve(app) == ok("ok")
    assert seen == [DISCONNECT if sys.version_info >= (3, 12) else None]


def test_receive_in_a_task_of_its_own_waits_for_the_streamed_response(serve: Serve) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        listener = asyncio.ensure_future(receive())
        await send(TEXT_START)
        for chunk in (b"a", b"b", b"c"):
            await asyncio.sleep(0.005)
            if listener.done():
                return  # the client went away: stop streaming
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        assert await listener == DISCONNECT

    assert serve(app) == ok("abc")


def test_receive_after_the_response_completed_disconnects(serve: Serve) -> None:
    received: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await respond(send, b"ok")
        for _ in range(3):
            received.append(await receive())  # the body is still delivered first

    assert serve(app) == ok("ok")
    assert received == [NO_BODY, DISCONNECT, DISCONNECT]


def test_django_style_listener_task_waits_for_the_streamed_response(
    serve: Serve, logged: Logged
) -> None:
    events: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        response = asyncio.current_task()
        assert response is not None
        finished = False

        async def listen(name: str) -> None:
            events.append(f"{name}: {(await receive())['type']}")
            if not finished:  # Django aborts the response on an early disconnect
                response.cancel()

        async def audit() -> None:  # finishing early must not release the listeners
            events.append("audit done")

        listeners = [asyncio.create_task(listen(name)) for name in ("first", "second")]
        await asyncio.create_task(audit())
        await send(TEXT_START)
        for chunk in (b"one ", b"two ", b"three"):
            await asyncio.sleep(0.005)
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
            events.append(chunk.decode())
        await asyncio.sleep(0)
        await send({"type": "http.response.body", "body": b"!"})
        finished = True
        events.append("complete")
        await asyncio.gather(*listeners)

    assert serve(app) == ok("one two three!")
    assert events == [
        "audit done",
        *["one ", "two ", "three", "complete"],
        *["first: http.disconnect", "second: http.disconnect"],
    ]
    assert logged() == []


def test_anyio_style_main_task_listens_while_a_child_streams(serve: Serve, logged: Logged) -> None:
    events: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        async with anyio.create_task_group() as group:

            async def stream() -> None:
                await send(TEXT_START)
                for chunk in (b"a", b"b", b"c"):
                    await anyio.sleep(0.005)
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                    events.append(chunk.decode())
                await send({"type": "http.response.body", "body": b""})
                events.append("complete")

            group.start_soon(stream)
            events.append((await receive())["type"])
            group.cancel_scope.cancel()  # Starlette stops streaming on a disconnect

    assert serve(app) == ok("abc")
    assert events == ["a", "b", "c", "complete", "http.disconnect"]
    assert logged() == []


def test_tasks_spawned_by_a_request_are_forgotten_when_it_ends(serve: Serve) -> None:
    """The tasks a request spawned (and those they spawned) count as able to answer it while
    it runs; afterwards nothing of the request is kept, and a task its leftovers spawn later
    belongs to no request."""
    from lambda_asgi import _tasks

    seen: list[str] = []
    leftovers: list[asyncio.Task[None]] = []

    async def grandchild() -> None:
        await asyncio.sleep(0)

    async def child() -> None:
        await asyncio.create_task(grandchild())
        seen.append(f"while running: {len(_tasks._requests)} tasks of the request")

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await asyncio.create_task(child())

        async def linger() -> None:
            await asyncio.sleep(0)  # past the end of its request
            leftovers.append(asyncio.create_task(grandchild()))

        leftovers.append(asyncio.create_task(linger()))
        await respond(send, b"ok")

    assert serve(app) == ok("ok")
    assert _tasks._requests == {}
    assert serve(app) == ok("ok")  # the next invocation runs what the first left behind
    assert _tasks._requests == {}
    assert seen == ["while running: 3 tasks of the request"] * 2
    assert len(leftovers) == 3  # both lingers, and what the first one spawned after its request


# -- the response body ---------------------------------------------------------------------


def test_body_is_concatenated_from_chunks(serve: Serve) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send(TEXT_START)
        for chunk in (b"al", b"", b"pha", b"bet"):
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "more_body": True})  # no "body" key
        await send({"type": "http.response.body", "body": b"!"})

    assert serve(app) == ok("alphabet!")


def test_empty_body_and_no_headers_key(serve: Serve) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 204})
        await send({"type": "http.response.body"})

    assert serve(app) == ok("", {}, status=204)


def test_bytearray_and_memoryview_chunks_are_accepted(serve: Serve) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send(TEXT_START)
        await send({"type": "http.response.body", "body": bytearray(b"by"), "more_body": True})
        await send({"type": "http.response.body", "body": memoryview(b"tes")})

    assert serve(app) == ok("bytes")


def test_head_response_drops_the_body_the_app_sent(serve: Serve) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send(start(headers=[(b"content-type", b"text/plain"), (b"content-length", b"5")]))
        await send({"type": "http.response.body", "body": b"hello"})

    assert serve(app, http_api_event(method="HEAD")) == ok(
        "", {"content-type": "text/plain", "content-length": "5"}
    )


# -- requests the app never sees -----------------------------------------------------------


async def never_called(scope: Scope, receive: Receive, send: Send) -> None:
    raise AssertionError("the app must not be called")


@pytest.mark.parametrize(
    ("changes", "body", "log"),
    [
        (
            {"body": "abc", "isBase64Encoded": True},
            "Bad Request: the event flags its body as base64 (isBase64Encoded) but it is not ",
            "bad http_api request",
        ),
        (
            {"headers": ["not a mapping"]},
            "Bad Request: malformed event",
            "malformed http_api event",
        ),
    ],
)
def test_unusable_request_is_a_400_without_calling_the_app(
    serve: Serve, logged: Logged, changes: dict[str, Any], body: str, log: str
) -> None:
    result = serve(never_called, {**http_api_event(method="POST"), **changes})
    assert {**result, "body": result["body"][: len(body)]} == {
        "statusCode": 400,
        "headers": {
            "content-type": "text/plain; charset=utf-8",
            "content-length": str(len(result["body"])),
        },
        "cookies": [],
        "body": body,
        "isBase64Encoded": False,
    }
    [(name, level, message)] = logged()
    assert (name, level) == ("lambda_asgi", logging.WARNING)
    assert message.startswith(f"{log}, answering 400 without calling the app")
    assert message.endswith(f"(aws_request_id={FakeContext().aws_request_id})")


def test_a_streamed_response_with_a_line_breaker_is_a_500_before_any_byte_goes_out(
    logged: Logged,
) -> None:
    from lambda_asgi.cycle import run_http

    sink_calls: list[object] = []

    class Sink:
        async def start(self, status: int, headers: list[tuple[bytes, bytes]]) -> None:
            sink_calls.append((status, headers))

        async def write(self, chunk: bytes) -> None:
            sink_calls.append(chunk)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send(start(headers=[(b"location", b"/next\r\nX-Injected: 1")]))
        await send({"type": "http.response.body", "body": b"chunk", "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    scope: Any = {"type": "http", "method": "GET", "path": "/", "headers": []}
    request_id = FakeContext().aws_request_id
    response = asyncio.run(run_http(app, scope, b"", request_id, Sink()))

    text = f"{BREAKER} b'location' {IN_VALUE}"
    assert (response.status, response.headers, response.body, sink_calls) == (
        500,
        [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", b"21")],
        b"Internal Server Error",
        [],
    )
    assert logged() == [violation(text)]


def test_known_clean_pairs_pass_at_once_and_anything_else_is_checked(
    serve: Serve, logged: Logged
) -> None:
    """Pairs found clean once are known as pairs: a response of only those is taken as it is
    (copied, so what the app does to its list afterwards changes nothing). A list or tuple with
    any other pair, an unhashable pair or an iterator goes through the full check; bytes
    subclasses count as their bytes."""
    from lambda_asgi import _exchange

    class Name(bytes):
        pass

    known = [(b"content-type", b"text/plain"), (b"x-known", b"1")]
    sent: list[Any] = [
        list(known),
        tuple(known),
        [*known, (b"x-new", b"\n")],
        [[b"x-known", b"1"], (b"content-type", b"text/plain")],
        iter(known),
        [(Name(b"x-known"), b"1"), (b"content-type", b"text/plain")],
    ]
    results = []
    for headers in sent:

        async def app(scope: Scope, receive: Receive, send: Send, headers: Any = headers) -> None:
            await send(start(headers=headers))
            if isinstance(headers, list) and headers:
                headers.append((b"x-after", b"sent"))  # too late to count
            await send({"type": "http.response.body", "body": b"ok"})

        results.append(serve(app))

    known_result = ok("ok", {"content-type": "text/plain", "x-known": "1"})
    assert results == [known_result] * 2 + [ERROR_500] + [known_result] * 3
    assert {(b"x-known", b"1"), (b"content-type", b"text/plain")} <= _exchange._clean_pairs
    assert all(type(name) is bytes for name, _ in _exchange._clean_pairs)
    assert logged() == [violation(f"{BREAKER} b'x-new' {IN_VALUE}")]


def test_clean_headers_are_remembered_boundedly_and_long_values_always_scanned(
    serve: Serve, logged: Logged
) -> None:
    """Names and values found clean are remembered to skip their scan next time; the memory
    is bounded, and holds neither long values nor anything with a line breaker."""
    from lambda_asgi import _exchange

    long_value = b"v" * (_exchange._MAX_CLEAN_SIZE + 1)
    replies: list[list[tuple[bytes, bytes]]] = [
        *([(b"x-id", str(number).encode())] for number in range(_exchange._MAX_CLEAN + 10)),
        [(b"x-long", long_value)],
        [(b"x-long", long_value)],
        [(b"x-long", long_value[:-1] + b"\r")],
    ]
    results = []
    for headers in replies:

        async def app(scope: Scope, receive: Receive, send: Send, headers: Any = headers) -> None:
            await send(start(headers=headers))
            await send({"type": "http.response.body", "body": b""})

        results.append(serve(app)["statusCode"])

    assert results == [200] * (len(replies) - 1) + [500]
    assert len(_exchange._clean) <= _exchange._MAX_CLEAN
    assert long_value not in _exchange._clean
    assert len(_exchange._clean_pairs) <= _exchange._MAX_CLEAN
    assert (b"x-long", long_value) not in _exchange._clean_pairs
    assert logged() == [violation(f"{BREAKER} b'x-long' {IN_VALUE}")]


_CLEAN_BYTES = st.binary(max_size=600).filter(lambda raw: not set(raw) & {10, 13, 0})


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_CLEAN_BYTES, _CLEAN_BYTES), max_size=6))
def test_pairs_remembered_clean_are_short(pairs: list[tuple[bytes, bytes]]) -> None:
    """The Adapter's size bound counts SHORT_PAIR bytes for a header it finds remembered clean
    (all_known_clean) instead of looking at it: no longer pair is ever remembered."""
    from lambda_asgi import _exchange

    assert _exchange.checked_headers(pairs) == pairs
    assert all(
        len(name) + len(value) <= _exchange.SHORT_PAIR for name, value in _exchange._clean_pairs
    )
    short = [pair for pair in pairs if len(pair[0]) + len(pair[1]) <= _exchange.SHORT_PAIR]
    assert _exchange.all_known_clean(pairs) is (len(short) == len(pairs))


def test_a_response_of_more_pairs_than_the_memory_holds_is_not_remembered(
    serve: Serve, logged: Logged
) -> None:
    from lambda_asgi import _exchange

    many = [(f"x-n-{number:05d}".encode(), b"1") for number in range(_exchange._MAX_CLEAN + 1)]

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send(start(headers=many))
        await send({"type": "http.response.body", "body": b""})

    assert serve(app)["statusCode"] == 200
    assert len(_exchange._clean_pairs) <= _exchange._MAX_CLEAN
    assert logged() == []
