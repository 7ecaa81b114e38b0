"""Slots for webhook attempts: a bound on all of them, and a smaller one per receiver.

A receiver is a scheme, host and port: what one outage takes down. Each attempt waits first in its
receiver's own line, then in the shared one, so a receiver with a backlog (or one that never
answers) holds at most ``per_receiver`` of the shared slots, and the rest go round the others in
the order they asked.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx

DEFAULT_PORTS = {"http": 80, "https": 443}


def receiver_of(url: str) -> str:
    """``scheme://host:port`` of a webhook URL (the URL itself if it cannot be parsed)."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        return url  # its attempt fails on its own; it still needs a line to wait in
    port = parsed.port or DEFAULT_PORTS.get(parsed.scheme)
    return f"{parsed.scheme}://{parsed.host}:{port}"


@dataclass
class _Receiver:
    line: asyncio.Semaphore
    users: int = 0  # attempts holding or awaiting one of its slots


class ReceiverSlots:
    """At most ``total`` attempts in flight, and at most ``per_receiver`` to any one receiver."""

    def __init__(self, total: int, per_receiver: int) -> None:
        if total < 1 or per_receiver < 1:
            raise ValueError(f"slots must be at least 1, not total={total} per={per_receiver}")
        self.total = total
        self.per_receiver = per_receiver
        self._shared = asyncio.Semaphore(total)
        self._receivers: dict[str, _Receiver] = {}

    @asynccontextmanager
    async def slot(self, url: str) -> AsyncIterator[None]:
        """Hold one slot for an attempt to ``url`` while the block runs."""
        key = receiver_of(url)
        receiver = self._receivers.get(key)
        if receiver is None:
            receiver = self._receivers[key] = _Receiver(asyncio.Semaphore(self.per_receiver))
        receiver.users += 1
        try:
            async with receiver.line, self._shared:
                yield
        finally:
            receiver.users -= 1
            if receiver.users == 0:  # forgotten when idle: receivers are user-given, unbounded
                del self._receivers[key]
