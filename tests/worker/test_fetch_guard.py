"""The fetch guard tells a server that sent nothing (a timeout) from one that trickles (a stall).

httpx's own read timeout and the guard's speed floor watch the same silent socket over the same
length of time; whichever notices first, the download must fail with the same message.
"""

from __future__ import annotations

import contextlib
import socket
import time

import httpcore
import pytest

from framecast.worker.fetch_guard import FetchGuard, Stop

WINDOW = 0.2  # seconds of the speed floor's window
POLL = 0.02
TRICKLE_SECONDS = 0.05  # a byte this often: 20 bytes a second, far under the floor


def read_until_cut(guard: FetchGuard, sock: socket.socket, trickle: socket.socket | None) -> None:
    """Read ``sock`` under ``guard`` until the guard shuts it down (``trickle`` sends it a byte
    every ``TRICKLE_SECONDS``)."""
    while True:
        if trickle is not None:
            time.sleep(TRICKLE_SECONDS)
            trickle.send(b"x")
        with guard.blocking(sock):
            data = sock.recv(1)
        if not data:
            return
        guard.received(len(data))


@pytest.mark.timeout(10)
@pytest.mark.parametrize(("trickle", "stop"), [(False, Stop.SILENT), (True, Stop.STALLED)])
def test_a_silent_server_is_told_from_a_trickling_one(trickle: bool, stop: Stop) -> None:
    ours, theirs = socket.socketpair()
    with ours, theirs, FetchGuard(None, poll=POLL) as guard:
        ours.settimeout(5.0)
        with (
            guard.attempt(deadline_seconds=30.0, stall_seconds=WINDOW),
            contextlib.suppress(OSError, httpcore.ReadError),  # a read after the cut is refused
        ):
            read_until_cut(guard, ours, theirs if trickle else None)
        assert guard.stopped is stop


@pytest.mark.timeout(10)
def test_a_failing_keep_going_never_costs_the_download_its_deadline() -> None:
    asked = 0

    def keep_going() -> bool:
        nonlocal asked
        asked += 1
        raise RuntimeError("the API's answer could not be read")

    ours, theirs = socket.socketpair()
    with ours, theirs, FetchGuard(keep_going, poll=POLL) as guard:
        ours.settimeout(5.0)
        with (
            guard.attempt(deadline_seconds=30.0, stall_seconds=WINDOW),
            contextlib.suppress(OSError, httpcore.ReadError),
        ):
            read_until_cut(guard, ours, None)
        # The watcher outlived keep_going's errors and still cut the silent read at its limit.
        assert guard.stopped is Stop.SILENT and asked >= 2
