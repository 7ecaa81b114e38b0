"""An item's files (sidecars) in-process: stored before its clip, shown on its video, replaced
by a retry, refused once the item is done, deleted with the clip."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from framecast.api.schemas import job_public, result_of, webhook_body
from framecast.backends.base import RunRecord
from framecast.contracts.upload_urls import FILE_MAX_BYTES
from framecast.errors import Conflict, PayloadTooLarge
from framecast.jobs.model import Item, ItemStatus, Job, JobStatus
from framecast.jobs.service import JobService
from framecast.jobs.wire import worker_job
from framecast.operations import CONCATENATE, OPERATIONS
from framecast.storage.base import file_key
from framecast.storage.local import LocalStorage
from tests.jobs.conftest import (
    Clock,
    chunks,
    img2vid,
    job_service,
    settings_for,
    upload,
    upload_file,
    within,
)

SRT = b"1\n00:00:00,000 --> 00:00:01,000\nol\xc3\xa9\n"
WORDS = b'[{"word": "ol\xc3\xa9", "start": 0.0, "end": 1.0}]'


async def with_files(service: JobService, job: dict[str, Any], record: RunRecord) -> dict[str, Any]:
    """A worker that stores two files, then the clip, of each item (its result tries to set
    ``files`` too)."""
    for item in job["items"]:
        await upload_file(service, job["job_id"], item["index"], "captions.srt", SRT)
        await upload_file(service, job["job_id"], item["index"], "words.json", WORDS)
        await upload(service, job["job_id"], item["index"], result={"files": "elsewhere"})
    return {"videos": [], "failed": []}


def stored_path(service: JobService, key: str) -> Path:
    assert isinstance(service.storage, LocalStorage)
    return service.storage.path(key)


def test_files_stored_before_the_clip_are_listed_on_its_video_in_every_answer(
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        async with job_service(tmp_path, with_files) as service:
            job = service.submit(img2vid(1))
            ended = await within(service.wait(job.id, 5.0))
            assert ended is not None and ended.status is JobStatus.SUCCEEDED
            expected = {
                "captions.srt": f"/output/{job.id}/0000-img-0.captions.srt",
                "words.json": f"/output/{job.id}/0000-img-0.words.json",
            }
            assert result_of(ended).videos[0].model_dump()["files"] == expected
            assert job_public(ended).model_dump()["videos"][0]["files"] == expected
            assert webhook_body(ended, [])["videos"][0]["files"] == expected
            files = ended.items[0].files
            assert stored_path(service, files["captions.srt"].key).read_bytes() == SRT
            assert files["words.json"].sha256 == hashlib.sha256(WORDS).hexdigest()

    asyncio.run(scenario())


def test_a_video_without_files_has_no_files_field_and_a_result_cannot_add_one(
    tmp_path: Path,
) -> None:
    async def clip_only(
        service: JobService, job: dict[str, Any], record: RunRecord
    ) -> dict[str, Any]:
        await upload(service, job["job_id"], 0, result={"files": {"x.srt": "https://evil"}})
        return {"videos": [], "failed": []}

    async def scenario() -> None:
        async with job_service(tmp_path, clip_only) as service:
            job = service.submit(img2vid(1))
            ended = await within(service.wait(job.id, 5.0))
            assert ended is not None
            assert "files" not in result_of(ended).videos[0].model_dump()

    asyncio.run(scenario())


def test_a_retried_file_replaces_the_first(tmp_path: Path) -> None:
    async def twice(service: JobService, job: dict[str, Any], record: RunRecord) -> dict[str, Any]:
        await upload_file(service, job["job_id"], 0, "captions.srt", b"first try")
        await upload_file(service, job["job_id"], 0, "captions.srt", SRT)
        await upload(service, job["job_id"], 0)
        return {"videos": [], "failed": []}

    async def scenario() -> None:
        async with job_service(tmp_path, twice) as service:
            job = service.submit(img2vid(1))
            ended = await within(service.wait(job.id, 5.0))
            assert ended is not None
            file = ended.items[0].files["captions.srt"]
            assert (file.bytes, file.sha256) == (len(SRT), hashlib.sha256(SRT).hexdigest())
            assert stored_path(service, file.key).read_bytes() == SRT

    asyncio.run(scenario())


def test_a_file_for_an_item_already_done_is_a_conflict_and_not_written(tmp_path: Path) -> None:
    refused: list[str] = []

    async def late(service: JobService, job: dict[str, Any], record: RunRecord) -> dict[str, Any]:
        done = await upload(service, job["job_id"], 0)
        with pytest.raises(Conflict) as conflict:
            await upload_file(service, job["job_id"], 0, "captions.srt", SRT)
        refused.append(conflict.value.message)
        assert not stored_path(service, file_key(done.key or "", "captions.srt")).exists()
        return {"videos": [], "failed": []}

    async def scenario() -> None:
        async with job_service(tmp_path, late) as service:
            job = service.submit(img2vid(1))
            ended = await within(service.wait(job.id, 5.0))
            assert ended is not None and ended.items[0].files == {}

    asyncio.run(scenario())
    assert refused == ["item 0 is already done: an item's files are uploaded before its clip"]


def test_a_clip_in_flight_when_its_job_is_cancelled_is_deleted_with_its_files(
    tmp_path: Path,
) -> None:
    half_sent, resume = asyncio.Event(), asyncio.Event()

    async def slow_body() -> AsyncIterator[bytes]:
        yield b"half a clip"
        half_sent.set()
        await resume.wait()
        yield b", the rest"

    async def scenario() -> None:
        async with job_service(tmp_path, stuck_after_check_in) as service:
            job = service.submit(img2vid(1))
            file = await upload_file(service, job.id, 0, "captions.srt", SRT)
            uploading = asyncio.ensure_future(
                service.intake.store_clip(job.id, 0, slow_body(), None)
            )
            await within(half_sent.wait())
            await service.cancel(job.id)
            resume.set()
            with pytest.raises(Conflict, match="ended while this clip was uploading"):
                await within(uploading)
            item = service.get(job.id).items[0]
            assert item.status is ItemStatus.FAILED
            assert not stored_path(service, service.intake.key(job, item)).exists()
            assert not stored_path(service, file.key).exists()

    asyncio.run(scenario())


def test_expiry_deletes_the_files_with_the_clips_and_those_of_a_failed_item(
    tmp_path: Path,
) -> None:
    clock = Clock()
    settings = settings_for(tmp_path, output_ttl_seconds=60.0)

    async def worker(service: JobService, job: dict[str, Any], record: RunRecord) -> dict[str, Any]:
        for index in (0, 1):
            await upload_file(service, job["job_id"], index, "captions.vtt", b"WEBVTT\n")
        await upload(service, job["job_id"], 0)  # item 1 never gets its clip
        return {"videos": [], "failed": [{"index": 1, "error": "render failed"}]}

    async def scenario() -> None:
        async with job_service(tmp_path, worker, settings, clock) as service:
            job = service.submit(img2vid(2))
            ended = await within(service.wait(job.id, 5.0))
            assert ended is not None and ended.status is JobStatus.PARTIAL
            keys = [ended.items[0].key or ""]
            keys += [item.files["captions.vtt"].key for item in ended.items]
            assert all(stored_path(service, key).is_file() for key in keys)
            clock.advance(61)
            assert await service.expiry.expire_now() == 1
            assert not any(stored_path(service, key).exists() for key in keys)

    asyncio.run(scenario())


def test_a_notice_of_a_clip_in_storage_records_its_files_checked_against_storage(
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        async with job_service(tmp_path, stuck_after_check_in) as service:
            job = service.submit(img2vid(1))
            key = service.intake.key(job, job.items[0])
            for name, data in (("clip", b"mp4 bytes"), ("captions.srt", SRT)):
                target = key if name == "clip" else file_key(key, name)
                await service.storage.write(target, chunks(data), 1 << 20)
            srt = (len(SRT), hashlib.sha256(SRT).hexdigest())
            confirm = service.intake.confirm_clip
            with pytest.raises(Conflict, match=r"storage holds \d+ bytes of the captions\.srt"):
                await confirm(job.id, 0, 9, "0" * 64, None, {"captions.srt": (srt[0] + 1, srt[1])})
            with pytest.raises(Conflict, match=r"no words\.json at"):
                await confirm(job.id, 0, 9, "0" * 64, None, {"words.json": (2, "0" * 64)})
            assert service.get(job.id).items[0].status is ItemStatus.PENDING
            item = await confirm(job.id, 0, 9, "0" * 64, None, {"captions.srt": srt})
            assert item.files["captions.srt"].url.endswith("/0000-img-0.captions.srt")
            stored = service.get(job.id).items[0]
            assert stored.status is ItemStatus.DONE
            assert stored.files["captions.srt"].bytes == len(SRT)

    asyncio.run(scenario())


async def stuck_after_check_in(
    service: JobService, job: dict[str, Any], record: RunRecord
) -> dict[str, Any]:
    service.intake.worker_checked_in(job["job_id"])
    await asyncio.Event().wait()
    raise AssertionError("never")


def test_the_worker_job_presigns_each_file_its_operation_declares(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # No operation declared files when this was written: concatenate stands in for one.
    with_files = dataclasses.replace(CONCATENATE, files=("captions.srt", "words.json"))
    monkeypatch.setitem(OPERATIONS, "concatenate", with_files)
    videos = [{"video_url": "https://x.test/a.mp4"}, {"video_url": "https://x.test/b.mp4"}]
    job = Job("j1", "concatenate", JobStatus.QUEUED, created_at=0.0, deadline_at=60.0)
    job.items = [Item("j1", 0, "both", {"videos": videos})]

    def wire(presign: Any) -> dict[str, Any]:
        item = worker_job(job, "http://api.test", "token", lambda _: "p/j1/0000-both.mp4", presign)
        return dict(item["items"][0])

    bucket = wire(lambda key: f"https://bucket.test/{key}?sig")
    assert bucket["put_url"] == "https://bucket.test/p/j1/0000-both.mp4?sig"
    assert bucket["file_put_urls"] == {
        "captions.srt": "https://bucket.test/p/j1/0000-both.captions.srt?sig",
        "words.json": "https://bucket.test/p/j1/0000-both.words.json?sig",
    }
    local = wire(lambda key: None)  # local storage: everything goes through the API
    assert "file_put_urls" not in local and "put_url" not in local


def test_a_file_key_sits_beside_its_clip_key_under_any_folder() -> None:
    assert file_key("my clips/j1/0003-final.mp4", "captions.srt") == (
        "my clips/j1/0003-final.captions.srt"
    )


def test_a_file_over_its_limit_is_refused_and_not_kept(tmp_path: Path) -> None:
    async def too_big() -> AsyncIterator[bytes]:
        for _ in range(FILE_MAX_BYTES // (1 << 20) + 1):
            yield bytes(1 << 20)

    async def scenario() -> None:
        async with job_service(tmp_path, stuck_after_check_in) as service:
            job = service.submit(img2vid(1))
            with pytest.raises(PayloadTooLarge):
                await service.intake.store_file(job.id, 0, "words.json", too_big(), None)
            item = service.get(job.id).items[0]
            assert item.files == {}
            folder = stored_path(service, service.intake.key(job, item)).parent
            assert not folder.exists() or list(folder.iterdir()) == []

    asyncio.run(scenario())
