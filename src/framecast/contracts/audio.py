"""audio: narration, music and a loudness target put under a video (request, wire, plan).

``POST /video/addaudio`` is the older one-track shape (``url_video``, ``url_audio``), read as
an ``audio`` request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, Field, WithJsonSchema

from framecast.config import Settings
from framecast.contracts.envelope import JobEnvelope, JobResult
from framecast.contracts.fields import (
    AudioRole,
    FitLength,
    Frozen,
    OriginalAudio,
    PictureFit,
    one_of,
)
from framecast.contracts.plan import NewItem, Plan, WorkItem, media_url
from framecast.contracts.upload_target import ApiUpload
from framecast.contracts.vocab import LOUDNESS_PRESETS
from framecast.errors import InputError

MAX_TRACKS = 16
MAX_PARTS = 200  # narration parts of one track
MAX_AUDIO_SECONDS = 4 * 3600.0  # longest track (decoded) a worker accepts
SECONDS_PER_JOB = 600.0  # deadline allowance: the picture is usually copied, audio is cheap
Url = str
# Checked by checked_tracks (its message names the limit); the document says it too.
_PARTS_SCHEMA = WithJsonSchema(
    {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": MAX_PARTS}
)


class DuckSpec(Frozen):
    """Lower this track while the tracks of role ``under`` play (sidechain ducking)."""

    under: AudioRole = Field("narration", description="The role whose tracks this one ducks under.")
    depth_db: float = Field(10.0, gt=0, le=40, description="How much lower, in dB.")
    attack_ms: float = Field(20.0, ge=1, le=2000)
    release_ms: float = Field(300.0, ge=10, le=5000)


class AudioTrackSpec(Frozen):
    """One audio track: narration (one file, or parts joined in order) or a music bed."""

    role: AudioRole
    url: Url | Annotated[list[Url], _PARTS_SCHEMA] = Field(
        description="An audio URL, or a list of parts joined sample-exact in order."
    )
    start: float = Field(0.0, ge=0, description="Seconds into the output where it starts.")
    volume_db: float = Field(0.0, ge=-60, le=24, description="Gain in dB (no other scaling).")
    fade_in: float = Field(0.0, ge=0, le=60)
    fade_out: float = Field(0.0, ge=0, le=60)
    loop: bool = Field(False, description="Repeat to fill the output (music beds).")
    trim_start: float = Field(0.0, ge=0, description="Seconds skipped at the track's start.")
    duck: DuckSpec | None = None

    def urls(self) -> list[str]:
        return [self.url] if isinstance(self.url, str) else list(self.url)


class FitSpec(Frozen):
    """How long the result is, and what happens to the picture when that is not the video's
    length."""

    length: FitLength = Field(
        "video", description="video, narration (+ tail), shortest or longest of the two."
    )
    tail: float = Field(0.5, ge=0, le=60, description="Seconds after narration (length narration).")
    picture: PictureFit = Field(
        "freeze",
        description="When the picture must change length: freeze its last frame, loop it,"
        " retime it (within max_retime), trim it, or error.",
    )
    max_retime: float = Field(
        0.2, gt=0, le=0.5, description="Largest speed change, e.g. 0.2: ±20%."
    )


class LoudnessSpec(Frozen):
    target_lufs: float = Field(-14.0, ge=-40, le=-5, description="Integrated loudness, LUFS.")
    true_peak_db: float = Field(-1.5, ge=-9, le=0, description="True-peak ceiling, dBTP.")


def _preset(value: Any) -> Any:
    """A preset's name read as its numbers (one error naming the presets if unknown)."""
    if not isinstance(value, str):
        return value
    target, peak = LOUDNESS_PRESETS[one_of(tuple(LOUDNESS_PRESETS))(value)]
    return {"target_lufs": target, "true_peak_db": peak}


# A target or a preset's name (the document shows both forms a client may send).
Loudness = Annotated[
    LoudnessSpec | None,
    BeforeValidator(_preset),
    WithJsonSchema(
        {
            "anyOf": [
                {"$ref": "#/components/schemas/LoudnessSpec"},
                {"type": "string", "enum": list(LOUDNESS_PRESETS)},
                {"type": "null"},
            ]
        }
    ),
]


class AudioCreate(JobEnvelope):
    """``POST /video/audio``: the video with narration/music mixed under it; picture copied."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "final",
                    "video_url": "https://example.com/joined.mp4",
                    "tracks": [
                        {
                            "role": "narration",
                            "url": ["https://example.com/s1.mp3", "https://example.com/s2.mp3"],
                        },
                        {
                            "role": "music",
                            "url": "https://example.com/bed.mp3",
                            "volume_db": -18,
                            "loop": True,
                            "fade_out": 2,
                            "duck": {"under": "narration", "depth_db": 10},
                        },
                    ],
                    "original_audio": "mute",
                    "fit": {"length": "narration", "tail": 0.5, "picture": "freeze"},
                    "loudness": "youtube",
                }
            ]
        }
    )

    id: str = Field("video", min_length=1, max_length=256, description="Your id; echoed back.")
    video_url: str = Field(min_length=1, max_length=8192)
    tracks: list[AudioTrackSpec] = Field(default_factory=list, max_length=MAX_TRACKS)
    original_audio: OriginalAudio = Field("keep", description="The video's own sound.")
    fit: FitSpec = Field(default_factory=FitSpec)
    loudness: Loudness = Field(
        None, description="A target, or youtube (-14/-1), podcast (-16/-1.5), broadcast (-23/-1)."
    )


class AddAudioCreate(JobEnvelope):
    """``POST /video/addaudio``: the older shape: one audio file replaces the video's sound.
    Nothing is cut: a longer audio freezes the last frame."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "final",
                    "url_video": "https://example.com/joined.mp4",
                    "url_audio": "https://example.com/narration.mp3",
                }
            ]
        }
    )

    id: str = Field("video", min_length=1, max_length=256)
    url_video: str = Field(min_length=1, max_length=8192)
    url_audio: str = Field(min_length=1, max_length=8192)

    def as_audio(self) -> AudioCreate:
        return AudioCreate(
            id=self.id,
            video_url=self.url_video,
            tracks=[AudioTrackSpec(role="narration", url=self.url_audio)],
            original_audio="mute",
            fit=FitSpec(length="longest", tail=0.0, picture="freeze"),
            webhook_url=self.webhook_url,
            metadata=self.metadata,
            path=self.path,
        )


class AudioSource(WorkItem):
    """The worker item: the video and its tracks (URLs checked, presets resolved)."""

    video_url: str = Field(min_length=1)
    tracks: list[AudioTrackSpec] = Field(max_length=MAX_TRACKS)


class AudioOptions(Frozen):
    original_audio: OriginalAudio = "keep"
    fit: FitSpec = Field(default_factory=FitSpec)
    loudness: LoudnessSpec | None = None


class AudioJob(Frozen):
    """The worker job of audio: one item, one output."""

    operation: Literal["audio"]
    job_id: str = Field(min_length=1, max_length=128)
    items: list[AudioSource] = Field(min_length=1, max_length=1)
    options: AudioOptions = Field(default_factory=AudioOptions)
    upload: ApiUpload | None = None


class AudioPublic(JobResult):
    """The answer of audio: one video, with what was measured."""

    picture: str | None = Field(None, description="copied (bit-identical) or reencoded.")
    loudness: dict[str, float] | None = Field(
        None, description="Measured on the result: integrated_lufs, true_peak_db, lra."
    )
    av_end_diff_ms: float | None = Field(None, description="Audio end minus video end.")
    warnings: list[str] | None = Field(
        None, description="What you may not expect, e.g. narration cut by fit.length video."
    )


def plan_audio(body: AudioCreate, settings: Settings) -> Plan:
    """One item: the video and its tracks, after the rules that span fields."""

    def checked(url: str, field: str) -> str:
        return media_url(url, field, settings)

    tracks = checked_tracks(body, checked)
    source = {
        "video_url": checked(body.video_url, "video_url"),
        "tracks": [t.model_dump(exclude_none=True) for t in tracks],
    }
    options = audio_options(body).model_dump(exclude_none=True)
    return Plan([NewItem(body.id, source)], options, SECONDS_PER_JOB)


def audio_options(body: AudioCreate) -> AudioOptions:
    """The worker job's options of ``body`` (a loudness preset read as its numbers)."""
    return AudioOptions(original_audio=body.original_audio, fit=body.fit, loudness=body.loudness)


def checked_tracks(body: AudioCreate, source: Callable[[str, str], str]) -> list[AudioTrackSpec]:
    """The tracks with each URL checked by ``source`` (a URL for the API, a file for the CLI)."""
    roles = {track.role for track in body.tracks}
    tracks = []
    for i, track in enumerate(body.tracks):
        urls = track.urls()
        if not 1 <= len(urls) <= MAX_PARTS:
            raise InputError(f"tracks[{i}].url: 1 to {MAX_PARTS} parts; got {len(urls)}")
        if track.duck is not None and track.duck.under not in roles:
            raise InputError(f"tracks[{i}].duck.under: no {track.duck.under} track to duck under")
        if track.duck is not None and track.duck.under == track.role:
            raise InputError(
                f"tracks[{i}].duck.under: a {track.role} track cannot duck under itself"
            )
        checked = [
            source(url, f"tracks[{i}].url" + (f"[{j}]" if len(urls) > 1 else ""))
            for j, url in enumerate(urls)
        ]
        tracks.append(track.model_copy(update={"url": checked if len(urls) > 1 else checked[0]}))
    if "narration" not in roles:
        if body.original_audio == "duck":
            raise InputError("original_audio: duck needs a narration track to duck under")
        if body.fit.length != "video":
            raise InputError(f"fit.length: {body.fit.length} needs a narration track")
    if not body.tracks and body.original_audio == "mute":
        raise InputError("tracks: nothing to mix: no tracks, and original_audio is mute")
    if not body.tracks and body.loudness is None:
        raise InputError(
            "tracks: give at least one track (or a loudness target for the video's own sound)"
        )
    return tracks
