"""The app config that opens the store: Django's startup hook in place of an ASGI lifespan."""

from __future__ import annotations

from django.apps import AppConfig, apps

from ..store import Store


class ItemsConfig(AppConfig):  # type: ignore[misc]  # Django ships no type information
    name = "examples.django_app"
    label = "items"
    store: Store

    def ready(self) -> None:
        self.store = Store.open()


def store() -> Store:
    config: ItemsConfig = apps.get_app_config("items")
    return config.store
