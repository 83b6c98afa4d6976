"""The response half every HTTP source shares: grouping the app's headers case-insensitively,
setting ``Set-Cookie`` apart, and choosing between a text and a base64 body.
"""

from __future__ import annotations

from base64 import b64encode
from typing import TYPE_CHECKING, Final

from .._model import Config

if TYPE_CHECKING:
    from .._types import Headers

_TEXT_TYPES: Final = frozenset(
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


# The reason phrases of RFC 9110 (and, for the codes it does not define, of the IANA status
# code registry), fixed here rather than read from http.HTTPStatus, whose phrases changed in
# Python 3.13 (413, 414, 416, 422): the same response must read the same on every runtime.
PHRASES: Final[dict[int, str]] = {
    100: "Continue",
    101: "Switching Protocols",
    102: "Processing",
    103: "Early Hints",
    200: "OK",
    201: "Created",
    202: "Accepted",
    203: "Non-Authoritative Information",
    204: "No Content",
    205: "Reset Content",
    206: "Partial Content",
    207: "Multi-Status",
    208: "Already Reported",
    226: "IM Used",
    300: "Multiple Choices",
    301: "Moved Permanently",
    302: "Found",
    303: "See Other",
    304: "Not Modified",
    305: "Use Proxy",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    407: "Proxy Authentication Required",
    408: "Request Timeout",
    409: "Conflict",
    410: "Gone",
    411: "Length Required",
    412: "Precondition Failed",
    413: "Content Too Large",
    414: "URI Too Long",
    415: "Unsupported Media Type",
    416: "Range Not Satisfiable",
    417: "Expectation Failed",
    418: "I'm a Teapot",
    421: "Misdirected Request",
    422: "Unprocessable Content",
    423: "Locked",
    424: "Failed Dependency",
    425: "Too Early",
    426: "Upgrade Required",
    428: "Precondition Required",
    429: "Too Many Requests",
    431: "Request Header Fields Too Large",
    451: "Unavailable For Legal Reasons",
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    505: "HTTP Version Not Supported",
    506: "Variant Also Negotiates",
    507: "Insufficient Storage",
    508: "Loop Detected",
    510: "Not Extended",
    511: "Network Authentication Required",
}


def reason_phrase(status: int) -> str:
    """``"OK"`` for 200, ``""`` for a status without one (see :data:`PHRASES`)."""
    return PHRASES.get(status, "")


def header_text(value: bytes) -> str:
    """Decode an app's header bytes so the front door re-encodes them to the same bytes."""
    try:
        return value.decode()
    except UnicodeDecodeError:
        return value.decode("latin-1")


Folded = tuple[dict[str, str], dict[str, list[str]], list[str], "str | None", bool]
"""``(single, repeated, cookies, content_type, content_encoded)``: the app's headers by name,
case-insensitively under their first spelling, in order: ``single`` holds every name's first
value, ``repeated`` every value of the names sent more than once (usually none); ``Set-Cookie``
is set apart."""

# What a response header name is to the folding: most are plain; three are set apart.
_PLAIN, _SET_COOKIE, _CONTENT_TYPE, _CONTENT_ENCODING = 0, 1, 2, 3
_KINDS: Final = {
    "set-cookie": _SET_COOKIE,
    "content-type": _CONTENT_TYPE,
    "content-encoding": _CONTENT_ENCODING,
}

# An app's header name bytes -> (the name as text, lowercased, its kind): apps send the same
# few names (mostly bytes literals, whose hashes are known) on every response. Bounded.
_names: Final[dict[bytes, tuple[str, str, int]]] = {}
_MAX_NAMES: Final = 512


def _name(raw: bytes) -> tuple[str, str, int]:
    if len(_names) >= _MAX_NAMES:
        _names.clear()
    name = header_text(raw)
    lower = name.lower()
    known = _names[raw] = (name, lower, _KINDS.get(lower, _PLAIN))
    return known


def fold_headers(headers: Headers) -> Folded:
    """Fold the app's response headers; see :data:`Folded`."""
    single: dict[str, str] = {}
    repeated: dict[str, list[str]] = {}
    spelling: dict[str, str] = {}
    cookies: list[str] = []
    content_type: str | None = None
    content_encoded = False
    names = _names
    for raw_name, raw_value in headers:
        known = names.get(raw_name)
        name, lower, kind = _name(raw_name) if known is None else known
        try:  # UTF-8 (and so ASCII) values, as nearly all apps send
            value = raw_value.decode()
        except UnicodeDecodeError:
            value = raw_value.decode("latin-1")
        if kind:
            if kind == _SET_COOKIE:
                cookies.append(value)
                continue
            if kind == _CONTENT_TYPE:
                content_type = value
            else:
                content_encoded = value.strip().lower() not in ("", "identity")
        first = spelling.get(lower)
        if first is None:
            spelling[lower] = name
            single[name] = value
        elif first in repeated:
            repeated[first].append(value)
        else:
            repeated[first] = [single[first], value]
    return single, repeated, cookies, content_type, content_encoded


def grouped(single: dict[str, str], repeated: dict[str, list[str]]) -> dict[str, list[str]]:
    """Every name with all its values, for the front doors that take lists."""
    return {name: repeated.get(name) or [value] for name, value in single.items()}


def joined(single: dict[str, str], repeated: dict[str, list[str]]) -> dict[str, str]:
    """One value per name: repeats comma-joined, as RFC 9110 allows for list headers."""
    if not repeated:
        return single
    return {
        name: ", ".join(repeated[name]) if name in repeated else value
        for name, value in single.items()
    }


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


def is_textual_type(mime: str) -> bool:
    """Whether a media type (lowercase, no parameters) is text, by the built-in list."""
    return mime.startswith("text/") or mime in _TEXT_TYPES or mime.endswith(("+json", "+xml"))


def _is_text(content_type: str, config: Config) -> bool:
    mime = content_type.split(";", 1)[0].strip().lower()
    if is_textual_type(mime):
        return True
    extra = config.text_mime_types
    return bool(extra) and (mime in extra or mime.split("/", 1)[0] + "/" in extra)


def encode_body(
    body: bytes, content_type: str | None, content_encoded: bool, config: Config
) -> tuple[str, bool]:
    """``(body, isBase64Encoded)``: text for textual, unencoded, valid UTF-8 bodies, else base64.

    Either way the client receives exactly the app's bytes.
    """
    if not body:
        return "", False
    if not content_encoded and content_type:
        text = config.text_cache.get(content_type)  # is_text(), without the call
        if text is None:
            text = is_text(content_type, config)
        if text:
            try:
                return body.decode(), False
            except UnicodeDecodeError:
                pass
    return b64encode(body).decode("ascii"), True
