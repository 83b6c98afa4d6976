"""The checks on what an app sends of one HTTP response, and the record of it: the
``http.response.start`` and ``http.response.body`` messages in order, a status from 100 to
599, header names and values as bytes free of CR, LF and NUL, body bytes.

Synchronous code only, compiled in the wheels for Lambda; the request cycle's coroutines
(:mod:`lambda_asgi.cycle`) stay Python and hand each message to :meth:`Exchange.accept`.
"""

from __future__ import annotations

from typing import Any, Final

from ._model import Response
from ._types import Headers
from .exceptions import ProtocolError

_BODY_KINDS: Final = (bytes, bytearray, memoryview)

# Where a response is: what the app may send next.
BEFORE_START: Final = 0
STARTED: Final = 1
COMPLETE: Final = 2


class Exchange:
    """One response as the app sends it: its phase, status, headers and (unless a sink takes
    them) body chunks, every message checked as it arrives."""

    def __init__(self, collect: bool) -> None:
        self.phase = BEFORE_START
        self.status = 0
        self.headers: Headers = []
        self.chunks: list[bytes] = []
        self.collect = collect
        """Whether the body chunks are kept here; else the caller delivers them to a sink."""

    def accept(self, message: Any) -> bytes | None:
        """Check ``message`` and record it; raise ProtocolError for one the app may not send
        now. Answer None when nothing is left to do: a start, or a body chunk kept here (the
        last one completes the response). Without ``collect``, a body message answers its
        bytes instead: the caller delivers them, then completes the response if it was the
        last (``more_body`` false)."""
        phase = self.phase
        if not isinstance(message, dict):
            raise ProtocolError(_not_a_dict(phase, message))
        fields: dict[str, Any] = message
        kind = fields.get("type")
        if phase == STARTED and kind == "http.response.body":
            chunk = fields.get("body", b"")
            if type(chunk) is not bytes:
                chunk = _body_bytes(chunk)
            if not self.collect:
                return chunk
            if chunk:
                self.chunks.append(chunk)
            if not fields.get("more_body", False):
                self.phase = COMPLETE
            return None
        if phase == BEFORE_START and kind == "http.response.start":
            value = fields.get("status")
            if type(value) is not int or not 100 <= value <= 599:
                value = checked_status(value)
            self.headers = checked_headers(fields.get("headers"))
            self.status = value
            self.phase = STARTED
            return None
        raise ProtocolError(_out_of_order(phase, kind))

    def response(self) -> Response:
        """The response as recorded, its body the chunks kept."""
        return Response(self.status, self.headers, b"".join(self.chunks))


def checked_headers(headers: Any) -> Headers:
    """The response headers as a list of byte pairs, checked in the same pass."""
    if headers is None:
        return []
    if type(headers) is list or type(headers) is tuple:
        # An app sends the same few pairs over and over: when every pair is one found clean
        # before, one C-level pass over the set says so (a list or tuple only, as a generator
        # would be used up; an unhashable pair, such as a list, is checked below).
        try:
            if _clean_pairs.issuperset(headers):
                return list(headers)
        except TypeError:
            pass
    clean = _clean
    checked: Headers = []
    append = checked.append
    try:
        # A loop, not a comprehension: responses have a few headers, and a comprehension's own
        # function call (before Python 3.12) costs more than the appends. A pair already a
        # tuple of two known-clean byte strings is kept as it is.
        for pair in headers:
            if type(pair) is tuple and len(pair) == 2:
                name, value = pair
                if (
                    type(name) is bytes
                    and type(value) is bytes
                    and name in clean
                    and value in clean
                ):
                    append(pair)
                    continue
            name, value = pair
            append(_checked_pair(name, value))
    except (TypeError, ValueError):
        raise ProtocolError(
            f"'headers' must be an iterable of [name, value] pairs, got {headers!r:.80}"
        ) from None
    _remember_pairs(checked)
    return checked


# CR or LF would end the header line on the wire (response splitting) and NUL ends it in C
# parsers: no front door may be handed one. Names and values found free of them are
# remembered, as an app sends the same few on every response: most are checked by a set
# lookup in the pass above, the others by one scan of the pair. Bounded in count, as values
# may differ on every response, and in size: longer values are scanned every time. Whole
# pairs found clean are remembered as well (tuples of exact bytes, short values only), so a
# response of only known pairs is checked by one C call.
_LINE_BREAKERS: Final = b"\r\n\0"
_clean: Final[set[bytes]] = set()
_clean_pairs: Final[set[tuple[bytes, bytes]]] = set()
_MAX_CLEAN: Final = 1024
_MAX_CLEAN_SIZE: Final = 256


def _remember_pairs(checked: Headers) -> None:
    if len(checked) > _MAX_CLEAN:
        return  # more pairs than the set may hold: a response like no other
    if len(_clean_pairs) > _MAX_CLEAN - len(checked):
        _clean_pairs.clear()
    for pair in checked:  # tuples of plain bytes, each
        if len(pair[1]) <= _MAX_CLEAN_SIZE and len(pair[0]) <= _MAX_CLEAN_SIZE:
            _clean_pairs.add(pair)


SHORT_PAIR: Final = 2 * _MAX_CLEAN_SIZE
"""Bytes a header pair remembered clean has at most, its name and value together."""

all_known_clean: Final = _clean_pairs.issuperset
"""Whether every pair of some response headers (tuples of bytes) is one remembered clean:
the headers then have at most :data:`SHORT_PAIR` bytes each."""


def _checked_pair(name: object, value: object) -> tuple[bytes, bytes]:
    """A header pair the set of clean parts does not vouch for: checked and remembered."""
    if type(name) is not bytes or type(value) is not bytes:
        name, value = _plain_bytes(name, value)
    both = name + value
    if len(both.translate(None, _LINE_BREAKERS)) != len(both):
        where = "name" if len(name.translate(None, _LINE_BREAKERS)) != len(name) else "value"
        # Named, never its value: it may be a secret, a cookie.
        raise ProtocolError(f"response header {name[:60]!r} has CR, LF or NUL in its {where}")
    if len(_clean) > _MAX_CLEAN - 2:  # room for both
        _clean.clear()
    _clean.add(name)
    if len(value) <= _MAX_CLEAN_SIZE:
        _clean.add(value)
    return name, value


def _not_a_dict(phase: int, message: object) -> str:
    """What is wrong with a message that is not a dict (``None``, a string ...)."""
    if isinstance(message, str) and message.startswith("http."):
        return f"a message must be a dict, got the string {message!r:.40}"
    return _out_of_order(phase, message)


def _body_bytes(chunk: object) -> bytes:
    """A body that is not exactly ``bytes``: a copy of a bytes-like one, else a violation."""
    if not isinstance(chunk, _BODY_KINDS):
        raise ProtocolError(f"'body' must be bytes, got {type(chunk).__name__}")
    return bytes(chunk)


def checked_status(value: object) -> int:
    """A status that is not a plain ``int`` from 100 to 599: an int subclass in range (an
    ``HTTPStatus``) as its number, else a violation."""
    if not isinstance(value, int) or isinstance(value, bool) or not 100 <= value <= 599:
        raise ProtocolError(f"'status' must be an integer from 100 to 599, got {value!r}")
    return int(value)


def _plain_bytes(name: object, value: object) -> tuple[bytes, bytes]:
    """A pair of ``bytes`` subclasses as plain bytes (equal to a clean pair, the set of clean
    pairs takes them as that pair anyway); anything else is a violation."""
    if not (isinstance(name, bytes) and isinstance(value, bytes)):
        raise ProtocolError(
            f"header names and values must be bytes, got {name!r:.40}: {value!r:.40}"
        )
    return bytes(name), bytes(value)


def _out_of_order(phase: int, kind: object) -> str:
    """What is wrong with a message of this ``kind`` at this point of the response."""
    if phase == COMPLETE:
        return f"{kind!r} sent after the response was complete"
    if phase == STARTED:
        return f"expected 'http.response.body' after the start, got {kind!r}"
    return f"expected 'http.response.start' first, got {kind!r}"
