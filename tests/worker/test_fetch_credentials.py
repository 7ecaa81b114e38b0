"""A media URL's credentials (userinfo, query values) stay out of item errors and logs."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest

from framecast.config import FetchConfig
from framecast.errors import FetchError
from framecast.worker.fetch import Backoff, fetch_to_file, make_client
from tests.support.http_server import MediaServer

LOCAL = FetchConfig(allow_private=True, timeout_seconds=5.0, attempts=2)
SECRETS = ("hunter2", "s3cr3t-t0ken")


@pytest.fixture
def server() -> Iterator[MediaServer]:
    with MediaServer() as media:
        yield media


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with make_client(LOCAL) as http:
        yield http


def with_credentials(server: MediaServer, path: str) -> str:
    return f"http://alice:hunter2@127.0.0.1:{server.port}{path}?token=s3cr3t-t0ken"


def test_an_item_error_shows_the_url_without_its_credentials(server, client, tmp_path) -> None:
    with pytest.raises(FetchError) as raised:
        fetch_to_file(with_credentials(server, "/missing.jpg"), tmp_path / "a.jpg", LOCAL, client)
    message = raised.value.message
    assert not any(secret in message for secret in SECRETS), message
    assert f"http://***@127.0.0.1:{server.port}/missing.jpg?token=***" in message


def test_retry_and_done_lines_show_the_url_without_its_credentials(
    server, client, tmp_path, caplog
) -> None:
    server.add_flaky("/a.jpg", bytes(range(256)) * 4, failures=1)
    with caplog.at_level(logging.INFO, logger="framecast.worker"):
        fetch_to_file(
            with_credentials(server, "/a.jpg"),
            tmp_path / "a.jpg",
            LOCAL,
            client,
            backoff=Backoff(first_seconds=0.01),
        )
    assert "fetch retry" in caplog.text and "fetch done" in caplog.text
    assert not any(secret in caplog.text for secret in SECRETS), caplog.text


def test_a_redirect_to_a_bad_url_hides_its_credentials(server, client, tmp_path) -> None:
    server.add_redirect("/a.jpg", "http://bob:hunter2@files.test:0/a.jpg?token=s3cr3t-t0ken")
    with pytest.raises(FetchError) as raised:
        fetch_to_file(server.url("/a.jpg"), tmp_path / "a.jpg", LOCAL, client)
    assert not any(secret in raised.value.message for secret in SECRETS), raised.value.message
