"""Fetching every input of a one-result operation (videos, audio parts…) a few at once."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

from framecast.config import Settings
from framecast.errors import FetchError, JobStopped
from framecast.worker.fetch import fetch_to_file
from framecast.worker.media_kinds import MediaKind
from framecast.worker.timings import RECORDER

DOWNLOADS_AT_ONCE = 8


@dataclass(frozen=True)
class Input:
    """One download: from ``url`` to ``path``, of ``kind``; ``field`` names it in errors."""

    url: str
    path: Path
    kind: MediaKind
    field: str


def fetch_inputs(
    inputs: list[Input], settings: Settings, still_wanted: Callable[..., bool], client: httpx.Client
) -> None:
    """Download every input; the first failure (in input order) raises, naming its field.
    ``still_wanted`` is the job's :meth:`Uploader.still_wanted`."""

    def fetch(entry: Input) -> None:
        if not still_wanted():
            raise JobStopped("skipped: the job was cancelled or passed its deadline")
        try:
            fetch_to_file(
                entry.url,
                entry.path,
                settings.fetch,
                client,
                kind=entry.kind,
                keep_going=still_wanted,
            )
        except FetchError as exc:
            # A download cut short by the job's end is not the input's fault.
            stopped = not still_wanted(wait=False)
            raise (JobStopped if stopped else FetchError)(f"{entry.field}: {exc.message}") from exc

    with ThreadPoolExecutor(DOWNLOADS_AT_ONCE, thread_name_prefix="fetch") as downloads:
        # list() waits for every download and raises the first error in input order.
        list(downloads.map(fetch, inputs))
    RECORDER.inputs_fetched()  # the render starts: see framecast.worker.timings
