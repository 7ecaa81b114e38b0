"""The job service in-process: SQLite and local storage on tmp_path, the inline backend.

Each test's worker stands for a real one: it checks in and stores results through the
service's intake, as the API does with a worker's uploads.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from framecast.backends import inline
from framecast.backends.base import RunRecord
from framecast.contracts.plan import NewItem, Plan
from framecast.errors import AuthError, Conflict, Gone
from framecast.jobs.model import ItemStatus, JobStatus
from framecast.jobs.service import CANCELLED, UPLOAD_GRACE_SECONDS, JobService, Submission
from framecast.jobs.store import JobStore
from framecast.storage.local import LocalStorage
from tests.jobs.conftest import (
    Clock,
    images,
    img2vid,
    job_service,
    settings_for,
    upload,
    within,
)

NEVER = "the test never lets this worker finish"


async def forever() -> None:
    await asyncio.Event().wait()


async def render_all(service: JobService, job: dict[str, Any], record: RunRecord) -> dict[str, Any]:
    """A worker that checks in and stores every item it was sent, with a result of its own."""
    service.intake.worker_checked_in(job["job_id"])
    videos = []
    for item in job["items"]:
        stored = await upload(
            service, job["job_id"], item["index"], f"clip {item['id']}".encode(), {"frames": 24}
        )
        videos.append({"id": item["id"], "video_url": stored.video_url})
    return {"videos": videos, "failed": []}


async def stuck(service: JobService, job: dict[str, Any], record: RunRecord) -> dict[str, Any]:
    """A worker that checks in and never finishes."""
    service.intake.worker_checked_in(job["job_id"])
    await forever()
    raise AssertionError(NEVER)


def clip_path(service: JobService, job_id: str, index: int) -> Path:
    job = service.get(job_id)
    storage = service.storage
    assert isinstance(storage, LocalStorage)
    return storage.path(service.intake.key(job, job.items[index]))


# -- submit, check-in, success ------------------------------------------------------------------


def test_a_submitted_job_is_persisted_queued_before_any_worker_runs(tmp_path: Path) -> None:
    called: list[str] = []

    async def worker(service: JobService, job: dict[str, Any], record: RunRecord) -> dict[str, Any]:
        called.append(job["job_id"])
        return await stuck(service, job, record)

    async def scenario() -> None:
        async with job_service(tmp_path, worker) as service:
            job = service.submit(img2vid(2))
            # A second connection: what it reads was committed, not held in memory.
            other = JobStore(service.settings.database_path)
            try:
                persisted = other.get(job.id)
            finally:
                other.close()
            assert persisted is not None
            assert persisted.status is JobStatus.QUEUED
            assert [item.status for item in persisted.items] == [ItemStatus.PENDING] * 2
            assert called == []

    asyncio.run(scenario())


def test_a_worker_check_in_moves_the_job_to_running(tmp_path: Path) -> None:
    clock = Clock()
    checked_in = asyncio.Event()

    async def worker(service: JobService, job: dict[str, Any], record: RunRecord) -> dict[str, Any]:
        assert service.get(job["job_id"]).status is JobStatus.QUEUED  # taken, not yet asked
        clock.advance(5)
        service.intake.worker_checked_in(job["job_id"])
        checked_in.set()
        await forever()
        raise AssertionError(NEVER)

    async def scenario() -> None:
        async with job_service(tmp_path, worker, clock=clock) as service:
            job = service.submit(img2vid(1))
            await within(checked_in.wait())
            running = service.get(job.id)
            assert running.status is JobStatus.RUNNING
            assert running.started_at == job.created_at + 5

    asyncio.run(scenario())


def test_a_job_succeeds_once_every_item_is_stored_and_its_results_persist(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with job_service(tmp_path, render_all) as service:
            job = service.submit(img2vid(2))
            ended = await service.wait(job.id, 5.0)
            assert ended is not None and ended.status is JobStatus.SUCCEEDED
            database = service.settings.database_path

        reopened = JobStore(database)  # read back from the file, after the service closed
        try:
            stored = reopened.get(job.id)
        finally:
            reopened.close()
        assert stored is not None and stored.status is JobStatus.SUCCEEDED
        assert [(i.status, i.result, i.bytes) for i in stored.items] == [
            (ItemStatus.DONE, {"frames": 24}, len(b"clip img-0")),
            (ItemStatus.DONE, {"frames": 24}, len(b"clip img-1")),
        ]
        assert stored.items[0].video_url == f"/output/{job.id}/0000-img-0.mp4"

    asyncio.run(scenario())


# -- failures -----------------------------------------------------------------------------------


def test_an_item_the_worker_reports_failed_makes_the_job_partial(tmp_path: Path) -> None:
    async def worker(service: JobService, job: dict[str, Any], record: RunRecord) -> dict[str, Any]:
        await upload(service, job["job_id"], 0)
        return {"videos": [], "failed": [{"index": 1, "id": "img-1", "error": "image: HTTP 404"}]}

    async def scenario() -> None:
        async with job_service(tmp_path, worker) as service:
            job = service.submit(img2vid(2))
            ended = await within(service.wait(job.id, 5.0))
            assert ended is not None
            assert ended.status is JobStatus.PARTIAL
            assert [(i.status, i.error) for i in ended.items] == [
                (ItemStatus.DONE, None),
                (ItemStatus.FAILED, "image: HTTP 404"),
            ]

    asyncio.run(scenario())


def test_a_worker_error_output_fails_the_job_and_every_pending_item(tmp_path: Path) -> None:
    error = "invalid job input: items.0.image_url: field required"

    async def worker(service: JobService, job: dict[str, Any], record: RunRecord) -> dict[str, Any]:
        return {"error": error}

    async def scenario() -> None:
        async with job_service(tmp_path, worker) as service:
            job = service.submit(img2vid(2))
            ended = await within(service.wait(job.id, 5.0))
            assert ended is not None
            assert (ended.status, ended.error) == (JobStatus.FAILED, error)
            assert [(i.status, i.error) for i in ended.items] == [(ItemStatus.FAILED, error)] * 2

    asyncio.run(scenario())


# -- cancel and deadline ------------------------------------------------------------------------


def test_cancel_while_running_keeps_stored_items_and_stops_the_worker(tmp_path: Path) -> None:
    stored, stopped = asyncio.Event(), asyncio.Event()

    async def worker(service: JobService, job: dict[str, Any], record: RunRecord) -> dict[str, Any]:
        await upload(service, job["job_id"], 0)
        stored.set()
        try:
            await forever()
        except asyncio.CancelledError:
            stopped.set()
            raise
        raise AssertionError(NEVER)

    async def scenario() -> None:
        async with job_service(tmp_path, worker) as service:
            job = service.submit(img2vid(3))
            await within(stored.wait())
            cancelled = await service.cancel(job.id)
            assert cancelled.status is JobStatus.CANCELLED
            assert [(i.status, i.error) for i in cancelled.items] == [
                (ItemStatus.DONE, None),
                (ItemStatus.FAILED, CANCELLED),
                (ItemStatus.FAILED, CANCELLED),
            ]
            await within(stopped.wait())
            assert clip_path(service, job.id, 0).is_file()

    asyncio.run(scenario())


def test_cancel_of_an_ended_job_is_a_conflict(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with job_service(tmp_path, render_all) as service:
            job = service.submit(img2vid(1))
            await within(service.wait(job.id, 5.0))
            with pytest.raises(Conflict, match="already ended"):
                await service.cancel(job.id)
            assert service.get(job.id).status is JobStatus.SUCCEEDED

    asyncio.run(scenario())


def test_a_job_past_its_deadline_fails_and_the_backend_is_told_to_cancel(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, job_timeout_seconds=0.2)

    async def scenario() -> None:
        async with job_service(tmp_path, stuck, settings) as service:
            job = service.submit(Submission("img2vid", images(2, allowance=0.0)))
            ended = await within(service.wait(job.id, 5.0))
            assert ended is not None
            assert ended.status is JobStatus.FAILED
            assert ended.error is not None
            assert ended.error.startswith("the job passed its deadline (0 s after submission")
            assert {i.error for i in ended.items} == {ended.error}
            assert isinstance(service.backend, inline.InlineBackend)
            assert service.backend.cancelled == [job.id]

    asyncio.run(scenario())


def test_a_worker_the_backend_stops_ends_the_job_with_the_backends_error(tmp_path: Path) -> None:
    stored = asyncio.Event()

    async def worker(service: JobService, job: dict[str, Any], record: RunRecord) -> dict[str, Any]:
        await upload(service, job["job_id"], 0)
        stored.set()
        return await stuck(service, job, record)

    async def scenario() -> None:
        async with job_service(tmp_path, worker) as service:
            job = service.submit(img2vid(2))
            await within(stored.wait())
            await service.backend.cancel(job.id)  # not through the service: the run returns
            ended = await within(service.wait(job.id, 5.0))
            assert ended is not None
            assert (ended.status, ended.error) == (JobStatus.PARTIAL, inline.CANCELLED)
            assert [(i.status, i.error) for i in ended.items] == [
                (ItemStatus.DONE, None),
                (ItemStatus.FAILED, inline.CANCELLED),
            ]

    asyncio.run(scenario())


# -- idempotency --------------------------------------------------------------------------------


def test_the_same_idempotency_key_and_body_return_the_first_job(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with job_service(tmp_path, stuck) as service:
            first = service.submit(img2vid(1, idempotency=("key-1", "hash-a")))
            again = service.submit(img2vid(1, idempotency=("key-1", "hash-a")))
            assert again.id == first.id
            assert [job.id for job in service.store.page(None, 10, None)] == [first.id]

    asyncio.run(scenario())


def test_the_same_idempotency_key_with_another_body_is_a_conflict(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with job_service(tmp_path, stuck) as service:
            first = service.submit(img2vid(1, idempotency=("key-1", "hash-a")))
            with pytest.raises(Conflict, match=f"different body.*{first.id}"):
                service.submit(img2vid(2, idempotency=("key-1", "hash-b")))
            assert len(service.store.page(None, 10, None)) == 1

    asyncio.run(scenario())


# -- restart ------------------------------------------------------------------------------------


def test_a_restart_resumes_a_running_job_and_resends_only_pending_items(tmp_path: Path) -> None:
    first_stored = asyncio.Event()
    received: list[dict[str, Any]] = []

    async def dies_after_one(
        service: JobService, job: dict[str, Any], record: RunRecord
    ) -> dict[str, Any]:
        await upload(service, job["job_id"], 0, b"first run")
        first_stored.set()
        return await stuck(service, job, record)

    async def resumed(
        service: JobService, job: dict[str, Any], record: RunRecord
    ) -> dict[str, Any]:
        received.append(job)
        return await render_all(service, job, record)

    async def scenario() -> None:
        settings = settings_for(tmp_path)
        async with job_service(tmp_path, dies_after_one, settings) as service:
            job = service.submit(img2vid(3))
            await within(first_stored.wait())
        # The first service stopped mid-job: the store says running, item 0 done.
        async with job_service(tmp_path, resumed, settings) as service:
            assert service.get(job.id).status is JobStatus.RUNNING
            await service.start()
            ended = await within(service.wait(job.id, 5.0))
            assert ended is not None and ended.status is JobStatus.SUCCEEDED
            assert ended.items[0].bytes == len(b"first run")  # not rendered again
        assert [[(i["index"], i["id"]) for i in job["items"]] for job in received] == [
            [(1, "img-1"), (2, "img-2")]
        ]

    asyncio.run(scenario())


# -- expiry -------------------------------------------------------------------------------------


def test_expiry_deletes_files_ttl_seconds_after_the_job_ended(tmp_path: Path) -> None:
    clock = Clock()
    settings = settings_for(tmp_path, output_ttl_seconds=60.0)

    async def scenario() -> None:
        async with job_service(tmp_path, render_all, settings, clock) as service:
            job = service.submit(img2vid(2))
            await within(service.wait(job.id, 5.0))
            paths = [clip_path(service, job.id, i) for i in range(2)]
            clock.advance(59)
            assert await service.expiry.expire_now() == 0
            assert all(path.is_file() for path in paths)
            clock.advance(2)
            assert await service.expiry.expire_now() == 1
            assert not any(path.exists() for path in paths)
            assert service.get(job.id).expired
            with pytest.raises(Gone):
                service.expiry.check_servable(job.id)

    asyncio.run(scenario())


def test_a_running_jobs_files_never_expire(tmp_path: Path) -> None:
    clock = Clock()
    settings = settings_for(tmp_path, output_ttl_seconds=60.0)
    stored = asyncio.Event()

    async def worker(service: JobService, job: dict[str, Any], record: RunRecord) -> dict[str, Any]:
        await upload(service, job["job_id"], 0)
        stored.set()
        return await stuck(service, job, record)

    async def scenario() -> None:
        async with job_service(tmp_path, worker, settings, clock) as service:
            job = service.submit(img2vid(2))
            await within(stored.wait())
            clock.advance(10 * 60)  # ten TTLs since the clip was stored, still before the deadline
            assert await service.expiry.expire_now() == 0
            assert clip_path(service, job.id, 0).is_file()
            assert not service.expiry.is_expired(service.get(job.id))

    asyncio.run(scenario())


# -- late uploads -------------------------------------------------------------------------------


def test_an_upload_to_an_ended_job_is_a_conflict_and_not_kept(tmp_path: Path) -> None:
    async def worker(service: JobService, job: dict[str, Any], record: RunRecord) -> dict[str, Any]:
        return {"error": "the worker gave up"}

    async def scenario() -> None:
        async with job_service(tmp_path, worker) as service:
            job = service.submit(img2vid(1))
            await within(service.wait(job.id, 5.0))
            with pytest.raises(Conflict, match="already ended"):
                await upload(service, job.id, 0)
            assert not clip_path(service, job.id, 0).exists()
            assert service.get(job.id).items[0].status is ItemStatus.FAILED

    asyncio.run(scenario())


def test_an_upload_in_flight_when_its_job_ends_is_a_conflict_and_not_kept(tmp_path: Path) -> None:
    half_sent, resume = asyncio.Event(), asyncio.Event()

    async def slow_body() -> AsyncIterator[bytes]:
        yield b"first half"
        half_sent.set()
        await resume.wait()
        yield b"second half"

    async def scenario() -> None:
        async with job_service(tmp_path, stuck) as service:
            job = service.submit(img2vid(1))
            uploading = asyncio.ensure_future(
                service.intake.store_clip(job.id, 0, slow_body(), None)
            )
            await within(half_sent.wait())
            await service.cancel(job.id)
            resume.set()
            with pytest.raises(Conflict, match="ended while this clip was uploading"):
                await within(uploading)
            job_dir = clip_path(service, job.id, 0).parent
            assert not job_dir.exists() or list(job_dir.iterdir()) == []

    asyncio.run(scenario())


# -- the worker job -----------------------------------------------------------------------------


def test_the_worker_job_carries_pending_items_and_an_upload_target_for_this_job(
    tmp_path: Path,
) -> None:
    stored = asyncio.Event()

    async def worker(service: JobService, job: dict[str, Any], record: RunRecord) -> dict[str, Any]:
        await upload(service, job["job_id"], 1)
        stored.set()
        return await stuck(service, job, record)

    async def scenario() -> None:
        async with job_service(tmp_path, worker) as service:
            job = service.submit(img2vid(3))
            await within(stored.wait())
            wire = service.worker_job(service.get(job.id))
            token = wire["upload"]["token"]
            assert wire == {
                "operation": "img2vid",
                "job_id": job.id,
                "items": [
                    {"index": i, "id": f"img-{i}", "image_url": f"https://images.test/{i}.jpg"}
                    | {"duration": 1.0}
                    for i in (0, 2)  # item 1 is done: only pending items travel
                ],
                "options": {"width": 640, "height": 360, "fps": 24.0, "seed": 0},
                "upload": {
                    "type": "api",
                    "url": f"http://127.0.0.1:3000/upload/{job.id}",
                    "token": token,
                },
            }
            service.tokens.verify(token, job.id, job.deadline_at)  # valid up to the deadline
            with pytest.raises(AuthError, match="expired"):
                service.tokens.verify(token, job.id, job.deadline_at + UPLOAD_GRACE_SECONDS + 1)
            with pytest.raises(AuthError, match="another job"):
                service.tokens.verify(token, "another-job", service.clock())

    asyncio.run(scenario())


def test_a_worker_job_is_checked_against_the_operations_wire_model(tmp_path: Path) -> None:
    no_image = Plan([NewItem("img-0", {"duration": 1.0})], {}, 0.0)

    async def scenario() -> None:
        async with job_service(tmp_path, stuck) as service:
            job = service.submit(Submission("img2vid", no_image))
            with pytest.raises(ValidationError, match=r"items\.0\.image_url"):
                service.worker_job(job)

    asyncio.run(scenario())
