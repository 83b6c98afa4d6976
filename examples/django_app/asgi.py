"""Configure Django from ``settings.py`` (no DJANGO_SETTINGS_MODULE needed) and serve it."""

from __future__ import annotations

from django.conf import settings
from django.core.asgi import get_asgi_application

from lambda_asgi import Adapter

from . import settings as example_settings

if not settings.configured:
    settings.configure(
        **{name: value for name, value in vars(example_settings).items() if name.isupper()}
    )

# Runs django.setup() (and so ItemsConfig.ready()) exactly once: this module is imported once.
app = get_asgi_application()

handler = Adapter(app, lifespan="off")
