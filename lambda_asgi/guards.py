"""The two guards that turn Lambda's opaque failures into clear answers.

**Result size.** A result over the front door's limit (6 MB for a synchronous invoke, 1 MB for
ALB, 40 KB / 1 MB for Lambda@Edge) makes Lambda or the front door answer an opaque 502. What
counts is the serialized JSON, base64 inflation and escaping included, so that is what we
measure, as the Python runtime's encoder would write it with ASCII escapes (never less than the
real size). Measuring costs a full ``json.dumps`` only for results that could come near the
limit: below it, a bound computed from lengths alone (every character escaped at its worst)
already proves the result fits.

**Deadline.** :func:`deadline_guard` runs the request coroutine in place, so an app that never
suspends (most answer without waiting on anything) pays nothing: only when the app first waits
does the guard read the remaining time and set a timer that cancels the request a margin before
Lambda's deadline.
"""

from __future__ import annotations

import asyncio
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


def result_size(result: Any) -> int:
    """Bytes of ``json.dumps(result)`` with ASCII escapes."""
    import json

    return len(json.dumps(result))


def oversize(result: Any, headers: Headers, limit: int) -> int | None:
    """The size of the serialized result if it exceeds ``limit``, else ``None``.

    ``headers`` are the response headers the result was built from; the result holds nothing
    else of variable length except the body.
    """
    body = result.get("body") if type(result) is dict else None
    if type(body) is str:
        worst = len(body) * (_ASCII_WORST if body.isascii() else _ANY_WORST)
    elif body is None and type(result) is dict:
        worst = 0
    else:  # a non-HTTP result: measure it
        size = result_size(result)
        return size if size > limit else None
    if (
        worst
        + _FIXED
        + len(headers) * _PER_HEADER
        + 2 * _ANY_WORST * sum(map(len, chain.from_iterable(headers)))
        <= limit
    ):
        return None
    size = result_size(result)
    return size if size > limit else None


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
