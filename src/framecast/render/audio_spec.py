"""What ``add_audio`` is asked for and what it answers: the audio engine's dataclasses, and the
checks a spec must pass before any file is opened (each error names its field)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from framecast.contracts.audio import AudioTrackSpec
from framecast.contracts.vocab import (
    AUDIO_ROLES,
    FIT_LENGTHS,
    LOUDNESS_PRESETS,
    ORIGINAL_AUDIO,
    PICTURE_FITS,
)
from framecast.errors import RenderError

__all__ = [
    "PRESETS",
    "AudioResult",
    "AudioSpec",
    "AudioTrack",
    "Duck",
    "LoudnessTarget",
    "PictureFit",
    "check_spec",
    "track_of",
]


@dataclass(frozen=True)
class Duck:
    """Lower a track by ``depth_db`` while the tracks of role ``under`` play."""

    under: str = "narration"
    depth_db: float = 10.0
    attack_ms: float = 20.0  # the ramp down, finished when the other track starts
    release_ms: float = 300.0  # the ramp back up, started when the other track stops


@dataclass(frozen=True)
class AudioTrack:
    """One track: narration (one file, or parts joined sample-exact in order) or music."""

    role: str  # narration | music
    parts: list[Path]
    start: float = 0.0  # seconds into the output
    volume_db: float = 0.0
    fade_in: float = 0.0
    fade_out: float = 0.0
    loop: bool = False  # repeat to fill the output (music beds); one file only
    trim_start: float = 0.0  # seconds skipped at the track's start (once, not on each loop)
    duck: Duck | None = None


def track_of(spec: AudioTrackSpec, parts: list[Path]) -> AudioTrack:
    """The engine's track of a request's ``spec``, its URLs fetched to ``parts``."""
    duck = spec.duck
    return AudioTrack(
        role=spec.role,
        parts=parts,
        start=spec.start,
        volume_db=spec.volume_db,
        fade_in=spec.fade_in,
        fade_out=spec.fade_out,
        loop=spec.loop,
        trim_start=spec.trim_start,
        duck=None
        if duck is None
        else Duck(duck.under, duck.depth_db, duck.attack_ms, duck.release_ms),
    )


@dataclass(frozen=True)
class PictureFit:
    """How long the output is, and what the picture does when that is not the video's length."""

    length: str = "video"  # video | narration | shortest | longest
    tail: float = 0.5  # seconds after the narration ends (narration, shortest, longest)
    picture: str = "freeze"  # freeze | loop | retime | trim | error
    max_retime: float = 0.2  # retime: the largest speed change, 0.2 = ±20 %


@dataclass(frozen=True)
class LoudnessTarget:
    """Integrated loudness (LUFS) and the true-peak ceiling (dBTP) the output is brought to."""

    target_lufs: float = -14.0
    true_peak_db: float = -1.5


PRESETS = {name: LoudnessTarget(*numbers) for name, numbers in LOUDNESS_PRESETS.items()}


@dataclass(frozen=True)
class AudioSpec:
    """The tracks to mix under a video, its own sound, the output's length and loudness."""

    tracks: list[AudioTrack]
    original_audio: str = "keep"  # keep (mixed in at 0 dB) | mute | duck (under narration)
    fit: PictureFit = field(default_factory=PictureFit)
    loudness: LoudnessTarget | None = None


@dataclass(frozen=True)
class AudioResult:
    """What was made, as measured on the output."""

    duration: float  # seconds
    picture: str  # copied (packets bit-identical) | reencoded
    loudness: dict[str, float] | None  # integrated_lufs, true_peak_db, lra; None: no target
    av_end_diff_ms: float  # audio end − video end, from packet timestamps
    narration_seconds: float | None  # decoded length of the narration, parts joined
    warnings: list[str] = field(default_factory=list)  # what the user may not expect


# Limits as the API's request models set them (contracts/audio.py), so the CLI and direct
# callers are held to the same.
_LIMITS = {
    "volume_db": (-60.0, 24.0),
    "fade": (0.0, 60.0),
    "depth_db": (0.0, 40.0),
    "attack_ms": (0.0, 2000.0),
    "release_ms": (0.0, 5000.0),
    "tail": (0.0, 60.0),
    "max_retime": (0.0, 0.5),
    "target_lufs": (-40.0, -5.0),
    "true_peak_db": (-9.0, 0.0),
}


def check_spec(spec: AudioSpec) -> None:
    """RenderError naming the field when ``spec`` asks for something impossible or unknown."""
    _one_of("original_audio", spec.original_audio, ORIGINAL_AUDIO)
    _one_of("fit.length", spec.fit.length, FIT_LENGTHS)
    _one_of("fit.picture", spec.fit.picture, PICTURE_FITS)
    _within("fit.tail", spec.fit.tail, "tail")
    _within("fit.max_retime", spec.fit.max_retime, "max_retime")
    if spec.loudness is not None:
        _within("loudness.target_lufs", spec.loudness.target_lufs, "target_lufs")
        _within("loudness.true_peak_db", spec.loudness.true_peak_db, "true_peak_db")
    roles = {track.role for track in spec.tracks}
    for i, track in enumerate(spec.tracks):
        _check_track(f"tracks[{i}]", track, roles)
    if "narration" not in roles:
        if spec.original_audio == "duck":
            raise RenderError("original_audio: duck needs a narration track to duck under")
        if spec.fit.length != "video":
            raise RenderError(f"fit.length: {spec.fit.length} needs a narration track")


def _check_track(name: str, track: AudioTrack, roles: set[str]) -> None:
    _one_of(f"{name}.role", track.role, AUDIO_ROLES)
    if not track.parts:
        raise RenderError(f"{name}.url: no audio file given")
    if track.loop and len(track.parts) > 1:
        raise RenderError(f"{name}.loop: only a track of one file can loop")
    _within(f"{name}.start", track.start, None)
    _within(f"{name}.trim_start", track.trim_start, None)
    _within(f"{name}.volume_db", track.volume_db, "volume_db")
    _within(f"{name}.fade_in", track.fade_in, "fade")
    _within(f"{name}.fade_out", track.fade_out, "fade")
    duck = track.duck
    if duck is None:
        return
    if duck.under not in roles:
        raise RenderError(f"{name}.duck.under: no {duck.under} track")
    if duck.under == track.role:
        raise RenderError(f"{name}.duck.under: a {track.role} track cannot duck under itself")
    _within(f"{name}.duck.depth_db", duck.depth_db, "depth_db")
    _within(f"{name}.duck.attack_ms", duck.attack_ms, "attack_ms")
    _within(f"{name}.duck.release_ms", duck.release_ms, "release_ms")


def _one_of(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise RenderError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")


def _within(name: str, value: float, limits: str | None) -> None:
    """``value`` is a finite number in the range ``_LIMITS[limits]`` (None: zero or more)."""
    low, high = _LIMITS[limits] if limits else (0.0, math.inf)
    if not (math.isfinite(value) and low <= value <= high):
        shown = f"from {low:g} to {high:g}" if math.isfinite(high) else f"{low:g} or more"
        raise RenderError(f"{name} must be {shown}; got {value:g}")
