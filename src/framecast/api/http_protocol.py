"""uvicorn's HTTP/1.1 protocol with the limits it lacks: a cap on a request's head, a deadline
for the head and one for each pause in the body. Without them a client that sends a huge head,
or sends slowly, or stops, holds its connection (and a file descriptor) for ever."""

from __future__ import annotations

import asyncio
import http
import json
import logging
from dataclasses import dataclass
from typing import Any, ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from framecast.config import Settings

log = logging.getLogger("framecast.api")

# After a refusal, what the client still sends is read and dropped for this long before the
# close: closing with unread bytes would reset the connection, and the client lose the answer.
LINGER_SECONDS = 2.0


@dataclass(frozen=True)
class RequestLimits:
    """The cap on a request's head (bytes) and the deadlines (seconds) of its head and body."""

    max_header_bytes: int = 32 * 1024
    header_timeout: float = 10.0
    body_timeout: float = 30.0  # the longest pause between two pieces of a body

    @classmethod
    def of(cls, settings: Settings) -> RequestLimits:
        return cls(
            settings.max_header_bytes,
            settings.header_timeout_seconds,
            settings.body_timeout_seconds,
        )


def limited_protocol(limits: RequestLimits) -> type[LimitedHttpProtocol]:
    """The protocol class to give ``uvicorn.run(http=…)``, bound to ``limits``."""

    class Bound(LimitedHttpProtocol):
        pass

    Bound.limits = limits
    return Bound


class LimitedHttpProtocol(HttpToolsProtocol):
    """431 for a head over the cap; 408 for a head or a body that stops arriving."""

    limits: ClassVar[RequestLimits] = RequestLimits()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head = True  # reading a request's head, or waiting for its first byte
        self._head_bytes = 0
        self._refused = False
        self._timer: asyncio.TimerHandle | None = None
        self._last_read = 0.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # The first head's deadline runs from the connection: sending nothing is slow too.
        self._arm(self.limits.header_timeout, self._head_late)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return  # dropped until the close
        self._last_read = self.loop.time()
        # The parser is fed a head no further than the cap: it buffers a header whole (a 16 MiB
        # one by quadratic copying) before anything else could see it.
        while data and self._in_head:
            room = self.limits.max_header_bytes - self._head_bytes
            if room <= 0:
                cap = self.limits.max_header_bytes
                message = f"head: over {cap} bytes (MAX_HEADER_BYTES)"
                self._refuse(431, "header_too_large", message)
                return
            piece, data = data[:room], data[room:]
            self._head_bytes += len(piece)
            super().data_received(piece)
            if self.transport.is_closing():
                return
        if data:
            super().data_received(data)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._timer is None:  # a later request on a kept-alive connection
            self._arm(self.limits.header_timeout, self._head_late)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._arm(self.limits.body_timeout, self._body_late)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head, self._head_bytes = True, 0
        self._disarm()  # until the next request's first byte; idle time is keep-alive's

    def _head_late(self) -> None:
        self._timer = None
        timeout = self.limits.header_timeout
        if self._answering():
            # A pipelined head: its client may well wait for the answer before sending more.
            self._arm(timeout, self._head_late)
            return
        if self._head_bytes == 0:
            self.transport.close()  # nothing sent: nothing to answer
            return
        message = f"head: not all sent within {timeout:g} s (HEADER_TIMEOUT_SECONDS)"
        # Closed at once, not after a linger: a slow client is not sending much, and under a
        # slowloris attack its file descriptor is the very thing to give back.
        self._refuse(408, "request_timeout", message, linger=0.0)

    def _body_late(self) -> None:
        self._timer = None
        now = self.loop.time()
        cycle = self.cycle
        if self.flow.read_paused or cycle.waiting_for_100_continue:
            self._last_read = now  # the app is not reading yet: the wait is ours, not the client's
        idle = now - self._last_read
        if idle < self.limits.body_timeout:
            self._arm(self.limits.body_timeout - idle, self._body_late)
            return
        timeout = self.limits.body_timeout
        message = f"body: nothing arrived for {timeout:g} s (BODY_TIMEOUT_SECONDS)"
        log.info("request refused status=408 client=%s reason=%s", _address(self.client), message)
        if not cycle.response_started:
            self.transport.write(_answer(408, "request_timeout", message))
        # The app's next receive() says the client left; anything it answers is dropped.
        cycle.disconnected = True
        cycle.message_event.set()
        self.transport.close()

    def _refuse(self, status: int, code: str, message: str, linger: float = LINGER_SECONDS) -> None:
        log.info(
            "request refused status=%d client=%s reason=%s", status, _address(self.client), message
        )
        self._refused = True
        self._disarm()
        if self._answering():
            self.transport.close()  # an answer now would land in the middle of that one
            return
        self.transport.write(_answer(status, code, message))
        if not linger:
            self.transport.close()
            return
        if self.transport.can_write_eof():
            self.transport.write_eof()  # the client reads the answer, then its own close ends it
        self._timer = self.loop.call_later(linger, self.transport.close)

    def _answering(self) -> bool:
        """Whether an earlier request's answer is still on its way."""
        return self.cycle is not None and not self.cycle.response_complete

    def _arm(self, seconds: float, callback: Any) -> None:
        self._disarm()
        self._timer = self.loop.call_later(seconds, callback)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


def _answer(status: int, code: str, message: str) -> bytes:
    body = json.dumps({"error": code, "message": message}).encode()
    head = (
        f"HTTP/1.1 {status} {http.HTTPStatus(status).phrase}\r\n"
        f"content-type: application/json\r\ncontent-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode() + body


def _address(client: tuple[str, int] | None) -> str:
    return f"{client[0]}:{client[1]}" if client else "unknown"
