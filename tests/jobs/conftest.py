"""An in-process job service: SQLite and local storage on tmp_path, the inline backend.

Tests are plain functions that ``asyncio.run`` a scenario; every wait is bounded by ``WAIT``.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from framecast.api.schemas import webhook_body
from framecast.backends.base import RunRecord
from framecast.backends.inline import InlineBackend
from framecast.config import FetchConfig, Settings
from framecast.contracts.plan import NewItem, Plan
from framecast.jobs.model import Item, ItemFile
from framecast.jobs.service import JobService, Submission
from framecast.jobs.store import JobStore
from framecast.jobs.upload_token import UploadTokens
from framecast.jobs.webhooks import WebhookSender
from framecast.storage.local import LocalStorage

WAIT = 5.0  # seconds any one step may take before a test fails instead of hanging
WEBHOOK_SECRET = b"webhook-secret-for-tests"
T = TypeVar("T")

# ``worker(service, job, record)``: what the inline backend runs, with the service at hand.
ServiceWorker = Callable[[JobService, dict[str, Any], RunRecord], Awaitable[dict[str, Any]]]


class Clock:
    """A clock that moves only when told to."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def settings_for(tmp_path: Path, **changes: Any) -> Settings:
    """Settings for an in-process service under ``tmp_path`` (127.0.0.1 receivers allowed)."""
    base = Settings(
        data_dir=tmp_path / "data",
        fetch=FetchConfig(allow_private=True),
        webhook_attempts=3,
        webhook_retry_seconds=0.01,
        webhook_timeout_seconds=2.0,
    )
    return base.with_changes(**changes)


def images(count: int, allowance: float = 0.0) -> Plan:
    """An img2vid plan of ``count`` one-second images."""
    items = [
        NewItem(f"img-{i}", {"image_url": f"https://images.test/{i}.jpg", "duration": 1.0})
        for i in range(count)
    ]
    return Plan(items, {"width": 640, "height": 360, "fps": 24.0}, allowance)


def img2vid(count: int, **envelope: Any) -> Submission:
    return Submission("img2vid", images(count), **envelope)


async def chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def upload(
    service: JobService,
    job_id: str,
    index: int,
    data: bytes = b"clip",
    result: dict[str, Any] | None = None,
) -> Item:
    """What a worker's ``PUT /upload/{job_id}/{index}`` does once the API has it."""
    digest = hashlib.sha256(data).hexdigest()
    return await service.intake.store_clip(job_id, index, chunks(data), digest, result)


async def upload_file(
    service: JobService, job_id: str, index: int, name: str, data: bytes
) -> ItemFile:
    """What a worker's ``PUT /upload/{job_id}/{index}/files/{name}`` does once the API has it."""
    digest = hashlib.sha256(data).hexdigest()
    return await service.intake.store_file(job_id, index, name, chunks(data), digest)


async def within(awaitable: Awaitable[T]) -> T:
    """``awaitable``'s result, or a TimeoutError after ``WAIT`` seconds."""
    return await asyncio.wait_for(awaitable, WAIT)


@asynccontextmanager
async def job_service(
    tmp_path: Path,
    worker: ServiceWorker,
    settings: Settings | None = None,
    clock: Callable[[], float] = time.time,
    store: JobStore | None = None,
) -> AsyncIterator[JobService]:
    """A JobService wired as ``create_app`` wires it, its backend running ``worker`` inline.

    It is not started (no expiry sweep, no webhook loop) unless the test calls ``start()``;
    everything it holds is closed on the way out, the store too unless the test passed it.
    """
    settings = settings or settings_for(tmp_path)
    own_store = store is None
    store = store or JobStore(settings.database_path)
    storage = LocalStorage(settings.output_path)
    service: JobService | None = None

    async def run(job: dict[str, Any], record: RunRecord) -> dict[str, Any]:
        assert service is not None
        return await worker(service, job, record)

    backend = InlineBackend(run)
    webhooks = WebhookSender(
        store,
        settings,
        WEBHOOK_SECRET,
        lambda job: webhook_body(job, store.webhook_attempts(job.id)),
        clock,
    )
    tokens = UploadTokens(b"upload-token-secret-for-tests")
    service = JobService(settings, store, backend, storage, tokens, webhooks, clock=clock)
    try:
        yield service
    finally:
        await service.close()
        await webhooks.close()
        await backend.close()
        if own_store:
            store.close()
