"""The storage interface: where finished clips live and the URLs they are served at."""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from framecast.errors import InputError, PayloadTooLarge


@dataclass(frozen=True)
class StoredObject:
    """A clip in storage."""

    key: str
    bytes: int
    sha256: str


class Writable(Protocol):
    def write(self, data: bytes, /) -> object: ...


async def copy_checked(
    chunks: AsyncIterator[bytes], out: Writable, max_bytes: int, expected_sha256: str | None
) -> tuple[int, str]:
    """Copy an upload into ``out`` within ``max_bytes``; (size, sha256), the digest checked."""
    digest = hashlib.sha256()
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > max_bytes:
            raise PayloadTooLarge(f"body: the upload exceeds the limit of {max_bytes} bytes")
        digest.update(chunk)
        out.write(chunk)
    sha256 = digest.hexdigest()
    expected = (expected_sha256 or "").lower()
    if expected_sha256 and (
        not expected.isascii() or not hmac.compare_digest(sha256.encode(), expected.encode())
    ):
        raise InputError(
            f"X-Content-SHA256: the body's SHA-256 is {sha256}, not {expected_sha256}"
            " (the upload was corrupted; retry it)"
        )
    return size, sha256


def clip_key(job_id: str, index: int, item_id: str) -> str:
    """The server-made key of a job's clip; a client's id only adds a sanitised slug."""
    return f"{job_id}/{index:04d}-{safe_slug(item_id)}.mp4"


def file_key(clip_key: str, name: str) -> str:
    """The key of a file stored beside a clip: ``…/0000-slug.mp4`` → ``…/0000-slug.{name}``
    (so a prefix or a client's folder applies to both, and expiry finds both together)."""
    return f"{clip_key.removesuffix('.mp4')}.{name}"


def input_key(tenant: str, input_id: str) -> str:
    """``inputs/{tenant}/{id}``: apart from every job's folder, the tenant's name sanitised."""
    return f"inputs/{safe_slug(tenant, 64)}/{input_id}"


def safe_slug(text: str, limit: int = 48) -> str:
    """ASCII letters, digits, '-', '_' and '.' only; never a path component like '..'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_text).strip(".-_")[:limit].strip(".-_")
    return slug or "item"


class Storage(ABC):
    """Where clips are written, served from and deleted."""

    name = "storage"
    deletes_expired = True  # False: the bucket's own lifecycle rules remove old clips

    def check(self) -> None:
        """Raise ConfigError, naming the setting, if the storage is unusable (at start-up)."""
        return None

    def key_for(self, job_id: str, index: int, client_id: str, path: str | None = None) -> str:
        """The key of a job's clip; ``path`` is a client-chosen folder where supported."""
        if path:
            raise InputError("path: a custom folder needs STORAGE=s3")
        return clip_key(job_id, index, client_id)

    def input_key(self, tenant: str, input_id: str) -> str:
        """The server-made key of a tenant's uploaded input (POST /inputs)."""
        return input_key(tenant, input_id)

    def presign_get(self, key: str, expires_at: float) -> str | None:
        """A URL a worker may GET a stored object from directly until ``expires_at``, or None:
        the API serves it (at a URL it signs itself)."""
        return None

    def presign_put(self, key: str, expires_at: float) -> str | None:
        """A URL a worker may PUT the clip (or a file of it) to directly, or None: upload
        through the API. The PUT must send the Content-Type ``media_type_of(key)``."""
        return None

    @abstractmethod
    async def size(self, key: str) -> int | None:
        """The stored clip's size in bytes, or None if it is not there."""

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
    def url(self, key: str, expires_at: float | None = None) -> str:
        """The URL a client downloads the clip from (valid until ``expires_at`` if it expires)."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove a clip; a missing one is not an error."""

    def delete_many(self, keys: list[str]) -> bool:
        """Remove clips (blocking: call it in a thread); False if some could not be removed."""
        for key in keys:
            self.delete(key)
        return True
