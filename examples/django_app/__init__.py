"""The Django example: the contract in examples/README.md, served on Lambda by lambda_asgi.

Point Lambda at ``examples.django_app.handler``. No ``manage.py`` project is needed:
``asgi.py`` configures Django from ``settings.py`` and builds the ASGI application.

Django's ASGI handler does not speak the lifespan protocol, so the Adapter runs with
``lifespan="off"``; the store is opened by ``ItemsConfig.ready()`` instead, which Django calls
during ``django.setup()``: when Lambda imports the handler module, in the init phase, once
per execution environment. Django has no shutdown hook, so the store is never closed.
"""

from __future__ import annotations

from .asgi import app, handler

__all__ = ["app", "handler"]
