"""Local storage writes atomically, checks digests and keeps clients' ids out of paths."""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from framecast.errors import InputError, NotFound, PayloadTooLarge
from framecast.storage.base import clip_key, safe_slug
from framecast.storage.local import STALE_PART_SECONDS, LocalStorage


async def chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


def write(storage: LocalStorage, key: str, *parts: bytes, **kw: object):  # type: ignore[no-untyped-def]
    return asyncio.run(storage.write(key, chunks(*parts), **kw))  # type: ignore[arg-type]


def test_write_streams_to_the_final_file_with_size_and_digest(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    stored = write(storage, "job/0000-a.mp4", b"abc", b"def", max_bytes=100)
    assert (tmp_path / "job/0000-a.mp4").read_bytes() == b"abcdef"
    assert stored.bytes == 6
    assert stored.sha256 == hashlib.sha256(b"abcdef").hexdigest()


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"max_bytes": 4}, PayloadTooLarge),
        ({"max_bytes": 100, "expected_sha256": "0" * 64}, InputError),
    ],
)
def test_a_refused_write_leaves_no_file(tmp_path: Path, kwargs: dict, error: type) -> None:
    storage = LocalStorage(tmp_path)
    with pytest.raises(error):
        write(storage, "job/0000-a.mp4", b"abc", b"def", **kwargs)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_a_refused_rewrite_keeps_the_earlier_file(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    write(storage, "job/0000-a.mp4", b"good", max_bytes=100)
    with pytest.raises(PayloadTooLarge):
        write(storage, "job/0000-a.mp4", b"far too long", max_bytes=5)
    assert (tmp_path / "job/0000-a.mp4").read_bytes() == b"good"


@pytest.mark.parametrize(
    "key", ["../x.mp4", "job/../../x.mp4", "/etc/passwd", "", "job/a\x00b.mp4", "job/\x00"]
)
def test_keys_that_leave_the_root_or_cannot_name_a_file_are_refused(
    tmp_path: Path, key: str
) -> None:
    with pytest.raises(NotFound):
        LocalStorage(tmp_path / "out").path(key)


@pytest.mark.parametrize(
    ("client_id", "slug"),
    [("../../etc/x", "etc-x"), ("..", "item"), ("café olé", "cafe-ole"), ("a/b\\c", "a-b-c")],
)
def test_client_ids_become_safe_slugs(client_id: str, slug: str) -> None:
    assert safe_slug(client_id) == slug
    assert clip_key("job", 3, client_id) == f"job/0003-{slug}.mp4"


def test_urls_are_relative_or_under_the_public_base(tmp_path: Path) -> None:
    assert LocalStorage(tmp_path).url("j/0000-a b.mp4") == "/output/j/0000-a%20b.mp4"
    public = LocalStorage(tmp_path, "https://cdn.example.com")
    assert public.url("j/0000-a.mp4") == "https://cdn.example.com/output/j/0000-a.mp4"


def test_partial_uploads_left_by_a_dead_process_are_removed_at_start(tmp_path: Path) -> None:
    (tmp_path / "dead-job").mkdir()
    stale = tmp_path / "dead-job" / ".0000-a.mp4.0f0f.part"
    stale.write_bytes(b"half a clip")
    old = time.time() - STALE_PART_SECONDS - 5
    os.utime(stale, (old, old))
    (tmp_path / "live-job").mkdir()
    writing = tmp_path / "live-job" / ".0000-b.mp4.1e1e.part"  # still being written
    writing.write_bytes(b"streaming")
    done = tmp_path / "live-job" / "0001-c.mp4"
    done.write_bytes(b"a clip")
    os.utime(done, (old, old))
    LocalStorage(tmp_path)
    assert not (tmp_path / "dead-job").exists()  # its folder went with it
    assert writing.exists() and done.exists()


def test_deleting_a_clip_takes_its_dead_partial_uploads_and_folder_along(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    write(storage, "job/0000-a.mp4", b"clip", max_bytes=100)
    (tmp_path / "job" / ".0000-a.mp4.dead1234.part").write_bytes(b"half")
    (tmp_path / "job" / ".0001-b.mp4.live5678.part").write_bytes(b"another clip's")
    storage.delete("job/0000-a.mp4")
    assert sorted(p.name for p in (tmp_path / "job").iterdir()) == [".0001-b.mp4.live5678.part"]
    (tmp_path / "job" / ".0001-b.mp4.live5678.part").unlink()
    storage.delete("job/0001-b.mp4")
    assert not (tmp_path / "job").exists()
