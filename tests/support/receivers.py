"""A webhook receiver on 127.0.0.1 that never answers: ``async with HangingReceiver() as r: ...``.

It runs in the test's own event loop, reads every request and holds the connection until the
sender hangs up, so each attempt to it lasts the sender's whole timeout.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager


class HangingReceiver:
    """A receiver on 127.0.0.1 that reads every request and never answers one."""

    def __init__(self, path: str = "/hook") -> None:
        self.path = path
        self.requests = 0  # connections that sent a request
        self.open = 0
        self.most_open = 0  # the most connections it had open at once
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> HangingReceiver:
        self._server = await asyncio.start_server(self._hold, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}{self.path}"

    async def _hold(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.open += 1
        self.most_open = max(self.most_open, self.open)
        try:
            if await reader.read(65536):
                self.requests += 1
            while await reader.read(65536):  # until the sender gives up and hangs up
                pass
        finally:
            self.open -= 1
            writer.close()


@asynccontextmanager
async def hanging_receivers(count: int) -> AsyncIterator[list[HangingReceiver]]:
    """``count`` hanging receivers, each on its own port."""
    async with AsyncExitStack() as stack:
        yield [await stack.enter_async_context(HangingReceiver()) for _ in range(count)]
