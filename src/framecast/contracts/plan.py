"""What a validated request becomes: the job's items and options, before it is persisted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import Field

from framecast.config import Settings
from framecast.contracts.fields import Frozen
from framecast.errors import InputError
from framecast.worker.urls import normalize_url

# The slowest worker a deadline allows for: 1080p frames rendered and encoded per second.
SLOWEST_FRAMES_PER_SECOND = 2.0


@dataclass(frozen=True)
class NewItem:
    """One result a job will produce: the client's id and what the worker needs to make it."""

    client_id: str
    source: dict[str, Any]


@dataclass(frozen=True)
class Plan:
    """A request checked against the rules and the service's limits, ready to be a job."""

    items: list[NewItem]
    options: dict[str, Any]
    allowance_seconds: float  # how much longer than JOB_TIMEOUT_SECONDS the work may take


class WorkItem(Frozen):
    """What every item of a worker job carries: its position, the client's id, and where its
    result (and each of its files, by name) goes when it is PUT straight into a bucket
    (presigned URLs)."""

    index: int = Field(ge=0)
    id: str = Field(min_length=1, max_length=256)
    put_url: str | None = None
    file_put_urls: dict[str, str] | None = None


def checked_url(url: str, field: str) -> str:
    """``url`` normalised, or an InputError naming ``field``."""
    try:
        return normalize_url(url)
    except InputError as exc:
        raise InputError(f"{field}: {exc.message}") from exc


OWN_OUTPUT = "/output/"  # where this service serves results, as img2vid answers without a base


def media_url(url: str, field: str, settings: Settings) -> str:
    """``url`` normalised; a path of this service's own results (``/output/…``, the answer
    of an earlier job without PUBLIC_BASE_URL) becomes the address workers reach the API at."""
    if url.startswith(OWN_OUTPUT):
        url = settings.worker_upload_base_url.rstrip("/") + url
    return checked_url(url, field)


def frames_allowance(frames: float, width: int, height: int) -> float:
    """Seconds a deadline grows by for ``frames`` of ``width`` × ``height`` (scaled to 1080p)."""
    return frames * (width * height) / (1920 * 1080) / SLOWEST_FRAMES_PER_SECOND
