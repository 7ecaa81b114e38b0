"""concatenate: videos joined into one (stream copy when possible), with transitions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import ConfigDict, Field

from framecast.config import Settings
from framecast.contracts.envelope import JobEnvelope, JobResult
from framecast.contracts.fields import ConcatAudio, ConcatMode, FitName, Frozen, TransitionName
from framecast.contracts.plan import NewItem, Plan, WorkItem, media_url
from framecast.contracts.render import FrameSize
from framecast.contracts.upload_target import ApiUpload
from framecast.errors import InputError

MIN_VIDEOS, MAX_VIDEOS = 2, 500
MAX_TRANSITION_SECONDS = 10.0
# A deadline allows this much work per input video on top of JOB_TIMEOUT_SECONDS: a minute of
# 1080p decoded, fitted and encoded at the slowest worker's pace.
SECONDS_PER_VIDEO = 120.0


class TransitionSpec(Frozen):
    """A transition between two videos; they overlap by ``duration``."""

    type: TransitionName = Field(
        description="An ffmpeg xfade name (fade, fadeblack, wipeleft, slideleft, circleopen,"
        " dissolve, …) or none (a plain cut)."
    )
    duration: float = Field(0.5, gt=0, le=MAX_TRANSITION_SECONDS, description="Seconds.")


class ConcatVideo(Frozen):
    """One input video, optionally trimmed; ``transition`` leads into it from the one before."""

    video_url: str = Field(min_length=1, max_length=8192, description="http(s) URL of a video.")
    trim_start: float = Field(0.0, ge=0, description="Seconds cut from the start.")
    trim_end: float | None = Field(
        None, gt=0, description="Where the video ends, in seconds of the input (default: its end)."
    )
    transition: TransitionSpec | None = Field(
        None, description="Overrides the request's transition into this video."
    )


class ConcatenateCreate(FrameSize, JobEnvelope):
    """``POST /video/concatenate``: 2–500 videos in, one video out."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "final",
                    "videos": [
                        {"video_url": "https://example.com/a.mp4"},
                        {"video_url": "https://example.com/b.mp4", "trim_start": 1.5},
                        {"video_url": "https://example.com/c.mp4", "transition": {"type": "none"}},
                    ],
                    "transition": {"type": "fade", "duration": 0.5},
                    "aspect": "9:16",
                    "fps": 30,
                    "fit": "blur",
                }
            ]
        }
    )

    id: str = Field("video", min_length=1, max_length=256, description="Your id; echoed back.")
    videos: list[ConcatVideo] = Field(
        description=f"{MIN_VIDEOS}–{MAX_VIDEOS} videos, in order.",
        # Checked by plan_concatenate (its message names the limit); the document says it too.
        json_schema_extra={"minItems": MIN_VIDEOS, "maxItems": MAX_VIDEOS},
    )
    transition: TransitionSpec | None = Field(
        None, description="Between every two videos (default: plain cuts)."
    )
    fps: float | None = Field(None, ge=1, le=60, description="Default: the first video's.")
    fit: FitName = Field("cover", description="How a video of another aspect fills the frame.")
    audio: ConcatAudio = Field("keep", description="keep (crossfaded with the picture) or mute.")
    mode: ConcatMode = Field(
        "auto", description="auto (stream copy when the inputs allow it), copy or reencode."
    )


class ConcatSource(WorkItem):
    """The worker item: the videos to join."""

    videos: list[ConcatVideo] = Field(min_length=MIN_VIDEOS, max_length=MAX_VIDEOS)


class ConcatOptions(Frozen):
    """The worker job's options (size and fps None: the first video's)."""

    width: int | None = None
    height: int | None = None
    fps: float | None = None
    fit: FitName = "cover"
    audio: ConcatAudio = "keep"
    mode: ConcatMode = "auto"


class ConcatenateJob(Frozen):
    """The worker job of concatenate: one item, one output."""

    operation: Literal["concatenate"]
    job_id: str = Field(min_length=1, max_length=128)
    items: list[ConcatSource] = Field(min_length=1, max_length=1)
    options: ConcatOptions = Field(default_factory=ConcatOptions)
    upload: ApiUpload | None = None


def plan_concatenate(body: ConcatenateCreate, settings: Settings) -> Plan:
    """One item holding the videos, each with the transition into it resolved."""
    videos = concat_inputs(body, lambda url, field: media_url(url, field, settings))
    return Plan(
        [NewItem(body.id, {"videos": videos})],
        concat_options(body).model_dump(exclude_none=True),
        SECONDS_PER_VIDEO * len(videos),
    )


def concat_options(body: ConcatenateCreate) -> ConcatOptions:
    """The worker job's options of ``body`` (an aspect read as its size)."""
    size = body.output_size(None)
    return ConcatOptions(
        width=size[0] if size else None,
        height=size[1] if size else None,
        fps=body.fps,
        fit=body.fit,
        audio=body.audio,
        mode=body.mode,
    )


def concat_inputs(
    body: ConcatenateCreate, source: Callable[[str, str], str]
) -> list[dict[str, Any]]:
    """The videos as the worker takes them, after the rules that span fields; ``source``
    checks each ``video_url`` (a URL for the API, a local file for the CLI)."""
    count = len(body.videos)
    if not MIN_VIDEOS <= count <= MAX_VIDEOS:
        raise InputError(f"videos: {MIN_VIDEOS} to {MAX_VIDEOS} videos; got {count}")
    body.output_size(None)  # raises when size fields contradict each other
    videos: list[dict[str, Any]] = []
    for i, video in enumerate(body.videos):
        field = f"videos[{i}]"
        if video.trim_end is not None and video.trim_end <= video.trim_start:
            raise InputError(
                f"{field}.trim_end: must be after trim_start ({video.trim_start:g} s);"
                f" got {video.trim_end:g}"
            )
        if i == 0 and video.transition is not None:
            raise InputError(f"{field}.transition: the first video has no video before it")
        transition = video.transition or (body.transition if i else None)
        entry = video.model_dump(exclude={"transition"}, exclude_none=True)
        entry["video_url"] = source(video.video_url, f"{field}.video_url")
        if transition is not None and transition.type != "none":
            entry["transition"] = transition.model_dump()
        videos.append(entry)
    if body.mode == "copy":
        _check_copyable(body, videos)
    return videos


def _check_copyable(body: ConcatenateCreate, videos: list[dict[str, Any]]) -> None:
    """mode copy joins packets as they are: nothing may need a new picture."""
    for i, video in enumerate(videos):
        for name in ("trim_start", "trim_end", "transition"):
            if video.get(name):
                raise InputError(
                    f"videos[{i}].{name}: mode copy cannot trim or add transitions;"
                    " use mode auto or reencode"
                )
    for name in ("width", "height", "aspect", "fps"):
        if getattr(body, name) is not None:
            raise InputError(
                f"{name}: mode copy keeps the inputs' size and frame rate; use mode auto or"
                " reencode to change them"
            )


class ConcatenatePublic(JobResult):
    """The answer of concatenate: one video (with its duration, width, height, fps)."""

    mode: str | None = Field(None, description="copy (stream copy) or reencode.")
    cuts: list[float] | None = Field(
        None, description="Where each input starts in the result, in seconds."
    )
