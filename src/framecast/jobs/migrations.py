"""The job database's schema, as numbered steps; ``PRAGMA user_version`` says which have run.

A database made before versioning has ``user_version`` 0 and a ``jobs`` table: it is at
version 1. Each step runs in its own transaction together with the version bump, so a crash
leaves the file at the previous version, never halfway through a step.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

from framecast.errors import ConfigError

# Version 1 is the schema of every release before versioning, exactly as it was written then.
_V1 = """
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
    expired INTEGER NOT NULL DEFAULT 0,
    metadata TEXT,
    webhook_url TEXT,
    webhook_state TEXT,
    webhook_attempts INTEGER NOT NULL DEFAULT 0,
    webhook_next_at REAL,
    webhook_error TEXT,
    webhook_delivered_at REAL,
    backend_state TEXT,
    key_prefix TEXT
);
CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (status);
CREATE INDEX IF NOT EXISTS jobs_by_created ON jobs (created_at, id);
CREATE INDEX IF NOT EXISTS jobs_by_webhook ON jobs (webhook_state, webhook_next_at);
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
CREATE TABLE IF NOT EXISTS webhook_attempts (
    job_id TEXT NOT NULL REFERENCES jobs (id),
    attempt INTEGER NOT NULL,
    at REAL NOT NULL,
    status_code INTEGER,
    error TEXT,
    PRIMARY KEY (job_id, attempt)
);
CREATE TABLE IF NOT EXISTS idempotency_keys (
    scope_key TEXT PRIMARY KEY,
    body_hash TEXT NOT NULL,
    job_id TEXT NOT NULL REFERENCES jobs (id)
);
"""

# A job runs several operations now (img2vid, concatenate, ...): its options are not only render
# options. An item's result holds its operation's own output fields (JSON); NULL for old items.
_V2 = """
ALTER TABLE jobs RENAME COLUMN render TO options;
ALTER TABLE items ADD COLUMN result TEXT;
"""

# An item may carry files beside its clip (sidecars: subtitles, word timings), one row each;
# ``url`` is made when the file is recorded, as the clip's ``video_url`` is.
_V3 = """
CREATE TABLE item_files (
    job_id TEXT NOT NULL,
    idx INTEGER NOT NULL,
    name TEXT NOT NULL,
    key TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    url TEXT NOT NULL,
    PRIMARY KEY (job_id, idx, name),
    FOREIGN KEY (job_id, idx) REFERENCES items (job_id, idx)
);
"""

# Each job records the tenant whose key submitted it (framecast.api.tenants): a client lists
# and reads only its own. NULL for the jobs from before tenants, which only an admin sees.
_V4 = """
ALTER TABLE jobs ADD COLUMN tenant TEXT;
CREATE INDEX jobs_by_tenant ON jobs (tenant, created_at, id);
"""

# Source files a tenant uploaded (POST /inputs), usable as media URLs until ``expires_at``;
# ``key`` is where the bytes are in storage. The sweep finds the expired ones by the index.
_V5 = """
CREATE TABLE inputs (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    content_type TEXT NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL
);
CREATE INDEX inputs_by_expiry ON inputs (expires_at);
"""

# (version, SQL): append only; a released step is never edited.
MIGRATIONS: tuple[tuple[int, str], ...] = ((1, _V1), (2, _V2), (3, _V3), (4, _V4), (5, _V5))
LATEST_VERSION = MIGRATIONS[-1][0]


def schema_version(db: sqlite3.Connection) -> int:
    """The version the database is at (0 for an empty one)."""
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version == 0 and _has_jobs_table(db):
        return 1  # made by a release before versioning
    return version


def migrate(db: sqlite3.Connection, path: Path) -> None:
    """Bring the database at ``path`` to ``LATEST_VERSION``, one transaction per step.

    ``db`` must be in autocommit mode (``isolation_level=None``). A database made by a newer
    framecast, or a step SQLite rejects, raises ``ConfigError``; the failed step leaves nothing.
    """
    for version, script in MIGRATIONS:
        # The version is read inside the write lock, so two processes opening the same file
        # cannot both run a step.
        db.execute("BEGIN IMMEDIATE")
        try:
            current = schema_version(db)
            if current > LATEST_VERSION:
                raise ConfigError(
                    f"{path} was made by a newer framecast (schema version {current}; this one"
                    f" knows up to version {LATEST_VERSION}): upgrade framecast, or set"
                    " DATABASE_URL to another file"
                )
            if current < version:
                for statement in _statements(script):
                    db.execute(statement)
            # Also records version 1 for a database made before versioning.
            db.execute(f"PRAGMA user_version = {max(current, version)}")
        except BaseException as exc:
            db.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise ConfigError(
                    f"{path}: could not migrate to schema version {version}: {exc}"
                ) from exc
            raise
        db.execute("COMMIT")


def _has_jobs_table(db: sqlite3.Connection) -> bool:
    row = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'jobs'")
    return row.fetchone() is not None


def _statements(script: str) -> Iterator[str]:
    # execute() takes one statement, and executescript() would commit the open transaction
    # first; complete_statement() keeps a ';' inside a literal or a trigger body in one piece.
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                yield pending
            pending = ""
