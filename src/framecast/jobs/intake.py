"""Results arriving from workers: uploaded bytes, bucket objects, check-ins, the base64 route."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

from framecast.config import Settings
from framecast.contracts.plan import NewItem
from framecast.contracts.upload_urls import FILE_MAX_BYTES, FILES_PER_ITEM
from framecast.errors import Conflict, InputError, NotFound, PayloadTooLarge
from framecast.jobs.model import Item, ItemFile, ItemStatus, Job, JobStatus
from framecast.jobs.store import JobStore
from framecast.storage.base import Storage, StoredObject, file_key

log = logging.getLogger("framecast.jobs")


def existing_job(store: JobStore, job_id: str) -> Job:
    """The job ``job_id``, or NotFound."""
    job = store.get(job_id)
    if job is None:
        raise no_job(job_id)
    return job


def no_job(job_id: str) -> NotFound:
    """The error for a job that does not exist (or that the asking tenant may not see)."""
    return NotFound(f"job_id: no job {job_id!r}")


class ResultIntake:
    """Records each result the moment a worker stores it, so progress is live everywhere."""

    def __init__(
        self,
        settings: Settings,
        store: JobStore,
        storage: Storage,
        clock: Callable[[], float],
        changed: Callable[[str], None] = lambda job_id: None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.storage = storage
        self.clock = clock
        self.changed = changed  # told each job that changes here (its event streams wake)
        # Live, not persisted: how far each running job's worker says it is (scenes done, of).
        self.rendering: dict[str, tuple[int, int]] = {}

    async def store_clip(
        self,
        job_id: str,
        index: int,
        chunks: AsyncIterator[bytes],
        sha256: str | None,
        result: dict[str, Any] | None = None,
    ) -> Item:
        """Write an uploaded result and mark its item done (a retry replaces the earlier one)."""
        job, item = self._open_item(job_id, index)
        key = self.key(job, item)
        stored = await self.storage.write(key, chunks, self.settings.upload_max_bytes, sha256)
        return self._record(job, item, stored, result)

    async def store_file(
        self, job_id: str, index: int, name: str, chunks: AsyncIterator[bytes], sha256: str | None
    ) -> ItemFile:
        """Write one of an item's files (they come before its clip; a retry replaces one)."""
        job, item = self._open_item(job_id, index)
        if not item.status.takes_files:
            raise Conflict(
                f"item {index} is already {item.status.value}: an item's files are uploaded"
                " before its clip"
            )
        self._check_count(item, [name])
        key = file_key(self.key(job, item), name)
        stored = await self.storage.write(key, chunks, FILE_MAX_BYTES, sha256)
        file = self._file(job, name, stored)
        if not self.store.record_file(job.id, index, file):
            if name not in item.files:  # else the recorded file is at this very key
                self.storage.delete(key)
            raise Conflict(f"item {index}: it was done or ended while {name} was uploading")
        return file

    async def confirm_clip(
        self,
        job_id: str,
        index: int,
        size: int,
        sha256: str,
        result: dict[str, Any] | None = None,
        files: dict[str, tuple[int, str]] | None = None,
    ) -> Item:
        """A worker says it PUT a result (and ``files``: name → (bytes, sha256)) straight into
        storage: check each object, record them together."""
        job, item = self._open_item(job_id, index)
        if size > self.settings.upload_max_bytes:
            raise PayloadTooLarge(f"bytes: {size} is over UPLOAD_MAX_BYTES")
        key = self.key(job, item)
        # Unlike a PUT, a notice may name files of a done item: it is a retry of the notice
        # that made it done (its answer was lost), and replaces what it recorded.
        self._check_count(item, list(files or {}))
        stored = []
        for name, (file_size, file_sha256) in (files or {}).items():
            if file_size > FILE_MAX_BYTES:
                raise PayloadTooLarge(f"files.{name}.bytes: {file_size} is over {FILE_MAX_BYTES}")
            await self._check_object(index, file_key(key, name), file_size, name)
            stored.append(
                self._file(job, name, StoredObject(file_key(key, name), file_size, file_sha256))
            )
        await self._check_object(index, key, size, "clip")
        clip = StoredObject(key=key, bytes=size, sha256=sha256)
        return self._record(job, item, clip, result, stored)

    def worker_checked_in(self, job_id: str, scenes: tuple[int, int] | None = None) -> Job:
        """A worker asked about the job (it does before its first download) or sent a result:
        a queued job is now running. ``scenes``: how far its work is, (done, total), shown
        while the job runs. Returns the job as it is now."""
        job = existing_job(self.store, job_id)
        if scenes is not None and not job.status.is_final:
            self.rendering[job_id] = scenes
            self.changed(job_id)
        if job.status is not JobStatus.QUEUED:
            return job
        self.store.mark_running(job_id, self.clock())
        return existing_job(self.store, job_id)

    async def store_direct(
        self, client_id: str, chunks: AsyncIterator[bytes], tenant: str | None = None
    ) -> Item:
        """The original ``POST /upload/video``: a one-item job of ``tenant`` that has already
        ended."""
        job = self._finished_job("upload", [NewItem(client_id, {})], tenant)
        try:
            stored = await self.storage.write(
                self.key(job, job.items[0]), chunks, self.settings.base64_upload_max_bytes
            )
        except BaseException:
            self.store.fail_pending(job.id, {0: "the upload did not complete"})
            self.store.finish(job.id, JobStatus.FAILED, self.clock(), "upload failed")
            raise
        item = self._record(job, job.items[0], stored, None)
        self.store.finish(job.id, JobStatus.SUCCEEDED, self.clock(), None)
        return item

    def key(self, job: Job, item: Item) -> str:
        """The storage key of an item's result."""
        return self.storage.key_for(job.id, item.index, item.client_id, job.key_prefix)

    def _expires_at(self, job: Job) -> float:
        # Expiring URLs outlive the clip's TTL however late the job ends before its deadline.
        return max(job.deadline_at, self.clock()) + self.settings.output_ttl_seconds

    def _file(self, job: Job, name: str, stored: StoredObject) -> ItemFile:
        url = self.storage.url(stored.key, self._expires_at(job))
        return ItemFile(name, stored.key, stored.bytes, stored.sha256, url)

    @staticmethod
    def _check_count(item: Item, names: list[str]) -> None:
        if len(set(item.files) | set(names)) > FILES_PER_ITEM:
            raise InputError(f"files: an item carries at most {FILES_PER_ITEM} files")

    async def _check_object(self, index: int, key: str, size: int, what: str) -> None:
        """Conflict unless storage holds ``size`` bytes at ``key`` (the worker's PUT)."""
        found = await self.storage.size(key)
        if found is None:
            raise Conflict(f"item {index}: no {what} at {key!r} in storage; upload it first")
        if found != size:
            raise Conflict(
                f"item {index}: storage holds {found} bytes of the {what}, the worker sent {size}"
            )

    def _open_item(self, job_id: str, index: int) -> tuple[Job, Item]:
        job = self.worker_checked_in(job_id)
        if not 0 <= index < len(job.items):
            raise NotFound(f"item: job {job_id} has no item {index} (it has {len(job.items)})")
        if job.status.is_final:
            raise Conflict(f"job {job_id} has already ended ({job.status.value})")
        return job, job.items[index]

    def _record(
        self,
        job: Job,
        item: Item,
        stored: StoredObject,
        result: dict[str, Any] | None,
        files: list[ItemFile] | None = None,
    ) -> Item:
        files = files or []
        current = existing_job(self.store, job.id)
        if current.status.is_final:
            # The job ended (cancel, deadline) meanwhile. Keep the files if the item was already
            # done: a late retry wrote the same keys, and the first upload is the one reported.
            if current.items[item.index].status is not ItemStatus.DONE:
                self._discard(stored, current.items[item.index], files)
            raise Conflict(f"job {job.id} ended while this clip was uploading")
        item.status, item.key, item.bytes, item.sha256 = (
            ItemStatus.DONE,
            stored.key,
            stored.bytes,
            stored.sha256,
        )
        item.result = result
        item.video_url = self.storage.url(stored.key, self._expires_at(job))
        if not self.store.record_done(item, files):
            self._discard(stored, item, files)
            raise Conflict(f"item {item.index}: it has already failed; a late result is not taken")
        item.files = {**item.files, **{file.name: file for file in files}}
        self.changed(job.id)
        return item

    def _discard(self, clip: StoredObject, item: Item, files: list[ItemFile]) -> None:
        """Delete a clip that will never be shown, and every file of its item."""
        keys = {clip.key, *(f.key for f in files), *(f.key for f in item.files.values())}
        for key in sorted(keys):
            self.storage.delete(key)

    def _finished_job(self, operation: str, items: list[NewItem], tenant: str | None) -> Job:
        now = self.clock()
        job = Job(
            id=uuid.uuid4().hex,
            operation=operation,
            status=JobStatus.RUNNING,
            created_at=now,
            deadline_at=now,
            started_at=now,
            tenant=tenant,
        )
        job.items = [Item(job.id, i, it.client_id, it.source) for i, it in enumerate(items)]
        self.store.create(job)
        return job
