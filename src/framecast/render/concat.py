"""Joining videos into one: by stream copy when the inputs allow it, else in one re-encode.

Copy (the concat demuxer, ``-c copy``) needs inputs that a decoder can read as one stream: the
same codec set-up, size, frame rate and time base, the same audio or none; clips of one img2vid
job always qualify. Anything else (trims, transitions, mixed sources, another size) is one
ffmpeg process that fits every input to the output frame and rate and encodes once; its
arithmetic and filter graph are in :mod:`framecast.render.concat_plan`.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from framecast.config import EncoderConfig
from framecast.contracts.vocab import CONCAT_AUDIO, CONCAT_MODES, FITS
from framecast.errors import RenderError
from framecast.render.concat_plan import (
    ConcatInput,
    Transition,
    filter_graph,
    plan_timeline,
)
from framecast.render.encode import choose_encoder, encoder_args
from framecast.render.ffmpeg import run_ffmpeg
from framecast.render.probe import MediaInfo, VideoStreamInfo, probe_media

__all__ = ["ConcatInput", "ConcatResult", "ConcatSpec", "Transition", "concatenate"]

_COPY_VIDEO = ("h264",)  # what the output promises: H.264 in MP4
_COPY_AUDIO = ("aac", "mp3")
_AUDIO_BITRATE = "192k"
_FPS_DENOMINATOR = 1001  # a requested float rate as a fraction: 29.97 → 2997/100


@dataclass(frozen=True)
class ConcatSpec:
    """The output: size and rate (None: the first input's), fit, audio and join mode."""

    width: int | None = None
    height: int | None = None
    fps: float | None = None
    fit: str = "cover"
    audio: str = "keep"  # keep | mute
    mode: str = "auto"  # auto: copy when the inputs allow it | copy | reencode


@dataclass(frozen=True)
class ConcatResult:
    """What was made: how, where each input starts (seconds), and the output's shape."""

    mode: str  # copy | reencode
    cuts: list[float]
    duration: float
    width: int
    height: int
    fps: float
    has_audio: bool


def concatenate(
    inputs: list[ConcatInput],
    spec: ConcatSpec,
    output: Path,
    config: EncoderConfig,
    keep_going: Callable[[], bool] | None = None,
) -> ConcatResult:
    """Join ``inputs`` into the MP4 ``output``; RenderError, naming the input, when they can't."""
    _check_spec(spec, len(inputs))
    media = [_probe_video(i, item.path) for i, item in enumerate(inputs)]
    obstacle = _copy_obstacle(inputs, media, spec)
    if spec.mode == "copy" and obstacle:
        raise RenderError(f"mode copy: {obstacle}; use mode auto or reencode")
    # Absolute paths: ffmpeg would take "a:b.mp4" for a protocol and "-x.mp4" for an option.
    paths, output = [item.path.resolve() for item in inputs], output.resolve()
    if spec.mode != "reencode" and obstacle is None:
        return _copy(paths, media, spec, output, config, keep_going)
    return _reencode(inputs, paths, media, spec, output, config, keep_going)


def _check_spec(spec: ConcatSpec, count: int) -> None:
    if count < 1:
        raise RenderError("videos: at least one video is needed")
    for name, value, allowed in (
        ("fit", spec.fit, FITS),
        ("audio", spec.audio, CONCAT_AUDIO),
        ("mode", spec.mode, CONCAT_MODES),
    ):
        if value not in allowed:
            raise RenderError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")
    for name, number in (("width", spec.width), ("height", spec.height), ("fps", spec.fps)):
        if number is not None and not number > 0:
            raise RenderError(f"{name} must be more than 0, got {number}")


def _probe_video(i: int, path: Path) -> MediaInfo:
    try:
        info = probe_media(path)
    except RenderError as exc:
        raise RenderError(f"videos[{i}]: {exc.message}") from exc
    video = info.video
    if video is None or info.is_image:
        raise RenderError(f"videos[{i}]: {path.name} is {info.description()}, not a video")
    if video.fps is None:
        raise RenderError(f"videos[{i}]: {path.name} does not say its frame rate")
    return info


def _video(info: MediaInfo) -> VideoStreamInfo:
    assert info.video is not None  # checked by _probe_video
    return info.video


def _copy_obstacle(
    inputs: list[ConcatInput], media: list[MediaInfo], spec: ConcatSpec
) -> str | None:
    """Why ``inputs`` can't be joined by stream copy under ``spec``; None when they can."""
    first = _video(media[0])
    if first.codec not in _COPY_VIDEO:
        return f"videos[0] is {first.codec}; stream copy makes H.264 only"
    keep_audio = spec.audio == "keep"
    audio = media[0].audio
    if keep_audio and audio is not None and audio.codec not in _COPY_AUDIO:
        return f"videos[0] has {audio.codec} audio, which MP4 does not carry"
    for i, item in enumerate(inputs):
        if item.trim_start or item.trim_end is not None:
            return f"videos[{i}] is trimmed"
        if i and item.transition is not None:
            return f"videos[{i}] has a transition"
    width, height = first.display_size
    if (spec.width or width, spec.height or height) != (width, height):
        asked = f"{spec.width or width}x{spec.height or height}"
        return f"the size asked for ({asked}) is not the videos' ({width}x{height})"
    fps = float(first.fps or 0)
    if spec.fps is not None and abs(spec.fps - fps) > 1e-3:
        return f"the frame rate asked for ({spec.fps:g}) is not the videos' ({fps:g})"
    reference = _copy_signature(media[0], keep_audio)
    for i, info in enumerate(media[1:], start=1):
        for (what, ours, shown), (_, theirs, shown_first) in zip(
            _copy_signature(info, keep_audio), reference, strict=True
        ):
            if ours != theirs:
                detail = f" ({shown}, not {shown_first})" if shown != shown_first else ""
                return f"videos[{i}] differs from videos[0] in {what}{detail}"
    return None


def _copy_signature(info: MediaInfo, keep_audio: bool) -> list[tuple[str, object, str]]:
    """(what, value, value as shown) that must be equal for a copy, in the order a difference
    is reported."""
    video = _video(info)
    size = f"{video.width}x{video.height}"
    fps = f"{float(video.fps or 0):g}"
    signature: list[tuple[str, object, str]] = [
        ("codec", video.codec, video.codec),
        ("profile", video.profile, str(video.profile)),
        ("size", size, size),
        ("sample aspect ratio", video.sample_aspect_ratio, str(video.sample_aspect_ratio)),
        ("rotation", video.rotation, f"{video.rotation}°"),
        ("pixel format", video.pix_fmt, str(video.pix_fmt)),
        ("frame rate", video.fps, fps),
        ("time base", video.time_base, str(video.time_base)),
        # Same parameters but other SPS/PPS (another encoder, another crf): a copy would be
        # decoded with the first file's and come out garbled.
        ("codec set-up (H.264 SPS/PPS)", video.extradata, ""),
    ]
    if keep_audio:
        audio = info.audio
        key = (audio.codec, audio.sample_rate, audio.channels) if audio else None
        shown = f"{audio.codec} {audio.sample_rate} Hz {audio.layout}" if audio else "no audio"
        signature.append(("audio", key, shown))
    return signature


def _copy(
    paths: list[Path],
    media: list[MediaInfo],
    spec: ConcatSpec,
    output: Path,
    config: EncoderConfig,
    keep_going: Callable[[], bool] | None,
) -> ConcatResult:
    # The concat demuxer starts each file where the previous one's container duration ends.
    durations = [info.duration or _video(info).duration for info in media]
    first = _video(media[0])
    sound = media[0].audio if spec.audio == "keep" else None
    lines = "".join(f"file {_quoted(path)}\n" for path in paths)
    with _work_file(output, ".concat.txt", lines) as listing:
        arguments = ["-loglevel", "error", "-f", "concat", "-safe", "0", "-i", str(listing)]
        # The concat demuxer's streams are the first file's.
        arguments += ["-map", f"0:{first.index}"]
        arguments += ["-map", f"0:{sound.index}"] if sound else ["-an"]
        arguments += ["-c", "copy", "-movflags", "+faststart", "-f", "mp4", "-y", str(output)]
        run_ffmpeg(arguments, output, config, keep_going=keep_going, what="concat (copy) failed")
    width, height = first.display_size
    cuts = [sum(durations[:i]) for i in range(len(durations))]
    fps = float(first.fps or 0)
    return ConcatResult("copy", cuts, sum(durations), width, height, fps, sound is not None)


def _reencode(
    inputs: list[ConcatInput],
    paths: list[Path],
    media: list[MediaInfo],
    spec: ConcatSpec,
    output: Path,
    config: EncoderConfig,
    keep_going: Callable[[], bool] | None,
) -> ConcatResult:
    videos = [_video(info) for info in media]
    width, height = _output_size(spec, videos[0])
    fps = _output_fps(spec, videos[0])
    audio = spec.audio == "keep" and any(info.has_audio for info in media)
    timeline = plan_timeline(inputs, media, fps)
    arguments = ["-loglevel", "error"]
    for path, segment in zip(paths, timeline.segments, strict=True):
        # One decoder thread each: the inputs are open at once and a decoder's frame threads
        # each hold frames (hundreds of 1080p decoders would hold gigabytes).
        arguments += ["-threads", "1"]
        if segment.start:
            arguments += ["-ss", f"{segment.start:.6f}"]
        if segment.length is not None:
            arguments += ["-t", f"{segment.length:.6f}"]
        arguments += ["-i", str(path)]
    graph, video_out, audio_out = filter_graph(timeline, width, height, spec.fit, audio)
    with _work_file(output, ".filtergraph.txt", graph) as script:
        # From a file: a graph of hundreds of inputs is longer than one argument may be.
        arguments += ["-/filter_complex", str(script), "-map", video_out]
        if audio:
            arguments += ["-map", audio_out, "-c:a", "aac", "-b:a", _AUDIO_BITRATE]
        encoder = choose_encoder(config)
        arguments += [*encoder_args(encoder, config), "-pix_fmt", "yuv420p"]
        arguments += ["-r", f"{fps.numerator}/{fps.denominator}"]
        arguments += ["-movflags", "+faststart", "-f", "mp4", "-y", str(output)]
        run_ffmpeg(arguments, output, config, keep_going=keep_going, what="concat failed")
    duration = float(timeline.frames / fps)
    return ConcatResult("reencode", timeline.cuts, duration, width, height, float(fps), audio)


def _output_size(spec: ConcatSpec, first: VideoStreamInfo) -> tuple[int, int]:
    """The asked size, else the first input's shape at the asked width or height, else its
    own size; even either way (yuv420p)."""
    shown_width, shown_height = first.display_size
    width, height = float(shown_width), float(shown_height)
    if spec.width and spec.height:
        width, height = spec.width, spec.height
    elif spec.width:
        width, height = spec.width, spec.width * height / width
    elif spec.height:
        width, height = spec.height * width / height, spec.height
    return _even(width), _even(height)


def _output_fps(spec: ConcatSpec, first: VideoStreamInfo) -> Fraction:
    if spec.fps is not None:
        return Fraction(spec.fps).limit_denominator(_FPS_DENOMINATOR)
    assert first.fps is not None  # checked by _probe_video
    return first.fps.limit_denominator(_FPS_DENOMINATOR)


def _even(value: float) -> int:
    return max(2, 2 * round(value / 2))


def _quoted(path: Path) -> str:
    """``path`` for a concat list: single-quoted, quotes escaped."""
    return "'" + str(path).replace("'", "'\\''") + "'"


@contextlib.contextmanager
def _work_file(output: Path, suffix: str, text: str) -> Iterator[Path]:
    """``text`` in a file next to ``output``, removed afterwards."""
    fd, name = tempfile.mkstemp(prefix=f".{output.stem}.", suffix=suffix, dir=output.parent)
    path = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        yield path
    finally:
        path.unlink(missing_ok=True)
