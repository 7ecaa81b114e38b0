"""The arithmetic and the filter graph of a re-encoded concatenation.

Everything is counted in frames of the output's rate ``fps``. Input ``i`` lasts exactly
``n_i = round(length_i × fps)`` frames (its length after trims), and a transition of ``d``
seconds into it lasts ``t_i = round(d × fps)`` frames, shared with the end of input ``i − 1``. So
input ``i`` starts at frame ``c_i = c_{i−1} + n_{i−1} − t_i`` and the output has
``Σ n_i − Σ t_i`` frames. The audio follows the same frames: the output's sample ``A(f)`` at
frame ``f`` is ``round(f × 48000 / fps)``, input ``i``'s audio runs from ``A(c_i)`` to
``A(c_i + n_i)``, and each crossfade is the overlap of two of those ranges, so the audio lines
up with the picture at every cut, however many there are, with no drift.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from framecast.contracts.vocab import TRANSITIONS
from framecast.errors import RenderError
from framecast.render.probe import MediaInfo, VideoStreamInfo

__all__ = [
    "SAMPLE_RATE",
    "ConcatInput",
    "Segment",
    "Timeline",
    "Transition",
    "filter_graph",
    "plan_timeline",
]

SAMPLE_RATE = 48000
# The blurred fill, as img2vid's (render/compose.py): made this many times smaller than the
# frame, darkened, blurred there and scaled back up, so its cost stays a few percent of a frame.
_FILL_SHRINK = 8
_FILL_SIGMA = 3.0
_FILL_DARKEN = 0.55
_BT709 = "color_primaries=bt709:color_trc=bt709:colorspace=bt709:range=tv"
# AVColorSpace values swscale converts from; anything else (unspecified above all) is taken
# as BT.709 and left as it is, as the frame pipeline does for its raw frames.
_MATRICES = {4: "fcc", 5: "bt470", 6: "smpte170m", 7: "smpte240m", 9: "bt2020"}


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

    start: float  # seconds into the input where the segment begins
    length: float | None  # seconds read from there; None: to the input's end
    frames: int  # n_i
    first: int  # the output frame where it begins: c_i
    overlap: int  # frames shared with the previous segment by a transition: t_i
    transition: str | None  # the xfade name of that transition
    video: int  # the input's video stream (its index in the file)
    audio: int | None  # the input's audio stream; None: it has none
    colorspace: int | None  # the input's AVColorSpace

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
                start, length, frames, first, overlap, name, video.index, audio, video.colorspace
            )
        )
        first += frames
    return Timeline(fps, tuple(segments))


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


def filter_graph(
    timeline: Timeline, width: int, height: int, fit: str, audio: bool
) -> tuple[str, str, str]:
    """The ``-filter_complex`` of ``timeline`` (segment ``i`` is ffmpeg's input ``i``), one
    statement a line, and the labels of its video and audio outputs."""
    lines: list[str] = []
    for i, segment in enumerate(timeline.segments):
        lines += _video_chain(i, segment, timeline.fps, width, height, fit)
        if audio:
            lines.append(_audio_chain(i, segment, timeline))
    video, sound = _join(lines, timeline, 0, len(timeline.segments), audio)
    return ";\n".join(lines) + "\n", f"[{video}]", f"[{sound}]"


def _video_chain(
    i: int, segment: Segment, fps: Fraction, width: int, height: int, fit: str
) -> list[str]:
    # fps first, so frames that are dropped are never scaled; start_time=0 fills from the
    # first frame if the video starts after its container. tpad + trim make the count exact
    # whatever the source's rounding.
    head = f"[{i}:{segment.video}]fps=fps={_q(fps)}:start_time=0"
    tail = f"setsar=1,setparams={_BT709},tpad=stop_mode=clone:stop={segment.frames}"
    tail += f",trim=end_frame={segment.frames}[v{i}]"
    colour = _colour(segment.colorspace)
    contain = f"scale=w={width}:h={height}:force_original_aspect_ratio=decrease"
    contain += f":force_divisible_by=2:reset_sar=1:{colour},format=yuv420p"
    if fit == "cover":
        cover = f"scale=w={width}:h={height}:force_original_aspect_ratio=increase:reset_sar=1"
        return [f"{head},{cover}:{colour},format=yuv420p,crop={width}:{height},{tail}"]
    if fit == "contain":
        return [f"{head},{contain},pad={width}:{height}:-1:-1:color=black,{tail}"]
    small_w, small_h = _even(width / _FILL_SHRINK), _even(height / _FILL_SHRINK)
    keep = 1 - _FILL_DARKEN
    darken = f"lutyuv=y=val-(val-16)*{keep:g}:u=val-(val-128)*{keep:g}:v=val-(val-128)*{keep:g}"
    return [
        f"{head},split=2[bg{i}][fg{i}]",
        f"[bg{i}]scale=w={small_w}:h={small_h}:force_original_aspect_ratio=increase:reset_sar=1"
        f":flags=area:{colour},format=yuv420p,crop={small_w}:{small_h},{darken}"
        f",gblur=sigma={_FILL_SIGMA:g},scale={width}:{height}:flags=bilinear[fill{i}]",
        f"[fg{i}]{contain}[slot{i}]",
        f"[fill{i}][slot{i}]overlay=x=trunc((W-w)/4)*2:y=trunc((H-h)/4)*2,{tail}",
    ]


def _colour(colorspace: int | None) -> str:
    source = _MATRICES.get(colorspace or 0, "bt709")
    return f"in_color_matrix={source}:out_color_matrix=bt709:out_range=tv"


def _audio_chain(i: int, segment: Segment, timeline: Timeline) -> str:
    samples = timeline.sample(segment.end) - timeline.sample(segment.first)
    layout = f"sample_fmts=fltp:sample_rates={SAMPLE_RATE}:channel_layouts=stereo"
    if segment.audio is not None:
        # Padded or cut to the segment's length, so audio and video end together.
        head = f"[{i}:{segment.audio}]aresample={SAMPLE_RATE},aformat={layout}"
        head += f",apad=whole_len={samples}"
    else:
        head = f"anullsrc=r={SAMPLE_RATE}:cl=stereo,aformat={layout}"
    return f"{head},atrim=end_sample={samples},asetpts=N/SR/TB[a{i}]"


def _join(
    lines: list[str], timeline: Timeline, first: int, end: int, audio: bool
) -> tuple[str, str]:
    """Join segments ``first`` to ``end`` (excluded) as a balanced tree of two-input joins,
    log2(N) deep (a chain would pass the first segment's frames through every later join);
    the labels of the joined video and audio."""
    if end - first == 1:
        return f"v{first}", f"a{first}"
    middle = (first + end) // 2
    left = _join(lines, timeline, first, middle, audio)
    right = _join(lines, timeline, middle, end, audio)
    segments, fps = timeline.segments, timeline.fps
    entering = segments[middle]
    video, sound = f"v{first}_{end}", f"a{first}_{end}"
    if not entering.overlap:
        pads = [left[0], left[1], right[0], right[1]] if audio else [left[0], right[0]]
        outputs = f"[{video}c][{sound}]" if audio else f"[{video}c]"
        lines.append("".join(f"[{p}]" for p in pads) + f"concat=n=2:v=1:a={int(audio)}{outputs}")
        # concat's time base need not be 1/fps, which xfade requires of both its inputs.
        lines.append(f"[{video}c]settb={_q(1 / fps)}[{video}]")
        return video, sound
    # The right side enters where the left side's last frames overlap it.
    offset = (entering.first - segments[first].first) / fps
    lines.append(
        f"[{left[0]}][{right[0]}]xfade=transition={entering.transition}"
        f":duration={_seconds(entering.overlap / fps)}:offset={_seconds(offset)}[{video}]"
    )
    if audio:
        samples = timeline.sample(segments[middle - 1].end) - timeline.sample(entering.first)
        lines.append(f"[{left[1]}][{right[1]}]acrossfade=ns={samples}:c1=tri:c2=tri[{sound}]")
    return video, sound


def _q(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"


def _seconds(value: Fraction) -> str:
    # xfade reads microseconds and rounds them to its time base (1/fps): exact frames.
    return f"{float(value):.6f}"


def _even(value: float, least: int = 2) -> int:
    return max(least, 2 * round(value / 2))
