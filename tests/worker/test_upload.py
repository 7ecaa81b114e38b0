"""The worker's uploader asks the API whether the job is still wanted without ever holding
up rendering: one question at a time, a short timeout, the last answer meanwhile."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from framecast.worker.upload import STATUS_TIMEOUT, ApiUploader
from tests.support.http_server import MediaServer


@pytest.fixture
def server() -> Iterator[MediaServer]:
    with MediaServer() as media:
        yield media


def uploader(server: MediaServer, path: str) -> ApiUploader:
    return ApiUploader(server.url(path), "token", httpx.Client())


def test_a_slow_api_holds_up_one_caller_briefly_and_no_other(server) -> None:
    server.add_held("/upload/job", b'{"status": "running"}', content_type="application/json")
    asking = uploader(server, "/upload/job")
    answers: list[bool] = []
    first = threading.Thread(target=lambda: answers.append(asking.still_wanted()))
    started = time.monotonic()
    first.start()
    while server.hits["/upload/job"] == 0:
        time.sleep(0.01)
    others_started = time.monotonic()
    assert asking.still_wanted() is True  # the last answer, while the first still waits
    assert time.monotonic() - others_started < 0.5
    first.join(timeout=STATUS_TIMEOUT + 5)
    assert answers == [True]  # a timeout is a blip: work goes on
    assert time.monotonic() - started < STATUS_TIMEOUT + 2
    server.release()


@pytest.mark.parametrize(
    ("status", "body", "wanted"),
    [
        (200, b'{"status": "running"}', True),
        (200, b'{"status": "cancelled"}', False),
        (401, b'{"error": "unauthorized"}', False),  # the token expired with the deadline
        (200, b"<html>a proxy page</html>", True),  # not an answer: a blip
        (503, b"busy", True),
    ],
)
def test_the_answer_decides(server, status: int, body: bytes, wanted: bool) -> None:
    server.add("/upload/j", body, content_type="application/json", status=status)
    assert uploader(server, "/upload/j").still_wanted() is wanted
