"""lambda_asgi's own Lambda runtime: the Runtime API loop that serves an ASGI app natively.

Python's managed runtime (``awslambdaric``) calls a synchronous handler once per event and
buffers the result. This runtime runs the app on one long-lived event loop instead and adds
what the managed one cannot do: response streaming (Function URLs in ``RESPONSE_STREAM`` mode,
API Gateway REST streaming), graceful shutdown at SIGTERM, SnapStart's restore checkpoint and
several concurrent invocations (Lambda Managed Instances).

Start it with ``python -m lambda_asgi.runtime [module.attr]`` (the handler defaults to
``$_HANDLER``), or on the python3.x managed runtimes by pointing ``AWS_LAMBDA_EXEC_WRAPPER`` at
the ``bootstrap`` script shipped in this package. ``module.attr`` is an
:class:`~lambda_asgi.Adapter` or a plain ASGI app. See docs/runtime.md and docs/streaming.md.
"""

from __future__ import annotations

from ..logs import trace_id
from .context import Context
from .loop import Runtime, load_handler, main

__all__ = ["Context", "Runtime", "load_handler", "main", "trace_id"]
