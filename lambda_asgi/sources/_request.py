"""The request half every HTTP source shares: header encoding, base64 bodies,
``server``/``scheme``/``client`` from the forwarding headers, query encoding, stage and
base-path handling, the percent codec for paths and queries, and the scope itself.
"""

from __future__ import annotations

import binascii
from base64 import b64decode
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from .._model import Config
from ..exceptions import InvalidRequestError
from ._response import header_text

if TYPE_CHECKING:
    from .._types import Headers, HTTPScope

_HTTP_VERSIONS: Final = {"HTTP/1.0": "1.0", "HTTP/1.1": "1.1", "HTTP/2.0": "2", "HTTP/2": "2"}

# What a client may leave unencoded inside a query string; everything else (space, non-ASCII,
# '#') is percent-encoded. '%' is kept so existing escapes stay single-encoded.
_QUERY_SAFE: Final = "%+=/:@!$'()*,;~?[]"


# -- Percent-encoding and -decoding of URL paths and queries (RFC 3986), UTF-8 based: what the
# sources need of urllib.parse's quote/unquote, without the few milliseconds of cold start
# that importing urllib.parse (and the ipaddress module it pulls in) costs.

_HEXDIGITS: Final = frozenset("0123456789abcdefABCDEF")
_UNRESERVED: Final = frozenset(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~"
)
_tables: Final[dict[str, list[str]]] = {}


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
    return "".join([table[byte] for byte in text.encode()])


def unquote(text: str) -> str:
    """Decode ``%XX`` escapes as UTF-8 (invalid sequences become U+FFFD); a ``%`` not followed
    by two hex digits is kept as it is."""
    if "%" not in text:
        return text
    first, *rest = text.split("%")
    decoded = bytearray(first.encode())
    for part in rest:
        if len(part) >= 2 and part[0] in _HEXDIGITS and part[1] in _HEXDIGITS:
            decoded.append(int(part[:2], 16))
            decoded += part[2:].encode()
        else:
            decoded += b"%" + part.encode()
    return decoded.decode("utf-8", "replace")


# --


def header_bytes(value: str) -> bytes:
    """Encode a header name or value; latin-1 is HTTP's own, UTF-8 keeps anything else."""
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode()


Watched = dict[bytes, bytes]
"""The last value of every request header by lowercase name, for the few the sources read."""


def is_websocket(event: Any) -> bool:
    """An API Gateway WebSocket event (``$connect``, message, ``$disconnect``)."""
    request_context = event.get("requestContext") if isinstance(event, Mapping) else None
    return isinstance(request_context, Mapping) and (
        "eventType" in request_context or "connectionId" in request_context
    )


def is_durable(event: Any) -> bool:
    """A Lambda durable functions invocation: only the durable execution SDK can answer it."""
    return (
        isinstance(event, Mapping) and "DurableExecutionArn" in event and "CheckpointToken" in event
    )


# Header name as the event spells it -> lowercase bytes. Names repeat on every request, and an
# event's names are its dict keys, whose hashes are already known, so one lookup replaces a
# lower() and an encode() per header. Bounded, as names are the client's to choose.
_names: Final[dict[str, bytes]] = {}
_MAX_NAMES: Final = 1024


def header_name(name: Any) -> bytes:
    """A request header name as lowercase bytes, remembered for string names."""
    if type(name) is not str:
        return header_bytes(str(name).lower())
    found = _names.get(name)
    if found is None:
        if len(_names) >= _MAX_NAMES:
            _names.clear()
        found = _names[name] = header_bytes(name.lower())
    return found


def collect_headers(items: Iterable[tuple[Any, Any]]) -> tuple[Headers, Watched]:
    """ASGI headers from ``(name, value)`` pairs, names lowercased, every value kept; and the
    last value of each name (``dict`` keeps the last of repeated keys). ``items`` must be
    iterable twice (a list, or a dict's items view)."""
    try:
        headers = _encoded(items, _names)
    except (KeyError, TypeError, ValueError, UnicodeEncodeError, AttributeError):
        headers = [(header_name(name), header_bytes(str(value))) for name, value in items]
    return headers, dict(headers)


def _encoded(items: Iterable[tuple[Any, Any]], names: dict[str, bytes]) -> Headers:
    """The fast path of header collection: every name one ``names`` knows and every value a
    string within latin-1 (ASCII is the same bytes in UTF-8), as nearly all events' are.
    Anything else raises: KeyError for an unknown name; for a value that is no string,
    TypeError compiled (the annotated local is checked) or AttributeError as Python;
    UnicodeEncodeError beyond latin-1. The annotated local also makes the compiled build
    encode with a direct C call."""
    headers: Headers = []
    for name, value in items:
        text: str = value
        headers.append((names[name], text.encode("latin-1")))
    return headers


# Header names that are lowercase strings already -> their bytes. HTTP API 2.0, Function URLs,
# ALB and VPC Lattice send every name that way; a name found here is known to be lowercase.
_lower_names: Final[dict[str, bytes]] = {}


def lowercase_headers(raw: Any) -> Headers | None:
    """ASGI headers from a ``{name: value}`` dict of strings whose names are all lowercase (as
    every HTTP API 2.0 and Function URL event's are) and whose values are latin-1 text; None
    for any other, which :func:`collect_headers` then takes. When it answers, the event's dict
    itself is the lookup by lowercase name: no second mapping to build per request."""
    if type(raw) is not dict:
        return None
    try:
        return _encoded(raw.items(), _lower_names)
    except KeyError:
        return lowercase_headers(raw) if _learn_lowercase(raw) else None
    except (TypeError, UnicodeEncodeError, AttributeError):
        return None


def _learn_lowercase(raw: dict[Any, Any]) -> bool:
    """Remember the lowercase string names of ``raw``; whether every name was one (and all
    fit in the bounded cache, so a retry finds them)."""
    names = _lower_names
    if len(raw) > _MAX_NAMES // 2:
        return False
    if len(names) + len(raw) > _MAX_NAMES:
        names.clear()
    for name in raw:
        if type(name) is not str or name != name.lower():
            return False
        if name not in names:
            names[name] = header_bytes(name)
    return True


def cookie_joined(pairs: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """Exactly one ``cookie`` header, as HTTP/1.1 apps expect (RFC 9113 §8.2.3): several
    (HTTP/2 viewers send one per cookie) are joined with ``"; "`` where the first one was.
    Names must already be lowercase."""
    crumbs = [value for name, value in pairs if name == "cookie"]
    if len(crumbs) < 2:
        return pairs
    first = next(index for index, (name, _) in enumerate(pairs) if name == "cookie")
    rest = [(name, value) for name, value in pairs[first + 1 :] if name != "cookie"]
    return [*pairs[:first], ("cookie", "; ".join(crumbs)), *rest]


def collect_multi_headers(headers: Any) -> tuple[Headers, Watched]:
    """:func:`collect_headers` for a ``{name: [values]}`` mapping; in one pass when every
    entry holds exactly one value, as nearly all do (a header sent twice takes the other)."""
    if not headers:
        return [], {}
    pairs = _single_valued(headers) if type(headers) is dict else None
    if pairs is None:
        return collect_headers(multi_headers(headers))
    return pairs, dict(pairs)


def _single_valued(headers: dict[Any, Any]) -> Headers | None:
    """The fast path of :func:`collect_multi_headers`: :func:`_encoded`'s, for entries that are
    each a list of one value; None for any other event."""
    names = _names
    pairs: Headers = []
    try:
        for name, values in headers.items():
            [value] = values
            text: str = value
            pairs.append((names[name], text.encode("latin-1")))
    except (KeyError, TypeError, ValueError, UnicodeEncodeError, AttributeError):
        return None
    return pairs


def single_headers(headers: Any) -> Iterable[tuple[Any, Any]]:
    """Pairs from a ``{name: value}`` mapping; ``None`` (console tests) gives none."""
    if not headers:
        return ()
    return headers.items()  # type: ignore[no-any-return]


def multi_headers(headers: Any) -> list[tuple[Any, Any]]:
    """Pairs from a ``{name: [values]}`` mapping, one pair per value."""
    if not headers:
        return []
    return [
        (name, value)
        for name, values in headers.items()
        for value in (values if type(values) is list else value_list(values))
    ]


def value_list(values: Any) -> Sequence[Any]:
    """The values of a multi-value map entry: a list (or tuple), ``None`` for none, and a bare
    string, which hand-written events use for a single value, as that one value (iterating it
    would split it into characters). Anything else is a malformed event."""
    if type(values) is list or type(values) is tuple:
        return values
    if values is None:
        return ()
    if type(values) is str:
        return (values,)
    raise TypeError(f"multi-value entries must be lists, got {values!r:.40}")


def decode_body(body: str | None, is_base64: bool) -> bytes:
    """The request body as bytes; raises InvalidRequestError for a broken base64 body."""
    if not body:
        return b""
    if is_base64:
        try:
            return b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidRequestError(
                "the event flags its body as base64 (isBase64Encoded) but it is not valid base64"
            ) from None
    return body.encode()


def add_content_length(headers: Headers, has_length: bool, body: bytes) -> None:
    """Restore ``content-length``: API Gateway drops it, yet the client sent one with its body."""
    if body and not has_length:
        headers.append((b"content-length", str(len(body)).encode("ascii")))


_WHITESPACE: Final = " \t\n\r\x0b\x0c"  # what bytes.strip() strips


def _text(value: str | bytes) -> str:
    return value if type(value) is str else header_text(value)  # type: ignore[arg-type]


def first_item(value: str | bytes | None) -> str | None:
    """The first entry of a comma-separated forwarding header (``"443,80"`` gives ``"443"``)."""
    if value is None:
        return None
    first = _text(value).split(",", 1)[0].strip(_WHITESPACE)
    return first or None


def client_from_forwarded_for(value: bytes | None) -> tuple[str, int] | None:
    """The peer the load balancer saw: the rightmost ``x-forwarded-for`` entry.

    The leftmost entries are whatever the client claimed and must not be trusted.
    """
    if not value:
        return None
    last = value.rsplit(b",", 1)[-1].strip()
    return (last.decode("latin-1"), 0) if last else None


def scheme_of(forwarded_proto: str | bytes | None, default: str) -> str:
    first = first_item(forwarded_proto)
    if first is not None and first.lower() in ("http", "https"):
        return first.lower()
    return default


def server_of(
    raw_host: str | bytes | None,
    forwarded_port: str | bytes | None,
    scheme: str,
    fallback_host: str | None,
) -> tuple[str, int | None] | None:
    """``(host, port)`` from the Host header (or the event's domain), port from the forwarding
    headers when they carry a number, else from the Host header, else the scheme's default."""
    host = _text(raw_host) if raw_host else fallback_host
    if not host:
        return None
    port: int | None = None
    if host.startswith("["):  # IPv6 literal: [::1]:8080
        end = host.find("]")
        if end != -1 and host[end + 1 : end + 2] == ":" and host[end + 2 :].isdigit():
            port = int(host[end + 2 :])
            host = host[: end + 1]
    elif host.count(":") == 1:
        name, _, maybe_port = host.partition(":")
        if maybe_port.isdigit():
            host, port = name, int(maybe_port)
    forwarded = first_item(forwarded_port)
    if forwarded is not None and forwarded.isdigit():
        port = int(forwarded)
    if port is None:
        port = 443 if scheme == "https" else 80
    return host, port


Endpoint = tuple[str, "tuple[str, int | None] | None"]
_endpoints: Final[dict[tuple[Any, ...], Endpoint]] = {}


def endpoint(
    host: str | bytes | None,
    forwarded_port: str | bytes | None,
    forwarded_proto: str | bytes | None,
    default_scheme: str,
    fallback_host: str | None,
) -> Endpoint:
    """``(scheme, server)`` from the request's Host, ``X-Forwarded-Port`` and
    ``X-Forwarded-Proto`` values (text as the event has them, or header bytes), remembered:
    every request to a function carries the same ones, so they are parsed once (the cache is
    bounded: hosts are the client's to choose)."""
    key = (host, forwarded_port, forwarded_proto, default_scheme, fallback_host)
    found = _endpoints.get(key)
    if found is None:
        if len(_endpoints) >= 256:
            _endpoints.clear()
        scheme = scheme_of(forwarded_proto, default_scheme)
        found = _endpoints[key] = (scheme, server_of(host, forwarded_port, scheme, fallback_host))
    return found


def watched_endpoint(watched: Watched, default_scheme: str, fallback_host: str | None) -> Endpoint:
    """:func:`endpoint` from the headers a source collected."""
    return endpoint(
        watched.get(b"host"),
        watched.get(b"x-forwarded-port"),
        watched.get(b"x-forwarded-proto"),
        default_scheme,
        fallback_host,
    )


def http_version(protocol: Any) -> str:
    """ASGI's ``http_version`` from the event's ``HTTP/1.1``-style protocol string."""
    return _HTTP_VERSIONS.get(protocol, "1.1") if isinstance(protocol, str) else "1.1"


def encode_query(params: Mapping[str, Sequence[Any] | None]) -> bytes:
    """A query string from already-decoded ``{name: [values]}`` (REST, HTTP API 1.0)."""
    return "&".join(
        f"{quote(str(name), safe='')}={quote(str(value), safe='')}"
        for name, values in params.items()
        for value in value_list(values)
    ).encode("ascii")


def decoded_query(
    multi: Mapping[str, Sequence[Any] | None] | None, single: Mapping[str, Any] | None
) -> bytes:
    """REST/HTTP API 1.0: prefer the multi-value parameters, which keep repeats."""
    if multi:
        return encode_query(multi)
    if single:
        return encode_query({name: (value,) for name, value in single.items()})
    return b""


def raw_query(pairs: Iterable[tuple[str, str]]) -> bytes:
    """A query string from raw, still-encoded pieces (ALB, VPC Lattice): kept as the client sent
    them so the app decodes exactly once; only characters no client leaves bare get encoded."""
    return "&".join(
        f"{quote(name, safe=_QUERY_SAFE)}={quote(value, safe=_QUERY_SAFE)}" for name, value in pairs
    ).encode()


def strip_prefix(path: str, prefix: str) -> str | None:
    """``path`` without ``prefix`` when it starts with that whole segment, else None."""
    if not path.startswith(prefix):
        return None
    rest = path[len(prefix) :]
    if not rest:
        return "/"
    return rest if rest[0] == "/" else None


_AWS_DOMAINS: Final = (".amazonaws.com", ".amazonaws.com.cn")


def management_endpoint(request_context: Mapping[str, Any], region: str | None) -> str | None:
    """Where the ``@connections`` Management API of a WebSocket event's stage is:
    ``https://{domainName}/{stage}`` on the execute-api domain, else (a custom domain, which
    does not serve ``@connections``) the execute-api URL of ``apiId`` in ``region``; None
    when the event and ``region`` do not tell."""
    domain, stage = request_context.get("domainName"), request_context.get("stage")
    if not (isinstance(domain, str) and domain and isinstance(stage, str) and stage):
        return None
    if ".execute-api." in domain and domain.endswith(_AWS_DOMAINS):
        return f"https://{domain}/{stage}"
    api_id = request_context.get("apiId")
    if not (isinstance(api_id, str) and api_id and region):
        return None
    suffix = _AWS_DOMAINS[1] if region.startswith("cn-") else _AWS_DOMAINS[0]
    return f"https://{api_id}.execute-api.{region}{suffix}/{stage}"


def split_http_api_stage(
    path: str, request_context: Mapping[str, Any], config: Config
) -> tuple[str, str]:
    """``(root_path, path)`` for HTTP APIs (both payload versions), whose decoded path starts
    with a named stage. On the execute-api domain the stage is the root path; on a custom
    domain the URL carries the API-mapping key instead, never the stage, and the mapping key
    never appears in the event, so the root path is the configured ``base_path``."""
    stage = request_context.get("stage")
    stage_path = strip_prefix(path, f"/{stage}") if stage and stage != "$default" else None
    if stage_path is not None:
        path = stage_path
    domain = request_context.get("domainName")
    if not domain or domain.endswith(_AWS_DOMAINS):
        return (f"/{stage}" if stage_path is not None else ""), path
    return config.base_path, path


def event_path(value: Any) -> str:
    """The event's path field, checked: a missing one is ``/``, a non-string one malformed."""
    if not value:
        return "/"
    if type(value) is not str:
        raise TypeError(f"the event's path must be a string, got {value!r:.40}")
    return value


_raw_roots: Final[dict[str, bytes]] = {}


def _raw_root(root_path: str) -> bytes:
    """A root path (stage or base path) as the client's bytes; remembered, as a function has
    one or two."""
    raw = _raw_roots.get(root_path)
    if raw is None:
        if len(_raw_roots) >= 64:
            _raw_roots.clear()
        raw = _raw_roots[root_path] = quote(root_path).encode("ascii")
    return raw


def split_base_path(path: str, raw_path: bytes, config: Config) -> tuple[str, str, bytes]:
    """``(root_path, path, raw_path)`` for a front door whose path still carries the custom
    domain's base path (REST custom domains, CloudFront or ALB path rules): strip it when
    present and make it the root path. Matched on the bytes the client sent, so an encoded
    slash (``/api%2Fx``, one segment) is not taken for the boundary."""
    quoted = _raw_root(config.base_path)
    if not raw_path.startswith(quoted) or raw_path[len(quoted) : len(quoted) + 1] not in (
        b"",
        b"/",
    ):
        return "", path, raw_path
    raw_rest = raw_path[len(quoted) :] or b"/"
    return config.base_path, unquote(raw_rest.decode("utf-8", "replace")), raw_rest


def make_scope(
    method: Any,
    scheme: str,
    root_path: str,
    path: str,
    raw_path: bytes | None,
    query_string: bytes,
    headers: Headers,
    client: tuple[Any, int] | None,
    server: tuple[str, int | None] | None,
    http_version: str,
    event: Any,
    context: Any,
) -> HTTPScope:
    """The ASGI scope. ``path``/``raw_path`` are the app's route path: the root path is put in
    front of both, as servers do, so frameworks strip it for routing and keep it for URLs.

    The method and the client address come straight from the event's fields: one of another
    JSON type makes the event malformed (TypeError), rather than a scope the app trips on.
    Hence ``Any`` for them: compiled, a ``str`` parameter would be checked by the call itself,
    with a TypeError that does not say which field was wrong.
    Positional parameters: keywords would cost every request the matching of twelve names."""
    if type(method) is not str or (client is not None and type(client[0]) is not str):
        raise TypeError(
            f"the event's method and source IP must be strings: {method!r:.20}, {client!r:.40}"
        )
    if root_path:
        path = root_path + path
        if raw_path is not None:
            raw_path = _raw_root(root_path) + raw_path
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": http_version,
        "method": method,
        "scheme": scheme,
        "path": path,
        "raw_path": raw_path,
        "root_path": root_path,
        "query_string": query_string,
        "headers": headers,
        "client": client,
        "server": server,
        "extensions": {},
        "aws.event": event,
        "aws.context": context,
    }
