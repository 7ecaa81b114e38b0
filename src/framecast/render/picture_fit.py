"""The picture under the new sound: copied, packet for packet, whenever its length stays; else
fitted to the output's length (freeze, loop, retime, trim) in one encode.

The output lasts the video (``fit.length`` video), the narration plus a tail, or the shorter or
longer of the two. A length within half a frame of the video's is the video's: the picture is
copied. Otherwise ``fit.picture`` says how it changes; a retime beyond ``fit.max_retime`` is
refused with the factor it would need, never applied.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

import av

from framecast.config import EncoderConfig
from framecast.errors import RenderError
from framecast.render.audio_spec import PictureFit
from framecast.render.colour import BT709_PARAMS, BT709_TAGS, to_bt709
from framecast.render.encode import choose_encoder, encoder_args
from framecast.render.probe import VideoStreamInfo

__all__ = ["PicturePlan", "StreamSpan", "picture_arguments", "plan_picture", "stream_spans"]

_COPYABLE = ("h264",)  # what every framecast output is: H.264 in MP4
_FPS_DENOMINATOR = 1001


@dataclass(frozen=True)
class PicturePlan:
    """What happens to the picture, and how long the output is."""

    how: str  # copy | reencode (same length) | freeze | loop | retime | trim
    duration: float  # the output's, seconds
    video_duration: float  # the picture's own, seconds (one pass of a loop)
    frames: int | None = None  # re-encodes: the output's frame count
    fps: Fraction | None = None  # re-encodes: the output's rate (the video's)
    factor: float = 1.0  # retime: output length / video length
    video_start: float = 0.0  # the picture's first timestamp in its file, seconds

    @property
    def copied(self) -> bool:
        return self.how == "copy"


def plan_picture(
    fit: PictureFit, video: VideoStreamInfo, shown: StreamSpan | None, narration_end: float | None
) -> PicturePlan:
    """The picture's fate under ``fit``: the picture spans ``shown`` in its file (None: its
    packets have no timestamps, as in a raw H.264 stream), the narration (if any) ends at
    ``narration_end`` s from the picture's first frame."""
    if shown is None:
        # Copied, it would get timestamps ffmpeg makes up (B-frames: from 2 frames before 0).
        return _plan(fit, video, video.duration, narration_end, copyable=False)
    plan = _plan(fit, video, shown.duration, narration_end, video.codec in _COPYABLE)
    return replace(plan, video_start=shown.start)


def _plan(
    fit: PictureFit,
    video: VideoStreamInfo,
    video_end: float,
    narration_end: float | None,
    copyable: bool,
) -> PicturePlan:
    target = _output_length(fit, video_end, narration_end)
    fps = _fps(video, video_end)
    if abs(target - video_end) < 0.5 / fps:
        if copyable:
            return PicturePlan("copy", video_end, video_end)
        frames = max(1, round(video_end * fps))
        return PicturePlan("reencode", float(frames / fps), video_end, frames, fps)
    how, longer = fit.picture, target > video_end
    if how == "error":
        raise RenderError(
            f"fit.picture: error: the output would last {target:.3f} s (fit.length"
            f" {fit.length}) but the video lasts {video_end:.3f} s; they differ by"
            f" {abs(target - video_end):.3f} s"
        )
    if how in ("freeze", "loop") and not longer:
        how = "trim"  # there is nothing to freeze or repeat in a shorter output
    if how == "trim" and longer:
        raise RenderError(
            f"fit.picture: trim cannot make the {video_end:.3f} s video last {target:.3f} s;"
            " use freeze, loop or retime"
        )
    if how == "retime" and abs(target / video_end - 1) > fit.max_retime + 1e-9:
        factor = target / video_end
        raise RenderError(
            f"fit.max_retime: fitting the {video_end:.3f} s video to {target:.3f} s needs a"
            f" retime factor of {factor:.3f} ({(factor - 1) * 100:+.1f} %), beyond"
            f" ±{fit.max_retime * 100:g} %; use fit.picture freeze, loop or trim"
        )
    # Whole frames, rounded up: the length follows the narration, whose end is never cut.
    frames = max(1, math.ceil(target * fps - 1e-6))
    duration = float(frames / fps)
    factor = duration / video_end if how == "retime" else 1.0  # of whole frames: exact
    return PicturePlan(how, duration, video_end, frames, fps, factor)


def _output_length(fit: PictureFit, video_end: float, narration_end: float | None) -> float:
    if fit.length == "video" or narration_end is None:
        return video_end
    spoken = narration_end + fit.tail
    if fit.length == "narration":
        return spoken
    return min(video_end, spoken) if fit.length == "shortest" else max(video_end, spoken)


def _fps(video: VideoStreamInfo, video_end: float) -> Fraction:
    if video.fps:
        return video.fps.limit_denominator(_FPS_DENOMINATOR)
    return Fraction(max(1, video.frames) / max(video_end, 1e-3)).limit_denominator(_FPS_DENOMINATOR)


def picture_arguments(
    plan: PicturePlan,
    video: Path,
    stream: VideoStreamInfo,
    audio: Path,
    output: Path,
    config: EncoderConfig,
) -> list[str]:
    """ffmpeg arguments putting the picture of ``video`` (fitted by ``plan``) and the AAC
    ``audio`` (copied) into the MP4 ``output``."""
    mp4 = ["-movflags", "+faststart", "-f", "mp4", "-y", str(output)]
    if plan.copied:
        # Timestamps kept, the picture's moved to start at 0: ffmpeg's own shift depends on
        # the container (a TS picture after its sound starts at 0, an MP4 one keeps its gap).
        arguments = ["-loglevel", "error", "-copyts", "-itsoffset", f"{-plan.video_start:.6f}"]
        arguments += ["-i", str(video), "-i", str(audio)]
        arguments += ["-map", f"0:{stream.index}", "-map", "1:a:0", "-c", "copy"]
        return [*arguments, *mp4]
    assert plan.fps is not None and plan.frames is not None
    arguments = ["-loglevel", "error"]
    arguments += ["-stream_loop", "-1"] if plan.how == "loop" else []
    arguments += ["-i", str(video), "-i", str(audio)]
    chain = [
        f"setpts=(PTS-STARTPTS)*{plan.factor:.9f}" if plan.factor != 1 else "setpts=PTS-STARTPTS"
    ]
    chain.append(f"fps=fps={plan.fps.numerator}/{plan.fps.denominator}")
    first, colour = to_bt709(stream.colorspace, stream.primaries, stream.transfer)
    chain += [first] if first is not None else []
    chain.append(f"scale={colour}")
    chain.append(f"format=yuv420p,setparams={BT709_PARAMS}")
    if plan.how in ("freeze", "retime"):
        chain.append("tpad=stop=-1:stop_mode=clone")  # the last frame, as long as needed
    arguments += ["-filter_complex", f"[0:{stream.index}]{','.join(chain)}[v]"]
    arguments += ["-map", "[v]", "-map", "1:a:0", "-c:a", "copy"]
    arguments += [*encoder_args(choose_encoder(config), config), "-pix_fmt", "yuv420p", *BT709_TAGS]
    return [*arguments, "-frames:v", str(plan.frames), *mp4]


@dataclass(frozen=True)
class StreamSpan:
    """Where a stream starts and ends in its file, in seconds."""

    start: float  # as its container says (else its first packet's): where ffmpeg starts it
    first: float  # its earliest packet timestamp
    end: float  # the latest presentation timestamp plus duration among its packets

    @property
    def duration(self) -> float:
        """From its earliest packet to its end: a picture's length, in one reading of its
        timestamps (an AVI has none for B-frames; libavformat versions guess them apart)."""
        return self.end - self.first


def stream_spans(path: Path, indexes: Sequence[int]) -> dict[int, StreamSpan]:
    """Where each stream of ``indexes`` that has timestamps starts and ends. An MPEG-TS (or an
    edited MP4) may start its picture after its sound: the picture is its span, not its end."""
    ends: dict[int, float] = {}
    firsts: dict[int, float] = {}
    try:
        with av.open(str(path)) as container:
            streams = [container.streams[i] for i in indexes]
            for packet in container.demux(*streams):
                if packet.pts is None or not packet.size or packet.time_base is None:
                    continue
                at = float(packet.pts * packet.time_base)
                end = at + float((packet.duration or 0) * packet.time_base)
                index = packet.stream.index
                ends[index] = max(ends.get(index, end), end)
                firsts[index] = min(firsts.get(index, at), at)
            starts = {s.index: _start(s, firsts[s.index]) for s in streams if s.index in firsts}
    except (av.FFmpegError, IndexError) as exc:
        raise RenderError(f"{path.name}: cannot read its packets ({exc})") from exc
    return {i: StreamSpan(starts[i], firsts[i], end) for i, end in ends.items()}


def _start(stream: av.stream.Stream, first_packet: float) -> float:
    # The container's word: an MP4's edit list hides AAC's priming, whose packets come before
    # 0, and an AVI's is its first frame's, whatever timestamps PyAV guesses for its packets.
    if stream.start_time is None or stream.time_base is None:
        return first_packet
    return float(stream.start_time * stream.time_base)
