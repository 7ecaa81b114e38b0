"""Render slots: how many results a worker process renders at once, and whose turn it is.

A worker renders ``BATCH_SIZE`` results at once (the CPU quota by default). Downloads never hold a
slot: an item asks for one once its inputs are here, so a download that stalls keeps no core (or
encoder) idle. The local pool's processes ask the service for each slot, which gives them fairly
across tenants and jobs (:mod:`framecast.backends.local_scheduler`); any other worker (RunPod)
runs one job at a time and takes its slots in the order asked.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol

from framecast.config import Settings


class RenderSlots(Protocol):
    def hold(self, job_id: str, index: int) -> AbstractContextManager[None]:
        """Wait for a slot for item ``index`` of ``job_id``; it is given back on leaving."""
        ...


class LocalSlots:
    """Slots in this process, taken in the order asked."""

    def __init__(self, capacity: int) -> None:
        self._free = threading.BoundedSemaphore(capacity)

    @contextmanager
    def hold(self, job_id: str, index: int) -> Iterator[None]:
        with self._free:
            yield


class PoolSlots:
    """Slots the service grants: ``("ready", token, job_id, index)`` goes out, ``granted(token)``
    comes back when it is the item's turn, ``("released", token)`` once its render is over."""

    def __init__(self, send: Callable[[tuple[Any, ...]], None]) -> None:
        self._send = send
        self._tokens = itertools.count()
        self._lock = threading.Lock()
        self._waiting: dict[int, threading.Event] = {}

    @contextmanager
    def hold(self, job_id: str, index: int) -> Iterator[None]:
        turn = threading.Event()
        with self._lock:
            token = next(self._tokens)
            self._waiting[token] = turn
        self._send(("ready", token, job_id, index))
        turn.wait()
        try:
            yield
        finally:
            self._send(("released", token))

    def granted(self, token: int) -> None:
        """The service's answer: it is ``token``'s turn."""
        with self._lock:
            turn = self._waiting.pop(token, None)
        if turn is not None:
            turn.set()


_installed: RenderSlots | None = None
_installing = threading.Lock()


def install(slots: RenderSlots) -> None:
    """Use ``slots`` for every render in this process (the local pool's, at start)."""
    global _installed
    with _installing:
        _installed = slots


def render_slot(settings: Settings, job_id: str, index: int) -> AbstractContextManager[None]:
    """A slot to render item ``index`` of ``job_id`` in, held for the render alone."""
    global _installed
    with _installing:
        if _installed is None:
            _installed = LocalSlots(settings.render_batch_size)
        slots = _installed
    return slots.hold(job_id, index)
