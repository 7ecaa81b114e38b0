"""The picture's segments joined into one MP4 by stream copy, the soundtrack copied beside them.

Compose renders its picture in segments, each an MP4 holding one H.264 stream from our encoder
with one set of options: the same parameter sets (SPS/PPS), time base and frame rate, a
keyframe first, presentation timestamps from 0 at a constant rate. Such streams join by
concatenating their packets (the concat demuxer, ``-auto_convert 0``: no parameter sets are
written into the packets, which stay bit-identical), but their decode timestamps do not: a
segment with B-frames starts decoding before 0 (x264: two frames), one of a frame or two does
not, and where a short segment is followed by a long one the decode times would step back,
which ffmpeg "corrects" into uneven frame durations. So the joined stream's timestamps are
written afresh (``setts``): each frame shown where its place in the join says, snapped to
the frame grid (the concat demuxer offsets each file by its duration rounded to the
microsecond), and decoded at an even pace from the largest start-up delay of any segment,
never after it is shown. The sound is copied, not re-encoded (:mod:`framecast.render.soundtrack`
makes it as long as the picture). The result is made in a work folder next to ``output`` and
moved there last: ``output`` is never left half made.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from framecast.config import EncoderConfig
from framecast.errors import RenderError
from framecast.render.ffmpeg import run_ffmpeg

__all__ = ["Joined", "join_segments"]


@dataclass(frozen=True)
class Joined:
    """The joined picture: its frame count, length (seconds), size and frame rate."""

    frames: int
    duration: float
    width: int
    height: int
    fps: float


@dataclass(frozen=True)
class _Segment:
    """What the join needs to know of one segment, in ticks of its time base."""

    frames: int
    tick: int  # one frame's duration
    delay: int  # how long before its first frame is shown it starts decoding (B-frames)
    time_base: Fraction
    parameters: bytes  # the avcC record: profile, level, size, SPS and PPS
    width: int
    height: int


def join_segments(
    segments: list[Path],
    audio: Path | None,
    output: Path,
    config: EncoderConfig,
    keep_going: Callable[[], bool] | None = None,
) -> Joined:
    """The segments' H.264 joined packet for packet into the MP4 ``output``, with the AAC
    ``audio`` (an .m4a) copied beside it and cut at the picture's end; RenderError naming the
    segment that can't be joined to the others."""
    if not segments:
        raise RenderError("segments: at least one segment is needed")
    read = [_read(f"segments[{i}]", path) for i, path in enumerate(segments)]
    for i, segment in enumerate(read[1:], 1):
        _check_alike(f"segments[{i}]", segment, read[0])
    first = read[0]
    frames = sum(segment.frames for segment in read)
    fps = 1 / (first.tick * first.time_base)
    if audio is not None:
        _check_audio(audio)
    # Absolute paths: ffmpeg would take "a:b.mp4" for a protocol and "-x.mp4" for an option.
    output = output.resolve()
    with tempfile.TemporaryDirectory(prefix=f".{output.stem}.", dir=output.parent) as folder:
        listing = Path(folder) / "segments.txt"
        listing.write_text(_listing([p.resolve() for p in segments], read), encoding="utf-8")
        made = Path(folder) / "joined.mp4"
        arguments = _arguments(listing, read, audio, float(frames / fps), made)
        run_ffmpeg(arguments, made, config, keep_going=keep_going, what="joining segments failed")
        joined = _frames(made)
        if joined != frames:
            raise RenderError(
                f"segments: the join holds {joined} frames, not the segments' {frames}"
                " (a segment is shorter than its header says)"
            )
        os.replace(made, output)
    return Joined(frames, float(frames / fps), first.width, first.height, float(fps))


def _arguments(
    listing: Path, read: list[_Segment], audio: Path | None, duration: float, made: Path
) -> list[str]:
    tick = read[0].tick
    delay = max(segment.delay for segment in read)
    # Shown on the frame grid; decoded one tick apart from ``delay`` before the first is shown.
    timestamps = f"setts=pts=round(PTS/{tick})*{tick}:dts=N*{tick}-{delay}"
    arguments = ["-loglevel", "error", "-f", "concat", "-safe", "0", "-auto_convert", "0"]
    arguments += ["-i", str(listing)]
    if audio is not None:
        # Whole AAC frames (21 ms) up to the picture's end: a soundtrack made as long as the
        # picture is copied whole, to the sample.
        arguments += ["-t", f"{duration:.6f}", "-i", str(audio.resolve())]
    arguments += ["-map", "0:v:0", *(["-map", "1:a:0"] if audio is not None else [])]
    arguments += ["-c", "copy", "-bsf:v", timestamps]
    return [*arguments, "-movflags", "+faststart", "-f", "mp4", "-y", str(made)]


def _listing(paths: list[Path], read: list[_Segment]) -> str:
    """The concat demuxer's list: each file and its length, its frames' (not its container's)."""
    lines = []
    for path, segment in zip(paths, read, strict=True):
        seconds = segment.frames * segment.tick * segment.time_base
        quoted = "'" + str(path).replace("'", "'\\''") + "'"
        lines.append(f"file {quoted}\nduration {float(seconds):.6f}\n")
    return "".join(lines)


def _read(field: str, path: Path) -> _Segment:
    """The segment at ``path``: one H.264 stream starting with a keyframe."""
    try:
        with av.open(str(path)) as container:
            streams = list(container.streams)
            if [(s.type, s.codec_context.name) for s in streams] != [("video", "h264")]:
                kinds = ", ".join(f"{s.type} ({s.codec_context.name})" for s in streams)
                raise RenderError(f"{field}: {path.name} holds {kinds}, not one H.264 stream")
            stream = container.streams.video[0]
            packet = next((p for p in container.demux(stream) if p.size), None)
            if packet is None or stream.time_base is None:
                raise RenderError(f"{field}: {path.name} holds no frames")
            if not packet.is_keyframe:
                raise RenderError(f"{field}: {path.name} does not start with a keyframe")
            if not packet.duration or packet.dts is None:
                raise RenderError(f"{field}: {path.name} has no frame timing")
            context = stream.codec_context
            return _Segment(
                # An MP4's index counts them; else counted (the first packet is read already).
                frames=stream.frames or 1 + sum(1 for p in container.demux(stream) if p.size),
                tick=packet.duration,
                delay=max(0, (packet.pts or 0) - packet.dts),
                time_base=stream.time_base,
                parameters=bytes(context.extradata or b""),
                width=context.width,
                height=context.height,
            )
    except (av.FFmpegError, OSError) as exc:
        raise RenderError(f"{field}: {path.name} cannot be read ({exc})") from exc


def _check_alike(field: str, segment: _Segment, first: _Segment) -> None:
    """RenderError unless ``segment`` decodes as a continuation of ``first``."""
    if (segment.width, segment.height) != (first.width, first.height):
        raise RenderError(
            f"{field}: {segment.width}x{segment.height}, but segments[0] is"
            f" {first.width}x{first.height}"
        )
    if segment.tick * segment.time_base != first.tick * first.time_base:
        theirs, ours = 1 / (segment.tick * segment.time_base), 1 / (first.tick * first.time_base)
        raise RenderError(f"{field}: {float(theirs):g} fps, but segments[0] is {float(ours):g}")
    if segment.time_base != first.time_base or segment.parameters != first.parameters:
        raise RenderError(
            f"{field}: its H.264 parameter sets or time base differ from segments[0]'s:"
            " every segment must come from the same encoder with the same options"
        )


def _check_audio(audio: Path) -> None:
    try:
        with av.open(str(audio)) as container:
            streams = container.streams.audio
            if not streams or streams[0].codec_context.name != "aac":
                raise RenderError(f"audio: {audio.name} holds no AAC stream")
    except (av.FFmpegError, OSError) as exc:
        raise RenderError(f"audio: {audio.name} cannot be read ({exc})") from exc


def _frames(path: Path) -> int:
    """The frames of ``path``'s picture, as its MP4 index counts them."""
    with av.open(str(path)) as container:
        return container.streams.video[0].frames
