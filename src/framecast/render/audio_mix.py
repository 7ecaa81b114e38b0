"""Narration, music and a loudness target under a video, the picture left alone.

``add_audio`` reads every audio file by decoding it (lengths in samples, never container
durations), decides the output's length and the picture's fate (:mod:`.picture_fit`: copied
packet for packet when its length stays), mixes the tracks in one filter graph
(:mod:`.audio_graph`: explicit gains, fades, loops read as they play, ducking by a gain curve
from :mod:`.ducking`, no normalisation), brings the mix to a loudness target when one is asked
for (:mod:`.loudness`: measure, gain, true-peak limit, measure the encoded result), and puts
the AAC-LC 48 kHz stereo result next to the picture, cut to the picture's exact end.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from framecast.config import EncoderConfig
from framecast.errors import RenderError
from framecast.render.audio_graph import AAC, MIX, OriginalSound, PlacedTrack, mix_graph
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
from framecast.render.ffmpeg import run_ffmpeg
from framecast.render.loudness import Loudness, measure, normalise, read_scan, scan_filter
from framecast.render.picture_fit import PicturePlan, picture_arguments, plan_picture, stream_ends
from framecast.render.probe import MediaInfo

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
    video_end = stream_ends(video, [picture.index])[picture.index]
    plan = plan_picture(spec.fit, picture, video_end, narration_end)
    keep_original = spec.original_audio != "mute" and info.audio is not None
    if not spec.tracks and not keep_original:
        why = "original_audio is mute" if info.audio else "the video has no audio"
        raise RenderError(f"tracks: nothing to mix: no tracks, and {why}")

    with tempfile.TemporaryDirectory(prefix=f".{output.stem}.", dir=output.parent) as folder:
        work = Path(folder)
        total = round(plan.duration * RATE)
        placed = _place_tracks(spec, decoded, total, work)
        original = _original(spec, info, video, plan, decoded, total, work)
        mixing = _Mixing(work, total, config, keep_going)
        mux = picture_arguments(plan, video, picture, mixing.audio, output, config)
        inputs, graph = mix_graph(placed, original, total)
        if spec.loudness is None:
            mixing.encode(inputs, graph)
            loudness = None
        else:
            muxed = (mux, output) if plan.copied else None
            loudness = mixing.to_target(inputs, graph, spec.loudness, muxed)
        if loudness is None or not plan.copied:
            mixing.run(mux, output, "putting the mix under the picture failed")
    ends = stream_ends(output, [0, 1])  # as mapped: the picture, then the mix
    warnings = []
    if narration_end is not None and narration_end > ends[0] + 0.001:
        warnings.append(
            f"the narration ends {narration_end - ends[0]:.2f} s after the video and was cut"
            f" (fit.length {spec.fit.length}); fit.length narration or longest keeps it whole"
        )
    return AudioResult(
        duration=ends[0],
        picture="copied" if plan.copied else "reencoded",
        loudness=loudness,
        av_end_diff_ms=(ends[1] - ends[0]) * 1000,
        narration_seconds=sum(d.seconds for _, d in narration) if narration else None,
        warnings=warnings,
    )


def _place_tracks(
    spec: AudioSpec, decoded: list[DecodedTrack], total: int, work: Path
) -> list[PlacedTrack]:
    placed = []
    for i, (track, source) in enumerate(zip(spec.tracks, decoded, strict=True)):
        start, trim = round(track.start * RATE), round(track.trim_start * RATE)
        heard = total - start if track.loop else min(source.samples - trim, total - start)
        if heard <= 0:
            raise RenderError(
                f"tracks[{i}].start: {track.start:g} s is not before the output's end"
                f" ({total / RATE:.3f} s)"
            )
        duck = track.duck
        envelope = None
        if duck is not None:
            path = work / f"duck{i}.f32"
            _write_gains(path, spec, decoded, duck, total)
            envelope = (path, ENVELOPE_RATE)
        placed.append(
            PlacedTrack(
                parts=list(zip([p.resolve() for p in track.parts], source.streams, strict=True)),
                loop=track.loop,
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
    info: MediaInfo,
    video: Path,
    plan: PicturePlan,
    decoded: list[DecodedTrack],
    total: int,
    work: Path,
) -> OriginalSound | None:
    """The video's own sound in the mix, following its picture (looped, retimed)."""
    if spec.original_audio == "mute" or info.audio is None:
        return None
    envelope = None
    if spec.original_audio == "duck":
        path = work / "duck-original.f32"
        _write_gains(path, spec, decoded, _ORIGINAL_DUCK, total)
        envelope = (path, ENVELOPE_RATE)
    return OriginalSound(video, info.audio.index, plan.how == "loop", 1 / plan.factor, envelope)


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


class _Mixing:
    """The ffmpeg runs that make the mix, in a work folder: to the AAC file ``audio``, as it
    is, or brought to a loudness target."""

    def __init__(
        self, work: Path, total: int, config: EncoderConfig, keep_going: Callable[[], bool] | None
    ) -> None:
        self.work, self.config, self.keep_going = work, config, keep_going
        self.audio = work / "audio.m4a"
        # The limiter and the resamplers may move the end by a sample: cut and pad to it.
        self.exact = f"apad=whole_len={total},atrim=end_sample={total}"

    def run(self, arguments: list[str], output: Path | None, what: str) -> None:
        run_ffmpeg(arguments, output, self.config, keep_going=self.keep_going, what=what)

    def encode(self, inputs: list[str], graph: str) -> None:
        """The mix, at the levels asked for, to AAC."""
        # Mixing never scales the levels; only samples that would clip are held at full scale.
        guard = "alimiter=limit=1:attack=1:release=50:level=0:latency=1"
        script = self._script(f"{graph.rstrip()};\n{MIX}{guard},{self.exact}[out]\n")
        arguments = ["-loglevel", "error", *inputs, "-/filter_complex", str(script)]
        arguments += ["-map", "[out]", *AAC, "-y", str(self.audio)]
        self.run(arguments, self.audio, "mixing failed")

    def to_target(
        self,
        inputs: list[str],
        graph: str,
        target: LoudnessTarget,
        muxed: tuple[list[str], Path] | None,
    ) -> dict[str, float]:
        """The mix at ``target``; with ``muxed`` (the arguments putting the mix under a copied
        picture, and their output: cheap) each encode is muxed at once and the output measured
        in the same run. Returns the last reading."""
        mix, readings = self.work / "mix.wav", self.work / "r128.txt"
        # Measured as it is written: float, for the mix may pass full scale before its gain.
        scan = f"{MIX}asplit=2[keep][scan];\n[scan]{scan_filter(readings)},anullsink\n"
        script = self._script(f"{graph.rstrip()};\n{scan}")
        arguments = ["-loglevel", "error", *inputs, "-/filter_complex", str(script)]
        arguments += ["-map", "[keep]", "-c:a", "pcm_f32le", "-rf64", "auto", "-y", str(mix)]
        self.run(arguments, mix, "mixing failed")
        before = read_scan(readings)

        def encode(chain: str) -> Loudness:
            arguments = ["-loglevel", "error", "-i", str(mix), "-af", f"{chain},{self.exact}"]
            self.run([*arguments, *AAC, "-y", str(self.audio)], self.audio, "encoding failed")
            if muxed is None:
                return measure(self.audio, self.config, self.keep_going)
            mux, output = muxed
            measured = ["-map", "1:a:0", "-af", scan_filter(readings), "-f", "null", "-"]
            self.run([*mux, *measured], output, "putting the mix under the picture failed")
            return read_scan(readings)

        return normalise(before, encode, target, RATE).as_dict()

    def _script(self, graph: str) -> Path:
        # From a file: a graph of hundreds of parts is longer than one argument may be.
        script = self.work / "mix.filtergraph.txt"
        script.write_text(graph, encoding="utf-8")
        return script
