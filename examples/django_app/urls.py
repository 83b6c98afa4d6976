"""The contract's routes; Django strips the stage (ASGI ``root_path``) before matching."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("items", views.items, name="items"),
    path("items/<int:item_id>", views.item, name="item"),
    path("upload", views.upload),
    path("cookies/set", views.set_cookies),
    path("cookies", views.echo_cookies),
    path("old", views.old),
    path("download", views.download),
    path("stream", views.stream),
]
