"""Jobs and their items: states, the transitions allowed between them, and the one function
that decides a job's final state.

The transition tables are the only place the rules are written: the store's SQL guards take
their ``WHERE status IN (...)`` lists from them.
"""

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
        """The job has ended: no state follows this one."""
        return not JOB_TRANSITIONS[self]

    def can_become(self, target: JobStatus) -> bool:
        """Whether a job in this state may move to ``target``."""
        return target in JOB_TRANSITIONS[self]

    @staticmethod
    def sources_of(target: JobStatus) -> tuple[JobStatus, ...]:
        """The states a job may move to ``target`` from, in declaration order."""
        return tuple(status for status in JobStatus if status.can_become(target))


_ENDED = frozenset({JobStatus.SUCCEEDED, JobStatus.PARTIAL, JobStatus.FAILED, JobStatus.CANCELLED})

# A job may end without running: cancelled, or past its deadline before any worker checked in.
# An ended job never changes again, which is what makes a late finish or cancel a no-op.
JOB_TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.QUEUED: frozenset({JobStatus.RUNNING}) | _ENDED,
    JobStatus.RUNNING: _ENDED,
    **{status: frozenset() for status in _ENDED},
}


class ItemStatus(StrEnum):
    PENDING = "pending"  # not uploaded yet
    DONE = "done"  # the clip is in storage
    FAILED = "failed"  # it will not be produced; `error` says why

    @property
    def takes_files(self) -> bool:
        """Files go up before the clip: a done or failed item takes no more of them."""
        return self is ItemStatus.PENDING

    def can_become(self, target: ItemStatus) -> bool:
        """Whether an item in this state may move to ``target``."""
        return target in ITEM_TRANSITIONS[self]

    @staticmethod
    def sources_of(target: ItemStatus) -> tuple[ItemStatus, ...]:
        """The states an item may move to ``target`` from, in declaration order."""
        return tuple(status for status in ItemStatus if status.can_become(target))


# done -> done: a retried upload replaces the clip (same key). A failed item stays failed: its
# failure may already be reported, so a late upload for it is refused, not recorded.
ITEM_TRANSITIONS: dict[ItemStatus, frozenset[ItemStatus]] = {
    ItemStatus.PENDING: frozenset({ItemStatus.DONE, ItemStatus.FAILED}),
    ItemStatus.DONE: frozenset({ItemStatus.DONE}),
    ItemStatus.FAILED: frozenset(),
}


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


@dataclass(frozen=True)
class ItemFile:
    """A file stored beside an item's clip (a sidecar such as ``captions.srt``)."""

    name: str
    key: str
    bytes: int
    sha256: str
    url: str  # valid as long as the clip's


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
    # Operation-specific fields of the output, e.g. a concatenation's duration, size and cuts.
    result: dict[str, Any] | None = None
    files: dict[str, ItemFile] = field(default_factory=dict)  # by name


@dataclass
class Job:
    """A batch of work submitted by a client."""

    id: str
    operation: str
    status: JobStatus
    created_at: float
    deadline_at: float
    # The operation's options (not only render options since jobs run several operations).
    options: dict[str, Any] = field(default_factory=dict)
    items: list[Item] = field(default_factory=list)
    started_at: float | None = None
    ended_at: float | None = None
    error: str | None = None
    expired: bool = False
    webhook: Webhook | None = None
    metadata: dict[str, Any] | None = None
    key_prefix: str | None = None  # a client-chosen storage folder (S3 only)
    tenant: str | None = None  # the tenant whose key submitted it (None: the single tenant)

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
