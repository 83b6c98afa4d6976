"""Percent-encoding and -decoding of URL paths and queries (RFC 3986), UTF-8 based.

Equivalent to ``urllib.parse.quote``/``unquote`` for what the sources need, but importing
``urllib.parse`` (and the ``ipaddress`` module it pulls in) costs a few milliseconds of cold
start that this module does not.
"""

from __future__ import annotations

_HEXDIGITS = frozenset("0123456789abcdefABCDEF")
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~")
_tables: dict[str, list[str]] = {}


def _table(safe: str) -> list[str]:
    """For each byte value, its text in the output: itself if safe, else ``%XX``."""
    table = _tables.get(safe)
    if table is None:
        keep = _UNRESERVED | frozenset(safe.encode("ascii"))
        table = [chr(byte) if byte in keep else f"%{byte:02X}" for byte in range(256)]
        _tables[safe] = table
    return table


def quote(text: str, safe: str = "/") -> str:
    """Percent-encode every UTF-8 byte of ``text`` except unreserved ones and ``safe``."""
    table = _table(safe)
    return "".join([table[byte] for byte in text.encode("utf-8")])


def unquote(text: str) -> str:
    """Decode ``%XX`` escapes as UTF-8 (invalid sequences become U+FFFD); a ``%`` not followed
    by two hex digits is kept as it is."""
    if "%" not in text:
        return text
    first, *rest = text.split("%")
    decoded = bytearray(first.encode("utf-8"))
    for part in rest:
        if len(part) >= 2 and part[0] in _HEXDIGITS and part[1] in _HEXDIGITS:
            decoded.append(int(part[:2], 16))
            decoded += part[2:].encode("utf-8")
        else:
            decoded += b"%" + part.encode("utf-8")
    return decoded.decode("utf-8", "replace")
