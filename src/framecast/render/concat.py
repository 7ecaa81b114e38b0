"""Joining videos into one: by stream copy when the inputs allow it, else in one re-encode.

Copy (the concat demuxer, ``-c:v copy``) needs pictures that a decoder can read as one stream:
the same codec set-up, size, frame rate and time base, starting with their files; clips of one
img2vid job always qualify. The sound is not copied: AAC carries an encoder delay and padding
in every file, which a packet copy would repeat at every cut (the sound drifting ~24 ms a cut),
so it is decoded, cut or padded to each picture's length and encoded once, as in a re-encode.
Anything else (trims, transitions, mixed sources, another size) is one ffmpeg process that fits
every input to the output frame and rate and encodes once; its arithmetic is in
:mod:`framecast.render.concat_plan`, its filter graph in :mod:`framecast.render.concat_graph`.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from framecast.config import EncoderConfig
from framecast.contracts.vocab import CONCAT_AUDIO, CONCAT_MODES, FITS
from framecast.errors import RenderError
from framecast.render.concat_copy import copy_obstacle
from framecast.render.concat_graph import audio_graph, filter_graph
from framecast.render.concat_plan import (
    SAMPLE_RATE,
    ConcatInput,
    ConcatSpec,
    Transition,
    output_fps,
    output_size,
    plan_timeline,
)
from framecast.render.encode import choose_encoder, encoder_args
from framecast.render.ffmpeg import run_ffmpeg
from framecast.render.probe import MediaInfo, VideoStreamInfo, probe_media

__all__ = ["ConcatInput", "ConcatResult", "ConcatSpec", "Transition", "concatenate"]

_AUDIO_BITRATE = "192k"


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
    obstacle = copy_obstacle(inputs, [_video(info) for info in media], spec)
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


def _copy(
    paths: list[Path],
    media: list[MediaInfo],
    spec: ConcatSpec,
    output: Path,
    config: EncoderConfig,
    keep_going: Callable[[], bool] | None,
) -> ConcatResult:
    """The pictures joined packet for packet; their sound decoded, fitted to them, encoded."""
    videos = [_video(info) for info in media]
    # Each file lasts as long as its picture: a longer sound would otherwise leave a held
    # frame at the cut (the concat demuxer starts the next file where this one's ends).
    durations = [video.duration for video in videos]
    bounds = list(itertools.accumulate(durations, initial=0.0))
    lines = "".join(
        f"file {_quoted(path)}\nduration {duration:.6f}\n"
        for path, duration in zip(paths, durations, strict=True)
    )
    audio = spec.audio == "keep" and any(info.has_audio for info in media)
    arguments = ["-loglevel", "error"]
    with contextlib.ExitStack() as files:
        if audio:
            # Inputs 0…N−1: each file again, for its sound (one decoder thread each, as in
            # _reencode); the concat list is input N.
            for path in paths:
                arguments += ["-threads", "1", "-i", str(path)]
        listing = files.enter_context(_work_file(output, ".concat.txt", lines))
        # Not probed (its streams are the first file's, read by the demuxer itself): a probe
        # would take the first file's AAC encoder delay, a negative time, for the start of the
        # join and push every picture that much after its sound.
        arguments += ["-nofind_stream_info", "-f", "concat", "-safe", "0", "-i", str(listing)]
        # The concat demuxer's streams are the first file's.
        arguments += ["-map", f"{len(paths) if audio else 0}:{videos[0].index}", "-c:v", "copy"]
        if audio:
            samples = [round(bound * SAMPLE_RATE) for bound in bounds]
            streams = [info.audio.index if info.audio else None for info in media]
            graph, sound = audio_graph(streams, [b - a for a, b in itertools.pairwise(samples)])
            script = files.enter_context(_work_file(output, ".filtergraph.txt", graph))
            arguments += ["-/filter_complex", str(script), "-map", sound]
            arguments += ["-c:a", "aac", "-b:a", _AUDIO_BITRATE]
        arguments += ["-movflags", "+faststart", "-f", "mp4", "-y", str(output)]
        run_ffmpeg(arguments, output, config, keep_going=keep_going, what="concat (copy) failed")
    width, height = videos[0].display_size
    fps = float(videos[0].fps or 0)
    return ConcatResult("copy", bounds[:-1], bounds[-1], width, height, fps, audio)


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
    width, height = output_size(spec, videos[0])
    fps = output_fps(spec, videos[0])
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
