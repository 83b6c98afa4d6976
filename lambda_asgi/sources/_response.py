"""The response half every HTTP source shares: grouping the app's headers case-insensitively,
setting ``Set-Cookie`` apart, and choosing between a text and a base64 body.
"""

from __future__ import annotations

from base64 import b64encode
from typing import TYPE_CHECKING

from .._model import Config

if TYPE_CHECKING:
    from .._types import Headers

_TEXT_TYPES = frozenset(
    {
        "application/json",
        "application/javascript",
        "application/ecmascript",
        "application/xml",
        "application/xhtml+xml",
        "application/x-www-form-urlencoded",
        "application/graphql",
        "application/x-ndjson",
        "application/yaml",
        "application/x-yaml",
        "image/svg+xml",
    }
)


def header_text(value: bytes) -> str:
    """Decode an app's header bytes so the front door re-encodes them to the same bytes."""
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


class FoldedHeaders:
    """The app's response headers grouped case-insensitively, ``Set-Cookie`` kept apart.

    ``groups`` maps the first-seen spelling of each name to its values, in order.
    """

    __slots__ = ("content_encoded", "content_type", "cookies", "groups")

    def __init__(self, headers: Headers) -> None:
        groups: dict[str, list[str]] = {}
        spelling: dict[str, str] = {}
        cookies: list[str] = []
        content_type: str | None = None
        content_encoded = False
        try:  # fast path: UTF-8 (and so ASCII) headers, as nearly all apps send
            pairs = [(name.decode(), value.decode()) for name, value in headers]
        except UnicodeDecodeError:
            pairs = [(header_text(name), header_text(value)) for name, value in headers]
        for name, value in pairs:
            lower = name.lower()
            if lower == "set-cookie":
                cookies.append(value)
                continue
            if lower == "content-type":
                content_type = value
            elif lower == "content-encoding":
                content_encoded = value.strip().lower() not in ("", "identity")
            known = spelling.get(lower)
            if known is None:
                spelling[lower] = name
                groups[name] = [value]
            else:
                groups[known].append(value)
        self.groups = groups
        self.cookies = cookies
        self.content_type = content_type
        self.content_encoded = content_encoded

    def joined(self) -> dict[str, str]:
        """One value per name: repeats comma-joined, as RFC 9110 allows for list headers."""
        return {name: ", ".join(values) for name, values in self.groups.items()}


def is_text(content_type: str | None, config: Config) -> bool:
    """Whether a body of this content type can travel as a JSON string instead of base64.

    Answers are remembered per Config: an app sends few distinct content types."""
    if not content_type:
        return False
    known = config.text_cache.get(content_type)
    if known is None:
        if len(config.text_cache) >= 256:
            config.text_cache.clear()
        known = config.text_cache[content_type] = _is_text(content_type, config)
    return known


def _is_text(content_type: str, config: Config) -> bool:
    mime = content_type.split(";", 1)[0].strip().lower()
    if mime.startswith("text/") or mime in _TEXT_TYPES or mime.endswith(("+json", "+xml")):
        return True
    extra = config.text_mime_types
    return bool(extra) and (mime in extra or mime.split("/", 1)[0] + "/" in extra)


def encode_body(body: bytes, folded: FoldedHeaders, config: Config) -> tuple[str, bool]:
    """``(body, isBase64Encoded)``: text for textual, unencoded, valid UTF-8 bodies, else base64.

    Either way the client receives exactly the app's bytes.
    """
    if not body:
        return "", False
    if not folded.content_encoded and is_text(folded.content_type, config):
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return b64encode(body).decode("ascii"), True
