"""compose: fetch every scene's image or video, narration, the music and caption files, render
the finished video in one encode, upload it with its caption sidecars."""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Any

import httpx

from framecast.compose.video import ComposeFiles, compose_video
from framecast.config import Settings
from framecast.contracts.compose import (
    TIMELINE_FILE,
    ComposeCaptions,
    ComposeJob,
    ComposeSource,
)
from framecast.worker.inputs import Input, fetch_inputs
from framecast.worker.media_kinds import MediaKind
from framecast.worker.ops.caption import font_cache, write_sidecars
from framecast.worker.ops.single_output import run_single
from framecast.worker.upload import Uploader

log = logging.getLogger("framecast.worker")


def run_compose(
    job: ComposeJob, settings: Settings, uploader: Uploader, fetch_client: httpx.Client
) -> dict[str, Any]:
    """Produce the job's one video; it either uploads or is listed with its error."""
    item = job.items[0]
    return run_single(
        job.job_id,
        item,
        settings,
        "composing the video",
        lambda work: _produce(job, item, work, settings, uploader, fetch_client),
    )


def compose_inputs(
    item: ComposeSource, captions: ComposeCaptions | None, work: Path
) -> tuple[list[Input], ComposeFiles]:
    """Every download of ``item`` and where each lands (the worker's and the CLI's list)."""
    wanted: list[Input] = []
    images: dict[int, Path] = {}
    videos: dict[int, Path] = {}
    narrations: dict[int, list[Path]] = {}
    for i, scene in enumerate(item.scenes):
        field = f"scenes[{i}]"
        if scene.image_url is not None:
            images[i] = work / f"scene{i}.image"
            wanted.append(Input(scene.image_url, images[i], MediaKind.IMAGE, f"{field}.image_url"))
        if scene.video_url is not None:
            videos[i] = work / f"scene{i}.video"
            wanted.append(Input(scene.video_url, videos[i], MediaKind.VIDEO, f"{field}.video_url"))
        parts = scene.narration_parts()
        if parts:
            narrations[i] = [work / f"scene{i}.narration{j}" for j in range(len(parts))]
            for j, (url, path) in enumerate(zip(parts, narrations[i], strict=True)):
                name = f"{field}.narration_url" + (f"[{j}]" if len(parts) > 1 else "")
                wanted.append(Input(url, path, MediaKind.AUDIO, name))
    music = captions_text = font = None
    if item.music is not None:
        music = work / "music.src"
        wanted.append(Input(item.music.url, music, MediaKind.AUDIO, "music.url"))
    if item.captions_url is not None:
        captions_text = work / "captions.src"
        kind = captions.source() if captions is not None else None
        wanted.append(
            Input(item.captions_url, captions_text, MediaKind.SUBTITLES, f"captions.{kind}")
        )
    if item.font_url is not None:
        font = work / "font.src"
        wanted.append(Input(item.font_url, font, MediaKind.FONT, "captions.style.font_url"))
    return wanted, ComposeFiles(images, videos, narrations, music, captions_text, font)


def _produce(
    job: ComposeJob,
    item: ComposeSource,
    work: Path,
    settings: Settings,
    uploader: Uploader,
    fetch_client: httpx.Client,
) -> dict[str, Any]:
    wanted, files = compose_inputs(item, job.options.captions, work)
    fetch_inputs(wanted, settings, uploader.still_wanted, fetch_client)
    output = work / "composed.mp4"
    made = compose_video(
        item.scenes,
        item.music,
        job.options,
        files,
        work,
        output,
        settings,
        font_cache(settings),
        # Never waits on another segment's status check: it takes the last answer.
        keep_going=functools.partial(uploader.still_wanted, wait=False),
        progress=uploader.progress,
    )
    captions = job.options.captions
    beside = {TIMELINE_FILE: made.timeline}
    if made.captions is not None and captions is not None and captions.sidecars:
        beside |= write_sidecars(made.captions, work)
    uploaded = uploader.upload(item, output, made.result, beside)
    log.info(
        "compose uploaded job_id=%s scenes=%d frames=%d segments=%d bytes=%s",
        job.job_id,
        len(item.scenes),
        made.result["frames"],
        made.result["segments"],
        uploaded["bytes"],
    )
    return uploaded
