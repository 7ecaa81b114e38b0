"""SQLite rows of inputs (table ``inputs``, schema version 5)."""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from framecast.worker.media_kinds import MediaKind


@dataclass(frozen=True)
class Input:
    """One uploaded source file: whose it is, what it is, where its bytes are, until when."""

    id: str
    tenant: str
    kind: MediaKind
    key: str  # in storage
    bytes: int
    sha256: str
    content_type: str
    created_at: float
    expires_at: float

    def is_expired(self, now: float) -> bool:
        return self.expires_at <= now


class InputStore:
    """Inputs in the job database. The API's JobStore migrates the file at start-up; this is
    a second connection to it (WAL lets both read while one writes)."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA busy_timeout = 5000")  # the JobStore may hold the write lock
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> InputStore:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def add(self, record: Input) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO inputs (id, tenant, kind, key, bytes, sha256, content_type,"
                " created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.id,
                    record.tenant,
                    record.kind.value,
                    record.key,
                    record.bytes,
                    record.sha256,
                    record.content_type,
                    record.created_at,
                    record.expires_at,
                ),
            )

    def get(self, input_id: str) -> Input | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM inputs WHERE id = ?", (input_id,)).fetchone()
        return None if row is None else _input(row)

    def expired(self, now: float, limit: int = 500) -> list[Input]:
        """Up to ``limit`` inputs expired at ``now``, the longest expired first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM inputs WHERE expires_at <= ? ORDER BY expires_at LIMIT ?",
                (now, limit),
            ).fetchall()
        return [_input(row) for row in rows]

    def keep_until(self, input_id: str, until: float) -> None:
        """Keep the input at least until ``until`` (a job that names it may fetch it till then)."""
        with self._lock:
            self._db.execute(
                "UPDATE inputs SET expires_at = MAX(expires_at, ?) WHERE id = ?", (until, input_id)
            )

    def delete(self, input_ids: list[str]) -> None:
        with self._lock:
            self._db.executemany("DELETE FROM inputs WHERE id = ?", [(i,) for i in input_ids])


def _input(row: sqlite3.Row) -> Input:
    return Input(
        id=row["id"],
        tenant=row["tenant"],
        kind=MediaKind(row["kind"]),
        key=row["key"],
        bytes=int(row["bytes"]),
        sha256=row["sha256"],
        content_type=row["content_type"],
        created_at=float(row["created_at"]),
        expires_at=float(row["expires_at"]),
    )
