"""The adapter's internal data model: its validated configuration, the response the app
produced, and the shape of an event source (detect, translate in, translate out).

Plain classes with ``__slots__`` rather than dataclasses: importing ``dataclasses`` and
processing decorators would cost cold-start milliseconds for three small classes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ._types import Headers, LambdaContext

if TYPE_CHECKING:
    from ._types import HTTPScope


class Config:
    """Options every source needs, validated once when the Adapter is built.

    ``base_path``: the custom domain's base path (``/api``), no trailing slash, ``""`` if unused.
    ``text_mime_types``: extra content types answered as text (exact, or ``type/`` prefixes).
    """

    __slots__ = ("base_path", "text_cache", "text_mime_types")

    def __init__(self, base_path: str = "", text_mime_types: frozenset[str] = frozenset()) -> None:
        self.base_path = base_path
        self.text_mime_types = text_mime_types
        # content type -> whether its bodies travel as text; filled by the sources
        self.text_cache: dict[str, bool] = {}

    def __repr__(self) -> str:
        return f"Config(base_path={self.base_path!r}, text_mime_types={self.text_mime_types!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Config):
            return NotImplemented
        return (self.base_path, self.text_mime_types) == (other.base_path, other.text_mime_types)


class Response:
    """What the application sent: status, headers in order, and the complete body."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: Headers, body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def __repr__(self) -> str:
        return f"Response({self.status}, {self.headers!r}, {self.body[:40]!r}...)"


SYNC_RESPONSE_LIMIT = 6 * 1024 * 1024
"""Bytes of serialized result a synchronous Lambda invocation may return (6 MB)."""


class Source:
    """One AWS front door: how to recognise its events and translate both directions.

    ``matches(event)`` says whether an event comes from this front door. ``to_scope`` returns
    the ASGI HTTP scope (without ``state``) and the request body; it raises
    :class:`~lambda_asgi.exceptions.InvalidRequestError` for a request it cannot deliver
    faithfully. ``to_response`` returns exactly the dictionary the front door accepts.
    ``response_limit`` is the largest serialized result, in bytes, the front door takes for
    this event: a number, or a function of the event when it depends on it.
    """

    __slots__ = ("matches", "name", "response_limit", "to_response", "to_scope")

    def __init__(
        self,
        name: str,
        matches: Callable[[Mapping[str, Any]], bool],
        # Any: a user's source may build its scope as a plain dict.
        to_scope: Callable[[Mapping[str, Any], LambdaContext, Config], tuple[Any, bytes]],
        to_response: Callable[[Response, Mapping[str, Any], Config], Mapping[str, Any]],
        *,
        response_limit: int | Callable[[Mapping[str, Any]], int] = SYNC_RESPONSE_LIMIT,
    ) -> None:
        self.name = name
        self.matches = matches
        self.to_scope: Callable[
            [Mapping[str, Any], LambdaContext, Config], tuple[HTTPScope, bytes]
        ] = to_scope
        self.to_response = to_response
        self.response_limit = response_limit

    def __repr__(self) -> str:
        return f"<Source {self.name}>"
