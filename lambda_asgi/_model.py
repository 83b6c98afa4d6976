"""The adapter's internal data model: its validated configuration, the response the app
produced, and the shape of an event source (detect, translate in, translate out).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ._types import Headers, HTTPScope, LambdaContext


@dataclass(frozen=True, slots=True)
class Config:
    """Options every source needs, validated once when the Adapter is built."""

    base_path: str = ""
    """Custom-domain base path (``/api``), no trailing slash; ``""`` when unused."""
    text_mime_types: frozenset[str] = frozenset()
    """Extra content types answered as text: exact types, or ``type/`` prefixes."""


@dataclass(slots=True)
class Response:
    """What the application sent: status, headers in order, and the complete body."""

    status: int
    headers: Headers
    body: bytes


@dataclass(frozen=True, slots=True)
class Source:
    """One AWS front door: how to recognise its events and translate both directions.

    ``to_scope`` returns the ASGI HTTP scope (without ``state``) and the request body; it
    raises :class:`~lambda_asgi.exceptions.InvalidRequestError` for a request it cannot
    deliver faithfully. ``to_response`` returns exactly the dictionary the front door accepts.
    """

    name: str
    matches: Callable[[Mapping[str, Any]], bool]
    to_scope: Callable[[Mapping[str, Any], LambdaContext, Config], tuple[HTTPScope, bytes]]
    to_response: Callable[[Response, Mapping[str, Any], Config], Mapping[str, Any]]
