"""A cap on request bodies, applied before anything reads them (FastAPI parses a JSON body
before it checks the API key, so without this anyone could send gigabytes); and the heap a
large body used, given back to the system once it is freed."""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import json
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from framecast.contracts.upload_urls import is_upload_body
from framecast.errors import PayloadTooLarge

# A body this large leaves freed heap behind (the body, its parsed JSON, the models).
RETURN_AFTER_BYTES = 1024**2


class BodyLimit:
    """413 for a body over ``max_bytes``, except the upload routes (they stream, with limits)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.memory = MemoryReturn()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length", b"")
        try:
            if _streams_its_body(scope):
                await self.app(scope, receive, send)
            elif length.isdigit() and int(length) > self.max_bytes:
                await _refuse(send, self.max_bytes)
            else:
                await self._limited(scope, receive, send)
        finally:
            large = length.isdigit() and int(length) >= RETURN_AFTER_BYTES
            if large or b"transfer-encoding" in headers:
                self.memory.soon()

    async def _limited(self, scope: Scope, receive: Receive, send: Send) -> None:
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


class MemoryReturn:
    """glibc's ``malloc_trim`` a moment after large bodies, at most once per ``delay``.

    glibc keeps freed heap for reuse, and after a burst of 8 MB bodies it never hands it back
    (a freed large block raises its threshold for mmap, so the next ones come from the heap):
    without this the API stayed 170 MB larger after 40 of them. A no-op without glibc.
    """

    def __init__(self, delay: float = 1.0) -> None:
        self.delay = delay
        self._trim = _malloc_trim()
        self._due = False

    def soon(self) -> None:
        """Trim ``delay`` seconds from now, unless a trim is already due."""
        if self._trim is None or self._due:
            return
        self._due = True
        asyncio.get_running_loop().call_later(self.delay, self._run)

    def _run(self) -> None:
        self._due = False
        trim = self._trim
        if trim is not None:
            # In a thread: it walks the heap under its lock, a few ms for hundreds of MB.
            asyncio.get_running_loop().run_in_executor(None, trim, 0)


def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    try:
        trim: Callable[[int], int] = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError, TypeError):
        return None  # not glibc (musl, macOS): nothing to trim with
    return trim


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
