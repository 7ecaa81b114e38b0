"""Tracks mixed on a timeline of their own: the audio engine's one way of mixing, with or
without a picture.

Every track is read by decoding it (:mod:`.audio_sources`: lengths in samples), placed on the
timeline in samples at 48 kHz, ducked by a gain curve drawn from when the tracks it ducks
under speak (:mod:`.ducking`), mixed in one filter graph (:mod:`.audio_graph`) and encoded to
AAC-LC 48 kHz stereo at its own levels (peaks guarded) or brought to a loudness target
(:mod:`.audio_encode`). :func:`make_soundtrack` does that for a timeline of a given length;
``add_audio`` (:mod:`.audio_mix`) does it under a video, with the video's own sound and a
picture that may change length, through the same functions.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from framecast.config import EncoderConfig
from framecast.errors import RenderError
from framecast.render.audio_encode import Mixing
from framecast.render.audio_graph import OriginalSound, PlacedTrack, mix_graph, one_pass_filter
from framecast.render.audio_sources import RATE, DecodedTrack, decode_track
from framecast.render.audio_spec import AudioSpec, AudioTrack, Duck, LoudnessTarget, check_spec
from framecast.render.ducking import (
    ENVELOPE_RATE,
    Placement,
    active_windows,
    duck_gains,
    grid_points,
    place,
)
from framecast.render.loudness import SILENT_LUFS

__all__ = [
    "Soundtrack",
    "decode_tracks",
    "make_soundtrack",
    "measure_parts",
    "mix_down",
    "place_tracks",
    "silence_warning",
    "write_gains",
]

SOUNDTRACK = "soundtrack.m4a"  # the result's name in the caller's work folder


@dataclass(frozen=True)
class Soundtrack:
    """A mixed timeline: AAC-LC 48 kHz stereo, exactly ``round(seconds * 48000)`` samples."""

    path: Path
    loudness: dict[str, float] | None  # integrated_lufs, true_peak_db, lra; None: no target
    warnings: list[str] = field(default_factory=list)  # what the user may not expect


def measure_parts(field: str, parts: list[Path]) -> float:
    """The decoded length in seconds (samples / 48000) of ``parts`` joined in order;
    RenderError naming ``field`` (``field[j]``: the j-th of several parts) when one is not
    audio."""
    try:
        return decode_track(field, [p.resolve() for p in parts], False).seconds
    except RenderError as exc:
        # decode_track names a track's files ``tracks[i].url``; here the caller names them.
        raise RenderError(exc.message.replace(f"{field}.url", field, 1)) from exc


def make_soundtrack(
    tracks: list[AudioTrack],
    seconds: float,
    loudness: LoudnessTarget | None,
    work: Path,
    config: EncoderConfig,
    keep_going: Callable[[], bool] | None = None,
) -> Soundtrack:
    """``tracks`` mixed on a timeline of ``seconds``, brought to ``loudness`` when given (else
    only its peaks are guarded), silence where nothing plays; the result is made in ``work``
    (its own files are removed), and RenderError names the field a track can't be used for."""
    if not (math.isfinite(seconds) and seconds > 0):
        raise RenderError(f"seconds: the timeline must last more than 0 s; got {seconds:g}")
    check_spec(AudioSpec(tracks, original_audio="mute", loudness=loudness))
    if not tracks:
        raise RenderError("tracks: nothing to mix")
    decoded = decode_tracks(tracks)
    total = round(seconds * RATE)
    work.mkdir(parents=True, exist_ok=True)
    made = work.resolve() / SOUNDTRACK
    with tempfile.TemporaryDirectory(prefix=".soundtrack.", dir=work) as folder:
        mixing = Mixing(Path(folder).resolve(), total, RATE, config, keep_going)
        placed = place_tracks(tracks, decoded, total, mixing)
        measured = mix_down(mixing, placed, None, total, loudness)
        os.replace(mixing.audio, made)
    warnings = _cut_narration(tracks, decoded, total / RATE) + silence_warning(measured)
    return Soundtrack(made, measured, warnings)


def _cut_narration(tracks: list[AudioTrack], decoded: list[DecodedTrack], end: float) -> list[str]:
    """A warning when the narration goes on past the timeline's ``end`` (seconds)."""
    spoken = [
        t.start + d.seconds - t.trim_start
        for t, d in zip(tracks, decoded, strict=True)
        if t.role == "narration" and not t.loop
    ]
    over = max(spoken, default=end) - end
    if over <= 0.001:
        return []
    return [f"the narration ends {over:.2f} s after the timeline's end and was cut"]


def decode_tracks(tracks: list[AudioTrack], also_under: Collection[str] = ()) -> list[DecodedTrack]:
    """Every track decoded (``tracks[i]`` in errors), measured too when a track ducks under its
    role or its role is in ``also_under``; RenderError when a trim passes a track's end."""
    sidechains = {t.duck.under for t in tracks if t.duck is not None} | set(also_under)
    decoded = [
        decode_track(f"tracks[{i}]", [p.resolve() for p in t.parts], t.role in sidechains)
        for i, t in enumerate(tracks)
    ]
    for i, (track, heard) in enumerate(zip(tracks, decoded, strict=True)):
        if track.trim_start >= heard.seconds:
            raise RenderError(
                f"tracks[{i}].trim_start: {track.trim_start:g} s is past the end of the track"
                f" ({heard.seconds:.3f} s)"
            )
    return decoded


def place_tracks(
    tracks: list[AudioTrack], decoded: list[DecodedTrack], total: int, mixing: Mixing
) -> list[PlacedTrack]:
    """Each track on a timeline of ``total`` samples: cut at its end, a loop's one pass and a
    ducked track's gain curve written into ``mixing``'s work folder."""
    placed = []
    for i, (track, source) in enumerate(zip(tracks, decoded, strict=True)):
        start, trim = round(track.start * RATE), round(track.trim_start * RATE)
        once = source.samples - trim
        heard = total - start if track.loop else min(once, total - start)
        if heard <= 0:
            raise RenderError(
                f"tracks[{i}].start: {track.start:g} s is not before the output's end"
                f" ({total / RATE:.3f} s)"
            )
        parts = list(
            zip([p.resolve() for p in track.parts], source.streams, source.lengths, strict=True)
        )
        loop = track.loop and heard > once  # else it is heard once: nothing to repeat
        if loop:
            ((path, stream, samples),) = parts
            chain = one_pass_filter(samples)
            parts = [(mixing.one_pass(path, stream, chain, f"loop{i}.wav"), 0, samples)]
        duck = track.duck
        envelope = None
        if duck is not None:
            gains = mixing.work / f"duck{i}.f32"
            write_gains(gains, tracks, decoded, duck, total)
            envelope = (gains, ENVELOPE_RATE)
        placed.append(
            PlacedTrack(
                parts=parts,
                loop=loop,
                start=start,
                trim=trim,
                heard=heard,
                volume_db=track.volume_db,
                fade_in=round(track.fade_in * RATE),
                fade_out=round(track.fade_out * RATE),
                envelope=envelope,
            )
        )
    return placed


def write_gains(
    path: Path, tracks: list[AudioTrack], decoded: list[DecodedTrack], duck: Duck, total: int
) -> None:
    """The gain curve ducking a track under every track of role ``duck.under``."""
    seconds = total / RATE
    active = np.zeros(grid_points(seconds), bool)
    for track, source in zip(tracks, decoded, strict=True):
        if track.role != duck.under or source.levels is None:
            continue
        trim = track.trim_start
        heard = seconds - track.start if track.loop else source.seconds - trim
        where = Placement(track.start, trim, max(0.0, heard), source.seconds, track.loop)
        active |= place(active_windows(source.levels), where, seconds)
    gains = duck_gains(active, duck.depth_db, duck.attack_ms, duck.release_ms)
    gains.astype("<f4").tofile(path)


def mix_down(
    mixing: Mixing,
    placed: list[PlacedTrack],
    original: OriginalSound | None,
    total: int,
    target: LoudnessTarget | None,
    muxed: tuple[list[str], Path] | None = None,
) -> dict[str, float] | None:
    """The placed tracks (and a video's own sound) mixed into ``mixing.audio``, at their own
    levels or at ``target``; the encoded result's loudness reading when there is a target
    (``muxed``: as in :meth:`Mixing.to_target`)."""
    inputs, graph = mix_graph(placed, original, total)
    if target is None:
        mixing.encode(inputs, graph)
        return None
    return mixing.to_target(inputs, graph, target, muxed)


def silence_warning(loudness: dict[str, float] | None) -> list[str]:
    """A warning when a loudness target could not be met because the mix is silence."""
    if loudness is None or loudness["integrated_lufs"] > SILENT_LUFS:
        return []
    return [
        f"loudness: the mix measures as silence ({SILENT_LUFS:g} LUFS or less: silent, or"
        " shorter than BS.1770's 0.4 s block), so no gain was applied and target_lufs was"
        " not met"
    ]
