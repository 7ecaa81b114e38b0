"""The frame of an operation that makes one result from many inputs (concatenate, audio): a
work folder, and every failure returned as the item's error, never raised."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from framecast.config import Settings
from framecast.contracts.plan import WorkItem
from framecast.errors import InputError, ItemError, JobStopped
from framecast.render.ffmpeg import FfmpegStopped
from framecast.worker.render_slots import render_slot
from framecast.worker.scratch import work_folder

log = logging.getLogger("framecast.worker")


def run_single(
    job_id: str,
    item: WorkItem,
    settings: Settings,
    what: str,
    produce: Callable[[Path], dict[str, Any]],
) -> dict[str, Any]:
    """The worker output of ``produce(work folder)``: its uploaded video, or its error."""
    try:
        # The slot covers the downloads too: they happen inside ``produce``.
        with (
            work_folder(settings.work_dir, job_id) as work,
            render_slot(settings, job_id, item.index),
        ):
            video = produce(work)
    except InputError as exc:
        # What only the inputs' contents show (a narration too long for its scene, a glyph
        # the font lacks): the item's error, naming the field.
        log.warning("item refused job_id=%s item=%d error=%s", job_id, item.index, exc.message)
        return _failed(item, exc.message)
    except ItemError as exc:
        # Work stopped by the job's end is logged once, for the whole job, by the handler.
        if not isinstance(exc, JobStopped) and not isinstance(exc.__cause__, FfmpegStopped):
            log.warning("item failed job_id=%s item=%d error=%s", job_id, item.index, exc.message)
        return _failed(item, exc.message)
    except Exception as exc:  # a bug must come back as this item's error, not a crash
        log.exception("item crashed job_id=%s item=%d", job_id, item.index)
        return _failed(item, f"internal error while {what} ({type(exc).__name__})")
    return {"videos": [{**video, "index": item.index}], "failed": []}


def _failed(item: WorkItem, error: str) -> dict[str, Any]:
    return {"videos": [], "failed": [{"id": item.id, "index": item.index, "error": error}]}
