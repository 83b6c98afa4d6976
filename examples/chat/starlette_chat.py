"""The chat room in Starlette: a ``WebSocketEndpoint`` served on Lambda by ``handler`` and,
unchanged, by any ASGI server (``uvicorn examples.chat.starlette_chat:app``)."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.endpoints import WebSocketEndpoint
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket

from .room import PATH, ChatService, Session


def create_app(chat: ChatService) -> Starlette:
    class ChatRoom(WebSocketEndpoint):
        encoding = "text"
        session: Session | None = None

        async def on_connect(self, websocket: WebSocket) -> None:
            self.session = await chat.open(websocket.scope, websocket.send_text)
            if self.session is None:
                await websocket.close(code=1008)  # before accepting: $connect answers 403
                return
            await websocket.accept()
            await self.session.start()

        async def on_receive(self, websocket: WebSocket, data: Any) -> None:
            assert self.session is not None  # on_receive follows an accepted on_connect
            answer = await self.session.handle(data)
            if answer is not None:
                await websocket.send_text(answer)

        async def on_disconnect(self, websocket: WebSocket, close_code: int) -> None:
            if self.session is not None:
                await self.session.end()

    return Starlette(routes=[WebSocketRoute(PATH, ChatRoom)])


chat = ChatService.from_environment()
app = create_app(chat)
handler = chat.adapter(app)
