"""The job database migrates in numbered steps; a database from 6a67c94 keeps all it holds."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from framecast.errors import ConfigError
from framecast.jobs.migrations import LATEST_VERSION, MIGRATIONS, migrate
from framecast.jobs.model import ItemFile, ItemStatus, JobStatus, WebhookState
from framecast.jobs.store import JobStore

FIXTURE = Path(__file__).parent / "fixtures" / "db-6a67c94.sql"
SUCCEEDED = "3f2a9c1e5b7d4a60a1c2e3f405162738"
RUNNING = "7c41d0b2e8f94a1b9d3e5f6071829a3b"
FAILED = "b5e6f7a8c9d04e1f8a2b3c4d5e6f7081"
QUEUED = "e9d8c7b6a5f44e3d2c1b0a9f8e7d6c5b"
T = 1767259800.0  # when the fixture's first job was created


def load(script: str, path: Path, user_version: int = 0) -> Path:
    with sqlite3.connect(path) as db:
        db.executescript(script)
        db.execute(f"PRAGMA user_version = {user_version}")
    db.close()
    return path


def snapshot(path: Path) -> tuple[int, list[str]]:
    db = sqlite3.connect(path)
    try:
        return db.execute("PRAGMA user_version").fetchone()[0], list(db.iterdump())
    finally:
        db.close()


@pytest.fixture
def old_db(tmp_path: Path) -> Path:
    return load(FIXTURE.read_text(), tmp_path / "framecast.db")


@pytest.fixture
def store(old_db: Path) -> Iterator[JobStore]:
    store = JobStore(old_db)
    yield store
    store.close()


def test_jobs_keep_their_states_times_and_options(store: JobStore) -> None:
    jobs = {job.id: job for job in store.page(None, 10, None)}
    assert {i: (j.status, j.created_at, j.started_at, j.ended_at) for i, j in jobs.items()} == {
        SUCCEEDED: (JobStatus.SUCCEEDED, T, T + 1.5, T + 38.25),
        RUNNING: (JobStatus.RUNNING, T + 60, T + 62, None),
        FAILED: (JobStatus.FAILED, T + 120, T + 121, T + 125.5),
        QUEUED: (JobStatus.QUEUED, T + 180, None, None),
    }
    assert jobs[RUNNING].options["motion"] == "pan_left" and jobs[RUNNING].options["seed"] == 7
    assert jobs[QUEUED].deadline_at == T + 1080 and jobs[FAILED].error == "no item succeeded"


def test_items_keep_their_clips_and_have_no_result(store: JobStore) -> None:
    job = store.get(SUCCEEDED)
    assert job is not None
    first = job.items[0]
    assert (first.status, first.key, first.bytes) == (
        ItemStatus.DONE,
        f"{SUCCEEDED}/0000-img-0.mp4",
        1482113,
    )
    assert first.video_url == f"/output/{SUCCEEDED}/0000-img-0.mp4"
    assert first.sha256 == "9dd25e3a2d8d505017ecd8808e69c292ecd1c5a7f28b3dd0baaed388e361a19f"
    assert first.source == {"image_url": "https://images.example.com/3f2a9c/0.jpg", "duration": 4.0}
    every_item = [item for job in store.page(None, 10, None) for item in job.items]
    assert len(every_item) == 9 and all(item.result is None for item in every_item)


def test_a_running_job_keeps_its_pending_item_and_backend_state(store: JobStore) -> None:
    job = store.get(RUNNING)
    assert job is not None
    assert [item.status for item in job.items] == [ItemStatus.DONE, ItemStatus.PENDING]
    assert store.backend_state(RUNNING) == {
        "chunks": [{"items": [0, 1], "ids": ["rp-2f9d1c7a-e1"], "live": True, "failed": None}]
    }


def test_a_failed_job_keeps_its_webhook_and_attempts(store: JobStore) -> None:
    job = store.get(FAILED)
    assert job is not None and job.webhook is not None
    assert (job.webhook.state, job.webhook.attempts) == (WebhookState.FAILED, 2)
    assert job.webhook.last_error == "ConnectError: connection refused"
    assert [i.error for i in job.items] == ["FetchError: HTTP 404 from images.example.com"] * 2
    attempts = [tuple(attempt.values()) for attempt in store.webhook_attempts(FAILED)]
    assert attempts == [
        (1, T + 125.5, 503, "HTTP 503 from hooks.example.com"),
        (2, T + 135.5, None, "ConnectError: connection refused"),
    ]


def test_a_queued_job_keeps_its_metadata_and_idempotency_key(store: JobStore) -> None:
    job = store.get(QUEUED)
    assert job is not None
    assert job.metadata == {"order": "A-1042", "customer": {"id": 77, "tier": "pro"}}
    scope = "a02186e099f293548be52dfc2c9f1c41c26b85fa67a08dbf6c705217aec41d46"
    body = "415d17d6f34fb7a324ba97fd4bd231cf56ba44248eabc338133fb06084b8deb3"
    assert store.create(job, (scope, "another body")) == (QUEUED, body)


def test_the_old_database_reaches_the_latest_version(old_db: Path) -> None:
    JobStore(old_db).close()
    assert snapshot(old_db)[0] == LATEST_VERSION == MIGRATIONS[-1][0]


def test_an_item_of_the_migrated_database_records_a_result(store: JobStore) -> None:
    job = store.get(RUNNING)
    assert job is not None
    item = job.items[1]
    item.key, item.bytes, item.sha256 = f"{RUNNING}/0001-img-1.mp4", 2_048_000, "c0ffee"
    item.result = {"duration": 12.0, "width": 1920, "height": 1080, "cuts": [0.0, 4.0, 8.0]}
    assert store.record_done(item)
    again = store.get(RUNNING)
    assert again is not None and again.items[1].result == item.result


def test_a_pending_item_of_the_migrated_database_records_files_then_its_clip(
    store: JobStore,
) -> None:
    key = f"{RUNNING}/0001-img-1"
    srt = ItemFile("captions.srt", f"{key}.captions.srt", 120, "ab" * 32, f"/output/{key}.srt")
    assert store.record_file(RUNNING, 1, srt)
    assert not store.record_file(RUNNING, 0, srt)  # item 0 is done: its files came before
    job = store.get(RUNNING)
    assert job is not None
    item = job.items[1]
    item.status, item.key, item.bytes, item.sha256 = ItemStatus.DONE, f"{key}.mp4", 9, "c0ffee"
    words = ItemFile("words.json", f"{key}.words.json", 40, "cd" * 32, f"/output/{key}.json")
    assert store.record_done(item, [words])
    again = store.get(RUNNING)
    assert again is not None
    assert again.items[1].files == {"captions.srt": srt, "words.json": words}
    assert again.items[0].files == {}


def test_a_version_2_database_reaches_the_latest_version_with_its_items(tmp_path: Path) -> None:
    path = load(FIXTURE.read_text(), tmp_path / "v2.db")
    with sqlite3.connect(path) as db:  # what the release with schema version 2 left
        db.executescript(dict(MIGRATIONS)[2])
        db.execute("PRAGMA user_version = 2")
    db.close()
    store = JobStore(path)
    try:
        job = store.get(SUCCEEDED)
    finally:
        store.close()
    assert job is not None and [i.files for i in job.items] == [{}, {}]
    assert job.items[0].bytes == 1482113
    assert snapshot(path)[0] == LATEST_VERSION


def test_a_version_3_database_reaches_the_latest_version_with_its_jobs(tmp_path: Path) -> None:
    path = load(FIXTURE.read_text(), tmp_path / "v3.db")
    with sqlite3.connect(path) as db:  # what the release with schema version 3 left
        for version in (2, 3):
            db.executescript(dict(MIGRATIONS)[version])
        db.execute("PRAGMA user_version = 3")
    db.close()
    store = JobStore(path)
    try:
        jobs = {job.id: job for job in store.page(None, 10, None)}
    finally:
        store.close()
    assert set(jobs) == {SUCCEEDED, RUNNING, FAILED, QUEUED}
    assert jobs[RUNNING].items[0].bytes is not None and jobs[QUEUED].metadata is not None
    assert snapshot(path)[0] == LATEST_VERSION


def test_jobs_from_before_tenants_belong_to_none(store: JobStore) -> None:
    assert {job.tenant for job in store.page(None, 10, None)} == {None}
    assert store.page(None, 10, None, tenant="alpha") == []  # a client sees none of them
    assert store.usage("alpha").jobs == 0


def test_opening_a_migrated_database_again_changes_nothing(old_db: Path) -> None:
    JobStore(old_db).close()
    before = snapshot(old_db)
    JobStore(old_db).close()
    assert snapshot(old_db) == before


def test_a_new_file_gets_every_step(tmp_path: Path) -> None:
    JobStore(tmp_path / "new.db").close()
    version, dump = snapshot(tmp_path / "new.db")
    assert version == LATEST_VERSION
    assert any("options TEXT NOT NULL" in line for line in dump)
    assert any("result TEXT" in line for line in dump)
    assert any("CREATE TABLE item_files" in line for line in dump)
    assert any("CREATE INDEX jobs_by_tenant" in line for line in dump)


def test_a_database_from_a_newer_framecast_is_refused_untouched(tmp_path: Path) -> None:
    path = load("CREATE TABLE jobs (id TEXT);", tmp_path / "future.db", LATEST_VERSION + 1)
    before = snapshot(path)
    with pytest.raises(ConfigError) as refused:
        JobStore(path)
    message = refused.value.message
    assert str(path) in message and "made by a newer framecast" in message
    assert f"version {LATEST_VERSION + 1};" in message
    assert f"up to version {LATEST_VERSION})" in message
    assert snapshot(path) == before


def test_a_step_that_fails_leaves_the_previous_version(old_db: Path) -> None:
    # A hand-patched file: step 2's rename works, then its new column already exists.
    with sqlite3.connect(old_db) as db:
        db.execute("ALTER TABLE items ADD COLUMN result TEXT")
    db.close()
    before = snapshot(old_db)[1]
    db = sqlite3.connect(old_db, isolation_level=None)
    with pytest.raises(ConfigError, match="schema version 2: duplicate column name: result"):
        migrate(db, old_db)
    db.close()
    assert snapshot(old_db) == (1, before)
