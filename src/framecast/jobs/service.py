"""The job service: submit, run on the backend, cancel, finish, resume.

Results arriving from workers are :mod:`framecast.jobs.intake`'s, expiry is
:mod:`framecast.jobs.expiry`'s and the worker wire format is :mod:`framecast.jobs.wire`'s.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from framecast.backends.base import Backend
from framecast.config import Settings
from framecast.contracts.plan import Plan
from framecast.errors import BackendError, Conflict, NotFound
from framecast.jobs.events import JobEvents
from framecast.jobs.expiry import Expiry
from framecast.jobs.inputs import sweep as input_sweep
from framecast.jobs.intake import ResultIntake, existing_job
from framecast.jobs.model import Item, ItemStatus, Job, JobStatus, Webhook, final_status
from framecast.jobs.store import JobStore
from framecast.jobs.upload_token import UploadTokens
from framecast.jobs.webhooks import WebhookSender
from framecast.jobs.wire import StoredRunRecord, worker_job
from framecast.metrics import ServiceMetrics
from framecast.storage.base import Storage

log = logging.getLogger("framecast.jobs")

UPLOAD_GRACE_SECONDS = 60.0
NO_RESULT = "the worker returned no result for this item"
CANCELLED = "cancelled before this item was done"


@dataclass(frozen=True)
class Submission:
    """What a client asked for: an operation's plan, and the envelope around it."""

    operation: str
    plan: Plan
    webhook_url: str | None = None
    metadata: dict[str, Any] | None = None
    idempotency: tuple[str, str] | None = None  # (scope key, body hash)
    key_prefix: str | None = None  # a client-chosen storage folder (S3 only)
    tenant: str | None = None  # the name of the tenant whose key submitted it


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
        metrics: ServiceMetrics | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.backend = backend
        self.storage = storage
        self.tokens = tokens
        self.webhooks = webhooks
        self.clock = clock
        self.metrics = metrics or ServiceMetrics(store.unfinished)
        self.events = JobEvents()  # wakes GET /jobs/{id}/events streams
        self.intake = ResultIntake(settings, store, storage, clock, self.events.changed)
        self.expiry = Expiry(settings, store, storage, clock)
        self._finished: dict[str, asyncio.Event] = {}
        self._runs: dict[str, asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Resume what a previous run left unfinished; start the expiry sweeps (results and
        inputs) and webhooks."""
        for job in self.store.unfinished():
            log.info("job resumed job_id=%s pending=%d", job.id, len(job.pending_items()))
            self._launch(job)
        self._spawn(self.expiry.run_forever())
        self._spawn(input_sweep.run_forever(self.settings, self.storage, self.clock))
        self._spawn(self.webhooks.run_forever())
        self.events.close_on_exit_signals()

    async def close(self) -> None:
        self.events.close()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def submit(self, request: Submission) -> Job:
        """Persist a new job and start it; a repeated idempotency key returns the first job."""
        now = self.clock()
        job_id = uuid.uuid4().hex
        plan = request.plan
        timeout = self.settings.job_timeout_seconds + plan.allowance_seconds
        job = Job(
            id=job_id,
            operation=request.operation,
            status=JobStatus.QUEUED,
            created_at=now,
            deadline_at=now + timeout,
            options=plan.options,
            items=[
                Item(job_id=job_id, index=i, client_id=item.client_id, source=item.source)
                for i, item in enumerate(plan.items)
            ],
            webhook=Webhook(request.webhook_url) if request.webhook_url else None,
            metadata=request.metadata,
            key_prefix=request.key_prefix,
            tenant=request.tenant,
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
        self.metrics.job_submitted(request.operation)
        log.info(
            "job queued job_id=%s operation=%s items=%d",
            job_id,
            request.operation,
            len(plan.items),
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
        self.webhooks.wake(job_id)
        return self.get(job_id)

    def get(self, job_id: str) -> Job:
        return existing_job(self.store, job_id)

    def worker_job(self, job: Job) -> dict[str, Any]:
        """The wire-format job for the backend: pending items only, with a scoped upload token."""
        expires = job.deadline_at + UPLOAD_GRACE_SECONDS
        return worker_job(
            job,
            self.settings.worker_upload_base_url,
            self.tokens.issue(job.id, expires),
            lambda item: self.intake.key(job, item),
            lambda key: self.storage.presign_put(key, expires),
        )

    async def wait(self, job_id: str, timeout: float) -> Job | None:
        """The finished job, or None if it is still going after ``timeout`` seconds."""
        event = self._finished.get(job_id)
        if event is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), timeout)
        job = self.get(job_id)
        return job if job.status.is_final else None

    # -- running ---------------------------------------------------------------------------

    def _launch(self, job: Job) -> None:
        self._finished.setdefault(job.id, asyncio.Event())
        self._runs[job.id] = self._spawn(self._run(job))

    def _spawn(self, coro: Any) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

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
                        self.worker_job(job),
                        StoredRunRecord(
                            self.store, job.id, job.deadline_at, job.tenant, self.events.changed
                        ),
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
        self.intake.rendering.pop(job_id, None)
        if not self.store.finish(job_id, status, self.clock(), job_error):
            return
        self.metrics.job_ended(job, status)
        log.info(
            "job ended job_id=%s status=%s done=%d failed=%d",
            job_id,
            status.value,
            job.count(ItemStatus.DONE),
            job.count(ItemStatus.FAILED),
        )
        if job.webhook is not None:
            self.webhooks.wake(job_id)
        event = self._finished.pop(job_id, None)
        if event is not None:
            event.set()
        self.events.changed(job_id)
