"""concatenate: fetch the videos, join them (stream copy when they allow it), upload the one
result with its duration, size, fps, mode and cuts."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import httpx

from framecast.config import Settings
from framecast.contracts.concatenate import (
    ConcatenateJob,
    ConcatOptions,
    ConcatSource,
    ConcatVideo,
)
from framecast.errors import ItemError
from framecast.render.concat import ConcatInput, ConcatSpec, Transition, concatenate
from framecast.render.ffmpeg import FfmpegStopped
from framecast.worker.inputs import Input, fetch_inputs
from framecast.worker.media_kinds import MediaKind
from framecast.worker.ops.single_output import run_single
from framecast.worker.upload import Uploader

log = logging.getLogger("framecast.worker")


def run_concatenate(
    job: ConcatenateJob, settings: Settings, uploader: Uploader, fetch_client: httpx.Client
) -> dict[str, Any]:
    """Produce the job's one video; it either uploads or is listed with its error."""
    item = job.items[0]
    return run_single(
        job.job_id,
        item,
        settings,
        "joining the videos",
        lambda work: _produce(job, item, work, settings, uploader, fetch_client),
    )


def _produce(
    job: ConcatenateJob,
    item: ConcatSource,
    work: Path,
    settings: Settings,
    uploader: Uploader,
    fetch_client: httpx.Client,
) -> dict[str, Any]:
    paths = [work / f"{i}.src" for i in range(len(item.videos))]
    fetch_inputs(
        [
            Input(video.video_url, path, MediaKind.VIDEO, f"videos[{i}].video_url")
            for i, (video, path) in enumerate(zip(item.videos, paths, strict=True))
        ],
        settings,
        uploader.still_wanted,
        fetch_client,
    )
    inputs = engine_inputs(item.videos, paths)
    spec = engine_spec(job.options)
    output = work / "joined.mp4"
    log.info("concat started job_id=%s videos=%d", job.job_id, len(inputs))
    try:
        joined = concatenate(
            inputs, spec, output, settings.encoding, keep_going=uploader.still_wanted
        )
    except FfmpegStopped as exc:
        raise ItemError(exc.message) from exc
    for path in paths:
        path.unlink(missing_ok=True)  # the result is all that is left to send
    result = {
        "duration": round(float(joined.duration), 3),
        "width": joined.width,
        "height": joined.height,
        "fps": round(float(joined.fps), 3),
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


def engine_inputs(videos: list[ConcatVideo], paths: list[Path]) -> list[ConcatInput]:
    """The engine's inputs: the request's videos as local files."""
    return [
        ConcatInput(
            path=path,
            trim_start=video.trim_start,
            trim_end=video.trim_end,
            transition=None
            if video.transition is None
            else Transition(video.transition.type, video.transition.duration),
        )
        for path, video in zip(paths, videos, strict=True)
    ]


def engine_spec(options: ConcatOptions) -> ConcatSpec:
    """The engine's spec of a job's options."""
    return ConcatSpec(
        width=options.width,
        height=options.height,
        fps=options.fps,
        fit=options.fit,
        audio=options.audio,
        mode=options.mode,
    )
