"""caption: fetch the video (and a captions file, a font), build the captions for the video's
own size, burn them in one encode with the sound copied, upload the video and its sidecars."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

import httpx

from framecast.captions.build import CaptionBuild, build_captions
from framecast.captions.font_check import check_font_log, isolated_fontconfig, prepare_fonts_dir
from framecast.captions.fonts import FontBook
from framecast.captions.model import Captions
from framecast.captions.sidecars import srt_text, vtt_text, words_json
from framecast.captions.sources import fetched_text, read_captions
from framecast.config import Settings
from framecast.contracts.caption import TEXT_SOURCES, CaptionJob, CaptionOptions, CaptionSource
from framecast.errors import ItemError
from framecast.render.caption_burn import BurnResult, burn_captions, probe_picture
from framecast.render.ffmpeg import FfmpegStopped
from framecast.worker.inputs import Input, fetch_inputs
from framecast.worker.media_kinds import MediaKind
from framecast.worker.ops.single_output import run_single
from framecast.worker.upload import Uploader

log = logging.getLogger("framecast.worker")


def run_caption(
    job: CaptionJob, settings: Settings, uploader: Uploader, fetch_client: httpx.Client
) -> dict[str, Any]:
    """Produce the job's one video; it either uploads or is listed with its error."""
    item = job.items[0]
    return run_single(
        job.job_id,
        item,
        settings,
        "burning the captions",
        lambda work: _produce(job, item, work, settings, uploader, fetch_client),
    )


def _produce(
    job: CaptionJob,
    item: CaptionSource,
    work: Path,
    settings: Settings,
    uploader: Uploader,
    fetch_client: httpx.Client,
) -> dict[str, Any]:
    video = work / "video.src"
    wanted = [Input(item.video_url, video, MediaKind.VIDEO, "video_url")]
    kind = item.captions.kind()
    text_file = work / "captions.src" if item.captions_url else None
    if text_file is not None:
        url = getattr(item.captions, kind)
        wanted.append(Input(url, text_file, MediaKind.SUBTITLES, f"captions.{kind}"))
    font_file = work / "font.src" if item.font_url else None
    if font_file is not None and item.font_url:
        wanted.append(Input(item.font_url, font_file, MediaKind.FONT, "style.font_url"))
    fetch_inputs(wanted, settings, uploader.still_wanted, fetch_client)
    captions = source_captions(item, text_file)
    output = work / "captioned.mp4"
    built, burned = caption_video(
        video, captions, job.options, font_file, work, output, settings, uploader.still_wanted
    )
    result = caption_result(built, burned)
    files = write_sidecars(built, work) if job.options.sidecars else None
    uploaded = uploader.upload(item, output, result, files)
    log.info(
        "caption uploaded job_id=%s pages=%d font=%s duration=%.3f bytes=%s",
        job.job_id,
        built.pages,
        result["font"]["family"],
        burned.duration,
        uploaded["bytes"],
    )
    return uploaded


def source_captions(item: CaptionSource, text_file: Path | None) -> Captions:
    """The item's captions parsed: from the fetched file, or from the request itself."""
    kind = item.captions.kind()
    if kind not in TEXT_SOURCES:
        return read_captions(kind, getattr(item.captions, kind))
    if text_file is None:
        return read_captions(kind, getattr(item.captions, kind))
    return read_captions(kind, fetched_text(text_file, kind))


def caption_video(
    video: Path,
    captions: Captions,
    options: CaptionOptions,
    font_file: Path | None,
    work: Path,
    output: Path,
    settings: Settings,
    keep_going: Any = None,
) -> tuple[CaptionBuild, BurnResult]:
    """Build the captions for ``video``'s canvas and burn them into ``output`` (the worker's
    and the command line's one path)."""
    picture = probe_picture(video)
    canvas = picture.canvas
    book = FontBook(font_cache(settings), [font_file] if font_file is not None else [])
    built = build_captions(captions, options, canvas.width, canvas.height, book)
    ass = work / "captions.ass"
    ass.write_text(built.ass, encoding="utf-8")
    fonts = prepare_fonts_dir(built.faces, work)
    log.info("caption started pages=%d size=%dx%d", built.pages, canvas.width, canvas.height)
    try:
        burned = burn_captions(
            video,
            picture,
            ass,
            fonts,
            isolated_fontconfig(work),
            output,
            settings.encoding,
            keep_going,
        )
    except FfmpegStopped as exc:
        raise ItemError(exc.message) from exc
    check_font_log(burned.log, built.faces)
    return built, burned


def caption_result(built: CaptionBuild, burned: BurnResult) -> dict[str, Any]:
    """The operation's result fields (on the answer's top level, beside the video)."""
    result: dict[str, Any] = {
        "duration": round(burned.duration, 3),
        "width": burned.width,
        "height": burned.height,
        "encode_passes": 1,
        "audio": burned.audio,
        "font": built.font(),
        "pages": built.pages,
        "words": len(built.words),
    }
    if built.warnings:
        result["warnings"] = built.warnings
    return result


def write_sidecars(built: CaptionBuild, work: Path) -> dict[str, Path]:
    """The files uploaded beside the video: what was burned, as SRT, VTT and ASS, and the
    words with their times."""
    folder = work / "sidecars"
    folder.mkdir()
    texts = {
        "captions.srt": srt_text(built.cues),
        "captions.vtt": vtt_text(built.cues),
        "captions.ass": built.ass,
        "words.json": words_json(built.words),
    }
    files = {}
    for name, text in texts.items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        files[name] = path
    return files


def font_cache(settings: Settings) -> Path:
    """Where static font instances are kept between jobs (made once per family and weight)."""
    return Path(settings.work_dir or tempfile.gettempdir()) / "framecast-font-cache"
