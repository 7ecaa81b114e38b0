"""The job service: submit, run on the backend, record uploads, finish, resume, expire."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from framecast.backends.base import Backend
from framecast.config import Settings
from framecast.errors import BackendError, Conflict, Gone, NotFound
from framecast.jobs.model import Item, ItemStatus, Job, JobStatus, final_status
from framecast.jobs.store import JobStore
from framecast.jobs.upload_token import UploadTokens
from framecast.storage.base import Storage, clip_key

log = logging.getLogger("framecast.jobs")

UPLOAD_GRACE_SECONDS = 60.0
NO_RESULT = "the worker returned no result for this item"


@dataclass(frozen=True)
class NewItem:
    client_id: str
    source: dict[str, Any]


class JobService:
    """Owns every job's life: nothing is acknowledged before it is persisted."""

    def __init__(
        self,
        settings: Settings,
        store: JobStore,
        backend: Backend,
        storage: Storage,
        tokens: UploadTokens,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.store = store
        self.backend = backend
        self.storage = storage
        self.tokens = tokens
        self.clock = clock
        self._finished: dict[str, asyncio.Event] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Resume the jobs a previous run left unfinished, and start the expiry sweep."""
        for job in self.store.unfinished():
            log.info("job resumed job_id=%s pending=%d", job.id, len(job.pending_items()))
            self._launch(job)
        self._spawn(self._expire_forever())

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def submit(self, operation: str, items: list[NewItem], render: dict[str, Any]) -> Job:
        """Persist a new job and start it."""
        now = self.clock()
        job_id = uuid.uuid4().hex
        job = Job(
            id=job_id,
            operation=operation,
            status=JobStatus.QUEUED,
            created_at=now,
            deadline_at=now + self.settings.job_timeout_seconds,
            render=render,
            items=[
                Item(job_id=job_id, index=i, client_id=item.client_id, source=item.source)
                for i, item in enumerate(items)
            ],
        )
        self.store.create(job)
        log.info("job queued job_id=%s operation=%s items=%d", job_id, operation, len(items))
        self._launch(job)
        return job

    def get(self, job_id: str) -> Job:
        job = self.store.get(job_id)
        if job is None:
            raise NotFound(f"job_id: no job {job_id!r}")
        return job

    async def wait(self, job_id: str, timeout: float) -> Job | None:
        """The finished job, or None if it is still going after ``timeout`` seconds."""
        event = self._finished.get(job_id)
        if event is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), timeout)
        job = self.get(job_id)
        return job if job.status.is_final else None

    def is_expired(self, job: Job) -> bool:
        return job.expired or (
            job.ended_at is not None
            and job.ended_at + self.settings.output_ttl_seconds <= self.clock()
        )

    async def store_clip(
        self, job_id: str, index: int, chunks: AsyncIterator[bytes], sha256: str | None
    ) -> Item:
        """Write an uploaded clip and mark its item done (a retry replaces the earlier upload)."""
        job = self.get(job_id)
        if not 0 <= index < len(job.items):
            raise NotFound(f"item: job {job_id} has no item {index} (it has {len(job.items)})")
        if job.status.is_final:
            raise Conflict(f"job {job_id} has already ended ({job.status.value})")
        item = job.items[index]
        key = clip_key(job_id, index, item.client_id)
        stored = await self.storage.write(key, chunks, self.settings.upload_max_bytes, sha256)
        item.status, item.key, item.bytes, item.sha256 = (
            ItemStatus.DONE,
            stored.key,
            stored.bytes,
            stored.sha256,
        )
        item.video_url = self.storage.url(stored.key)
        self.store.record_done(item)
        return item

    async def store_direct(self, client_id: str, chunks: AsyncIterator[bytes]) -> Item:
        """The original ``POST /upload/video``: a one-item job that has already ended."""
        job = self.submit_finished("upload", [NewItem(client_id, {})])
        try:
            stored = await self.storage.write(
                clip_key(job.id, 0, client_id), chunks, self.settings.base64_upload_max_bytes
            )
        except BaseException:
            self.store.fail_pending(job.id, {0: "the upload did not complete"})
            self.store.finish(job.id, JobStatus.FAILED, self.clock(), "upload failed")
            raise
        item = job.items[0]
        item.status, item.key, item.bytes, item.sha256 = (
            ItemStatus.DONE,
            stored.key,
            stored.bytes,
            stored.sha256,
        )
        item.video_url = self.storage.url(stored.key)
        self.store.record_done(item)
        self.store.finish(job.id, JobStatus.SUCCEEDED, self.clock(), None)
        return item

    def submit_finished(self, operation: str, items: list[NewItem]) -> Job:
        now = self.clock()
        job = Job(
            id=uuid.uuid4().hex,
            operation=operation,
            status=JobStatus.RUNNING,
            created_at=now,
            deadline_at=now,
            started_at=now,
        )
        job.items = [Item(job.id, i, it.client_id, it.source) for i, it in enumerate(items)]
        self.store.create(job)
        return job

    def check_servable(self, job_id: str) -> Job:
        """The job behind an /output/ path: 404 if unknown, 410 once its clips expired."""
        job = self.get(job_id)
        if self.is_expired(job):
            raise Gone(
                f"this clip expired {self.settings.output_ttl_seconds:g} s after its job ended"
            )
        return job

    # -- running ---------------------------------------------------------------------------

    def _launch(self, job: Job) -> None:
        self._finished.setdefault(job.id, asyncio.Event())
        self._spawn(self._run(job))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def worker_job(self, job: Job) -> dict[str, Any]:
        """The wire-format job for the backend: pending items only, with a scoped upload token."""
        token = self.tokens.issue(job.id, job.deadline_at + UPLOAD_GRACE_SECONDS)
        return {
            "operation": job.operation,
            "job_id": job.id,
            "items": [
                {"index": item.index, "id": item.client_id, **item.source}
                for item in job.pending_items()
            ],
            "render": job.render,
            "upload": {
                "type": "api",
                "url": f"{self.settings.internal_base_url}/upload/{job.id}",
                "token": token,
            },
        }

    async def _run(self, job: Job) -> None:
        errors: dict[int, str] = {}
        job_error: str | None = None
        try:
            if job.pending_items():
                self.store.mark_running(job.id, self.clock())
                remaining = job.deadline_at - self.clock()
                if remaining <= 0:
                    raise TimeoutError
                output = await asyncio.wait_for(self.backend.run(self.worker_job(job)), remaining)
                job_error = output.get("error")
                errors = {f["index"]: f["error"] for f in output.get("failed", []) if "index" in f}
        except TimeoutError:
            job_error = (
                f"the job passed its deadline ({self.settings.job_timeout_seconds:g} s,"
                " JOB_TIMEOUT_SECONDS) before every item was done"
            )
        except BackendError as exc:
            job_error = exc.message
        except Exception:
            log.exception("job crashed job_id=%s", job.id)
            job_error = "internal error while running this job"
        self._finish(job.id, errors, job_error)

    def _finish(self, job_id: str, errors: dict[int, str], job_error: str | None) -> None:
        job = self.get(job_id)
        fallback = job_error or NO_RESULT
        self.store.fail_pending(
            job_id, {item.index: errors.get(item.index, fallback) for item in job.pending_items()}
        )
        job = self.get(job_id)
        status = final_status(job)
        self.store.finish(job_id, status, self.clock(), job_error)
        log.info(
            "job ended job_id=%s status=%s done=%d failed=%d",
            job_id,
            status.value,
            job.count(ItemStatus.DONE),
            job.count(ItemStatus.FAILED),
        )
        event = self._finished.pop(job_id, None)
        if event is not None:
            event.set()

    # -- expiry ----------------------------------------------------------------------------

    async def _expire_forever(self) -> None:
        interval = min(30.0, max(0.5, self.settings.output_ttl_seconds / 4))
        while True:
            self.expire_now()
            await asyncio.sleep(interval)

    def expire_now(self) -> int:
        """Delete the clips of jobs that ended more than OUTPUT_TTL_SECONDS ago."""
        jobs = self.store.ended_before(self.clock() - self.settings.output_ttl_seconds)
        for job in jobs:
            for item in job.items:
                if item.key:
                    self.storage.delete(item.key)
            self.store.mark_expired(job.id)
            log.info("job expired job_id=%s", job.id)
        return len(jobs)
