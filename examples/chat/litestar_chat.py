"""The chat room in Litestar: a ``@websocket`` route handler served on Lambda by ``handler``
and, unchanged, by any ASGI server (``uvicorn examples.chat.litestar_chat:app``)."""

from __future__ import annotations

from typing import Any

from litestar import Litestar, WebSocket, websocket
from litestar.exceptions import WebSocketDisconnect

from .room import PATH, ChatService


def create_app(chat: ChatService) -> Litestar:
    @websocket(PATH)
    async def chat_room(socket: WebSocket[Any, Any, Any]) -> None:
        session = await chat.open(socket.scope, socket.send_text)
        if session is None:
            await socket.close(code=1008)  # before accepting: $connect answers 403
            return
        await socket.accept()
        await session.start()
        try:
            while True:
                answer = await session.handle(await socket.receive_text())
                if answer is not None:
                    await socket.send_text(answer)
        except WebSocketDisconnect:
            await session.end()

    return Litestar(route_handlers=[chat_room])


chat = ChatService.from_environment()
app = create_app(chat)
handler = chat.adapter(app)
