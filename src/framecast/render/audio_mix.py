"""Narration, music and a loudness target under a video, the picture left alone.

``add_audio`` reads every audio file by decoding it (lengths in samples, never container
durations), decides the output's length and the picture's fate (:mod:`.picture_fit`: copied
packet for packet when its length stays), mixes the tracks in one filter graph
(:mod:`.audio_graph`: explicit gains, fades, loops read as they play, ducking by a gain curve
from :mod:`.ducking`, no normalisation), brings the mix to a loudness target when one is asked
for (:mod:`.loudness`: measure, gain, true-peak limit, measure the encoded result), and puts
the AAC-LC 48 kHz stereo result next to the picture, cut to the picture's exact end. The
result is made in a work folder and moved to ``output`` last: ``output`` may be one of the
inputs, and is never left half made.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from framecast.config import EncoderConfig
from framecast.errors import RenderError
from framecast.render.audio_encode import Mixing
from framecast.render.audio_graph import OriginalSound, PlacedTrack, mix_graph, one_pass_filter
from framecast.render.audio_sources import RATE, DecodedTrack, check_video, decode_track
from framecast.render.audio_spec import (
    PRESETS,
    AudioResult,
    AudioSpec,
    AudioTrack,
    Duck,
    LoudnessTarget,
    PictureFit,
    check_spec,
)
from framecast.render.ducking import (
    ENVELOPE_RATE,
    Placement,
    active_windows,
    duck_gains,
    grid_points,
    place,
)
from framecast.render.loudness import SILENT_LUFS
from framecast.render.picture_fit import PicturePlan, picture_arguments, plan_picture, stream_spans

__all__ = [
    "PRESETS",
    "AudioResult",
    "AudioSpec",
    "AudioTrack",
    "Duck",
    "LoudnessTarget",
    "PictureFit",
    "add_audio",
]

_ORIGINAL_DUCK = Duck()  # original_audio duck: under the narration, with the usual settings


def add_audio(
    video: Path,
    spec: AudioSpec,
    output: Path,
    config: EncoderConfig,
    keep_going: Callable[[], bool] | None = None,
) -> AudioResult:
    """Mix ``spec`` under ``video`` into the MP4 ``output``; RenderError naming the field when
    the spec or a file can't be used."""
    check_spec(spec)
    info, picture = check_video(video)
    # Absolute paths: ffmpeg would take "a:b.mp4" for a protocol and "-x.mp4" for an option.
    video, output = video.resolve(), output.resolve()
    sidechains = {t.duck.under for t in spec.tracks if t.duck is not None}
    if spec.original_audio == "duck":
        sidechains.add(_ORIGINAL_DUCK.under)
    decoded = [
        decode_track(f"tracks[{i}]", [p.resolve() for p in t.parts], t.role in sidechains)
        for i, t in enumerate(spec.tracks)
    ]
    narration = [(t, d) for t, d in zip(spec.tracks, decoded, strict=True) if t.role == "narration"]
    for i, (track, heard) in enumerate(zip(spec.tracks, decoded, strict=True)):
        if track.trim_start >= heard.seconds:
            raise RenderError(
                f"tracks[{i}].trim_start: {track.trim_start:g} s is past the end of the track"
                f" ({heard.seconds:.3f} s)"
            )
    narration_end = max((t.start + d.seconds - t.trim_start for t, d in narration), default=None)
    sound = info.audio if spec.original_audio != "mute" else None  # the video's own, kept
    spans = stream_spans(video, [picture.index, *([sound.index] if sound else [])])
    shown = spans.get(picture.index)  # None: no timestamps (raw H.264)
    plan = plan_picture(spec.fit, picture, shown, narration_end)
    if not spec.tracks and sound is None:
        why = "original_audio is mute" if info.audio else "the video has no audio"
        raise RenderError(f"tracks: nothing to mix: no tracks, and {why}")

    with tempfile.TemporaryDirectory(prefix=f".{output.stem}.", dir=output.parent) as folder:
        work = Path(folder)
        made = work / "made.mp4"
        total = round(plan.duration * RATE)
        mixing = Mixing(work, total, RATE, config, keep_going)
        placed = _place_tracks(spec, decoded, total, mixing)
        original = None
        if sound is not None:
            # The output starts with the picture: the sound before it (a TS's may lead) is cut.
            own = spans.get(sound.index)
            lead = round((plan.video_start - own.start) * RATE) if own and shown else 0
            original = _original(spec, video, sound.index, lead, plan, decoded, total, mixing)
        mux = picture_arguments(plan, video, picture, mixing.audio, made, config)
        inputs, graph = mix_graph(placed, original, total)
        if spec.loudness is None:
            mixing.encode(inputs, graph)
            loudness = None
        else:
            muxed = (mux, made) if plan.copied else None
            loudness = mixing.to_target(inputs, graph, spec.loudness, muxed)
        if loudness is None or not plan.copied:
            mixing.run(mux, made, "putting the mix under the picture failed")
        ends = {i: span.end for i, span in stream_spans(made, [0, 1]).items()}
        os.replace(made, output)
    return AudioResult(
        duration=ends[0],
        picture="copied" if plan.copied else "reencoded",
        loudness=loudness,
        av_end_diff_ms=(ends[1] - ends[0]) * 1000,
        narration_seconds=sum(d.seconds for _, d in narration) if narration else None,
        warnings=_warnings(spec, narration_end, ends[0], loudness),
    )


def _warnings(
    spec: AudioSpec, narration_end: float | None, end: float, loudness: dict[str, float] | None
) -> list[str]:
    """What the user may not expect of an output ending at ``end`` s."""
    warnings = []
    if narration_end is not None and narration_end > end + 0.001:
        warnings.append(
            f"the narration ends {narration_end - end:.2f} s after the video and was cut"
            f" (fit.length {spec.fit.length}); fit.length narration or longest keeps it whole"
        )
    if loudness is not None and loudness["integrated_lufs"] <= SILENT_LUFS:
        warnings.append(
            f"loudness: the mix measures as silence ({SILENT_LUFS:g} LUFS or less: silent, or"
            " shorter than BS.1770's 0.4 s block), so no gain was applied and target_lufs was"
            " not met"
        )
    return warnings


def _place_tracks(
    spec: AudioSpec, decoded: list[DecodedTrack], total: int, mixing: Mixing
) -> list[PlacedTrack]:
    placed = []
    for i, (track, source) in enumerate(zip(spec.tracks, decoded, strict=True)):
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
            _write_gains(gains, spec, decoded, duck, total)
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


def _original(
    spec: AudioSpec,
    video: Path,
    stream: int,
    lead: int,
    plan: PicturePlan,
    decoded: list[DecodedTrack],
    total: int,
    mixing: Mixing,
) -> OriginalSound:
    """The video's own sound in the mix, following its picture (looped, retimed), starting
    ``lead`` samples before the picture."""
    envelope = None
    if spec.original_audio == "duck":
        gains = mixing.work / "duck-original.f32"
        _write_gains(gains, spec, decoded, _ORIGINAL_DUCK, total)
        envelope = (gains, ENVELOPE_RATE)
    tempo = 1 / plan.factor
    if plan.how != "loop":
        return OriginalSound(video, stream, False, tempo, envelope, lead)
    # One pass as long as the picture's, which loops with it, whatever its own length.
    period = round(plan.video_duration * RATE)
    one = mixing.one_pass(video, stream, one_pass_filter(period, lead), "original.wav")
    return OriginalSound(one, 0, True, tempo, envelope)


def _write_gains(
    path: Path, spec: AudioSpec, decoded: list[DecodedTrack], duck: Duck, total: int
) -> None:
    """The gain curve ducking a track under every track of role ``duck.under``."""
    seconds = total / RATE
    active = np.zeros(grid_points(seconds), bool)
    for track, source in zip(spec.tracks, decoded, strict=True):
        if track.role != duck.under or source.levels is None:
            continue
        trim = track.trim_start
        heard = seconds - track.start if track.loop else source.seconds - trim
        where = Placement(track.start, trim, max(0.0, heard), source.seconds, track.loop)
        active |= place(active_windows(source.levels), where, seconds)
    gains = duck_gains(active, duck.depth_db, duck.attack_ms, duck.release_ms)
    gains.astype("<f4").tofile(path)
