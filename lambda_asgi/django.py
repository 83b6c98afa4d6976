"""Django's route template for lambda_asgi's access log, metrics and traces.

Django resolves a URL on the request object, out of the ASGI scope's sight. Add
``"lambda_asgi.django.RouteTemplateMiddleware"`` to ``MIDDLEWARE`` and each request's scope
gets ``route_template`` (``/items/<int:item_id>``), which the access log, the Powertools
metrics and the X-Ray subsegment use instead of the raw path. Imported only by projects that
list it (it imports Django).
"""

from __future__ import annotations

from typing import Any

from django.utils.deprecation import MiddlewareMixin


class RouteTemplateMiddleware(MiddlewareMixin):  # type: ignore[misc]  # Django is untyped
    """Record the matched URL pattern in the ASGI scope (sync and async stacks alike)."""

    def process_view(self, request: Any, view_func: Any, view_args: Any, view_kwargs: Any) -> None:
        match = getattr(request, "resolver_match", None)
        scope = getattr(request, "scope", None)
        route = getattr(match, "route", None)
        if isinstance(scope, dict) and isinstance(route, str):
            scope["route_template"] = "/" + route.lstrip("^").rstrip("$")
