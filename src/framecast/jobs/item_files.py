"""The files stored beside items' clips (sidecars): the ``item_files`` rows.

The job store calls these with its connection, inside its lock or one of its transactions.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from framecast.jobs.model import ItemFile, ItemStatus, JobStatus


def takes_files(db: sqlite3.Connection, job_id: str, index: int) -> bool:
    """Whether item ``index`` of ``job_id`` may still get files: it is pending, its job running."""
    row = db.execute(
        "SELECT items.status AS item, jobs.status AS job FROM items"
        " JOIN jobs ON jobs.id = items.job_id WHERE items.job_id = ? AND items.idx = ?",
        (job_id, index),
    ).fetchone()
    return (
        row is not None
        and ItemStatus(row["item"]).takes_files
        and not JobStatus(row["job"]).is_final
    )


def write(db: sqlite3.Connection, job_id: str, index: int, files: Iterable[ItemFile]) -> None:
    """Record ``files`` for the item; a file of a name it already has replaces that one."""
    db.executemany(
        "INSERT INTO item_files (job_id, idx, name, key, bytes, sha256, url)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (job_id, idx, name) DO UPDATE SET"
        " key = excluded.key, bytes = excluded.bytes, sha256 = excluded.sha256,"
        " url = excluded.url",
        [(job_id, index, f.name, f.key, f.bytes, f.sha256, f.url) for f in files],
    )


def of_job(db: sqlite3.Connection, job_id: str) -> dict[int, dict[str, ItemFile]]:
    """The files of each of the job's items that has some, by item index, then by name."""
    rows = db.execute(
        "SELECT idx, name, key, bytes, sha256, url FROM item_files WHERE job_id = ?"
        " ORDER BY idx, name",
        (job_id,),
    ).fetchall()
    files: dict[int, dict[str, ItemFile]] = {}
    for row in rows:
        files.setdefault(int(row["idx"]), {})[row["name"]] = ItemFile(
            name=row["name"],
            key=row["key"],
            bytes=int(row["bytes"]),
            sha256=row["sha256"],
            url=row["url"],
        )
    return files
