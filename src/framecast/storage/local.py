"""Local storage: clips under OUTPUT_DIR, served by the API at /output/."""

from __future__ import annotations

import contextlib
import errno
import glob
import logging
import os
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

from framecast.errors import InsufficientStorage, NotFound
from framecast.storage.base import Storage, StoredObject, copy_checked

log = logging.getLogger("framecast.storage")

# A temp file nothing has written to for this long was left by a process that died mid-write
# (an upload streams continuously); it is removed at start-up, or it would keep its job's
# folder from ever being removed.
STALE_PART_SECONDS = 600.0
VOLUME_FULL = "no space left on the output volume"


class LocalStorage(Storage):
    """Files on this machine's disk."""

    name = "local"

    def __init__(self, root: Path, public_base_url: str | None = None) -> None:
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.public_base_url = public_base_url
        self._full = False  # the last write ran out of space (logged once, until one succeeds)
        self._remove_stale_parts()

    def _remove_stale_parts(self) -> None:
        cutoff = time.time() - STALE_PART_SECONDS
        for part in self.root.glob("*/.*.part"):
            with contextlib.suppress(OSError):
                if part.stat().st_mtime < cutoff:
                    part.unlink()
                    log.info("stale partial upload removed path=%s", part)
                    with contextlib.suppress(OSError):
                        part.parent.rmdir()  # its job's folder, if nothing else is in it

    def path(self, key: str) -> Path:
        """The file behind a key; a key that would leave the root, or can't name a file (a NUL
        in it), is refused."""
        if "\x00" in key:
            raise NotFound(f"no file {key!r}")
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root) or path == self.root:
            raise NotFound(f"no file {key!r}")
        return path

    async def write(
        self,
        key: str,
        chunks: AsyncIterator[bytes],
        max_bytes: int,
        expected_sha256: str | None = None,
    ) -> StoredObject:
        final = self.path(key)
        temp = final.with_name(f".{final.name}.{uuid.uuid4().hex}.part")
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            try:
                with temp.open("wb") as out:
                    size, sha256 = await copy_checked(chunks, out, max_bytes, expected_sha256)
                os.replace(temp, final)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    temp.unlink()  # a partial file would keep the volume full
        except OSError as exc:
            if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
                raise
            raise self._out_of_space(exc) from exc
        if self._full:
            self._full = False
            log.info("output volume has room again path=%s", self.root)
        return StoredObject(key=key, bytes=size, sha256=sha256)

    def _out_of_space(self, exc: OSError) -> InsufficientStorage:
        # Every upload fails alike until someone makes room: one ERROR line says so, not one
        # per upload (and no traceback: nothing here is a bug).
        if not self._full:
            self._full = True
            log.error(
                "%s path=%s error=%s: results are refused (507) until there is room",
                VOLUME_FULL,
                self.root,
                exc.strerror,
            )
        return InsufficientStorage(f"{VOLUME_FULL} (OUTPUT_DIR): the result was not stored")

    async def size(self, key: str) -> int | None:
        path = self.path(key)
        return path.stat().st_size if path.is_file() else None

    def url(self, key: str, expires_at: float | None = None) -> str:
        path = f"/output/{quote(key)}"
        return f"{self.public_base_url}{path}" if self.public_base_url else path

    def delete(self, key: str) -> None:
        try:
            path = self.path(key)
        except NotFound:
            return
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
            for part in path.parent.glob(f".{glob.escape(path.name)}.*.part"):
                part.unlink(missing_ok=True)  # what a dead upload of it left behind
        with contextlib.suppress(OSError):
            path.parent.rmdir()  # only succeeds once the job's folder is empty
