"""Inputs in the job database: schema version 5, their rows, and the sweep of expired ones."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from framecast.jobs.inputs.links import InputLinks, own_input_id
from framecast.jobs.inputs.store import Input, InputStore
from framecast.jobs.inputs.sweep import sweep_now
from framecast.jobs.migrations import MIGRATIONS
from framecast.jobs.store import JobStore
from framecast.storage.local import LocalStorage
from framecast.worker.media_kinds import MediaKind
from tests.jobs.test_migrations import FIXTURE, SUCCEEDED, load, snapshot

T = 1767259800.0


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "framecast.db"
    JobStore(path).close()  # migrated as the API does at start-up
    return path


@pytest.fixture
def store(database: Path) -> Iterator[InputStore]:
    with InputStore(database) as store:
        yield store


async def chunks(data: bytes) -> AsyncIterator[bytes]:
    yield data


def stored_input(storage: LocalStorage, store: InputStore, name: str, expires_at: float) -> Input:
    key = storage.input_key("acme", name * 32)
    asyncio.run(storage.write(key, chunks(b"\x89PNG\r\n\x1a\n" + name.encode()), 1024))
    record = Input(name * 32, "acme", MediaKind.IMAGE, key, 9, "0" * 64, "image/png", T, expires_at)
    store.add(record)
    return record


def test_a_version_4_database_gains_inputs_and_keeps_its_jobs(tmp_path: Path) -> None:
    path = load(FIXTURE.read_text(), tmp_path / "v4.db")
    with sqlite3.connect(path) as db:  # what the release with schema version 4 left
        for version in (2, 3, 4):
            db.executescript(dict(MIGRATIONS)[version])
        db.execute("PRAGMA user_version = 4")
    db.close()
    JobStore(path).close()  # migrates it
    version, dump = snapshot(path)
    assert version == 5 and any("CREATE TABLE inputs" in line for line in dump)
    jobs = JobStore(path)
    try:
        assert jobs.get(SUCCEEDED) is not None
    finally:
        jobs.close()


def test_an_input_reads_back_as_it_was_stored(store: InputStore, tmp_path: Path) -> None:
    record = stored_input(LocalStorage(tmp_path / "out"), store, "a", T + 60)
    assert store.get(record.id) == record
    assert store.get("b" * 32) is None


def test_the_sweep_deletes_expired_inputs_bytes_and_rows_only(
    store: InputStore, tmp_path: Path
) -> None:
    storage = LocalStorage(tmp_path / "out")
    old = stored_input(storage, store, "a", T + 10)
    fresh = stored_input(storage, store, "b", T + 100)
    assert asyncio.run(sweep_now(store, storage, T + 50)) == 1
    assert store.get(old.id) is None and not storage.path(old.key).exists()
    assert store.get(fresh.id) == fresh and storage.path(fresh.key).is_file()
    assert asyncio.run(sweep_now(store, storage, T + 50)) == 0


def test_a_signed_url_holds_for_its_input_until_it_expires() -> None:
    links = InputLinks(b"k" * 32)
    url = links.signed_url("http://api.test", "c" * 32, T + 30)
    query = dict(part.split("=") for part in url.partition("?")[2].split("&"))
    links.verify("c" * 32, query["expires"], query["sig"], T)
    with pytest.raises(Exception, match="sig: not a signature"):
        links.verify("d" * 32, query["expires"], query["sig"], T)
    with pytest.raises(Exception, match="expires: this signed URL expired"):
        links.verify("c" * 32, query["expires"], query["sig"], T + 60)


@pytest.mark.parametrize(
    ("url", "found"),
    [
        ("http://api.test/inputs/" + "e" * 32, True),
        ("HTTP://API.test/inputs/" + "e" * 32 + "?expires=1&sig=x", True),
        ("http://other.test/inputs/" + "e" * 32, False),  # someone else's /inputs/
        ("http://api.test/inputs/not-an-id", False),
        ("http://api.test/output/" + "e" * 32, False),
    ],
)
def test_only_this_services_input_urls_are_recognised(url: str, found: bool) -> None:
    assert (own_input_id(url, ("http://api.test",)) == "e" * 32) is found
