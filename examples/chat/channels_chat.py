"""The chat room in Django Channels: an ``AsyncWebsocketConsumer`` served on Lambda by
``handler`` and, unchanged, by any ASGI server (``uvicorn examples.chat.channels_chat:app``).

No channel layer: a Lambda function has no process that outlives the invocation to hold
one, so the rooms are groups of lambda_asgi's connection store and messages reach their
members through the Management API (room.py). Django is configured from the item example's
settings, so both examples can live in one process.
"""

from __future__ import annotations

from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer
from channels.routing import ProtocolTypeRouter, URLRouter
from django.conf import settings
from django.urls import path

from ..django_app import settings as example_settings
from .room import PATH, ChatService, Session

if not settings.configured:
    settings.configure(
        **{name: value for name, value in vars(example_settings).items() if name.isupper()}
    )


def create_app(chat: ChatService) -> ProtocolTypeRouter:
    async def send_text(consumer: AsyncWebsocketConsumer, text: str) -> None:
        await consumer.send(text_data=text)

    class ChatConsumer(AsyncWebsocketConsumer):  # type: ignore[misc]
        session: Session | None = None

        async def connect(self) -> None:
            self.session = await chat.open(self.scope, lambda text: send_text(self, text))
            if self.session is None:
                await self.close(code=1008)  # before accepting: $connect answers 403
                return
            await self.accept()
            await self.session.start()

        async def receive(self, text_data: str | None = None, bytes_data: Any = None) -> None:
            assert self.session is not None  # receive follows an accepted connect
            answer = await self.session.handle(text_data if text_data is not None else "")
            if answer is not None:
                await self.send(text_data=answer)

        async def disconnect(self, code: int) -> None:
            if self.session is not None:
                await self.session.end()

    return ProtocolTypeRouter(
        {"websocket": URLRouter([path(PATH.lstrip("/"), ChatConsumer.as_asgi())])}
    )


chat = ChatService.from_environment()
app = create_app(chat)
handler = chat.adapter(app)
