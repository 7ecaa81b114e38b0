"""Sending a result's bytes over HTTP: a PUT of a file from disk, and the one retry policy of
uploads (network errors, 5xx but 507 and 429 retried with backoff; any other answer is final)."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from framecast.contracts.plan import WorkItem
from framecast.contracts.upload_urls import media_type_of
from framecast.errors import UploadError

log = logging.getLogger("framecast.worker")

ATTEMPTS = 4
BACKOFF_SECONDS = 0.5
# 507 Insufficient Storage (the API's output volume, or a MinIO bucket's disk, is full) stays
# so for longer than any backoff here: each retry would only send the whole clip again.
FINAL_5XX = frozenset({507})


def put_file(
    client: httpx.Client, url: str, path: Path, headers: dict[str, str], name: str = ".mp4"
) -> httpx.Response:
    """PUT ``path``'s bytes, streamed, with the Content-Type of the result or file ``name``."""
    # A presigned PUT is signed for the Content-Type the API chose from the same name.
    with path.open("rb") as body:
        return client.put(
            url, content=body, headers={**headers, "Content-Type": media_type_of(name)}
        )


def with_retries(
    send: Callable[[], httpx.Response],
    item: WorkItem,
    target: str = "the API",
    what: str = "clip",
) -> dict[str, Any]:
    """Retry network errors, 5xx (but 507) and 429 with backoff; other statuses fail at once."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            response = send()
        except httpx.HTTPError as exc:
            problem = f"{type(exc).__name__}: {exc}"
        else:
            if response.is_success:
                return dict(response.json()) if response.content else {}
            problem = f"HTTP {response.status_code}: {_message(response)}"
            if not retryable(response.status_code):
                break
        if attempt < ATTEMPTS:
            log.warning("upload retry item=%s attempt=%d problem=%s", item.index, attempt, problem)
            time.sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
    raise UploadError(f"{what} upload to {target} failed: {problem}")


def retryable(status: int) -> bool:
    """Whether an upload answered ``status`` may succeed if sent again in a moment."""
    return status == 429 or (status >= 500 and status not in FINAL_5XX)


def _message(response: httpx.Response) -> str:
    try:
        return str(response.json().get("message", response.text[:200]))
    except ValueError:
        return response.text[:200]


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file, read a MiB at a time."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
