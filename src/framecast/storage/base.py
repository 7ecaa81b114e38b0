"""The storage interface: where finished clips live and the URLs they are served at."""

from __future__ import annotations

import re
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass


@dataclass(frozen=True)
class StoredObject:
    """A clip in storage."""

    key: str
    bytes: int
    sha256: str


def clip_key(job_id: str, index: int, item_id: str) -> str:
    """The server-made key of a job's clip; a client's id only adds a sanitised slug."""
    return f"{job_id}/{index:04d}-{safe_slug(item_id)}.mp4"


def safe_slug(text: str, limit: int = 48) -> str:
    """ASCII letters, digits, '-', '_' and '.' only; never a path component like '..'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_text).strip(".-_")[:limit].strip(".-_")
    return slug or "item"


class Storage(ABC):
    """Where clips are written, served from and deleted."""

    @abstractmethod
    async def write(
        self,
        key: str,
        chunks: AsyncIterator[bytes],
        max_bytes: int,
        expected_sha256: str | None = None,
    ) -> StoredObject:
        """Store a clip atomically: a reader sees the whole file or none of it."""

    @abstractmethod
    def url(self, key: str) -> str:
        """The URL a client downloads the clip from."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove a clip; a missing one is not an error."""
