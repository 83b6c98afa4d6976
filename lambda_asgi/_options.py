"""Validation of the Adapter's options: each invalid value raises
:class:`~lambda_asgi.ConfigurationError` naming the option, when the Adapter is built (Lambda's
init phase) rather than on the first request.
"""

from __future__ import annotations

import inspect  # asyncio imports it already: free here
import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ._model import SYNC_RESPONSE_LIMIT, Source
from .exceptions import ConfigurationError

INVOKE_MODES = ("buffered", "response_stream")

# Keyword arguments of Mangum (0.9 to 0.22, then earlier releases) -> what to pass instead.
_MANGUM = {
    "api_gateway_base_path": (
        "is Mangum's option; lambda_asgi's is base_path= (e.g. base_path='/api')"
    ),
    "custom_handlers": (
        "is Mangum's option; lambda_asgi takes custom front doors as sources=[...] "
        "(see lambda_asgi.sources.Source)"
    ),
    "enable_lifespan": "is an early Mangum option; lambda_asgi's is lifespan='auto', 'on' or 'off'",
    "log_level": (
        "is an early Mangum option; lambda_asgi logs to the standard 'lambda_asgi' logger: "
        "logging.getLogger('lambda_asgi').setLevel(logging.INFO)"
    ),
}


def unknown_option(given: Mapping[str, Any], function: Callable[..., Any]) -> ConfigurationError:
    """The error for keyword arguments ``function`` does not take: a Mangum option's
    lambda_asgi name, or the closest valid option and the list of them."""
    names = sorted(given)
    for name in names:
        if name in _MANGUM:
            return ConfigurationError(name, _MANGUM[name])
    code = function.__code__
    valid = code.co_varnames[code.co_argcount : code.co_argcount + code.co_kwonlyargcount]
    import difflib  # only on this error's path

    close = difflib.get_close_matches(names[0], valid, n=1)
    guess = f"; did you mean {close[0]}=?" if close else "."
    return ConfigurationError(names[0], f"unknown option{guess} Valid options: {', '.join(valid)}")


def app_option(app: Any) -> None:
    """Refuse what cannot be an ASGI 3 app: not callable, an ASGI 2 app (its signature takes
    the scope alone), or any other signature that cannot take ``(scope, receive, send)``, as
    every request would otherwise fail with a TypeError."""
    if not callable(app):
        raise ConfigurationError("app", f"expected an ASGI application, got {app!r:.80}")
    try:
        signature = inspect.signature(app)
    except (TypeError, ValueError):  # a builtin, or an object that hides its signature
        return
    try:
        signature.bind(None, None, None)
    except TypeError:
        try:
            signature.bind(None)
        except TypeError:
            raise ConfigurationError(
                "app",
                f"{app!r:.80} cannot be called as app(scope, receive, send): its signature is "
                f"{signature}",
            ) from None
        raise ConfigurationError(
            "app",
            f"{app!r:.80} looks like an ASGI 2 application (called with the scope alone); "
            "lambda_asgi serves ASGI 3 (async def app(scope, receive, send)): wrap it with "
            "asgiref.compatibility.guarantee_single_callable(app)",
        ) from None


def invoke_mode_option(value: str | None) -> str:
    """The invoke mode: the option, else ``$LAMBDA_ASGI_INVOKE_MODE``, else buffered."""
    where = ""
    if value is None:
        value = os.environ.get("LAMBDA_ASGI_INVOKE_MODE") or "buffered"
        where = " (from LAMBDA_ASGI_INVOKE_MODE)"
    if value not in INVOKE_MODES:
        raise ConfigurationError(
            "invoke_mode", f"must be 'buffered' or 'response_stream', got {value!r}{where}"
        )
    return value


def path_option(option: str, value: str | None) -> str:
    """``"/api/"`` -> ``"/api"``; ``None``, ``""`` and ``"/"`` -> ``""``."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ConfigurationError(option, f"must be a string, got {value!r}")
    stripped = value.strip("/")
    if not stripped:
        return ""
    if "?" in stripped or "#" in stripped or any(char.isspace() for char in stripped):
        raise ConfigurationError(option, f"must be a path, got {value!r}")
    return "/" + stripped


def mime_types_option(option: str, values: Iterable[str]) -> frozenset[str]:
    """Content types, exact (``"application/vnd.acme"``) or prefixes (``"font/"``), lowercased."""
    if isinstance(values, str | bytes):
        raise ConfigurationError(option, "must be a list of content types, not a single string")
    result = set()
    for mime in _iterate(option, values):
        if not isinstance(mime, str) or "/" not in mime:
            raise ConfigurationError(
                option, f"entries must look like 'type/subtype' or 'type/', got {mime!r}"
            )
        result.add(mime.strip().lower())
    return frozenset(result)


def header_names_option(option: str, values: Iterable[str]) -> frozenset[bytes]:
    """Header names as lowercase bytes."""
    if isinstance(values, str | bytes):
        raise ConfigurationError(option, "must be a list of header names, not a single string")
    result = set()
    for name in _iterate(option, values):
        if not isinstance(name, str) or not name.strip() or not name.isascii():
            raise ConfigurationError(option, f"entries must be header names, got {name!r}")
        result.add(name.strip().lower().encode("ascii"))
    return frozenset(result)


def size_option(option: str, value: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ConfigurationError(option, f"must be a whole number of bytes >= 0, got {value!r}")
    return value


def seconds_option(option: str, value: float | None) -> float | None:
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value < 900:
        raise ConfigurationError(
            option, f"must be None or a number of seconds from 0 to 900, got {value!r}"
        )
    return float(value)


def timeout_option(option: str, value: float | None) -> float | None:
    """A time limit in seconds, more than 0 and at most Lambda's 900; ``None`` for none."""
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 < value <= 900:
        raise ConfigurationError(
            option, f"must be None or a number of seconds above 0, at most 900, got {value!r}"
        )
    return float(value)


def flag_option(option: str, value: bool) -> bool:
    if not isinstance(value, bool):
        raise ConfigurationError(option, f"must be True or False, got {value!r}")
    return value


def sources_option(values: Iterable[Any]) -> tuple[Source, ...]:
    """Custom sources: :class:`Source` objects, or any object with the same attributes."""
    if isinstance(values, str | bytes):
        raise ConfigurationError("sources", "must be a list of sources")
    result = []
    for value in _iterate("sources", values):
        if isinstance(value, Source):
            result.append(value)
            continue
        name = getattr(value, "name", None)
        missing = [
            attribute
            for attribute in ("matches", "to_scope", "to_response")
            if not callable(getattr(value, attribute, None))
        ]
        if not isinstance(name, str) or missing:
            what = ", ".join(missing) if missing else "a 'name' string"
            raise ConfigurationError(
                "sources", f"{value!r:.60} is not a source: it lacks {what} (see Source)"
            )
        limit = getattr(value, "response_limit", SYNC_RESPONSE_LIMIT)
        if not (callable(limit) or (isinstance(limit, int) and not isinstance(limit, bool))):
            raise ConfigurationError(
                "sources", f"{name}: response_limit must be bytes or a function of the event"
            )
        result.append(
            Source(name, value.matches, value.to_scope, value.to_response, response_limit=limit)
        )
    return tuple(result)


def object_option(option: str, value: Any, methods: tuple[str, ...]) -> Any:
    """None, or an object with every one of ``methods`` (a duck-typed protocol)."""
    if value is None:
        return None
    missing = [name for name in methods if not callable(getattr(value, name, None))]
    if missing:
        raise ConfigurationError(option, f"{value!r:.60} lacks the method(s) {', '.join(missing)}")
    return value


def url_option(option: str, value: str | None) -> str | None:
    """None, or an ``https://`` (or, for local emulators, ``http://``) URL without a trailing
    slash."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.startswith(("https://", "http://")):
        raise ConfigurationError(option, f"must be an https:// URL, got {value!r}")
    return value.rstrip("/")


def route_keys_option(option: str, value: bool | Iterable[str]) -> bool | frozenset[str]:
    """``True`` (every route), ``False`` (none), or the route keys (``"$default"``, ``"chat"``)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str | bytes):
        raise ConfigurationError(option, "must be True, False or a list of route keys")
    keys = _iterate(option, value)
    for key in keys:
        if not isinstance(key, str) or not key:
            raise ConfigurationError(option, f"route keys must be strings, got {key!r}")
    return frozenset(keys)


def _iterate(option: str, values: Iterable[Any]) -> Iterable[Any]:
    try:
        return list(values)
    except TypeError:
        raise ConfigurationError(option, f"must be a list, got {values!r:.60}") from None
