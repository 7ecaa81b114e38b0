"""audio: fetch the video and every audio part, mix them under the picture, upload the result
with what was measured (loudness, whether the picture was copied, the audio/video end gap)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import httpx

from framecast.config import Settings
from framecast.contracts.audio import AudioJob, AudioOptions, AudioSource, AudioTrackSpec
from framecast.errors import ItemError
from framecast.render.audio_mix import (
    AudioSpec,
    LoudnessTarget,
    PictureFit,
    add_audio,
)
from framecast.render.audio_spec import track_of
from framecast.render.ffmpeg import FfmpegStopped
from framecast.worker.inputs import Input, fetch_inputs
from framecast.worker.media_kinds import MediaKind
from framecast.worker.ops.single_output import run_single
from framecast.worker.upload import Uploader

log = logging.getLogger("framecast.worker")


def run_audio(
    job: AudioJob, settings: Settings, uploader: Uploader, fetch_client: httpx.Client
) -> dict[str, Any]:
    """Produce the job's one video; it either uploads or is listed with its error."""
    item = job.items[0]
    return run_single(
        job.job_id,
        item,
        settings,
        "mixing the audio",
        lambda work: _produce(job, item, work, settings, uploader, fetch_client),
    )


def _produce(
    job: AudioJob,
    item: AudioSource,
    work: Path,
    settings: Settings,
    uploader: Uploader,
    fetch_client: httpx.Client,
) -> dict[str, Any]:
    video = work / "video.src"
    wanted = [Input(item.video_url, video, MediaKind.VIDEO, "video_url")]
    parts: list[list[Path]] = []
    for i, track in enumerate(item.tracks):
        urls = track.urls()
        paths = [work / f"track{i}-part{j}.src" for j in range(len(urls))]
        parts.append(paths)
        for j, (url, path) in enumerate(zip(urls, paths, strict=True)):
            field = f"tracks[{i}].url" + (f"[{j}]" if len(urls) > 1 else "")
            wanted.append(Input(url, path, MediaKind.AUDIO, field))
    fetch_inputs(wanted, settings, uploader.still_wanted, fetch_client)
    spec = engine_spec(item.tracks, parts, job.options)
    output = work / "mixed.mp4"
    log.info("audio started job_id=%s tracks=%d", job.job_id, len(spec.tracks))
    try:
        mixed = add_audio(video, spec, output, settings.encoding, keep_going=uploader.still_wanted)
    except FfmpegStopped as exc:
        raise ItemError(exc.message) from exc
    result: dict[str, Any] = {
        "duration": round(float(mixed.duration), 3),
        "picture": mixed.picture,
        "loudness": mixed.loudness,
        "av_end_diff_ms": round(float(mixed.av_end_diff_ms), 1),
    }
    if mixed.warnings:
        result["warnings"] = mixed.warnings
    uploaded = uploader.upload(item, output, result)
    log.info(
        "audio uploaded job_id=%s picture=%s duration=%.3f bytes=%s",
        job.job_id,
        mixed.picture,
        mixed.duration,
        uploaded["bytes"],
    )
    return uploaded


def engine_spec(
    tracks: list[AudioTrackSpec], parts: list[list[Path]], options: AudioOptions
) -> AudioSpec:
    """The mixing engine's spec: the request's tracks with their parts as local files."""
    loudness = options.loudness
    return AudioSpec(
        tracks=[track_of(track, paths) for track, paths in zip(tracks, parts, strict=True)],
        original_audio=options.original_audio,
        fit=PictureFit(
            length=options.fit.length,
            tail=options.fit.tail,
            picture=options.fit.picture,
            max_retime=options.fit.max_retime,
        ),
        loudness=None
        if loudness is None
        else LoudnessTarget(loudness.target_lufs, loudness.true_peak_db),
    )
