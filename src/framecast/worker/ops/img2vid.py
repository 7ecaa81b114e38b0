"""img2vid: fetch each image, render its Ken Burns clip, upload it the moment it is encoded."""

from __future__ import annotations

import functools
import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

import httpx

from framecast.config import Settings
from framecast.contracts.img2vid import ImageItem, Img2VidJob
from framecast.contracts.render import RenderBlock
from framecast.errors import InputError, ItemError
from framecast.render.clip import ClipInfo, RenderSpec, RenderStopped, render_clip
from framecast.worker.fetch import fetch_to_file
from framecast.worker.ops.img2vid_spec import render_spec
from framecast.worker.render_slots import render_slot
from framecast.worker.scratch import work_folder
from framecast.worker.timings import RECORDER
from framecast.worker.upload import Uploader

log = logging.getLogger("framecast.worker")

DOWNLOADS_AT_ONCE = 8


def clip_result(info: ClipInfo) -> dict[str, Any]:
    """A clip's own result fields: the move made (random's pick), its framing and warnings."""
    if info.framing is None:
        return {}
    framing = info.framing
    rects = {"start": framing.path.start, "end": framing.path.end}
    # In fractions of the image, as the request's start and end: sent back, they pin the clip.
    result: dict[str, Any] = {
        "framing": {k: {f: round(getattr(r, f), 6) for f in "xywh"} for k, r in rects.items()}
    }
    if framing.move is not None:
        result["motion"] = framing.move
    if framing.warnings():
        result["warnings"] = framing.warnings()
    return result


def run_img2vid(
    job: Img2VidJob, settings: Settings, uploader: Uploader, fetch_client: httpx.Client
) -> dict[str, Any]:
    """Produce every item of the job; each one either uploads or is listed with its error."""
    videos: dict[int, dict[str, Any]] = {}
    failed: dict[int, dict[str, Any]] = {}
    with (
        work_folder(settings.work_dir, job.job_id) as work,
        ThreadPoolExecutor(DOWNLOADS_AT_ONCE, thread_name_prefix="fetch") as downloads,
        ThreadPoolExecutor(settings.render_batch_size, thread_name_prefix="render") as renders,
    ):
        # Downloads run ahead of rendering, but only so far: disk holds at most this many.
        slots = threading.Semaphore(settings.render_batch_size + DOWNLOADS_AT_ONCE)
        sources = {
            item.index: downloads.submit(
                _fetch, item, work / f"{item.index}.src", settings, fetch_client, slots, uploader
            )
            for item in job.items
        }
        clips = {
            item.index: renders.submit(
                _produce,
                item,
                sources[item.index],
                work,
                job.options,
                settings,
                uploader,
                job.job_id,
                slots,
            )
            for item in job.items
        }
        for item in job.items:
            try:
                videos[item.index] = clips[item.index].result()
            except ItemError as exc:
                if uploader.still_wanted(wait=False):  # else the handler logs the job's end once
                    log.warning(
                        "item failed job_id=%s item=%d error=%s",
                        job.job_id,
                        item.index,
                        exc.message,
                    )
                failed[item.index] = {"id": item.id, "index": item.index, "error": exc.message}
            except Exception as exc:  # a bug must cost one item, never the batch
                log.exception("item crashed job_id=%s item=%d", job.job_id, item.index)
                failed[item.index] = {
                    "id": item.id,
                    "index": item.index,
                    "error": f"internal error while producing this clip ({type(exc).__name__})",
                }
    return {
        "videos": [{**videos[i], "index": i} for i in sorted(videos)],
        "failed": [failed[i] for i in sorted(failed)],
    }


def _fetch(
    item: ImageItem,
    dest: Path,
    settings: Settings,
    client: httpx.Client,
    slots: threading.Semaphore,
    uploader: Uploader,
) -> str:
    """Download the item's image; its Content-Type (for a message if it proves unreadable)."""
    slots.acquire()  # released by _produce once the source is deleted
    if not uploader.still_wanted():
        raise ItemError("skipped: the job was cancelled or passed its deadline")
    said: list[str] = []
    fetch_to_file(
        item.image_url,
        dest,
        settings.fetch,
        client,
        keep_going=uploader.still_wanted,
        received=said.append,
    )
    return said[0] if said else ""


def _produce(
    item: ImageItem,
    source: Future[str],
    work: Path,
    block: RenderBlock,
    settings: Settings,
    uploader: Uploader,
    job_id: str,
    slots: threading.Semaphore,
) -> dict[str, Any]:
    source_path = work / f"{item.index}.src"
    clip_path = work / f"{item.index}.mp4"
    try:
        try:
            spec = render_spec(block, item, item.index)
        except InputError as exc:
            raise ItemError(exc.message) from exc
        content_type = source.result()
        # The slot is taken once the image is here: a stalled download holds none.
        with render_slot(settings, job_id, item.index):
            info = _render(item, spec, work, settings, uploader, job_id, content_type)
        result = uploader.upload(item, clip_path, clip_result(info))
        log.info(
            "clip uploaded job_id=%s item=%d frames=%d bytes=%s",
            job_id,
            item.index,
            info.frames,
            result["bytes"],
        )
        return result
    finally:
        wait([source])  # its place on disk is taken once the download has run, even if it failed
        source_path.unlink(missing_ok=True)
        clip_path.unlink(missing_ok=True)
        slots.release()


def _render(
    item: ImageItem,
    spec: RenderSpec,
    work: Path,
    settings: Settings,
    uploader: Uploader,
    job_id: str,
    content_type: str,
) -> ClipInfo:
    """Render the item's clip from its downloaded source, unless the job has ended meanwhile."""
    if not uploader.still_wanted():
        raise ItemError("skipped: the job was cancelled or passed its deadline")
    log.info("clip rendering job_id=%s item=%d duration=%s", job_id, item.index, item.duration)
    started = time.monotonic()
    try:
        info = render_clip(
            work / f"{item.index}.src",
            work / f"{item.index}.mp4",
            item.duration,
            spec,
            settings.encoding,
            settings.fetch.max_pixels,
            keep_going=functools.partial(uploader.still_wanted, wait=False),
            content_type=content_type,
        )
    except RenderStopped as exc:
        raise ItemError(f"{exc}: the job was cancelled or passed its deadline") from exc
    RECORDER.rendered("img2vid", time.monotonic() - started)
    return info
