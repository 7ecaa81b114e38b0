"""Expiry: results are deleted OUTPUT_TTL_SECONDS after their job ended, never before."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from framecast.config import Settings
from framecast.errors import Gone
from framecast.jobs.intake import existing_job
from framecast.jobs.model import Job
from framecast.jobs.store import JobStore
from framecast.storage.base import Storage

log = logging.getLogger("framecast.jobs")


class Expiry:
    """Says whether a job's results may still be served, and sweeps the expired ones away."""

    def __init__(
        self, settings: Settings, store: JobStore, storage: Storage, clock: Callable[[], float]
    ) -> None:
        self.settings = settings
        self.store = store
        self.storage = storage
        self.clock = clock

    def is_expired(self, job: Job) -> bool:
        return job.expired or (
            job.ended_at is not None
            and job.ended_at + self.settings.output_ttl_seconds <= self.clock()
        )

    def check_servable(self, job_id: str) -> Job:
        """The job behind an /output/ path: 404 if unknown, 410 once its results expired."""
        job = existing_job(self.store, job_id)
        if self.is_expired(job):
            raise Gone(
                f"this clip expired {self.settings.output_ttl_seconds:g} s after its job ended"
            )
        return job

    async def run_forever(self) -> None:
        interval = min(30.0, max(0.5, self.settings.output_ttl_seconds / 4))
        while True:
            try:
                await self.expire_now()
            except Exception:  # the sweep must outlive any one bad job or storage hiccup
                log.exception("expiry sweep failed; retrying in %.0f s", interval)
            await asyncio.sleep(interval)

    async def expire_now(self) -> int:
        """Delete the results of jobs that ended more than OUTPUT_TTL_SECONDS ago.

        A job is marked expired only once all its files are gone; else the next sweep retries.
        """
        jobs = self.store.ended_before(self.clock() - self.settings.output_ttl_seconds)
        expired = 0
        for job in jobs:
            # Files of an item that never got its clip (failed, cancelled) go too.
            keys = [item.key for item in job.items if item.key]
            keys += [file.key for item in job.items for file in item.files.values()]
            if self.storage.deletes_expired and keys:
                deleted = await asyncio.to_thread(self.storage.delete_many, keys)
                if not deleted:
                    log.warning("job expiry incomplete job_id=%s (retried next sweep)", job.id)
                    continue
            self.store.mark_expired(job.id)
            expired += 1
            log.info("job expired job_id=%s", job.id)
        return expired
