"""The worker job a backend carries, built from a stored job and checked against the
operation's own wire model, so what the API sends is what a worker accepts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from framecast.contracts.upload_urls import job_url
from framecast.jobs.model import Item, Job
from framecast.jobs.store import JobStore
from framecast.operations import operation_of
from framecast.storage.base import file_key


def worker_job(
    job: Job,
    upload_base_url: str,
    token: str,
    key_of: Callable[[Item], str],
    presign: Callable[[str], str | None],
) -> dict[str, Any]:
    """The wire format for ``job``: its pending items only, with a token scoped to it, and
    where storage presigns PUTs, one for each item's result and each file it may carry."""
    files = operation_of(job.operation).files

    def wire_item(item: Item) -> dict[str, Any]:
        key = key_of(item)
        wire = {"index": item.index, "id": item.client_id, **item.source, "put_url": presign(key)}
        file_urls = {name: url for name in files if (url := presign(file_key(key, name)))}
        if file_urls:
            wire["file_put_urls"] = file_urls
        return wire

    data = {
        "operation": job.operation,
        "job_id": job.id,
        "items": [wire_item(item) for item in job.pending_items()],
        "options": job.options,
        "upload": {"type": "api", "url": job_url(upload_base_url, job.id), "token": token},
    }
    model = operation_of(job.operation).worker_job.model_validate(data)
    wire: dict[str, Any] = model.model_dump(mode="json", exclude_none=True)
    return wire


class StoredRunRecord:
    """A backend's resume data for one job, kept in the job store."""

    def __init__(
        self,
        store: JobStore,
        job_id: str,
        deadline_at: float,
        tenant: str | None = None,
        changed: Callable[[str], None] = lambda job_id: None,
    ) -> None:
        self.store, self.job_id, self.deadline_at = store, job_id, deadline_at
        self.tenant = tenant
        self._changed = changed  # the job's event streams are told of items failed here

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
            self._changed(self.job_id)
