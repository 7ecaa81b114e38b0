"""concatenate: fetch the videos, join them (stream copy when they allow it), upload the one
result with its duration, size, fps, mode and cuts."""

from __future__ import annotations

import logging
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from framecast.config import Settings
from framecast.contracts.concatenate import ConcatenateJob, ConcatSource
from framecast.errors import FetchError, ItemError
from framecast.render.concat import ConcatInput, ConcatSpec, Transition, concatenate
from framecast.render.ffmpeg import FfmpegStopped
from framecast.worker.fetch import fetch_to_file
from framecast.worker.media_kinds import MediaKind
from framecast.worker.upload import Uploader

log = logging.getLogger("framecast.worker")

DOWNLOADS_AT_ONCE = 8


def run_concatenate(
    job: ConcatenateJob, settings: Settings, uploader: Uploader, fetch_client: httpx.Client
) -> dict[str, Any]:
    """Produce the job's one video; it either uploads or is listed with its error."""
    item = job.items[0]
    try:
        with tempfile.TemporaryDirectory(
            prefix=f"framecast-{job.job_id}-", dir=settings.work_dir
        ) as tmp:
            video = _produce(job, item, Path(tmp), settings, uploader, fetch_client)
    except ItemError as exc:
        log.warning("item failed job_id=%s item=%d error=%s", job.job_id, item.index, exc.message)
        return {
            "videos": [],
            "failed": [{"id": item.id, "index": item.index, "error": exc.message}],
        }
    except Exception as exc:  # a bug must come back as this item's error, not a crash
        log.exception("item crashed job_id=%s item=%d", job.job_id, item.index)
        return _failed(item, f"internal error while joining the videos ({type(exc).__name__})")
    return {"videos": [{**video, "index": item.index}], "failed": []}


def _failed(item: ConcatSource, error: str) -> dict[str, Any]:
    return {"videos": [], "failed": [{"id": item.id, "index": item.index, "error": error}]}


def _produce(
    job: ConcatenateJob,
    item: ConcatSource,
    work: Path,
    settings: Settings,
    uploader: Uploader,
    fetch_client: httpx.Client,
) -> dict[str, Any]:
    paths = _fetch_all(item, work, settings, uploader, fetch_client)
    inputs = [
        ConcatInput(
            path=path,
            trim_start=video.trim_start,
            trim_end=video.trim_end,
            transition=None
            if video.transition is None
            else Transition(video.transition.type, video.transition.duration),
        )
        for path, video in zip(paths, item.videos, strict=True)
    ]
    options = job.options
    spec = ConcatSpec(
        width=options.width,
        height=options.height,
        fps=options.fps,
        fit=options.fit,
        audio=options.audio,
        mode=options.mode,
    )
    output = work / "joined.mp4"
    log.info("concat started job_id=%s videos=%d", job.job_id, len(inputs))
    try:
        joined = concatenate(
            inputs, spec, output, settings.encoding, keep_going=uploader.still_wanted
        )
    except FfmpegStopped as exc:
        raise ItemError(f"{exc.message}") from exc
    for path in paths:
        path.unlink(missing_ok=True)  # the result is all that is left to send
    result = {
        "duration": round(float(joined.duration), 3),
        "width": joined.width,
        "height": joined.height,
        "fps": joined.fps,
        "mode": joined.mode,
        "cuts": [round(float(cut), 3) for cut in joined.cuts],
    }
    uploaded = uploader.upload(item, output, result)
    log.info(
        "concat uploaded job_id=%s mode=%s duration=%.3f bytes=%s",
        job.job_id,
        joined.mode,
        joined.duration,
        uploaded["bytes"],
    )
    return uploaded


def _fetch_all(
    item: ConcatSource,
    work: Path,
    settings: Settings,
    uploader: Uploader,
    fetch_client: httpx.Client,
) -> list[Path]:
    """Download every input (a few at once); the first failure fails the item, naming it."""
    paths = [work / f"{i}.src" for i in range(len(item.videos))]

    def fetch(i: int) -> None:
        if not uploader.still_wanted():
            raise ItemError("skipped: the job was cancelled or passed its deadline")
        try:
            fetch_to_file(
                item.videos[i].video_url,
                paths[i],
                settings.fetch,
                fetch_client,
                kind=MediaKind.VIDEO,
                keep_going=uploader.still_wanted,
            )
        except FetchError as exc:
            raise FetchError(f"videos[{i}].video_url: {exc.message}") from exc

    with ThreadPoolExecutor(DOWNLOADS_AT_ONCE, thread_name_prefix="fetch") as downloads:
        # list() waits for every download and raises the first error in input order.
        list(downloads.map(fetch, range(len(paths))))
    return paths
