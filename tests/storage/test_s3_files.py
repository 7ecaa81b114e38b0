"""A result's files with STORAGE=s3, against a real S3 API on 127.0.0.1: the worker PUTs each to
its presigned URL beside the clip, the API checks them in the bucket when told of the clip."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from framecast.config import Settings
from framecast.contracts.plan import WorkItem
from framecast.contracts.upload_urls import complete_url, job_url
from framecast.storage.base import file_key
from framecast.storage.s3 import S3Storage
from framecast.worker.upload import ApiUploader
from tests.api.test_upload_files import SRT, WORDS, held_job, sidecars
from tests.api.test_uploads_and_files import upload_token
from tests.support.http_server import MediaServer
from tests.support.s3_server import S3Server
from tests.support.service import ServiceProcess

NAMES = ("captions.srt", "words.json")


@pytest.fixture
def s3() -> Iterator[S3Server]:
    server = S3Server()
    yield server
    server.stop()


def presigned_item(s3: S3Server, job_id: str) -> WorkItem:
    """Item 0 of ``job_id`` as the API would send it: presigned PUTs for the clip and files
    (made by the same code, with the same settings)."""
    storage = S3Storage(Settings.from_env(s3.env()))
    key, expires = storage.key_for(job_id, 0, "a"), time.time() + 600
    return WorkItem(
        index=0,
        id="a",
        put_url=storage.presign_put(key, expires),
        file_put_urls={name: storage.presign_put(file_key(key, name), expires) for name in NAMES},
    )


def test_files_go_to_the_bucket_and_are_recorded_with_the_clip(
    start_service, s3: S3Server, media_server: MediaServer, tmp_path: Path
) -> None:
    service: ServiceProcess = start_service(**s3.env())
    job_id = held_job(service, media_server)
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\x00\x00\x00\x18ftypmp42 pretend video")
    with httpx.Client() as http:
        uploader = ApiUploader(
            job_url(service.base_url, job_id), upload_token(service, job_id), http
        )
        uploaded = uploader.upload(presigned_item(s3, job_id), clip, None, sidecars(tmp_path))
    base = f"{job_id}/0000-a"
    assert s3.keys() == [f"{base}.captions.srt", f"{base}.mp4", f"{base}.words.json"]
    srt = httpx.get(uploaded["files"]["captions.srt"])
    words = httpx.get(uploaded["files"]["words.json"])
    assert (srt.content, srt.headers["content-type"]) == (SRT, "text/plain; charset=utf-8")
    assert (words.content, words.headers["content-type"]) == (WORDS, "application/json")
    with service.client() as client:
        job = client.get(f"/jobs/{job_id}").json()
    assert set(job["videos"][0]["files"]) == set(NAMES)
    assert f"PUT /upload/{job_id}/0/files/" not in service.log()  # the bytes went to the bucket


def test_a_file_the_bucket_holds_another_size_of_is_a_conflict(
    start_service, s3: S3Server, media_server: MediaServer
) -> None:
    service: ServiceProcess = start_service(**s3.env())
    job_id = held_job(service, media_server)
    item = presigned_item(s3, job_id)
    assert item.put_url and item.file_put_urls
    headers = {"Content-Type": "video/mp4"}
    assert httpx.put(item.put_url, content=b"mp4", headers=headers).is_success
    srt_type = {"Content-Type": "text/plain; charset=utf-8"}
    assert httpx.put(item.file_put_urls["captions.srt"], content=SRT, headers=srt_type).is_success
    digest = hashlib.sha256(SRT).hexdigest()
    notice = {
        "bytes": 3,
        "sha256": "0" * 64,
        "files": {"captions.srt": {"bytes": 1, "sha256": digest}},
    }
    auth = {"Authorization": f"Bearer {upload_token(service, job_id)}"}
    url = complete_url(job_url(service.base_url, job_id), 0)
    refused = httpx.post(url, json=notice, headers=auth)
    assert refused.status_code == 409
    assert refused.json()["message"] == (
        f"item 0: storage holds {len(SRT)} bytes of the captions.srt, the worker sent 1"
    )
    with service.client() as client:
        assert client.get(f"/jobs/{job_id}").json()["progress"]["done"] == 0
