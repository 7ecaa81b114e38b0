"""Jobs and their items: states, and the one function that decides a job's final state."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class JobStatus(StrEnum):
    QUEUED = "queued"  # persisted and acknowledged; no worker has taken it yet
    RUNNING = "running"  # a worker has checked in (asked about it, or sent a clip)
    SUCCEEDED = "succeeded"  # every item is done
    PARTIAL = "partial"  # some items are done, the others failed
    FAILED = "failed"  # no item is done
    CANCELLED = "cancelled"  # stopped on request; what was uploaded is kept

    @property
    def is_final(self) -> bool:
        return self not in (JobStatus.QUEUED, JobStatus.RUNNING)


class ItemStatus(StrEnum):
    PENDING = "pending"  # not uploaded yet
    DONE = "done"  # the clip is in storage
    FAILED = "failed"  # it will not be produced; `error` says why


class WebhookState(StrEnum):
    WAITING = "waiting"  # the job has not ended yet
    PENDING = "pending"  # due at ``next_at`` (first delivery or a retry)
    DELIVERED = "delivered"  # a 2xx answer was received
    FAILED = "failed"  # every attempt failed; POST /jobs/{id}/webhook sends it again


@dataclass
class Webhook:
    """Where a job's final state is POSTed, and how delivery is going."""

    url: str
    state: WebhookState = WebhookState.WAITING
    attempts: int = 0
    next_at: float | None = None
    last_error: str | None = None
    delivered_at: float | None = None


@dataclass
class Item:
    """One clip of a job."""

    job_id: str
    index: int
    client_id: str
    source: dict[str, Any]  # what the worker needs: image_url, duration…
    status: ItemStatus = ItemStatus.PENDING
    error: str | None = None
    key: str | None = None
    bytes: int | None = None
    sha256: str | None = None
    video_url: str | None = None


@dataclass
class Job:
    """A batch of work submitted by a client."""

    id: str
    operation: str
    status: JobStatus
    created_at: float
    deadline_at: float
    render: dict[str, Any] = field(default_factory=dict)
    items: list[Item] = field(default_factory=list)
    started_at: float | None = None
    ended_at: float | None = None
    error: str | None = None
    expired: bool = False
    webhook: Webhook | None = None
    metadata: dict[str, Any] | None = None
    key_prefix: str | None = None  # a client-chosen storage folder (S3 only)

    def count(self, status: ItemStatus) -> int:
        return sum(1 for item in self.items if item.status is status)

    def pending_items(self) -> list[Item]:
        return [item for item in self.items if item.status is ItemStatus.PENDING]


def final_status(job: Job, cancelled: bool = False) -> JobStatus:
    """The state a job ends in, from its items (pending items must be failed first)."""
    if cancelled:
        return JobStatus.CANCELLED
    done = job.count(ItemStatus.DONE)
    if done == len(job.items):
        return JobStatus.SUCCEEDED
    return JobStatus.PARTIAL if done else JobStatus.FAILED
