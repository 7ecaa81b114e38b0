"""The worker's uploaders with a result's files: the API's gets them first (presigned or
through the API), retried like the clip; the original VPS contract leaves them out."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from framecast.contracts.plan import WorkItem
from framecast.errors import InputError, UploadError
from framecast.worker import upload_http
from framecast.worker.upload import ApiUploader, VpsUploader

API = "http://api.test/upload/job-1"
Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(upload_http, "BACKOFF_SECONDS", 0.0)


@pytest.fixture
def clip_and_files(tmp_path: Path) -> Iterator[tuple[Path, dict[str, Path]]]:
    (tmp_path / "out.mp4").write_bytes(b"mp4")
    (tmp_path / "a.srt").write_bytes(b"1\n")
    (tmp_path / "a.vtt").write_bytes(b"WEBVTT\n")
    yield (
        tmp_path / "out.mp4",
        {"captions.srt": tmp_path / "a.srt", "captions.vtt": tmp_path / "a.vtt"},
    )


def recording(answer: Handler) -> tuple[httpx.Client, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        request.read()
        seen.append(request)
        return answer(request)

    return httpx.Client(transport=httpx.MockTransport(handle)), seen


def stored(request: httpx.Request) -> httpx.Response:
    files = {"captions.srt": "/output/j/a.captions.srt", "captions.vtt": "/output/j/a.captions.vtt"}
    if "/files/" in request.url.path:
        return httpx.Response(200, json={"name": "x", "url": "u", "bytes": 1, "sha256": "0"})
    return httpx.Response(
        200, json={"video_url": "/output/j/a.mp4", "bytes": 3, "sha256": "0", "files": files}
    )


def test_files_go_to_the_api_before_the_clip_with_their_types_and_hashes(clip_and_files) -> None:
    clip, files = clip_and_files
    client, seen = recording(stored)
    uploaded = ApiUploader(API, "tok", client).upload(WorkItem(index=2, id="a"), clip, None, files)
    assert [(r.method, r.url.path) for r in seen] == [
        ("PUT", "/upload/job-1/2/files/captions.srt"),
        ("PUT", "/upload/job-1/2/files/captions.vtt"),
        ("PUT", "/upload/job-1/2"),
    ]
    assert seen[0].headers["content-type"] == "text/plain; charset=utf-8"
    assert seen[1].headers["content-type"] == "text/vtt; charset=utf-8"
    assert all(r.headers["authorization"] == "Bearer tok" for r in seen)
    assert seen[1].headers["x-content-sha256"] == upload_http.sha256_of(files["captions.vtt"])
    assert uploaded["files"] == {
        "captions.srt": "/output/j/a.captions.srt",
        "captions.vtt": "/output/j/a.captions.vtt",
    }


def test_presigned_files_go_to_the_bucket_and_the_notice_names_them(clip_and_files) -> None:
    clip, files = clip_and_files
    client, seen = recording(stored)
    item = WorkItem(
        index=0,
        id="a",
        put_url="http://bucket.test/j/a.mp4?sig",
        file_put_urls={"captions.srt": "http://bucket.test/j/a.captions.srt?sig"},
    )
    ApiUploader(API, "tok", client).upload(item, clip, {"pages": 3}, files)
    assert [(r.url.host, r.url.path) for r in seen] == [
        ("bucket.test", "/j/a.captions.srt"),
        ("api.test", "/upload/job-1/0/files/captions.vtt"),  # no presigned URL: via the API
        ("bucket.test", "/j/a.mp4"),
        ("api.test", "/upload/job-1/0/complete"),
    ]
    assert "authorization" not in seen[0].headers
    notice = json.loads(seen[3].content)
    assert notice["files"] == {
        "captions.srt": {"bytes": 2, "sha256": upload_http.sha256_of(files["captions.srt"])}
    }
    assert notice["result"] == {"pages": 3}


def test_a_file_is_retried_like_the_clip_and_its_failure_names_it(clip_and_files) -> None:
    clip, files = clip_and_files
    answers = iter([httpx.Response(503, json={"message": "busy"})] * 2)
    client, seen = recording(lambda request: next(answers, None) or stored(request))
    ApiUploader(API, "tok", client).upload(WorkItem(index=0, id="a"), clip, None, files)
    assert [r.url.path for r in seen][:3] == ["/upload/job-1/0/files/captions.srt"] * 3

    refusing, _ = recording(lambda request: httpx.Response(409, json={"message": "done"}))
    with pytest.raises(UploadError, match=r"file captions\.srt upload to the API failed: HTTP 409"):
        ApiUploader(API, "tok", refusing).upload(WorkItem(index=0, id="a"), clip, None, files)


def test_a_name_outside_the_rule_is_refused_before_anything_is_sent(clip_and_files) -> None:
    clip, files = clip_and_files
    client, seen = recording(stored)
    with pytest.raises(InputError, match="must match"):
        ApiUploader(API, "tok", client).upload(
            WorkItem(index=0, id="a"), clip, None, {"Captions.SRT": files["captions.srt"]}
        )
    assert seen == []


def test_the_vps_contract_leaves_files_out_with_one_warning(
    clip_and_files, caplog: pytest.LogCaptureFixture
) -> None:
    clip, files = clip_and_files
    client, seen = recording(lambda request: httpx.Response(200, json={"video_url": "/v.mp4"}))
    with caplog.at_level(logging.WARNING, logger="framecast.worker"):
        uploaded = VpsUploader("http://vps.test/upload/video", "key", client).upload(
            WorkItem(index=0, id="a"), clip, None, files
        )
    assert "files" not in uploaded and len(seen) == 1
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        "upload files left out item=0 names=captions.srt,captions.vtt: the VPS upload contract"
        " carries the video only"
    ]
