"""When videos can be joined by stream copy, and when not, why (the first reason found).

A copy hands the decoder one H.264 stream made of every file's packets, so the files must agree
on everything the decoder and the container are told once: codec set-up, size, sample aspect,
rotation, pixel format, frame rate, time base and where the picture is among the streams; and
each picture must start with its file, or the concat demuxer leaves a gap before it, and have
the frames its rate says, or the join would not have that rate either.
"""

from __future__ import annotations

from framecast.render.concat_plan import ConcatInput, ConcatSpec, requested_rate
from framecast.render.probe import VideoStreamInfo

__all__ = ["copy_obstacle"]

_COPY_VIDEO = ("h264",)  # what the output promises: H.264 in MP4
# A picture that starts this much after its file (after the sound) can't be copied: the
# concat demuxer would leave that gap before it at the cut.
_LATE_START = 0.001


def copy_obstacle(
    inputs: list[ConcatInput], videos: list[VideoStreamInfo], spec: ConcatSpec
) -> str | None:
    """Why ``inputs`` can't be joined by stream copy under ``spec``; None when they can."""
    first = videos[0]
    if first.codec not in _COPY_VIDEO:
        return f"videos[0] is {first.codec}; stream copy makes H.264 only"
    for i, (item, video) in enumerate(zip(inputs, videos, strict=True)):
        if item.trim_start or item.trim_end is not None:
            return f"videos[{i}] is trimmed"
        if i and item.transition is not None:
            return f"videos[{i}] has a transition"
        if video.start > _LATE_START:
            late = round(video.start * 1000)
            return f"videos[{i}]'s picture starts {late} ms into the file, after its sound"
        if video.fps and abs(video.frames - video.duration * video.fps) > 1:
            # A variable rate, or frames an edit list hides: copied, they'd play as they are.
            return (
                f"videos[{i}] has {video.frames} frames in {video.duration:g} s, not"
                f" {float(video.fps):g} fps"
            )
    width, height = first.display_size
    if (spec.width or width, spec.height or height) != (width, height):
        asked = f"{spec.width or width}x{spec.height or height}"
        return f"the size asked for ({asked}) is not the videos' ({width}x{height})"
    fps = float(first.fps or 0)
    if spec.fps is not None and abs(float(requested_rate(spec.fps)) - fps) > 1e-3:
        return f"the frame rate asked for ({spec.fps:g}) is not the videos' ({fps:g})"
    reference = _signature(first)
    for i, video in enumerate(videos[1:], start=1):
        for (what, ours, shown), (_, theirs, shown_first) in zip(
            _signature(video), reference, strict=True
        ):
            if ours != theirs:
                detail = f" ({shown}, not {shown_first})" if shown != shown_first else ""
                return f"videos[{i}] differs from videos[0] in {what}{detail}"
    return None


def _signature(video: VideoStreamInfo) -> list[tuple[str, object, str]]:
    """(what, value, value as shown) that must be equal for a copy, in the order a difference
    is reported."""
    size = f"{video.width}x{video.height}"
    fps = f"{float(video.fps or 0):g}"
    return [
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
        # The concat demuxer takes stream k of every file for its stream k.
        ("the index of its video stream", video.index, str(video.index)),
    ]
