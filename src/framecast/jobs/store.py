"""SQLite persistence of jobs, items, webhook attempts and idempotency keys.

Every change is committed before it is acknowledged to anyone. The schema is in
``migrations.py``; which state may follow which is in ``model.py``, and the status guards of the
updates below are drawn from it.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Any

from framecast.jobs import item_files, tenancy
from framecast.jobs.migrations import migrate
from framecast.jobs.model import Item, ItemFile, ItemStatus, Job, JobStatus, Webhook, WebhookState


class JobStore:
    """Jobs in one SQLite file; safe to call from several threads."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        try:
            migrate(self._db, path)  # first: a file we refuse is left as it was
        except BaseException:
            self._db.close()
            raise
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def create(
        self, job: Job, idempotency: tuple[str, str] | None = None
    ) -> tuple[str, str] | None:
        """Insert ``job``; with ``(scope_key, body_hash)`` already taken, insert nothing and
        return the earlier ``(job_id, body_hash)``."""
        hook = job.webhook
        with self._tx() as db:
            if idempotency is not None:
                row = db.execute(
                    "SELECT job_id, body_hash FROM idempotency_keys WHERE scope_key = ?",
                    (idempotency[0],),
                ).fetchone()
                if row is not None:
                    return str(row["job_id"]), str(row["body_hash"])
                db.execute(
                    "INSERT INTO idempotency_keys (scope_key, body_hash, job_id) VALUES (?, ?, ?)",
                    (*idempotency, job.id),
                )
            db.execute(
                "INSERT INTO jobs (id, operation, status, created_at, deadline_at, options,"
                " metadata, webhook_url, webhook_state, key_prefix, tenant)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    job.id,
                    job.operation,
                    job.status.value,
                    job.created_at,
                    job.deadline_at,
                    json.dumps(job.options),
                    _json_or_null(job.metadata),
                    hook.url if hook else None,
                    hook.state.value if hook else None,
                    job.key_prefix,
                    job.tenant,
                ),
            )
            db.executemany(
                "INSERT INTO items (job_id, idx, client_id, source, status, error, key, bytes,"
                " sha256, video_url, result) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        job.id,
                        i.index,
                        i.client_id,
                        json.dumps(i.source),
                        i.status.value,
                        i.error,
                        i.key,
                        i.bytes,
                        i.sha256,
                        i.video_url,
                        _json_or_null(i.result),
                    )
                    for i in job.items
                ],
            )
        return None

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None:
                return None
            items = self._db.execute(
                "SELECT * FROM items WHERE job_id = ? ORDER BY idx", (job_id,)
            ).fetchall()
            files = item_files.of_job(self._db, job_id)
        return _job(row, items, files)

    def page(
        self,
        status: str | None,
        limit: int,
        before: tuple[float, str] | None,
        tenant: str | None = None,
    ) -> list[Job]:
        """Newest first (``tenant``'s only, if given); ``before`` is the (created_at, id) of the
        last job of the previous page."""
        conditions, params = ["1"], []  # type: list[str], list[Any]
        if tenant is not None:
            conditions.append("tenant = ?")
            params.append(tenant)
        if status:
            conditions.append("status = ?")
            params.append(status)
        if before is not None:
            conditions.append("(created_at < ? OR (created_at = ? AND id < ?))")
            params += [before[0], before[0], before[1]]
        return self._where(
            " AND ".join(conditions) + " ORDER BY created_at DESC, id DESC LIMIT ?",
            (*params, limit),
        )

    def usage(self, tenant: str) -> tenancy.TenantUsage:
        """The jobs ``tenant`` has queued or running, and their pending items."""
        with self._lock:
            return tenancy.usage(self._db, tenant)

    def idempotent_job(self, scope_key: str) -> str | None:
        """The job an idempotency key made, if any."""
        with self._lock:
            return tenancy.idempotent_job(self._db, scope_key)

    def unfinished(self) -> list[Job]:
        guard, states = _status_in(s for s in JobStatus if not s.is_final)
        return self._where(f"{guard} ORDER BY created_at", states)

    def mark_running(self, job_id: str, at: float) -> None:
        """A queued job starts (a job that has ended meanwhile stays as it is)."""
        guard, sources = _status_in(JobStatus.sources_of(JobStatus.RUNNING))
        with self._tx() as db:
            db.execute(
                "UPDATE jobs SET status = ?, started_at = COALESCE(started_at, ?)"
                f" WHERE id = ? AND {guard}",
                (JobStatus.RUNNING.value, at, job_id, *sources),
            )

    def record_done(self, item: Item, files: Iterable[ItemFile] = ()) -> bool:
        """Mark an item done with its clip, result and ``files`` (with it, in one step); a
        repeated upload replaces the earlier one. False if the item may not become done (it
        failed)."""
        guard, sources = _status_in(ItemStatus.sources_of(ItemStatus.DONE))
        with self._tx() as db:
            recorded = db.execute(
                "UPDATE items SET status = ?, error = NULL, key = ?, bytes = ?, sha256 = ?,"
                f" video_url = ?, result = ? WHERE job_id = ? AND idx = ? AND {guard}",
                (
                    ItemStatus.DONE.value,
                    item.key,
                    item.bytes,
                    item.sha256,
                    item.video_url,
                    _json_or_null(item.result),
                    item.job_id,
                    item.index,
                    *sources,
                ),
            ).rowcount
            if recorded:
                item_files.write(db, item.job_id, item.index, files)
        return bool(recorded)

    def record_file(self, job_id: str, index: int, file: ItemFile) -> bool:
        """Record a file of a pending item (a retry replaces it); False once the item is done
        or failed, or its job has ended."""
        with self._tx() as db:
            if not item_files.takes_files(db, job_id, index):
                return False
            item_files.write(db, job_id, index, [file])
        return True

    def fail_pending(self, job_id: str, errors: dict[int, str]) -> None:
        """Fail the listed items that are still pending (a done item stays done)."""
        guard, sources = _status_in(ItemStatus.sources_of(ItemStatus.FAILED))
        with self._tx() as db:
            db.executemany(
                f"UPDATE items SET status = ?, error = ? WHERE job_id = ? AND idx = ? AND {guard}",
                [
                    (ItemStatus.FAILED.value, error, job_id, index, *sources)
                    for index, error in errors.items()
                ],
            )

    def finish(self, job_id: str, status: JobStatus, at: float, error: str | None) -> bool:
        """End a job that has not ended yet (False if it had); its webhook becomes due."""
        if not status.is_final:
            raise ValueError(f"finish needs a final state, not {status.value!r}")
        guard, sources = _status_in(JobStatus.sources_of(status))
        with self._tx() as db:
            ended = db.execute(
                "UPDATE jobs SET status = ?, ended_at = ?, error = ?,"
                " webhook_state = CASE WHEN webhook_url IS NULL THEN NULL ELSE ? END,"
                f" webhook_next_at = ? WHERE id = ? AND {guard}",
                (status.value, at, error, WebhookState.PENDING.value, at, job_id, *sources),
            ).rowcount
        return bool(ended)

    def ended_before(self, cutoff: float) -> list[Job]:
        """Jobs that ended before ``cutoff`` and whose files are not yet expired."""
        return self._where("expired = 0 AND ended_at IS NOT NULL AND ended_at < ?", (cutoff,))

    def mark_expired(self, job_id: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE jobs SET expired = 1 WHERE id = ?", (job_id,))

    def backend_state(self, job_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT backend_state FROM jobs WHERE id = ?", (job_id,)
            ).fetchone()
        return None if row is None or row[0] is None else dict(json.loads(row[0]))

    def save_backend_state(self, job_id: str, state: dict[str, Any]) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE jobs SET backend_state = ? WHERE id = ?", (json.dumps(state), job_id)
            )

    # -- webhooks --------------------------------------------------------------------------

    def webhooks_due(self, now: float) -> list[Job]:
        return self._where(
            "webhook_state = ? AND webhook_next_at <= ? ORDER BY webhook_next_at",
            (WebhookState.PENDING.value, now),
        )

    def next_webhook_at(self) -> float | None:
        with self._lock:
            row = self._db.execute(
                "SELECT MIN(webhook_next_at) AS at FROM jobs WHERE webhook_state = ?",
                (WebhookState.PENDING.value,),
            ).fetchone()
        return None if row["at"] is None else float(row["at"])

    def record_webhook_attempt(
        self,
        job_id: str,
        at: float,
        status_code: int | None,
        error: str | None,
        state: WebhookState,
        next_at: float | None,
    ) -> int:
        """Persist one delivery attempt and the webhook's new state; returns the attempt number."""
        with self._tx() as db:
            attempt = (
                1
                + db.execute(
                    "SELECT webhook_attempts FROM jobs WHERE id = ?", (job_id,)
                ).fetchone()[0]
            )
            db.execute(
                "INSERT INTO webhook_attempts (job_id, attempt, at, status_code, error)"
                " VALUES (?, ?, ?, ?, ?)",
                (job_id, attempt, at, status_code, error),
            )
            db.execute(
                "UPDATE jobs SET webhook_attempts = ?, webhook_state = ?, webhook_next_at = ?,"
                " webhook_error = ?, webhook_delivered_at = ? WHERE id = ?",
                (attempt, state.value, next_at, error, at if error is None else None, job_id),
            )
        return int(attempt)

    def resend_webhook(self, job_id: str, at: float) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE jobs SET webhook_state = ?, webhook_next_at = ? WHERE id = ?",
                (WebhookState.PENDING.value, at, job_id),
            )

    def webhook_attempts(self, job_id: str) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT attempt, at, status_code, error FROM webhook_attempts WHERE job_id = ?"
                " ORDER BY attempt",
                (job_id,),
            ).fetchall()
        return [dict(row) for row in rows]

    def _where(self, condition: str, params: tuple[object, ...]) -> list[Job]:
        with self._lock:
            rows = self._db.execute(f"SELECT id FROM jobs WHERE {condition}", params).fetchall()
        return [job for row in rows if (job := self.get(row["id"])) is not None]


def _status_in(statuses: Iterable[StrEnum]) -> tuple[str, tuple[str, ...]]:
    """A ``status IN (?, ...)`` guard and its parameters; an empty list matches no row."""
    values = tuple(status.value for status in statuses)
    return f"status IN ({', '.join('?' * len(values))})", values


def _json_or_null(value: dict[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(value)


def _job(row: sqlite3.Row, items: list[sqlite3.Row], files: dict[int, dict[str, ItemFile]]) -> Job:
    webhook = None
    if row["webhook_url"]:
        webhook = Webhook(
            url=row["webhook_url"],
            state=WebhookState(row["webhook_state"]),
            attempts=row["webhook_attempts"],
            next_at=row["webhook_next_at"],
            last_error=row["webhook_error"],
            delivered_at=row["webhook_delivered_at"],
        )
    return Job(
        id=row["id"],
        operation=row["operation"],
        status=JobStatus(row["status"]),
        created_at=row["created_at"],
        deadline_at=row["deadline_at"],
        started_at=row["started_at"],
        ended_at=row["ended_at"],
        options=json.loads(row["options"]),
        error=row["error"],
        expired=bool(row["expired"]),
        webhook=webhook,
        metadata=None if row["metadata"] is None else json.loads(row["metadata"]),
        key_prefix=row["key_prefix"],
        tenant=row["tenant"],
        items=[
            Item(
                job_id=i["job_id"],
                index=i["idx"],
                client_id=i["client_id"],
                source=json.loads(i["source"]),
                status=ItemStatus(i["status"]),
                error=i["error"],
                key=i["key"],
                bytes=i["bytes"],
                sha256=i["sha256"],
                video_url=i["video_url"],
                result=None if i["result"] is None else json.loads(i["result"]),
                files=files.get(i["idx"], {}),
            )
            for i in items
        ],
    )
