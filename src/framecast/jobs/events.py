"""Live job events: the hub that wakes the streams watching a job when it changes, and the
position of a stream (which items' results it has sent).

A stream's position must survive a reconnect and a restart of the service, and the store keeps
no order in which a job's items ended. So the position is not a counter but the set of items
whose ``video`` or ``failed`` event was sent, written as index ranges (``0-2,5``): it is made
from what the stream itself sent, needs nothing persisted, and a stream resumed from it sends
each item it lacks exactly once, whatever happened to the service in between.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
import weakref
from dataclasses import dataclass
from types import FrameType
from typing import Any

from framecast.errors import InputError
from framecast.jobs.model import Item, ItemStatus, Job

NOTHING = "none"  # the position before any item's result
END = "end"  # the position after the final event


@dataclass(frozen=True)
class SentItems:
    """A stream's position: the items whose result event it has sent, and whether the end."""

    indexes: frozenset[int] = frozenset()
    ended: bool = False

    @classmethod
    def parse(cls, text: str | None, job: Job) -> SentItems:
        """The position a ``Last-Event-ID`` names (None: the start); InputError if it names
        items ``job`` does not have, or is not one this service gave out."""
        text = (text or "").strip()
        if not text or text == NOTHING:
            return cls()
        if text == END:
            return cls(frozenset(range(len(job.items))), ended=True)
        indexes: set[int] = set()
        for part in text.split(","):
            first, dash, last = part.partition("-")
            if not (_number(first) and (_number(last) or not dash)):
                raise _not_ours(text)
            low, high = int(first), int(last or first)
            if not low <= high < len(job.items):
                raise InputError(
                    f"Last-Event-ID: names items {part}; the job has {len(job.items)}"
                    " (send an id this job's stream gave out)"
                )
            indexes.update(range(low, high + 1))
        return cls(frozenset(indexes))

    def __str__(self) -> str:
        if self.ended:
            return END
        if not self.indexes:
            return NOTHING
        ranges: list[list[int]] = []
        for index in sorted(self.indexes):
            if ranges and ranges[-1][1] == index - 1:
                ranges[-1][1] = index
            else:
                ranges.append([index, index])
        return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in ranges)

    def unsent(self, job: Job) -> list[Item]:
        """``job``'s items that are done or failed and not sent yet, in request order."""
        return [
            item
            for item in job.items
            if item.status is not ItemStatus.PENDING and item.index not in self.indexes
        ]

    def plus(self, item: Item) -> SentItems:
        return SentItems(self.indexes | {item.index})

    def at_end(self) -> SentItems:
        return SentItems(self.indexes, ended=True)


def _number(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _not_ours(text: str) -> InputError:
    shown = text if len(text) <= 40 else text[:40] + "…"
    return InputError(f"Last-Event-ID: {shown!r} is not an id this service gave out")


class JobEvents:
    """Wakes the streams watching a job when it changes; ends them all when the service stops.

    A stream takes its job's waiter (:meth:`watch`) before it reads the job, so a change made
    between the read and the wait still wakes it. Waiters are held by the streams only: a job
    nobody watches costs nothing.
    """

    def __init__(self) -> None:
        self._waiters: weakref.WeakValueDictionary[str, asyncio.Event] = (
            weakref.WeakValueDictionary()
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._previous: dict[int, Any] = {}
        self.closed = False

    def watch(self, job_id: str) -> asyncio.Event:
        """The event set at ``job_id``'s next change (or when the service stops)."""
        self._loop = asyncio.get_running_loop()
        waiter = self._waiters.get(job_id)
        if waiter is None:
            waiter = self._waiters[job_id] = asyncio.Event()
        if self.closed:
            waiter.set()
        return waiter

    def changed(self, job_id: str) -> None:
        """``job_id`` changed (an item ended, its job ended, its worker reported progress).

        Safe from any thread."""
        loop = self._loop
        if loop is None:
            return  # no stream has ever watched
        try:
            here = asyncio.get_running_loop()
        except RuntimeError:
            here = None
        if here is loop:
            self._wake(job_id)
        else:
            with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is waiting
                loop.call_soon_threadsafe(self._wake, job_id)

    def close(self) -> None:
        """End every stream (each sends what it has, then closes); new ones end at once."""
        self.closed = True
        for waiter in list(self._waiters.values()):
            waiter.set()
        self._waiters.clear()
        for number, handler in self._previous.items():
            signal.signal(number, handler)
        self._previous.clear()

    def close_on_exit_signals(self) -> None:
        """Close at SIGTERM or SIGINT, before the server waits for its open responses to end.

        uvicorn tells the app it is stopping (the lifespan's shutdown) only once every response
        has ended, and an event stream never ends by itself: without this, a service with a
        client watching a job would never stop. The server's own handler still runs after.
        A no-op outside the main thread (signals are only delivered there).
        """
        if threading.current_thread() is not threading.main_thread() or self._previous:
            return
        loop = asyncio.get_running_loop()
        for number in (signal.SIGTERM, signal.SIGINT):
            previous = signal.getsignal(number)
            if not callable(previous):
                continue  # SIG_DFL or SIG_IGN: nothing of the server's to chain to

            def handler(sig: int, frame: FrameType | None, previous: Any = previous) -> None:
                # A signal handler may interrupt the loop anywhere: the closing is scheduled
                # (on a loop still running; the server's own handler runs whatever happens).
                try:
                    loop.call_soon_threadsafe(self.close)
                except RuntimeError:
                    pass  # the loop has closed: no stream is left to end
                finally:
                    previous(sig, frame)

            self._previous[number] = previous
            signal.signal(number, handler)

    def _wake(self, job_id: str) -> None:
        waiter = self._waiters.pop(job_id, None)
        if waiter is not None:
            waiter.set()
