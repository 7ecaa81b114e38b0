"""compose: scenes (images, video clips) with narration, music and captions → one finished
video, every frame made by the renderer and encoded once (request, wire, plan).

A scene lasts its ``duration``, or the transition into it + its narration's decoded length +
``pad``: the narration starts once the picture has come in, so two narrations never overlap.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    WithJsonSchema,
    model_validator,
)

from framecast.config import Settings
from framecast.contracts.audio import MAX_PARTS, AudioTrackSpec, DuckSpec, Loudness, LoudnessSpec
from framecast.contracts.caption import (
    MAX_INLINE_CHARS,
    MAX_REPLACEMENTS,
    MAX_WORDS,
    SIDECAR_FILES,
    SOURCES,
    TEXT_SOURCES,
    AlignmentSpec,
    CaptionStyle,
    Replacement,
    WordSpec,
    is_url,
)
from framecast.contracts.envelope import JobEnvelope, JobResult
from framecast.contracts.fields import Frozen, MotionName, one_of
from framecast.contracts.plan import NewItem, Plan, WorkItem, frames_allowance, media_url
from framecast.contracts.render import FrameSize, MotionFields, RenderBlock
from framecast.contracts.upload_target import ApiUpload
from framecast.contracts.vocab import COMPOSE_TRANSITIONS, FONT_FAMILIES
from framecast.errors import InputError

MAX_SCENES = 500
MAX_SCENE_SECONDS = 600.0
MAX_TRANSITION_SECONDS = 5.0
MAX_SEGMENTS = 16
MAX_VIDEO_SECONDS = 4 * 3600.0  # the longest video a compose makes
TIMELINE_FILE = "timeline.json"  # uploaded beside the video: the timeline in full
# The files a compose item uploads beside its video.
COMPOSE_FILES = (TIMELINE_FILE, *SIDECAR_FILES)
# A deadline allows this much per scene on top of JOB_TIMEOUT_SECONDS (downloads, a narration
# measured), and the scenes' frames at the slowest worker's pace.
SECONDS_PER_SCENE = 30.0
ASSUMED_SCENE_SECONDS = 30.0  # a scene that lasts its narration's or its video's length
Url = str
_PARTS_SCHEMA = WithJsonSchema(
    {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": MAX_PARTS}
)
_MOTION_ONLY = ("motion", "zoom", "easing", "start", "end")  # fit and background suit videos too
ComposeTransitionName = Annotated[
    str,
    AfterValidator(one_of(COMPOSE_TRANSITIONS)),
    WithJsonSchema({"enum": list(COMPOSE_TRANSITIONS)}),
]


class SceneTransition(Frozen):
    """How a scene comes in over the end of the one before; they overlap by ``duration``."""

    type: ComposeTransitionName = Field(
        description="none (a cut), fade, fadeblack, fadewhite, wipe… or slide… (left, right,"
        " up, down)."
    )
    duration: float = Field(0.5, gt=0, le=MAX_TRANSITION_SECONDS, description="Seconds.")


class SceneSpec(MotionFields):
    """One scene: an image (moving as motion says) or a video clip, with its narration."""

    image_url: str | None = Field(None, min_length=1, max_length=8192)
    video_url: str | None = Field(None, min_length=1, max_length=8192)
    narration_url: Url | Annotated[list[Url], _PARTS_SCHEMA] | None = Field(
        None, description="Audio said over the scene, or a list of parts joined in order."
    )
    duration: float | None = Field(
        None,
        gt=0,
        le=MAX_SCENE_SECONDS,
        description="Seconds the scene lasts, the transition into it included (default: the"
        " transition + the narration + pad; a video: to its end).",
    )
    trim_start: float = Field(0.0, ge=0, description="Video scenes: seconds skipped.")
    transition: SceneTransition | None = Field(
        None, description="Into this scene (overrides the request's transition)."
    )
    words: list[WordSpec] | None = Field(
        None, min_length=1, max_length=MAX_WORDS, description="Times in the narration's seconds."
    )
    alignment: AlignmentSpec | None = Field(
        None, description="A TTS provider's character alignment of the narration."
    )

    def narration_parts(self) -> list[str]:
        if self.narration_url is None:
            return []
        return [self.narration_url] if isinstance(self.narration_url, str) else self.narration_url


class MusicSpec(Frozen):
    """A music bed under the whole video (looped to its length, faded out at the end)."""

    url: Url = Field(min_length=1, max_length=8192)
    volume_db: float = Field(-18.0, ge=-60, le=24, description="Gain in dB.")
    duck: DuckSpec | None = Field(None, description="Lower it while narration plays.")
    fade_in: float = Field(0.0, ge=0, le=60)
    fade_out: float = Field(2.0, ge=0, le=60, description="Seconds faded out before the end.")
    loop: bool = Field(True, description="Repeat to fill the video.")
    trim_start: float = Field(0.0, ge=0)

    def as_track(self) -> AudioTrackSpec:
        """The audio operation's music track of the same settings, from the video's start."""
        return AudioTrackSpec(role="music", **self.model_dump())


class ComposeCaptions(Frozen):
    """Captions burned in the same encode: the scenes' words (or alignment), shifted to where
    each narration starts, or one source for the whole video (srt, vtt, ass, words, alignment:
    times of the finished video, taken as they are)."""

    style: CaptionStyle = Field(default_factory=CaptionStyle)
    srt: str | None = Field(None, min_length=1, max_length=MAX_INLINE_CHARS)
    vtt: str | None = Field(None, min_length=1, max_length=MAX_INLINE_CHARS)
    ass: str | None = Field(None, min_length=1, max_length=MAX_INLINE_CHARS)
    words: list[WordSpec] | None = Field(None, min_length=1, max_length=MAX_WORDS)
    alignment: AlignmentSpec | None = None
    replace: list[Replacement] = Field(default_factory=list, max_length=MAX_REPLACEMENTS)
    sidecars: bool = Field(True, description="Upload the SRT, VTT, ASS and words JSON too.")

    def source(self) -> str | None:
        """Which whole-video source is given (None: the scenes' words)."""
        given = [name for name in SOURCES if getattr(self, name) is not None]
        if len(given) > 1:
            raise InputError(
                "captions: give at most one of srt, vtt, ass, words, alignment; got "
                + ", ".join(given)
            )
        return given[0] if given else None


class ComposeCreate(FrameSize, JobEnvelope):
    """``POST /video/compose``: scenes + narration + music + captions → one video, one encode."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "video-42",
                    "aspect": "9:16",
                    "fps": 30,
                    "fit": "blur",
                    "scenes": [
                        {
                            "image_url": "https://example.com/1.jpg",
                            "narration_url": "https://example.com/s1.mp3",
                            "words": [{"word": "Once", "start": 0.1, "end": 0.4}],
                            "motion": "zoom_in",
                        },
                        {
                            "image_url": "https://example.com/2.jpg",
                            "narration_url": "https://example.com/s2.mp3",
                            "transition": {"type": "fade", "duration": 0.4},
                        },
                        {
                            "video_url": "https://example.com/stock.mp4",
                            "trim_start": 2,
                            "duration": 3,
                        },
                    ],
                    "captions": {"style": {"preset": "karaoke", "safe_area": "tiktok"}},
                    "music": {
                        "url": "https://example.com/bed.mp3",
                        "volume_db": -18,
                        "fade_out": 2,
                    },
                    "loudness": "youtube",
                }
            ]
        }
    )

    id: str = Field("video", min_length=1, max_length=256, description="Your id; echoed back.")
    scenes: list[SceneSpec] = Field(
        description=f"1–{MAX_SCENES} scenes, in order.",
        json_schema_extra={"minItems": 1, "maxItems": MAX_SCENES},
    )
    fps: float = Field(30.0, ge=1, le=60)
    motion: MotionName | None = Field(None, description="Every image scene's default move.")
    zoom: float | None = Field(None, ge=1.0, le=4.0)
    fit: Literal["cover", "contain", "blur"] | None = Field(None, description="Default cover.")
    background: str | None = Field(None, pattern=r"^#[0-9a-fA-F]{6}$")
    seed: int = Field(0, ge=0, le=2**63 - 1, description="Makes random's picks reproducible.")
    transition: SceneTransition | None = Field(
        None, description="Between every two scenes (default: cuts)."
    )
    pad: float = Field(0.15, ge=0, le=10, description="Silence after each scene's narration.")
    tail: float = Field(0.5, ge=0, le=60, description="Seconds the last scene is held after.")
    captions: ComposeCaptions | None = None
    music: MusicSpec | None = None
    loudness: Loudness = Field(
        None, description="A target, or youtube (-14/-1), podcast (-16/-1.5), broadcast (-23/-1)."
    )
    segments: int | None = Field(
        None,
        ge=1,
        le=MAX_SEGMENTS,
        description="Render in this many parts at once, joined without re-encoding (default:"
        " one per two minutes of video, at most one per CPU).",
    )
    dry_run: bool = Field(False, description="Answer the timeline at once; render nothing.")

    @model_validator(mode="after")
    def _scene_count(self) -> ComposeCreate:
        if not 1 <= len(self.scenes) <= MAX_SCENES:
            raise InputError(f"scenes: 1 to {MAX_SCENES} scenes; got {len(self.scenes)}")
        return self


class ComposeSource(WorkItem):
    """The worker item: the scenes with every URL checked and the transitions resolved."""

    scenes: list[SceneSpec] = Field(min_length=1, max_length=MAX_SCENES)
    music: MusicSpec | None = None
    captions_url: str | None = None  # captions.srt/vtt/ass given as a URL, checked
    font_url: str | None = None  # captions.style.font_url, checked


class ComposeOptions(Frozen):
    """The worker job's options: the frame, the timeline's rules, the sound and the captions."""

    render: RenderBlock
    pad: float = 0.15
    tail: float = 0.5
    captions: ComposeCaptions | None = None
    loudness: LoudnessSpec | None = None
    segments: int | None = None


class ComposeJob(Frozen):
    """The worker job of compose: one item, one output (plus its caption sidecars)."""

    operation: Literal["compose"]
    job_id: str = Field(min_length=1, max_length=128)
    items: list[ComposeSource] = Field(min_length=1, max_length=1)
    options: ComposeOptions
    upload: ApiUpload | None = None


class ComposePublic(JobResult):
    """The answer of compose: one video, its timeline and what was measured."""

    encode_passes: int | None = Field(None, description="Lossy video encodes made: 1.")
    timeline: dict[str, Any] | None = Field(
        None,
        description="duration, frames, fps, and each scene's start and length in seconds;"
        " the video's timeline.json file has every scene in full (frames, transition,"
        " narration start and length).",
    )
    loudness: dict[str, float] | None = Field(
        None, description="Measured on the result: integrated_lufs, true_peak_db, lra."
    )
    segments: int | None = Field(None, description="Parts rendered at once and joined.")
    font: dict[str, Any] | None = None
    pages: int | None = Field(None, description="Caption pages shown.")
    warnings: list[str] | None = None


class ComposeDryRun(BaseModel):
    """The answer of a dry run: the timeline (and caption pages); nothing rendered, no job."""

    code: int = 200
    message: str
    dry_run: bool = True
    id: str
    timeline: dict[str, Any]
    pages: int | None = None
    words: int | None = None
    warnings: list[str] | None = None


def plan_compose(body: ComposeCreate, settings: Settings) -> Plan:
    """One item: the scenes (URLs checked, transitions resolved), music and caption sources."""

    def checked(url: str, field: str) -> str:
        return media_url(url, field, settings)

    source = compose_source(body, checked)
    known = sum(s.duration or 0.0 for s in body.scenes) + body.tail
    known -= sum(s.transition.duration for s in body.scenes[1:] if s.transition is not None)
    check_length(known)
    options = compose_options(body).model_dump(exclude_none=True)
    width, height = options["render"]["width"], options["render"]["height"]
    # A narration's or a video's length is known only once it is fetched: assumed generous.
    seconds = sum(s.duration or ASSUMED_SCENE_SECONDS for s in body.scenes) + body.tail
    allowance = SECONDS_PER_SCENE * len(body.scenes)
    allowance += frames_allowance(seconds * body.fps, width, height)
    return Plan([NewItem(body.id, source)], options, allowance)


def check_length(seconds: float) -> None:
    """InputError unless a video of ``seconds`` is within MAX_VIDEO_SECONDS."""
    if seconds > MAX_VIDEO_SECONDS:
        raise InputError(
            f"scenes: the video would last {seconds:.0f} s; at most {MAX_VIDEO_SECONDS:.0f} s"
            " (split it in several composes and join them with /video/concatenate)"
        )


def compose_options(body: ComposeCreate) -> ComposeOptions:
    """The worker job's options of ``body`` (the frame read from aspect or width/height)."""
    width, height = body.output_size((1920, 1080)) or (1920, 1080)
    render = RenderBlock(
        width=width,
        height=height,
        fps=body.fps,
        motion=body.motion,
        zoom=body.zoom,
        fit=body.fit,
        background=body.background,
        seed=body.seed,
    )
    return ComposeOptions(
        render=render,
        pad=body.pad,
        tail=body.tail,
        captions=body.captions,
        loudness=body.loudness,
        segments=body.segments,
    )


def compose_source(body: ComposeCreate, checked: Callable[[str, str], str]) -> dict[str, Any]:
    """The worker item of ``body``; ``checked(url, field)`` checks each URL (or local path)."""
    block = compose_options(body).render
    scenes = []
    for i, scene in enumerate(body.scenes):
        scenes.append(_scene(body, block, i, scene, checked))
    source: dict[str, Any] = {"scenes": scenes}
    duck = body.music.duck if body.music is not None else None
    if duck is not None and duck.under != "narration":
        raise InputError(f"music.duck.under: the music ducks under narration; got {duck.under}")
    if duck is not None and not any(scene.narration_url for scene in body.scenes):
        raise InputError("music.duck: no scene has a narration_url to duck under")
    if body.music is not None:
        music = body.music.model_dump(exclude_none=True)
        music["url"] = checked(body.music.url, "music.url")
        source["music"] = music
    captions = body.captions
    if captions is not None:
        _check_captions(body, captions)
        kind = captions.source()
        text = getattr(captions, kind) if kind in TEXT_SOURCES else None
        if text is not None and is_url(text):
            source["captions_url"] = checked(text.strip(), f"captions.{kind}")
        if captions.style.font_url is not None:
            source["font_url"] = checked(captions.style.font_url, "captions.style.font_url")
    return source


def _scene(
    body: ComposeCreate,
    block: RenderBlock,
    i: int,
    scene: SceneSpec,
    checked: Callable[[str, str], str],
) -> dict[str, Any]:
    field = f"scenes[{i}]"
    if (scene.image_url is None) == (scene.video_url is None):
        given = "both" if scene.image_url else "neither"
        raise InputError(f"{field}: give image_url or video_url (one of them); got {given}")
    parts = scene.narration_parts()
    if not 0 <= len(parts) <= MAX_PARTS or (scene.narration_url is not None and not parts):
        raise InputError(f"{field}.narration_url: 1 to {MAX_PARTS} parts; got {len(parts)}")
    if scene.image_url is not None:
        if scene.duration is None and not parts:
            raise InputError(
                f"{field}: give duration (seconds) or narration_url: an image scene lasts its"
                " duration, or its narration + pad"
            )
        if scene.trim_start:
            raise InputError(f"{field}.trim_start: only video scenes are trimmed")
        block.motion_for(scene, i, field="scenes")  # raises naming scenes[i].<field>
    else:
        moved = [name for name in _MOTION_ONLY if getattr(scene, name) is not None]
        if moved:
            raise InputError(
                f"{field}.{moved[0]}: a video scene plays as it is; motion is for images"
            )
    if scene.words is not None and scene.alignment is not None:
        raise InputError(f"{field}: give words or alignment, not both")
    if (scene.words is not None or scene.alignment is not None) and not parts:
        what = "words" if scene.words is not None else "alignment"
        raise InputError(f"{field}.{what}: times of a narration; this scene has no narration_url")
    if i == 0 and scene.transition is not None:
        raise InputError(f"{field}.transition: the first scene has no scene before it")
    transition = scene.transition or (body.transition if i else None)
    entry = scene.model_dump(exclude={"transition", "narration_url"}, exclude_none=True)
    for name in ("image_url", "video_url"):
        url = getattr(scene, name)
        if url is not None:
            entry[name] = checked(url, f"{field}.{name}")
    if parts:
        urls = [
            checked(url, f"{field}.narration_url" + (f"[{j}]" if len(parts) > 1 else ""))
            for j, url in enumerate(parts)
        ]
        entry["narration_url"] = urls if isinstance(scene.narration_url, list) else urls[0]
    if transition is not None and transition.type != "none":
        entry["transition"] = transition.model_dump()
    return entry


def _check_captions(body: ComposeCreate, captions: ComposeCaptions) -> None:
    style = captions.style
    if style.font is not None and style.font_url is None and style.font not in FONT_FAMILIES:
        raise InputError(
            f"captions.style.font: no bundled family {style.font!r}; available: "
            + ", ".join(FONT_FAMILIES)
            + " (or give captions.style.font_url)"
        )
    kind = captions.source()
    if kind is None and not any(s.words or s.alignment for s in body.scenes):
        raise InputError(
            "captions: nothing to caption: give words (or alignment) on the narrated scenes,"
            " or one of captions.srt, vtt, ass, words, alignment for the whole video"
        )
    if kind == "ass" and captions.replace:
        raise InputError("captions.replace: an ASS document is burned as written")
