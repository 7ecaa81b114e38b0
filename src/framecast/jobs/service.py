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
from framecast.errors import BackendError, Conflict, Gone, NotFound, PayloadTooLarge
from framecast.jobs.model import Item, ItemStatus, Job, JobStatus, Webhook, final_status
from framecast.jobs.store import JobStore
from framecast.jobs.upload_token import UploadTokens
from framecast.jobs.webhooks import WebhookSender
from framecast.storage.base import Storage, StoredObject

log = logging.getLogger("framecast.jobs")

UPLOAD_GRACE_SECONDS = 60.0
NO_RESULT = "the worker returned no result for this item"
CANCELLED = "cancelled before this item was done"
# The slowest worker a deadline allows for: 1080p frames rendered and encoded per second.
SLOWEST_FRAMES_PER_SECOND = 2.0


@dataclass(frozen=True)
class NewItem:
    client_id: str
    source: dict[str, Any]


@dataclass(frozen=True)
class Submission:
    """What a client asked for, beyond the items."""

    operation: str
    items: list[NewItem]
    render: dict[str, Any]
    webhook_url: str | None = None
    metadata: dict[str, Any] | None = None
    idempotency: tuple[str, str] | None = None  # (scope key, body hash)
    key_prefix: str | None = None  # a client-chosen storage folder (S3 only)


def work_allowance(items: list[NewItem], render: dict[str, Any]) -> float:
    """Seconds a job's deadline grows by for the frames it asks for (scaled to 1080p)."""
    fps = float(render.get("fps", 24.0))
    scale = int(render.get("width", 1920)) * int(render.get("height", 1080)) / (1920 * 1080)
    frames = sum(float(item.source.get("duration", 0.0)) * fps for item in items)
    return frames * scale / SLOWEST_FRAMES_PER_SECOND


@dataclass(frozen=True)
class StoredRunRecord:
    """A backend's resume data for one job, kept in the job store."""

    store: JobStore
    job_id: str
    deadline_at: float

    def load(self) -> dict[str, Any] | None:
        return self.store.backend_state(self.job_id)

    def save(self, data: dict[str, Any]) -> None:
        self.store.save_backend_state(self.job_id, data)

    def pending_indexes(self) -> set[int]:
        job = self.store.get(self.job_id)
        return {item.index for item in job.pending_items()} if job else set()

    def report_failed(self, failed: list[dict[str, Any]]) -> None:
        errors = {int(f["index"]): str(f["error"]) for f in failed if "index" in f}
        if errors:
            self.store.fail_pending(self.job_id, errors)


class JobService:
    """Owns every job's life: nothing is acknowledged before it is persisted."""

    def __init__(
        self,
        settings: Settings,
        store: JobStore,
        backend: Backend,
        storage: Storage,
        tokens: UploadTokens,
        webhooks: WebhookSender,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.store = store
        self.backend = backend
        self.storage = storage
        self.tokens = tokens
        self.webhooks = webhooks
        self.clock = clock
        self._finished: dict[str, asyncio.Event] = {}
        self._runs: dict[str, asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Resume what a previous run left unfinished; start the expiry sweep and webhooks."""
        for job in self.store.unfinished():
            log.info("job resumed job_id=%s pending=%d", job.id, len(job.pending_items()))
            self._launch(job)
        self._spawn(self._expire_forever())
        self._spawn(self.webhooks.run_forever())

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def submit(self, request: Submission) -> Job:
        """Persist a new job and start it; a repeated idempotency key returns the first job."""
        now = self.clock()
        job_id = uuid.uuid4().hex
        timeout = self.settings.job_timeout_seconds + work_allowance(request.items, request.render)
        job = Job(
            id=job_id,
            operation=request.operation,
            status=JobStatus.QUEUED,
            created_at=now,
            deadline_at=now + timeout,
            render=request.render,
            items=[
                Item(job_id=job_id, index=i, client_id=item.client_id, source=item.source)
                for i, item in enumerate(request.items)
            ],
            webhook=Webhook(request.webhook_url) if request.webhook_url else None,
            metadata=request.metadata,
            key_prefix=request.key_prefix,
        )
        earlier = self.store.create(job, request.idempotency)
        if earlier is not None:
            earlier_id, earlier_hash = earlier
            if request.idempotency and earlier_hash != request.idempotency[1]:
                raise Conflict(
                    "Idempotency-Key: already used for a request with a different body"
                    f" (job {earlier_id})"
                )
            log.info("job reused job_id=%s (same Idempotency-Key)", earlier_id)
            return self.get(earlier_id)
        log.info(
            "job queued job_id=%s operation=%s items=%d",
            job_id,
            request.operation,
            len(request.items),
        )
        self._launch(job)
        return job

    async def cancel(self, job_id: str) -> Job:
        """Stop a job's pending work; clips already uploaded are kept."""
        job = self.get(job_id)
        if job.status.is_final:
            raise Conflict(f"job {job_id} has already ended ({job.status.value})")
        run = self._runs.pop(job_id, None)
        if run is not None:
            run.cancel()
        self._finish(job_id, {}, None, cancelled=True)  # recorded first: remote calls can be slow
        self._spawn(self.backend.cancel(job_id))
        return self.get(job_id)

    def resend_webhook(self, job_id: str) -> Job:
        job = self.get(job_id)
        if job.webhook is None:
            raise NotFound(f"webhook: job {job_id} was submitted without a webhook_url")
        if not job.status.is_final:
            raise Conflict(f"job {job_id} has not ended yet; its webhook is sent when it does")
        self.store.resend_webhook(job_id, self.clock())
        self.webhooks.wake()
        return self.get(job_id)

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
        job, item = self._open_item(job_id, index)
        key = self._key(job, item)
        stored = await self.storage.write(key, chunks, self.settings.upload_max_bytes, sha256)
        return self._record(job, item, stored)

    async def confirm_clip(self, job_id: str, index: int, size: int, sha256: str) -> Item:
        """A worker says it PUT a clip straight into storage: check the object, then record it."""
        job, item = self._open_item(job_id, index)
        if size > self.settings.upload_max_bytes:
            raise PayloadTooLarge(f"bytes: {size} is over UPLOAD_MAX_BYTES")
        key = self._key(job, item)
        found = await self.storage.size(key)
        if found is None:
            raise Conflict(f"item {index}: no clip at {key!r} in storage; upload it first")
        if found != size:
            raise Conflict(f"item {index}: storage holds {found} bytes, the worker sent {size}")
        return self._record(job, item, StoredObject(key=key, bytes=size, sha256=sha256))

    def worker_checked_in(self, job_id: str) -> Job:
        """A worker asked about the job (it does before its first download) or sent a clip:
        a queued job is now running. Returns the job as it is now."""
        job = self.get(job_id)
        if job.status is not JobStatus.QUEUED:
            return job
        self.store.mark_running(job_id, self.clock())
        return self.get(job_id)

    def _open_item(self, job_id: str, index: int) -> tuple[Job, Item]:
        job = self.worker_checked_in(job_id)
        if not 0 <= index < len(job.items):
            raise NotFound(f"item: job {job_id} has no item {index} (it has {len(job.items)})")
        if job.status.is_final:
            raise Conflict(f"job {job_id} has already ended ({job.status.value})")
        return job, job.items[index]

    def _key(self, job: Job, item: Item) -> str:
        return self.storage.key_for(job.id, item.index, item.client_id, job.key_prefix)

    async def store_direct(self, client_id: str, chunks: AsyncIterator[bytes]) -> Item:
        """The original ``POST /upload/video``: a one-item job that has already ended."""
        job = self.submit_finished("upload", [NewItem(client_id, {})])
        try:
            stored = await self.storage.write(
                self._key(job, job.items[0]), chunks, self.settings.base64_upload_max_bytes
            )
        except BaseException:
            self.store.fail_pending(job.id, {0: "the upload did not complete"})
            self.store.finish(job.id, JobStatus.FAILED, self.clock(), "upload failed")
            raise
        item = self._record(job, job.items[0], stored)
        self.store.finish(job.id, JobStatus.SUCCEEDED, self.clock(), None)
        return item

    def _record(self, job: Job, item: Item, stored: StoredObject) -> Item:
        current = self.get(job.id)
        if current.status.is_final:
            # The job ended (cancel, deadline) meanwhile. Keep the file if the item was already
            # done: a late retry wrote the same key, and the first upload is the one reported.
            if current.items[item.index].status is not ItemStatus.DONE:
                self.storage.delete(stored.key)
            raise Conflict(f"job {job.id} ended while this clip was uploading")
        item.status, item.key, item.bytes, item.sha256 = (
            ItemStatus.DONE,
            stored.key,
            stored.bytes,
            stored.sha256,
        )
        # Expiring URLs outlive the clip's TTL however late the job ends before its deadline.
        item.video_url = self.storage.url(
            stored.key, max(job.deadline_at, self.clock()) + self.settings.output_ttl_seconds
        )
        self.store.record_done(item)
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
        self._runs[job.id] = self._spawn(self._run(job))

    def _spawn(self, coro: Any) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def worker_job(self, job: Job) -> dict[str, Any]:
        """The wire-format job for the backend: pending items only, with a scoped upload token."""
        token = self.tokens.issue(job.id, job.deadline_at + UPLOAD_GRACE_SECONDS)
        return {
            "operation": job.operation,
            "job_id": job.id,
            "items": [
                {
                    "index": item.index,
                    "id": item.client_id,
                    **item.source,
                    **self._put_url(job, item),
                }
                for item in job.pending_items()
            ],
            "render": job.render,
            "upload": {
                "type": "api",
                "url": f"{self.settings.worker_upload_base_url}/upload/{job.id}",
                "token": token,
            },
        }

    def _put_url(self, job: Job, item: Item) -> dict[str, str]:
        url = self.storage.presign_put(self._key(job, item), job.deadline_at + UPLOAD_GRACE_SECONDS)
        return {"put_url": url} if url else {}

    async def _run(self, job: Job) -> None:
        errors: dict[int, str] = {}
        job_error: str | None = None
        try:
            if job.pending_items():
                # It stays "queued" until a worker takes it: see worker_checked_in.
                remaining = job.deadline_at - self.clock()
                if remaining <= 0:
                    raise TimeoutError
                output = await asyncio.wait_for(
                    self.backend.run(
                        self.worker_job(job), StoredRunRecord(self.store, job.id, job.deadline_at)
                    ),
                    remaining,
                )
                job_error = output.get("error")
                errors = {f["index"]: f["error"] for f in output.get("failed", []) if "index" in f}
        except TimeoutError:
            await self.backend.cancel(job.id)
            job_error = (
                f"the job passed its deadline ({job.deadline_at - job.created_at:.0f} s after"
                " submission: JOB_TIMEOUT_SECONDS plus an allowance for the frames requested)"
                " before every item was done"
            )
        except BackendError as exc:
            job_error = exc.message
        except Exception:
            log.exception("job crashed job_id=%s", job.id)
            job_error = "internal error while running this job"
        self._runs.pop(job.id, None)
        self._finish(job.id, errors, job_error)

    def _finish(
        self, job_id: str, errors: dict[int, str], job_error: str | None, cancelled: bool = False
    ) -> None:
        job = self.get(job_id)
        if job.status.is_final:
            return  # cancelled while the backend was still answering
        fallback = CANCELLED if cancelled else (job_error or NO_RESULT)
        self.store.fail_pending(
            job_id, {item.index: errors.get(item.index, fallback) for item in job.pending_items()}
        )
        job = self.get(job_id)
        status = final_status(job, cancelled)
        if not self.store.finish(job_id, status, self.clock(), job_error):
            return
        log.info(
            "job ended job_id=%s status=%s done=%d failed=%d",
            job_id,
            status.value,
            job.count(ItemStatus.DONE),
            job.count(ItemStatus.FAILED),
        )
        if job.webhook is not None:
            self.webhooks.wake()
        event = self._finished.pop(job_id, None)
        if event is not None:
            event.set()

    # -- expiry ----------------------------------------------------------------------------

    async def _expire_forever(self) -> None:
        interval = min(30.0, max(0.5, self.settings.output_ttl_seconds / 4))
        while True:
            try:
                await self.expire_now()
            except Exception:  # the sweep must outlive any one bad job or storage hiccup
                log.exception("expiry sweep failed; retrying in %.0f s", interval)
            await asyncio.sleep(interval)

    async def expire_now(self) -> int:
        """Delete the clips of jobs that ended more than OUTPUT_TTL_SECONDS ago.

        A job is marked expired only once all its clips are gone; else the next sweep retries.
        """
        jobs = self.store.ended_before(self.clock() - self.settings.output_ttl_seconds)
        expired = 0
        for job in jobs:
            keys = [item.key for item in job.items if item.key]
            if self.storage.deletes_expired and keys:
                deleted = await asyncio.to_thread(self.storage.delete_many, keys)
                if not deleted:
                    log.warning("job expiry incomplete job_id=%s (retried next sweep)", job.id)
                    continue
            self.store.mark_expired(job.id)
            expired += 1
            log.info("job expired job_id=%s", job.id)
        return expired
