"""The public surface is deliberate: adding or removing a name is an API decision."""

from __future__ import annotations

from types import ModuleType

import lambda_asgi
import lambda_asgi.testing


def _isort_style(name: str) -> tuple[int, str]:
    """Ruff's order for ``__all__`` (RUF022): constants, then classes, then the rest."""
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


def test_exported_members() -> None:
    exported = set(lambda_asgi.__all__)
    # Submodules appear as attributes once anything imported them; they are not exports.
    public = {
        name
        for name, value in vars(lambda_asgi).items()
        if not name.startswith("_") and not isinstance(value, ModuleType)
    } - {"annotations"}
    assert exported == public | {"__version__"}
    assert lambda_asgi.__all__ == sorted(lambda_asgi.__all__, key=_isort_style)
    assert lambda_asgi.__all__ == [
        "COMPILED",
        "END_OF_INVOCATION",
        "Adapter",
        "ConfigurationError",
        "ConnectionGoneError",
        "EventHandlingError",
        "EventLoopError",
        "InvalidRequestError",
        "LambdaAsgiError",
        "LambdaContext",
        "LifespanError",
        "LifespanMode",
        "ManagementAPIError",
        "MessageTooLargeError",
        "ProtocolError",
        "RuntimeAPIError",
        "UnsupportedEventError",
        "WebSocketError",
        "__version__",
        "websocket_info",
    ]


def test_testing_exports() -> None:
    assert lambda_asgi.testing.__all__ == sorted(lambda_asgi.testing.__all__)


def test_exceptions_share_one_base() -> None:
    for name in lambda_asgi.__all__:
        obj = getattr(lambda_asgi, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, lambda_asgi.LambdaAsgiError)
