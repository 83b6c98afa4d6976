"""Finding the handler the CLI runs: ``module:attribute`` to a Lambda handler.

An :class:`~lambda_asgi.Adapter` or any ``handler(event, context)`` callable is used as it is;
a plain ASGI application (``app(scope, receive, send)``) is wrapped in ``Adapter(app)``.
Every way this can go wrong (a bad path, a module that raises at import, an attribute that is
neither) becomes a :class:`CliError` with a one-line message.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import sys
from collections.abc import Callable
from contextlib import redirect_stdout
from typing import Any

from ..adapter import Adapter
from ..exceptions import LambdaAsgiError

Handler = Callable[[Any, Any], Any]


class CliError(LambdaAsgiError):
    """Raised when the command line, an event file or the APP argument cannot be used.

    ``lambda-asgi`` prints the message on one line and exits with status 2.
    """


def load_handler(spec: str) -> Handler:
    """Import ``module:attribute`` (dots allowed in both) and return a Lambda handler."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise CliError(
            f"APP must look like 'module:attribute' (e.g. examples.app:handler), got {spec!r}"
        )
    # Like `python -m`, the current directory comes first so the user's own modules are found.
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    # The app's prints must not end up in the JSON the command writes to stdout.
    with redirect_stdout(sys.stderr):
        target = _import(module_name, attribute)
        return as_handler(target, spec)


def _import(module_name: str, attribute: str) -> Any:
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and (module_name == exc.name or module_name.startswith(f"{exc.name}.")):
            raise CliError(
                f"cannot import {module_name!r}: no module named {exc.name!r} "
                f"(looked in the current directory {os.getcwd()} and sys.path)"
            ) from exc
        raise CliError(f"importing {module_name!r} failed: {_describe(exc)}") from exc
    except Exception as exc:
        raise CliError(f"importing {module_name!r} failed: {_describe(exc)}") from exc
    target: Any = module
    for name in attribute.split("."):
        try:
            target = getattr(target, name)
        except AttributeError:
            raise CliError(f"{module_name!r} has no attribute {attribute!r}") from None
    return target


def as_handler(target: Any, spec: str) -> Handler:
    """``target`` itself if it takes ``(event, context)``, else ``Adapter(target)``."""
    if isinstance(target, Adapter):
        return target
    if not callable(target):
        raise CliError(f"{spec} is not callable (it is a {type(target).__name__})")
    takes_two, takes_three = _arity(target)
    if takes_three and (not takes_two or _is_async(target)):
        try:
            return Adapter(target)
        except LambdaAsgiError as exc:
            raise CliError(f"cannot serve {spec}: {_describe(exc)}") from exc
    if takes_two:
        return target  # type: ignore[no-any-return]
    raise CliError(
        f"{spec} is neither a Lambda handler (event, context) "
        "nor an ASGI application (scope, receive, send)"
    )


def _arity(target: Any) -> tuple[bool, bool]:
    """Whether ``target`` accepts two positional arguments, and whether it accepts three."""
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):  # some builtins and C extensions have none: trust the user
        return True, False
    return _binds(signature, 2), _binds(signature, 3)


def _binds(signature: inspect.Signature, count: int) -> bool:
    try:
        signature.bind(*range(count))
    except TypeError:
        return False
    return True


def _is_async(target: Any) -> bool:
    call = getattr(target, "__call__", None)  # noqa: B004  # the method, not callable()
    return inspect.iscoroutinefunction(target) or inspect.iscoroutinefunction(call)


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def read_event(path: str) -> Any:
    """The event JSON from ``path``, or from standard input for ``-``."""
    where = "standard input" if path == "-" else repr(path)
    try:
        if path == "-":
            raw = sys.stdin.buffer.read()
        else:
            with open(path, "rb") as file:
                raw = file.read()
    except OSError as exc:
        raise CliError(f"cannot read the event file {path!r}: {exc.strerror}") from exc
    try:
        event = json.loads(raw)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        raise CliError(f"the event in {where} is not valid JSON: {exc}") from exc
    return event
