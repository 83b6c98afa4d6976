"""The chat room in FastAPI: one ``@app.websocket`` endpoint, served on Lambda by ``handler``
and, unchanged, by any ASGI server (``uvicorn examples.chat.fastapi_chat:app``)."""

from __future__ import annotations

from fastapi import FastAPI, WebSocket, WebSocketDisconnect

from .room import PATH, ChatService


def create_app(chat: ChatService) -> FastAPI:
    app = FastAPI()

    @app.websocket(PATH)
    async def chat_room(ws: WebSocket) -> None:
        session = await chat.open(ws.scope, ws.send_text)
        if session is None:
            await ws.close(code=1008)  # before accepting: $connect answers 403
            return
        await ws.accept()
        await session.start()
        try:
            while True:
                answer = await session.handle(await ws.receive_text())
                if answer is not None:
                    await ws.send_text(answer)
        except WebSocketDisconnect:
            # The end of this invocation (END_OF_INVOCATION) or the client gone: end() tells.
            await session.end()

    return app


chat = ChatService.from_environment()
app = create_app(chat)
handler = chat.adapter(app)
