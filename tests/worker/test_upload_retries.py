"""The upload retry policy: a full output volume (507) is final at once, with its message;
a passing trouble (5xx, 429) is retried."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from framecast.contracts.plan import WorkItem
from framecast.errors import UploadError
from framecast.worker import upload_http
from framecast.worker.upload import ApiUploader

API = "http://api.test/upload/job-1"
FULL = "no space left on the output volume (OUTPUT_DIR): the result was not stored"


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(upload_http, "BACKOFF_SECONDS", 0.0)


def uploader_answering(status: int, seen: list[httpx.Request]) -> ApiUploader:
    def handle(request: httpx.Request) -> httpx.Response:
        request.read()
        seen.append(request)
        return httpx.Response(status, json={"error": "x", "message": FULL})

    return ApiUploader(API, "tok", httpx.Client(transport=httpx.MockTransport(handle)))


def test_a_full_volume_fails_the_item_at_once_with_its_message(tmp_path: Path) -> None:
    (tmp_path / "out.mp4").write_bytes(b"mp4")
    seen: list[httpx.Request] = []
    with pytest.raises(UploadError, match="HTTP 507: no space left on the output volume"):
        uploader_answering(507, seen).upload(WorkItem(index=0, id="a"), tmp_path / "out.mp4")
    assert len(seen) == 1


@pytest.mark.parametrize("status", [500, 503, 429])
def test_a_passing_trouble_is_retried(tmp_path: Path, status: int) -> None:
    (tmp_path / "out.mp4").write_bytes(b"mp4")
    seen: list[httpx.Request] = []
    with pytest.raises(UploadError):
        uploader_answering(status, seen).upload(WorkItem(index=0, id="a"), tmp_path / "out.mp4")
    assert len(seen) == upload_http.ATTEMPTS
