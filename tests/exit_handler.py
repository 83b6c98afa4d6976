"""``handler``: tests/exit_apps.py's FastAPI app in an Adapter, for runtimes that need a
Lambda handler (awslambdaric) rather than an ASGI app."""

from __future__ import annotations

from lambda_asgi import Adapter

from .exit_apps import fastapi_app

handler = Adapter(fastapi_app)
