"""SQLite persistence of jobs and items: every change is committed before it is acknowledged."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from framecast.jobs.model import Item, ItemStatus, Job, JobStatus

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    operation TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at REAL NOT NULL,
    deadline_at REAL NOT NULL,
    started_at REAL,
    ended_at REAL,
    render TEXT NOT NULL,
    error TEXT,
    expired INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (status);
CREATE INDEX IF NOT EXISTS jobs_by_created ON jobs (created_at);
CREATE TABLE IF NOT EXISTS items (
    job_id TEXT NOT NULL REFERENCES jobs (id),
    idx INTEGER NOT NULL,
    client_id TEXT NOT NULL,
    source TEXT NOT NULL,
    status TEXT NOT NULL,
    error TEXT,
    key TEXT,
    bytes INTEGER,
    sha256 TEXT,
    video_url TEXT,
    PRIMARY KEY (job_id, idx)
);
"""


class JobStore:
    """Jobs in one SQLite file; safe to call from several threads."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)

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

    def create(self, job: Job) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO jobs (id, operation, status, created_at, deadline_at, render)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    job.id,
                    job.operation,
                    job.status.value,
                    job.created_at,
                    job.deadline_at,
                    json.dumps(job.render),
                ),
            )
            db.executemany(
                "INSERT INTO items (job_id, idx, client_id, source, status, error, key, bytes,"
                " sha256, video_url) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                    )
                    for i in job.items
                ],
            )

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None:
                return None
            items = self._db.execute(
                "SELECT * FROM items WHERE job_id = ? ORDER BY idx", (job_id,)
            ).fetchall()
        return _job(row, items)

    def recent(self, limit: int) -> list[Job]:
        return self._where("1 ORDER BY created_at DESC LIMIT ?", (limit,))

    def unfinished(self) -> list[Job]:
        return self._where(
            "status IN (?, ?) ORDER BY created_at",
            (JobStatus.QUEUED.value, JobStatus.RUNNING.value),
        )

    def mark_running(self, job_id: str, at: float) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE jobs SET status = ?, started_at = COALESCE(started_at, ?) WHERE id = ?",
                (JobStatus.RUNNING.value, at, job_id),
            )

    def record_done(self, item: Item) -> None:
        """Mark an item done with its clip; a repeated upload replaces the earlier one."""
        with self._tx() as db:
            db.execute(
                "UPDATE items SET status = ?, error = NULL, key = ?, bytes = ?, sha256 = ?,"
                " video_url = ? WHERE job_id = ? AND idx = ?",
                (
                    ItemStatus.DONE.value,
                    item.key,
                    item.bytes,
                    item.sha256,
                    item.video_url,
                    item.job_id,
                    item.index,
                ),
            )

    def fail_pending(self, job_id: str, errors: dict[int, str]) -> None:
        """Fail the listed items that are still pending (a done item stays done)."""
        with self._tx() as db:
            db.executemany(
                "UPDATE items SET status = ?, error = ? WHERE job_id = ? AND idx = ?"
                " AND status = ?",
                [
                    (ItemStatus.FAILED.value, error, job_id, index, ItemStatus.PENDING.value)
                    for index, error in errors.items()
                ],
            )

    def finish(self, job_id: str, status: JobStatus, at: float, error: str | None) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE jobs SET status = ?, ended_at = ?, error = ? WHERE id = ?",
                (status.value, at, error, job_id),
            )

    def ended_before(self, cutoff: float) -> list[Job]:
        """Jobs that ended before ``cutoff`` and whose files are not yet expired."""
        return self._where("expired = 0 AND ended_at IS NOT NULL AND ended_at < ?", (cutoff,))

    def _where(self, condition: str, params: tuple[object, ...]) -> list[Job]:
        with self._lock:
            rows = self._db.execute(f"SELECT id FROM jobs WHERE {condition}", params).fetchall()
        return [job for row in rows if (job := self.get(row["id"])) is not None]

    def mark_expired(self, job_id: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE jobs SET expired = 1 WHERE id = ?", (job_id,))


def _job(row: sqlite3.Row, items: list[sqlite3.Row]) -> Job:
    return Job(
        id=row["id"],
        operation=row["operation"],
        status=JobStatus(row["status"]),
        created_at=row["created_at"],
        deadline_at=row["deadline_at"],
        started_at=row["started_at"],
        ended_at=row["ended_at"],
        render=json.loads(row["render"]),
        error=row["error"],
        expired=bool(row["expired"]),
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
            )
            for i in items
        ],
    )
