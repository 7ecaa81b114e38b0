"""A download ends at its deadline whatever the server does, and at once when its job stops."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from framecast.config import FetchConfig
from framecast.errors import FetchError
from framecast.worker.fetch import Backoff, fetch_to_file, make_client
from tests.support.http_server import MediaServer

BODY = bytes(range(256)) * 82  # 20,992 bytes: about the Content-Length of 21,000
TRICKLING = FetchConfig(allow_private=True, timeout_seconds=2.0, attempts=1)
PATIENT = FetchConfig(allow_private=True, timeout_seconds=30.0, attempts=1)


@pytest.fixture
def server() -> Iterator[MediaServer]:
    with MediaServer() as media:
        yield media


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with make_client(TRICKLING) as http:
        yield http


class CancelAfter:
    """A ``keep_going`` that says no from ``seconds`` on, and remembers when it first did."""

    def __init__(self, seconds: float) -> None:
        self.until = time.monotonic() + seconds
        self.said_no_at: float | None = None

    def __call__(self) -> bool:
        if time.monotonic() < self.until:
            return True
        self.said_no_at = self.said_no_at or time.monotonic()
        return False


def failed_fetch(url: str, dest: Path, config: FetchConfig, client: httpx.Client, **kw: Any) -> str:
    """The message of the ``FetchError`` that ``fetch_to_file`` must raise."""
    with pytest.raises(FetchError) as raised:
        fetch_to_file(url, dest, config, client, **kw)
    return raised.value.message


@pytest.mark.timeout(15)
def test_a_trickling_body_fails_at_the_fetch_timeout(server, client, tmp_path) -> None:
    server.add_trickle("/drip.jpg", BODY, every=1.0)
    started = time.monotonic()
    message = failed_fetch(server.url("/drip.jpg"), tmp_path / "a.jpg", TRICKLING, client)
    assert time.monotonic() - started < 3.0
    assert "stalled" in message
    assert list(tmp_path.iterdir()) == []


@pytest.mark.timeout(15)
def test_trickling_headers_fail_at_the_fetch_timeout(server, client, tmp_path) -> None:
    server.add_trickle("/drip.jpg", BODY, every=0.5, headers_too=True)
    started = time.monotonic()
    failed_fetch(server.url("/drip.jpg"), tmp_path / "a.jpg", TRICKLING, client)
    assert time.monotonic() - started < 3.0


@pytest.mark.timeout(15)
def test_a_steady_but_slow_body_ends_at_the_attempt_deadline(server, client, tmp_path) -> None:
    server.add_trickle("/slow.jpg", BODY, every=0.1, step=200)  # 2 KB/s: above the floor
    config = FetchConfig(allow_private=True, timeout_seconds=0.5, attempts=1)
    started = time.monotonic()
    message = failed_fetch(server.url("/slow.jpg"), tmp_path / "a.jpg", config, client)
    assert time.monotonic() - started < 3.0  # the deadline: 4 timeouts
    assert "not complete after 2s" in message


@pytest.mark.timeout(15)
def test_a_cancel_stops_a_trickling_download_within_a_second(server, client, tmp_path) -> None:
    server.add_trickle("/drip.jpg", BODY, every=1.0)
    cancel = CancelAfter(1.0)
    message = failed_fetch(
        server.url("/drip.jpg"), tmp_path / "a.jpg", PATIENT, client, keep_going=cancel
    )
    assert cancel.said_no_at is not None
    assert time.monotonic() - cancel.said_no_at < 1.0
    assert "the job was cancelled" in message


@pytest.mark.timeout(15)
def test_a_cancel_stops_a_silent_server_within_a_second(server, client, tmp_path) -> None:
    server.add_slow("/silent.jpg", BODY, delay=20.0)
    cancel = CancelAfter(0.5)
    failed_fetch(server.url("/silent.jpg"), tmp_path / "a.jpg", PATIENT, client, keep_going=cancel)
    assert cancel.said_no_at is not None
    assert time.monotonic() - cancel.said_no_at < 1.0


@pytest.mark.timeout(15)
def test_a_cancel_cuts_a_retry_wait_short(server, client, tmp_path) -> None:
    server.add_flaky("/down.jpg", BODY, failures=5, failure_headers={"Retry-After": "10"})
    cancel = CancelAfter(0.3)
    started = time.monotonic()
    failed_fetch(
        server.url("/down.jpg"),
        tmp_path / "a.jpg",
        FetchConfig(allow_private=True, timeout_seconds=2.0, attempts=3),
        client,
        keep_going=cancel,
        backoff=Backoff(max_retry_after_seconds=10.0),
    )
    assert time.monotonic() - started < 1.5
    assert server.hits["/down.jpg"] == 1
