"""The result-size guard: one of two that turn Lambda's opaque failures into clear answers.

**Result size.** A result over the front door's limit (6 MB for a synchronous invoke, 1 MB for
ALB, 40 KB / 1 MB for Lambda@Edge) makes Lambda or the front door answer an opaque 502. What
counts is the serialized JSON, base64 inflation and escaping included, so that is what we
measure, as the Python runtime's encoder writes it: with ASCII escapes (``\\u00e9``), except in
the managed Python 3.12+ runtimes, which write UTF-8. Measuring costs a full ``json.dumps`` only
for results that could come near the limit: below it, a bound computed from lengths alone
(every character escaped at its worst) already proves the result fits, and a base64 body, which
needs no escaping, counts exactly its length. The bound holds only for the results the
built-in sources build from the response headers and body; any other result is measured.

Over the limit, what matters is answering at once: a result whose body alone proves it too
large (every character is at least one byte of JSON) is reported as "at least" that many
bytes without serializing it, and a base64 body is counted, never copied, so a 50 MiB body
costs no more than its own length to refuse.

The deadline guard, the other one, lives with the event loop in the Adapter: a request still
running after its first event-loop iteration gets a timer that cancels it a margin before the
deadline, and the cancellation becomes a 504.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Final, NamedTuple

if TYPE_CHECKING:
    from ._types import Headers

# Worst-case bytes of JSON per character: "\\u001f" for an ASCII control character, a
# surrogate pair "\\ud83d\\ude00" for a character outside the BMP.
ASCII_WORST: Final = 6
_ANY_WORST: Final = 12
# JSON punctuation per header (quotes, colon, comma, brackets, and Lambda@Edge's "key"/"value"
# wrappers), plus room for the fixed keys, the status and its description.
PER_HEADER: Final = 64
FIXED: Final = 512
# Worst JSON bytes per header byte: every character at its worst, and twice over, as
# Lambda@Edge results write each name twice (the lowercase map key and the "key" field).
HEADER_WORST: Final = 2 * _ANY_WORST


class Oversize(NamedTuple):
    """How large an oversized result is: exactly ``size`` bytes, or, when ``exact`` is false,
    at least that many (the body alone proved it too large, and serializing it to say by how
    much would cost more than the answer is worth)."""

    size: int
    exact: bool

    def __str__(self) -> str:
        return f"{self.size} bytes" if self.exact else f"at least {self.size} bytes"


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


def oversize(
    result: Any, headers: Headers | None, limit: int, body_size: int | None = None
) -> Oversize | None:
    """How large the serialized result is if it exceeds ``limit``, else ``None``.

    ``headers`` are the response headers a built-in source built the result from: the result
    then holds nothing else of variable length except the body. ``None`` for any other
    result (a custom source's, or the app's answer to a non-HTTP event), which is measured.
    ``body_size`` is the length of the response body in bytes, when known: no byte of a body
    becomes more than six bytes of JSON, as text (``"\\u001f"``) or base64, which bounds
    most results without looking at them; nor fewer than one, which proves others too large.
    """
    if headers is not None:
        header_bytes = 0
        for name, value in headers:  # a loop: quicker than sum() or map() over a few headers
            header_bytes += len(name) + len(value)
        rest = FIXED + len(headers) * PER_HEADER + HEADER_WORST * header_bytes
        if body_size is not None and ASCII_WORST * body_size + rest <= limit:
            return None
    body = result.get("body") if type(result) is dict else None
    if headers is not None and type(result) is dict:
        # A tighter bound from the body as the result carries it.
        if body is None:
            worst = 0
        elif type(body) is not str:
            worst = limit + 1
        elif result.get("isBase64Encoded") is True or result.get("bodyEncoding") == "base64":
            # The base64 alphabet needs no escaping: the body counts exactly its length
            # (plus its quotes), so measuring the rest without it is exact.
            if len(body) + 2 + rest <= limit:
                return None
            return _exactly(result_size({**result, "body": ""}) + len(body), limit)
        else:
            worst = len(body) * (ASCII_WORST if body.isascii() else _ANY_WORST)
        if worst + rest <= limit:
            return None
    if type(body) is str:
        # Every character is at least one byte of JSON, and a built-in source's text body at
        # least its UTF-8 length (its base64 more): past the limit, no need to say more.
        least = max(len(body), body_size or 0) + 2
        if least > limit:
            return Oversize(least, False)
    return _exactly(result_size(result), limit)


def _exactly(size: int, limit: int) -> Oversize | None:
    return Oversize(size, True) if size > limit else None
