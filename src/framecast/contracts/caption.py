"""caption: styled, word-accurate captions burned into a video (request, wire, plan).

Captions come as SRT / VTT / ASS (a URL or the text itself), as words with times, or as a TTS
provider's character alignment. The style block names a preset and overrides any of its values.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, ConfigDict, Field, WithJsonSchema, model_validator
from pydantic_core import PydanticCustomError

from framecast.config import Settings
from framecast.contracts.envelope import JobEnvelope, JobResult
from framecast.contracts.fields import Frozen, one_of
from framecast.contracts.plan import NewItem, Plan, WorkItem, media_url
from framecast.contracts.upload_target import ApiUpload
from framecast.contracts.vocab import CAPTION_POSITIONS, CAPTION_PRESETS, FONT_FAMILIES, SAFE_AREAS
from framecast.errors import InputError

MAX_WORDS = 50_000
MAX_INLINE_CHARS = 2_000_000  # an inline SRT/VTT/ASS; larger ones come as a URL
MAX_REPLACEMENTS = 200
SECONDS_PER_JOB = 900.0  # deadline allowance: one decode + encode of the video
# The files a caption item uploads beside its video (sidecars).
SIDECAR_FILES = ("captions.srt", "captions.vtt", "captions.ass", "words.json")

_COLOUR_ALPHA = re.compile(r"#[0-9a-fA-F]{6}([0-9a-fA-F]{2})?")
_SIZE = re.compile(r"\d+(\.\d+)?%")


def _colour_alpha(value: str) -> str:
    if not _COLOUR_ALPHA.fullmatch(value):
        raise PydanticCustomError(
            "colour",
            'must be a colour "#RRGGBB" or "#RRGGBBAA" (AA: opacity, FF opaque); got {got}',
            {"got": repr(value)},
        )
    return value.upper() if len(value) == 9 else value.upper() + "FF"


def _percent_or_px(low: float, high: float) -> Any:
    def check(value: str | int) -> str | int:
        if isinstance(value, int):
            if not 1 <= value <= 4000:
                raise PydanticCustomError(
                    "size",
                    'must be 1–4000 pixels or a percentage like "6%"; got {got}',
                    {"got": value},
                )
            return value
        if not _SIZE.fullmatch(value) or not low <= float(value[:-1]) <= high:
            raise PydanticCustomError(
                "size",
                f"must be pixels (a whole number) or a percentage {low:g}%–{high:g}% like"
                ' "6%"; got {got}',
                {"got": repr(value)},
            )
        return value

    return check


ColourAlpha = Annotated[
    str,
    AfterValidator(_colour_alpha),
    WithJsonSchema({"type": "string", "pattern": _COLOUR_ALPHA.pattern}),
]
PresetName = Annotated[
    str, AfterValidator(one_of(CAPTION_PRESETS)), WithJsonSchema({"enum": list(CAPTION_PRESETS)})
]
PositionName = Annotated[
    str,
    AfterValidator(one_of(CAPTION_POSITIONS)),
    WithJsonSchema({"enum": list(CAPTION_POSITIONS)}),
]
SafeAreaName = Annotated[
    str, AfterValidator(one_of(SAFE_AREAS)), WithJsonSchema({"enum": list(SAFE_AREAS)})
]
# Font size: a percentage of the video's height, or pixels.
TextSize = Annotated[str | int, AfterValidator(_percent_or_px(0.5, 50))]
# Line width: a percentage of the video's width, or pixels.
LineWidth = Annotated[str | int, AfterValidator(_percent_or_px(10, 100))]


class WordSpec(Frozen):
    """One spoken word and when it is said (seconds of the video, before ``offset``)."""

    word: str = Field(min_length=1, max_length=200)
    start: float = Field(ge=0)
    end: float = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> WordSpec:
        if self.end < self.start:
            raise ValueError(f"end ({self.end:g}) is before start ({self.start:g})")
        return self


class AlignmentSpec(Frozen):
    """A TTS provider's character alignment (ElevenLabs' shape): three lists of one length."""

    characters: list[str] = Field(max_length=MAX_WORDS * 10)
    character_start_times_seconds: list[float] = Field(max_length=MAX_WORDS * 10)
    character_end_times_seconds: list[float] = Field(max_length=MAX_WORDS * 10)

    @model_validator(mode="after")
    def _same_length(self) -> AlignmentSpec:
        lengths = {
            len(self.characters),
            len(self.character_start_times_seconds),
            len(self.character_end_times_seconds),
        }
        if len(lengths) != 1:
            raise ValueError(
                "characters, character_start_times_seconds and character_end_times_seconds"
                f" must have one length; got {len(self.characters)},"
                f" {len(self.character_start_times_seconds)},"
                f" {len(self.character_end_times_seconds)}"
            )
        return self


class CaptionsSpec(Frozen):
    """Exactly one source: srt, vtt or ass (a URL or the file's text), words, or alignment."""

    srt: str | None = Field(None, min_length=1, max_length=MAX_INLINE_CHARS)
    vtt: str | None = Field(None, min_length=1, max_length=MAX_INLINE_CHARS)
    ass: str | None = Field(None, min_length=1, max_length=MAX_INLINE_CHARS)
    words: list[WordSpec] | None = Field(None, min_length=1, max_length=MAX_WORDS)
    alignment: AlignmentSpec | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> CaptionsSpec:
        given = [name for name in SOURCES if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of srt, vtt, ass, words, alignment; got "
                + (", ".join(given) if given else "none")
            )
        return self

    def kind(self) -> str:
        """Which source this is: srt, vtt, ass, words or alignment."""
        return next(name for name in SOURCES if getattr(self, name) is not None)


SOURCES = ("srt", "vtt", "ass", "words", "alignment")
TEXT_SOURCES = ("srt", "vtt", "ass")


class Point(Frozen):
    """The centre of the caption block, as fractions of the video's width and height."""

    x: float = Field(ge=0, le=1)
    y: float = Field(ge=0, le=1)


class CaptionStyle(Frozen):
    """How captions look. Every field left out takes the preset's value."""

    preset: PresetName = Field("classic", description="The look; the fields below override it.")
    font: str | None = Field(
        None,
        max_length=100,
        description="A bundled family (" + ", ".join(FONT_FAMILIES) + "), or the family in"
        " font_url's file.",
    )
    font_url: str | None = Field(None, max_length=8192, description="A TTF/OTF for this job.")
    weight: int | None = Field(None, ge=100, le=900, description="100 (thin) to 900 (black).")
    size: TextSize | None = Field(None, description='Font size: "6%" of the height, or pixels.')
    color: ColourAlpha | None = None
    active_color: ColourAlpha | None = Field(None, description="The word being said.")
    outline: float | None = Field(None, ge=0, le=40, description="Outline width, pixels.")
    outline_color: ColourAlpha | None = None
    shadow: float | None = Field(None, ge=0, le=40, description="Shadow offset, pixels.")
    box_color: ColourAlpha | None = Field(None, description="boxed/pill background.")
    uppercase: bool | None = None
    position: PositionName | Point | None = Field(
        None, description="A named place (bottom_center, …) or {x, y} fractions of the frame."
    )
    safe_area: SafeAreaName | None = Field(
        None, description="Keep text out of this platform's UI overlays (tiktok, reels, …)."
    )
    max_lines: int | None = Field(None, ge=1, le=6)
    max_width: LineWidth | None = Field(None, description='Line width: "80%" or pixels.')
    max_chars_per_page: int | None = Field(None, ge=1, le=500)
    break_on_pause_ms: int | None = Field(
        None, ge=0, le=60_000, description="A new page after a pause this long."
    )
    min_display: float | None = Field(None, ge=0, le=10, description="Shortest page, seconds.")


class Replacement(Frozen):
    """Replace ``find`` in the caption text (a filler word, a brand's spelling)."""

    find: str = Field(min_length=1, max_length=200)
    replace: str = Field("", max_length=200)
    whole_word: bool = True
    case_sensitive: bool = False


class TimeRange(Frozen):
    start: float = Field(ge=0)
    end: float = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> TimeRange:
        if self.end <= self.start:
            raise ValueError(f"end ({self.end:g}) must be after start ({self.start:g})")
        return self


class CaptionCreate(JobEnvelope):
    """``POST /video/caption``: the video with captions burned in; the audio is copied."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "final",
                    "video_url": "https://example.com/final.mp4",
                    "captions": {
                        "words": [
                            {"word": "Once", "start": 0.0, "end": 0.35},
                            {"word": "upon", "start": 0.4, "end": 0.7},
                            {"word": "a", "start": 0.72, "end": 0.8},
                            {"word": "time", "start": 0.85, "end": 1.3},
                        ]
                    },
                    "style": {
                        "preset": "karaoke",
                        "font": "Montserrat",
                        "weight": 800,
                        "size": "6%",
                        "active_color": "#FFD400FF",
                        "safe_area": "tiktok",
                        "max_lines": 2,
                    },
                    "sidecars": True,
                }
            ]
        }
    )

    id: str = Field("video", min_length=1, max_length=256, description="Your id; echoed back.")
    video_url: str = Field(min_length=1, max_length=8192)
    captions: CaptionsSpec
    offset: float = Field(0.0, ge=-3600, le=3600, description="Seconds added to every time.")
    style: CaptionStyle = Field(default_factory=CaptionStyle)
    replace: list[Replacement] = Field(default_factory=list, max_length=MAX_REPLACEMENTS)
    exclude: list[TimeRange] = Field(
        default_factory=list, max_length=1000, description="No captions in these spans."
    )
    sidecars: bool = Field(True, description="Upload the SRT, VTT, ASS and words JSON too.")


class CaptionSource(WorkItem):
    """The worker item: the video and the captions (a text source's URL checked)."""

    video_url: str = Field(min_length=1)
    captions: CaptionsSpec
    captions_url: bool = False  # the srt/vtt/ass field holds a URL to fetch, not the text
    font_url: str | None = None  # style.font_url, checked


class CaptionOptions(Frozen):
    offset: float = 0.0
    style: CaptionStyle = Field(default_factory=CaptionStyle)
    replace: list[Replacement] = Field(default_factory=list)
    exclude: list[TimeRange] = Field(default_factory=list)
    sidecars: bool = True


class CaptionJob(Frozen):
    """The worker job of caption: one item, one output (plus its sidecar files)."""

    operation: Literal["caption"]
    job_id: str = Field(min_length=1, max_length=128)
    items: list[CaptionSource] = Field(min_length=1, max_length=1)
    options: CaptionOptions = Field(default_factory=CaptionOptions)
    upload: ApiUpload | None = None


class CaptionPublic(JobResult):
    """The answer of caption: one video, with what was drawn."""

    encode_passes: int | None = Field(None, description="Lossy video encodes made: 1.")
    font: dict[str, Any] | None = Field(
        None, description="The font drawn: family, weight, file (checked in the renderer's log)."
    )
    pages: int | None = Field(None, description="Caption pages shown.")
    words: int | None = Field(None, description="Words captioned.")
    warnings: list[str] | None = None


def is_url(text: str) -> bool:
    """Whether a srt/vtt/ass field holds a URL (one line, a scheme or this service's path)."""
    first = text.strip()
    return "\n" not in first and (
        first.startswith(("http://", "https://", "/output/")) and len(first) <= 8192
    )


def plan_caption(body: CaptionCreate, settings: Settings) -> Plan:
    """One item: the video, its captions and (when given) the font file to fetch."""

    def checked(url: str, field: str) -> str:
        return media_url(url, field, settings)

    source = caption_source(body, checked)
    options = caption_options(body).model_dump(exclude_none=True)
    return Plan([NewItem(body.id, source)], options, SECONDS_PER_JOB)


def caption_source(body: CaptionCreate, checked: Any) -> dict[str, Any]:
    """The worker item of ``body``; ``checked(url, field)`` checks each URL or local path."""
    style = body.style
    if style.font is not None and style.font_url is None and style.font not in FONT_FAMILIES:
        raise InputError(
            f"style.font: no bundled family {style.font!r}; available: "
            + ", ".join(FONT_FAMILIES)
            + " (or give style.font_url)"
        )
    for i, rng in enumerate(body.exclude):
        for j, other in enumerate(body.exclude[:i]):
            if rng.start < other.end and other.start < rng.end:
                raise InputError(f"exclude[{i}]: overlaps exclude[{j}]")
    captions = body.captions
    kind = captions.kind()
    if kind == "ass":
        for name in ("offset", "replace", "exclude"):
            if getattr(body, name):
                raise InputError(
                    f"{name}: an ASS document is burned as written; {name} applies to srt, vtt,"
                    " words and alignment"
                )
    source: dict[str, Any] = {"video_url": checked(body.video_url, "video_url")}
    if style.font_url is not None:
        source["font_url"] = checked(style.font_url, "style.font_url")
    text = getattr(captions, kind) if kind in TEXT_SOURCES else None
    if text is not None and is_url(text):
        source["captions"] = {kind: checked(text.strip(), f"captions.{kind}")}
        source["captions_url"] = True
    else:
        source["captions"] = captions.model_dump(exclude_none=True)
    return source


def caption_options(body: CaptionCreate) -> CaptionOptions:
    """The worker job's options of ``body``."""
    return CaptionOptions(
        offset=body.offset,
        style=body.style,
        replace=body.replace,
        exclude=body.exclude,
        sidecars=body.sidecars,
    )
