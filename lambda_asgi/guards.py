"""The two guards that turn Lambda's opaque failures into clear answers.

**Result size.** A result over the front door's limit (6 MB for a synchronous invoke, 1 MB for
ALB, 40 KB / 1 MB for Lambda@Edge) makes Lambda or the front door answer an opaque 502. What
counts is the serialized JSON, base64 inflation and escaping included, so that is what we
measure, as the Python runtime's encoder writes it: with ASCII escapes (``\\u00e9``), except in
the managed Python 3.12+ runtimes, which write UTF-8. Measuring costs a full ``json.dumps`` only
for results that could come near the limit: below it, a bound computed from lengths alone
(every character escaped at its worst) already proves the result fits, and a base64 body, which
needs no escaping, counts exactly its length. The bound holds only for the results the
built-in sources build from the response headers and body; any other result is measured.

**Deadline.** :func:`deadline_guard` runs the request coroutine in place, so an app that never
suspends (most answer without waiting on anything) pays nothing: only when the app first waits
does the guard read the remaining time and set a timer that cancels the request a margin before
Lambda's deadline.
"""

from __future__ import annotations

import asyncio
import os
import types
from collections.abc import Callable, Coroutine, Generator
from itertools import chain
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from ._types import Headers

T = TypeVar("T")

# Worst-case bytes of JSON per character: "\\u001f" for an ASCII control character, a
# surrogate pair "\\ud83d\\ude00" for a character outside the BMP.
_ASCII_WORST = 6
_ANY_WORST = 12
# JSON punctuation per header (quotes, colon, comma, brackets, and Lambda@Edge's "key"/"value"
# wrappers), plus room for the fixed keys, the status and its description.
_PER_HEADER = 64
_FIXED = 512


def runtime_writes_utf8() -> bool:
    """Whether the Lambda runtime serializes results as UTF-8 rather than with ASCII escapes.

    The managed runtimes from Python 3.12 on (``AWS_EXECUTION_ENV=AWS_Lambda_python3.12``)
    encode with ``ensure_ascii=False``; older ones, and custom runtimes, escape.
    """
    runtime = os.environ.get("AWS_EXECUTION_ENV", "")
    prefix = "AWS_Lambda_python3."
    if not runtime.startswith(prefix):
        return False
    minor = runtime[len(prefix) :]
    return minor.isdigit() and int(minor) >= 12


def result_size(result: Any) -> int:
    """Bytes of the serialized result, as the Lambda runtime writes it.

    What ``json`` cannot encode is counted as its ``str()``: the runtime writes a ``Decimal``
    as its digits, and fails on anything else with an error of its own.
    """
    import json

    if runtime_writes_utf8():
        text = json.dumps(result, ensure_ascii=False, default=str)
        return len(text.encode("utf-8", "surrogatepass"))
    return len(json.dumps(result, default=str))


def oversize(result: Any, headers: Headers | None, limit: int) -> int | None:
    """The size of the serialized result if it exceeds ``limit``, else ``None``.

    ``headers`` are the response headers a built-in source built the result from: the result
    then holds nothing else of variable length except the body. ``None`` for any other
    result (a custom source's, or the app's answer to a non-HTTP event), which is measured.
    """
    if headers is not None and type(result) is dict:
        bound = _bound(result, headers)
        if bound is not None and bound <= limit:
            return None
    size = result_size(result)
    return size if size > limit else None


def _bound(result: dict[str, Any], headers: Headers) -> int | None:
    """An upper bound of the serialized size from lengths alone, if the body allows one."""
    body = result.get("body")
    if body is None:
        worst = 0
    elif type(body) is not str:
        return None
    elif result.get("isBase64Encoded") is True or result.get("bodyEncoding") == "base64":
        worst = len(body) + 2  # the base64 alphabet needs no escaping: just the quotes
    else:
        worst = len(body) * (_ASCII_WORST if body.isascii() else _ANY_WORST)
    return (
        worst
        + _FIXED
        + len(headers) * _PER_HEADER
        + 2 * _ANY_WORST * sum(map(len, chain.from_iterable(headers)))
    )


@types.coroutine
def deadline_guard(
    coro: Coroutine[Any, Any, T], arm: Callable[[], asyncio.TimerHandle | None]
) -> Generator[Any, Any, T]:
    """Await ``coro``; the first time it suspends, call ``arm`` to set the deadline timer.

    The timer cancels the task running this guard; the cancellation is told apart from any
    other by ``arm``'s caller, which knows whether its timer fired. The timer is cancelled when
    ``coro`` finishes, however it finishes.
    """
    try:
        yielded = coro.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    timer = arm()
    try:
        while True:
            try:
                sent = yield yielded
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as exc:  # cancellation and anything thrown in: pass it on
                try:
                    yielded = coro.throw(exc)
                except StopIteration as done:
                    return done.value  # type: ignore[no-any-return]
            else:
                try:
                    yielded = coro.send(sent)
                except StopIteration as done:
                    return done.value  # type: ignore[no-any-return]
    finally:
        if timer is not None:
            timer.cancel()
