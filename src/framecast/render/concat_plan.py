"""The arithmetic of a re-encoded concatenation: the output's size and rate, and where every
input lies in it.

Everything is counted in frames of the output's rate ``fps``. Input ``i`` lasts exactly
``n_i = round(length_i × fps)`` frames (its length after trims), and a transition of ``d``
seconds into it lasts ``t_i = round(d × fps)`` frames, shared with the end of input ``i − 1``. So
input ``i`` starts at frame ``c_i = c_{i−1} + n_{i−1} − t_i`` and the output has
``Σ n_i − Σ t_i`` frames. The audio follows the same frames: the output's sample ``A(f)`` at
frame ``f`` is ``round(f × 48000 / fps)``, input ``i``'s audio runs from ``A(c_i)`` to
``A(c_i + n_i)``, and each crossfade is the overlap of two of those ranges, so the audio lines
up with the picture at every cut, however many there are, with no drift. An input's time
starts at its first frame: sound before the picture (MPEG-TS, edited MP4) is left out. The filter
graph that does it is in :mod:`framecast.render.concat_graph`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from framecast.contracts.vocab import TRANSITIONS
from framecast.errors import RenderError
from framecast.render.fill import even
from framecast.render.probe import MediaInfo, VideoStreamInfo

__all__ = [
    "SAMPLE_RATE",
    "ConcatInput",
    "ConcatSpec",
    "Segment",
    "Timeline",
    "Transition",
    "output_fps",
    "output_size",
    "plan_timeline",
    "requested_rate",
]

SAMPLE_RATE = 48000
_SEEK_MARGIN = 0.0005  # seconds: a seek in µs may land after a frame's exact time
_FPS_DENOMINATOR = 1001  # a rate as a fraction: 12.5 → 25/2


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
class Transition:
    """An xfade transition (a name from ``TRANSITIONS``) of ``duration`` seconds."""

    type: str
    duration: float


@dataclass(frozen=True)
class ConcatInput:
    """One video to join: its file, the part of it to keep (seconds), and the transition
    into it from the previous one (ignored on the first)."""

    path: Path
    trim_start: float = 0.0
    trim_end: float | None = None
    transition: Transition | None = None


@dataclass(frozen=True)
class Segment:
    """One input's place in the output, in output frames."""

    start: float  # seconds into the input file (from its earliest stream) where it begins
    length: float | None  # seconds read from there; None: to the input's end
    frames: int  # n_i
    first: int  # the output frame where it begins: c_i
    overlap: int  # frames shared with the previous segment by a transition: t_i
    transition: str | None  # the xfade name of that transition
    video: int  # the input's video stream (its index in the file)
    audio: int | None  # the input's audio stream; None: it has none
    colorspace: int | None  # the input's AVColorSpace
    primaries: int | None  # its AVColorPrimaries
    transfer: int | None  # its AVColorTransferCharacteristic

    @property
    def end(self) -> int:
        return self.first + self.frames


@dataclass(frozen=True)
class Timeline:
    """Where every input lies in the output."""

    fps: Fraction
    segments: tuple[Segment, ...]

    @property
    def frames(self) -> int:
        return self.segments[-1].end

    @property
    def cuts(self) -> list[float]:
        """The time where each input starts (for a transition: where the transition starts)."""
        return [float(s.first / self.fps) for s in self.segments]

    def sample(self, frame: int) -> int:
        """The output's audio sample at the start of ``frame``."""
        return round(frame * SAMPLE_RATE / self.fps)


def plan_timeline(inputs: list[ConcatInput], media: list[MediaInfo], fps: Fraction) -> Timeline:
    """The timeline of ``inputs`` (whose files hold ``media``) at ``fps``; RenderError, naming
    the field, for a trim or a transition that doesn't fit."""
    segments: list[Segment] = []
    first = 0
    for i, (item, info) in enumerate(zip(inputs, media, strict=True)):
        video = info.video
        if video is None:
            raise RenderError(f"videos[{i}] has no video stream")
        start, end = _trims(i, item, video)
        frames = round((end - start) * fps)
        if frames < 1:
            raise RenderError(f"videos[{i}] is shorter than one frame after trims")
        overlap, name = (0, None) if i == 0 else _transition(i, item.transition, fps)
        if overlap and item.transition is not None:
            before, asked = segments[-1], f"videos[{i}].transition.duration"
            asked += f" ({_s(item.transition.duration)})"
            if overlap > before.frames or overlap > frames:
                shorter = i - 1 if before.frames < frames else i
                raise RenderError(
                    f"{asked} is longer than videos[{shorter}]"
                    f" ({_s(min(before.frames, frames) / fps)} after trims)"
                )
            previous = inputs[i - 1].transition
            if overlap + before.overlap > before.frames and previous is not None:
                raise RenderError(
                    f"{asked} overlaps the transition into videos[{i - 1}]"
                    f" ({_s(previous.duration)}): videos[{i - 1}] lasts"
                    f" {_s(before.frames / fps)} after trims"
                )
            first -= overlap
        length = None if end >= video.duration else end - start
        audio = info.audio.index if info.audio else None
        segments.append(
            Segment(
                _seek(video, start),
                length,
                frames,
                first,
                overlap,
                name,
                video.index,
                audio,
                video.colorspace,
                video.primaries,
                video.transfer,
            )
        )
        first += frames
    return Timeline(fps, tuple(segments))


def output_size(spec: ConcatSpec, first: VideoStreamInfo) -> tuple[int, int]:
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
    return even(width), even(height)


def output_fps(spec: ConcatSpec, first: VideoStreamInfo) -> Fraction:
    """The asked rate, else the first input's."""
    if spec.fps is not None:
        return requested_rate(spec.fps)
    assert first.fps is not None  # checked when the inputs were probed
    return first.fps.limit_denominator(_FPS_DENOMINATOR)


def requested_rate(fps: float) -> Fraction:
    """A requested rate as a fraction; 23.976, 29.97, 59.94… as the NTSC rates they stand for
    (24000/1001…), which the videos they come from have: 2997/100 would drop a frame of those
    every 33 s."""
    ntsc = fps * 1001 / 1000
    if abs(ntsc - round(ntsc)) < 1e-3 < abs(fps - round(fps)):
        return Fraction(round(ntsc) * 1000, 1001)
    return Fraction(fps).limit_denominator(_FPS_DENOMINATOR)


def _trims(i: int, item: ConcatInput, video: VideoStreamInfo) -> tuple[float, float]:
    start, end = item.trim_start, item.trim_end
    if start < 0:
        raise RenderError(f"videos[{i}].trim_start must be at least 0, got {start:g}")
    if start >= video.duration:
        raise RenderError(
            f"videos[{i}].trim_start ({_s(start)}) is beyond the end of the video"
            f" ({_s(video.duration)})"
        )
    if end is not None and end <= start:
        raise RenderError(
            f"videos[{i}].trim_end ({_s(end)}) must be after trim_start ({_s(start)})"
        )
    return start, video.duration if end is None else min(end, video.duration)


def _seek(video: VideoStreamInfo, start: float) -> float:
    """Where ffmpeg seeks (``-ss``, from the file's start) for a segment that starts ``start``
    seconds after the first frame: where the frame shown then starts, a hair early, since ``-ss``
    drops every frame that starts before it (a trim inside the last frame would keep none)."""
    shown = math.floor(start * video.fps + 1e-6) / video.fps if video.fps else start
    seek = video.start + float(shown)
    return max(0.0, seek - _SEEK_MARGIN) if seek else 0.0


def _transition(i: int, transition: Transition | None, fps: Fraction) -> tuple[int, str | None]:
    if transition is None:
        return 0, None
    if transition.type not in TRANSITIONS:
        raise RenderError(
            f"videos[{i}].transition.type {transition.type!r} is not a transition"
            f" ({', '.join(TRANSITIONS[:4])}, …)"
        )
    if not transition.duration > 0:
        raise RenderError(
            f"videos[{i}].transition.duration must be more than 0, got {transition.duration:g}"
        )
    frames = round(transition.duration * fps)
    return frames, transition.type if frames else None  # under half a frame: a cut


def _s(seconds: float | Fraction) -> str:
    return f"{float(seconds):.3f}".rstrip("0").rstrip(".") + " s"
