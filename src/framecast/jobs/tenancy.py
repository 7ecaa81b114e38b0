"""What a tenant has in the job database: its unfinished work, and its idempotency keys.

The job store calls these with its connection, inside its lock. A job's ``tenant`` is the name
of the tenant whose key submitted it (``framecast.api.tenants``); NULL for a job from before
tenants, which only an admin sees.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from framecast.jobs.model import ItemStatus, JobStatus


@dataclass(frozen=True)
class TenantUsage:
    """A tenant's unfinished work."""

    jobs: int  # queued or running
    items: int  # items of those jobs still pending


def usage(db: sqlite3.Connection, tenant: str) -> TenantUsage:
    """The jobs ``tenant`` has queued or running, and their pending items."""
    unfinished = [status.value for status in JobStatus if not status.is_final]
    row = db.execute(
        "SELECT COUNT(DISTINCT jobs.id) AS jobs, COUNT(items.idx) AS items FROM jobs"
        " LEFT JOIN items ON items.job_id = jobs.id AND items.status = ?"
        f" WHERE jobs.tenant = ? AND jobs.status IN ({', '.join('?' * len(unfinished))})",
        (ItemStatus.PENDING.value, tenant, *unfinished),
    ).fetchone()
    return TenantUsage(jobs=int(row["jobs"]), items=int(row["items"]))


def idempotent_job(db: sqlite3.Connection, scope_key: str) -> str | None:
    """The job an idempotency key (already scoped to its tenant) made, if any."""
    row = db.execute(
        "SELECT job_id FROM idempotency_keys WHERE scope_key = ?", (scope_key,)
    ).fetchone()
    return None if row is None else str(row["job_id"])
