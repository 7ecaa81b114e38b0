"""A cap on request bodies, applied before anything reads them (FastAPI parses a JSON body
before it checks the API key, so without this anyone could send gigabytes)."""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from framecast.contracts.upload_urls import is_upload_body
from framecast.errors import PayloadTooLarge


class BodyLimit:
    """413 for a body over ``max_bytes``, except the upload routes (they stream, with limits)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _streams_its_body(scope):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length", b"")
        if length.isdigit() and int(length) > self.max_bytes:
            await _refuse(send, self.max_bytes)
            return
        # A body without a Content-Length (chunked) is counted as it arrives. Raising from
        # receive() would reach FastAPI's body parser, which turns any error into a 400: so the
        # 413 is sent from here, the app is told the client left, and what it answers dropped.
        # (Once the app has begun its own answer, an over-long body just ends the request.)
        seen, refused, answering = 0, False, False

        async def counted() -> Message:
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                refused = True
                if not answering:
                    await _refuse(send, self.max_bytes)
                return {"type": "http.disconnect"}
            return message

        async def guarded(message: Message) -> None:
            nonlocal answering
            if not refused or answering:
                answering = True
                await send(message)

        await self.app(scope, counted, guarded)


def _streams_its_body(scope: Scope) -> bool:
    return is_upload_body(scope.get("method", ""), scope.get("path", ""))


async def _refuse(send: Send, max_bytes: int) -> None:
    body: dict[str, Any] = {
        "error": PayloadTooLarge.code,
        "message": f"body: over the limit of {max_bytes} bytes (MAX_REQUEST_BYTES)",
    }
    raw = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(raw)).encode()),
                (b"connection", b"close"),  # the rest of the body is not read
            ],
        }
    )
    await send({"type": "http.response.body", "body": raw})
