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


def asked_in_thread(asking: ApiUploader) -> tuple[threading.Thread, list[bool]]:
    answers: list[bool] = []
    thread = threading.Thread(target=lambda: answers.append(asking.still_wanted()))
    thread.start()
    return thread, answers


def test_callers_wait_for_the_answer_in_flight_except_a_render(server) -> None:
    # Two downloads finish together after a cancel: both must learn of it (neither goes on
    # to render on a stale answer); a render's per-second check takes the last answer.
    server.add_held("/upload/job", b'{"status": "cancelled"}', content_type="application/json")
    asking = uploader(server, "/upload/job")
    first, first_answer = asked_in_thread(asking)
    while server.hits["/upload/job"] == 0:
        time.sleep(0.01)
    started = time.monotonic()
    assert asking.still_wanted(wait=False) is True  # the last answer, at once
    assert time.monotonic() - started < 0.5
    second, second_answer = asked_in_thread(asking)
    time.sleep(0.3)
    assert second.is_alive()  # waiting for the first one's answer
    server.release()
    first.join(timeout=5)
    second.join(timeout=5)
    assert first_answer == second_answer == [False]
    assert server.hits["/upload/job"] == 1  # one question for both


def test_a_slow_api_is_a_blip_after_a_short_timeout(server) -> None:
    server.add_held("/upload/job", b'{"status": "running"}', content_type="application/json")
    asking = uploader(server, "/upload/job")
    started = time.monotonic()
    assert asking.still_wanted() is True  # no answer: work goes on
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
