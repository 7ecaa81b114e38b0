"""Narration, music and a loudness target under a video, the picture left alone.

``add_audio`` reads every audio file by decoding it (lengths in samples, never container
durations), decides the output's length and the picture's fate (:mod:`.picture_fit`: copied
packet for packet when its length stays), mixes the tracks and the video's own sound as every
mix is made (:mod:`.soundtrack`: one filter graph of explicit gains, fades, loops read as they
play, ducking by a gain curve, no normalisation), brings the mix to a loudness target when one
is asked for (:mod:`.loudness`: measure, gain, true-peak limit, measure the encoded result),
and puts the AAC-LC 48 kHz stereo result next to the picture, cut to the picture's exact end.
The result is made in a work folder and moved to ``output`` last: ``output`` may be one of the
inputs, and is never left half made.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from framecast.config import EncoderConfig
from framecast.errors import RenderError
from framecast.render.audio_encode import Mixing
from framecast.render.audio_graph import OriginalSound, one_pass_filter
from framecast.render.audio_sources import RATE, DecodedTrack, check_video
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
from framecast.render.ducking import ENVELOPE_RATE
from framecast.render.picture_fit import PicturePlan, picture_arguments, plan_picture, stream_spans
from framecast.render.soundtrack import (
    decode_tracks,
    mix_down,
    place_tracks,
    silence_warning,
    write_gains,
)

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
    ducked_too = [_ORIGINAL_DUCK.under] if spec.original_audio == "duck" else []
    decoded = decode_tracks(spec.tracks, ducked_too)
    narration = [(t, d) for t, d in zip(spec.tracks, decoded, strict=True) if t.role == "narration"]
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
        placed = place_tracks(spec.tracks, decoded, total, mixing)
        original = None
        if sound is not None:
            # The output starts with the picture: the sound before it (a TS's may lead) is cut.
            own = spans.get(sound.index)
            lead = round((plan.video_start - own.start) * RATE) if own and shown else 0
            original = _original(spec, video, sound.index, lead, plan, decoded, total, mixing)
        mux = picture_arguments(plan, video, picture, mixing.audio, made, config)
        muxed = (mux, made) if plan.copied else None
        loudness = mix_down(mixing, placed, original, total, spec.loudness, muxed)
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
    return warnings + silence_warning(loudness)


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
        write_gains(gains, spec.tracks, decoded, _ORIGINAL_DUCK, total)
        envelope = (gains, ENVELOPE_RATE)
    tempo = 1 / plan.factor
    if plan.how != "loop":
        return OriginalSound(video, stream, False, tempo, envelope, lead)
    # One pass as long as the picture's, which loops with it, whatever its own length.
    period = round(plan.video_duration * RATE)
    one = mixing.one_pass(video, stream, one_pass_filter(period, lead), "original.wav")
    return OriginalSound(one, 0, True, tempo, envelope)
