"""Holding a download to its limits whatever the server does: a deadline per attempt, a floor
under its speed, and an end within a fraction of a second once its job no longer wants it.

httpx's timeouts apply to each socket operation, so a server sending one byte a second never
trips them, and nothing can interrupt a read blocked in another thread but the socket itself.
So a :class:`FetchGuard` watches from a thread of its own and, once a limit is passed, shuts
down the socket its download is blocked on: the read returns at once and the attempt fails.
It learns of that socket from :class:`GuardedBackend`, the network backend of fetch clients,
whose streams report each read and write to the guard of the thread that makes it.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from enum import Enum
from typing import Any

import httpcore

log = logging.getLogger("framecast.worker")

MIN_BYTES_PER_SECOND = 1024  # slower than this over a whole timeout, a download has stalled
POLL_SECONDS = 0.2  # how often limits are checked and keep_going is asked
# httpx hands nothing of ours down to the socket; the read happens in the thread that asked
# for it, so that thread's guard is the one to tell.
_CURRENT: ContextVar[FetchGuard | None] = ContextVar("fetch_guard", default=None)


class Stop(Enum):
    """Why a guard cut a download short."""

    CANCELLED = "cancelled"  # keep_going said no: the job was cancelled or passed its deadline
    DEADLINE = "deadline"  # the attempt ran past its overall deadline
    STALLED = "stalled"  # under MIN_BYTES_PER_SECOND for a whole stall window
    # Nothing at all for a whole stall window: httpx's read timeout, which watches the same
    # silence as long, says so too; whichever notices first, the message must be the same.
    SILENT = "silent"


class FetchGuard:
    """Watches one ``fetch_to_file`` call: each attempt's limits, and ``keep_going``."""

    def __init__(self, keep_going: Callable[[], bool] | None, poll: float = POLL_SECONDS) -> None:
        self._keep_going = keep_going
        self._poll = poll
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._cancelled = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="fetch-guard", daemon=True)
        self._deadline: float | None = None  # None: no attempt in progress
        self._stall_seconds = 0.0
        self._window_start: float | None = None  # None: nothing read yet this attempt
        self._window_bytes = 0
        self._blocked_on: socket.socket | None = None
        self.stopped: Stop | None = None

    def __enter__(self) -> FetchGuard:
        self._token = _CURRENT.set(self)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        _CURRENT.reset(self._token)
        self._done.set()
        # Bounded: a keep_going still waiting on the API ends on its own; the download that
        # is over need not wait for it.
        self._thread.join(timeout=1.0)

    @contextmanager
    def attempt(self, deadline_seconds: float, stall_seconds: float) -> Iterator[None]:
        """Hold what runs inside to ``deadline_seconds`` overall and to the speed floor, over
        windows ``stall_seconds`` long from its first read or write (once connected)."""
        with self._lock:
            if self.stopped is not Stop.CANCELLED:
                self.stopped = None
            self._deadline = time.monotonic() + deadline_seconds
            self._stall_seconds, self._window_start, self._window_bytes = stall_seconds, None, 0
        try:
            yield
        finally:
            with self._lock:
                self._deadline = None

    def pause(self, seconds: float) -> bool:
        """Wait ``seconds`` (between attempts); False if the job was cancelled meanwhile."""
        return not self._cancelled.wait(seconds)

    @contextmanager
    def blocking(self, sock: socket.socket | None) -> Iterator[None]:
        """Around a read or write on ``sock``: a stop shuts it down, waking the call."""
        with self._lock:
            if self.stopped is not None:
                raise httpcore.ReadError(f"download stopped ({self.stopped.value})")
            self._blocked_on = sock
            if self._window_start is None and self._deadline is not None:
                self._window_start = time.monotonic()
        try:
            yield
        finally:
            with self._lock:
                self._blocked_on = None

    def received(self, size: int) -> None:
        """Count ``size`` bytes read towards the speed floor."""
        with self._lock:
            self._window_bytes += size

    def _watch(self) -> None:
        while not self._done.wait(self._poll):
            stop = self._limit_passed(time.monotonic())
            # keep_going is cheap to ask often: the uploader's asks the API at most once a second.
            if stop is None and not self._still_wanted():
                stop = Stop.CANCELLED
            if stop is not None:
                self._stop(stop)
            if stop is Stop.CANCELLED:
                return

    def _still_wanted(self) -> bool:
        """``keep_going``'s answer; an error in it is a blip, never the end of this watcher
        (a dead watcher would leave the download without its deadline)."""
        if self._keep_going is None:
            return True
        try:
            return self._keep_going()
        except Exception:
            log.warning("fetch: asking whether the job is still wanted failed", exc_info=True)
            return True

    def _limit_passed(self, now: float) -> Stop | None:
        with self._lock:
            if self._deadline is None or self.stopped is not None:
                return None
            if now >= self._deadline:
                return Stop.DEADLINE
            if self._window_start is None or now - self._window_start < self._stall_seconds:
                return None
            if self._window_bytes == 0:
                return Stop.SILENT
            if self._window_bytes < MIN_BYTES_PER_SECOND * self._stall_seconds:
                return Stop.STALLED
            self._window_start, self._window_bytes = now, 0  # the next window
            return None

    def _stop(self, stop: Stop) -> None:
        with self._lock:
            self.stopped = stop
            if stop is Stop.CANCELLED:
                self._cancelled.set()
            if self._blocked_on is not None:
                _shut_down(self._blocked_on)


def _shut_down(sock: socket.socket) -> None:
    # socket.socket's own shutdown even for a TLS socket: ssl's drops its state first, under
    # the feet of the thread blocked reading it. A blocked recv returns at once either way.
    with contextlib.suppress(OSError):  # already closed: nothing is blocked on it
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


class GuardedStream(httpcore.NetworkStream):
    """A network stream whose reads and writes the current thread's guard can cut short."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream
        self._socket = stream.get_extra_info("socket")

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        guard = _CURRENT.get()
        if guard is None:
            return self._stream.read(max_bytes, timeout)
        with guard.blocking(self._socket):
            data = self._stream.read(max_bytes, timeout)
        guard.received(len(data))
        return data

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        guard = _CURRENT.get()
        if guard is None:
            return self._stream.write(buffer, timeout)
        with guard.blocking(self._socket):
            return self._stream.write(buffer, timeout)

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        guard = _CURRENT.get()
        if guard is None:
            return GuardedStream(self._stream.start_tls(ssl_context, server_hostname, timeout))
        with guard.blocking(self._socket):  # a handshake can be trickled too
            return GuardedStream(self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class GuardedBackend(httpcore.NetworkBackend):
    """``backend``, with every stream it opens a :class:`GuardedStream`."""

    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self._backend = backend

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        stream = self._backend.connect_tcp(host, port, timeout, local_address, socket_options)
        return GuardedStream(stream)

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)
