"""A compose from its files to the finished video: the one path of the worker and the command
line (the API's dry run stops after the timeline).

Narrations are measured (decoded lengths), the timeline is laid out, the captions are built
for the whole timeline, the soundtrack is mixed once (narrations at their scenes, the music
looped, ducked and faded, the loudness target) while the picture is rendered in segments cut
where a scene is seen alone, each encoded once with the captions burned in; the segments are
then joined with the soundtrack by stream copy.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from framecast.captions.build import CaptionBuild, build_captions
from framecast.captions.font_check import check_font_log, isolated_fontconfig, prepare_fonts_dir
from framecast.captions.fonts import FontBook
from framecast.captions.model import Captions, Word
from framecast.captions.sources import fetched_text, read_captions
from framecast.compose.join import join_segments
from framecast.compose.picture import Burn, SceneSource, SegmentMade, render_segment
from framecast.compose.timeline import SceneTime, Timeline, build_timeline
from framecast.config import Settings, cpu_quota
from framecast.contracts.caption import TEXT_SOURCES, CaptionOptions
from framecast.contracts.compose import (
    MAX_SEGMENTS,
    ComposeCaptions,
    ComposeOptions,
    MusicSpec,
    SceneSpec,
    check_length,
)
from framecast.contracts.render import RenderBlock
from framecast.errors import InputError, RenderError
from framecast.render.audio_spec import AudioTrack, LoudnessTarget, track_of
from framecast.render.clip import RenderStopped
from framecast.render.ffmpeg import FfmpegStopped
from framecast.render.probe import probe_media
from framecast.render.soundtrack import Soundtrack, make_soundtrack, measure_parts
from framecast.render.warp import compile_kernels

log = logging.getLogger("framecast.compose")

SECONDS_PER_SEGMENT = 120.0  # the default: one segment per two minutes of video
MAX_WARNINGS = 20
_SILENT = 1e-9


@dataclass(frozen=True)
class ComposeFiles:
    """Every input of a compose as a local file, by scene index."""

    images: dict[int, Path] = field(default_factory=dict)
    videos: dict[int, Path] = field(default_factory=dict)
    narrations: dict[int, list[Path]] = field(default_factory=dict)
    music: Path | None = None
    captions_text: Path | None = None  # captions.srt/vtt/ass fetched from a URL
    font: Path | None = None
    content_types: dict[int, str] = field(default_factory=dict)  # the images' servers' types


@dataclass(frozen=True)
class Measured:
    """The timeline and what it was made from."""

    timeline: Timeline
    narration_seconds: dict[int, float]

    def public(self) -> dict[str, Any]:
        """The timeline in full, each narration's measured length with its scene."""
        shown = self.timeline.public()
        for i, seconds in self.narration_seconds.items():
            shown["scenes"][i]["narration_seconds"] = round(seconds, 6)
        return shown


@dataclass(frozen=True)
class ComposeMade:
    """The finished video's result fields, its captions and its ``timeline.json``."""

    result: dict[str, Any]
    captions: CaptionBuild | None
    timeline: Path


def measure(scenes: list[SceneSpec], files: ComposeFiles, options: ComposeOptions) -> Measured:
    """Each scene's length (narrations decoded, videos probed) and the timeline they make."""
    times = []
    narrated: dict[int, float] = {}
    for i, scene in enumerate(scenes):
        field_name = f"scenes[{i}]"
        transition = scene.transition.duration if scene.transition else 0.0
        kind = scene.transition.type if scene.transition else "none"
        narration = None
        if i in files.narrations:
            narration = measure_parts(f"{field_name}.narration_url", files.narrations[i])
            narrated[i] = narration
        if scene.duration is not None:
            length = scene.duration
            if narration is not None and transition + narration > length + _SILENT:
                raise InputError(
                    f"{field_name}.duration: {length:g} s is shorter than the transition into"
                    f" the scene ({transition:g} s) + its narration ({narration:.3f} s)"
                )
        elif narration is not None:
            length = transition + narration + options.pad
        else:
            length = _video_length(field_name, files.videos[i], scene.trim_start)
        times.append(SceneTime(length, transition, kind))
    timeline = build_timeline(times, options.render.fps, options.tail)
    check_length(timeline.duration)
    return Measured(timeline, narrated)


def _video_length(field_name: str, path: Path, trim_start: float) -> float:
    info = probe_media(path)
    if info.video is None or not info.is_video:
        raise InputError(f"{field_name}.video_url: expected a video; got {info.description()}")
    if not info.video.duration > 0:
        raise InputError(
            f"{field_name}.duration: the video does not say how long it is; give duration"
        )
    left = info.video.duration - trim_start
    if left <= 0:
        raise InputError(
            f"{field_name}.trim_start: {trim_start:g} s is past the video's end"
            f" ({info.video.duration:.3f} s)"
        )
    return left


def scene_captions(
    captions: ComposeCaptions, scenes: list[SceneSpec], measured: Measured, text: str | None
) -> Captions:
    """What to caption: the whole video's source as it is, or each scene's words moved to
    where its narration starts (a page never runs across two scenes)."""
    kind = captions.source()
    if kind is not None:
        value = text if text is not None else getattr(captions, kind)
        return read_captions(kind, value)
    words: list[Word] = []
    starts = []
    for i, scene in enumerate(scenes):
        given = scene.words if scene.words is not None else scene.alignment
        if given is None:
            continue
        kind = "words" if scene.words is not None else "alignment"
        try:
            own = read_captions(kind, given).words
        except InputError as exc:
            raise InputError(exc.message.replace("captions.", f"scenes[{i}].", 1)) from exc
        at = measured.timeline.slots[i].narration_start
        starts.append(at)
        words += [Word(w.text, w.start + at, w.end + at) for w in own]
    return Captions(words=words, page_starts=tuple(starts[1:]))


def soundtrack_tracks(
    scenes: list[SceneSpec], files: ComposeFiles, music: MusicSpec | None, timeline: Timeline
) -> list[AudioTrack]:
    """The narrations at their scenes and the music bed, for the audio engine."""
    tracks = [
        AudioTrack(role="narration", parts=files.narrations[i], start=slot.narration_start)
        for i, slot in enumerate(timeline.slots)
        if i in files.narrations
    ]
    if music is not None and files.music is not None:
        tracks.append(track_of(music.as_track(), [files.music]))
    return tracks


def compose_video(
    scenes: list[SceneSpec],
    music: MusicSpec | None,
    options: ComposeOptions,
    files: ComposeFiles,
    work: Path,
    output: Path,
    settings: Settings,
    font_cache: Path,
    keep_going: Callable[[], bool] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ComposeMade:
    """Render the compose into the MP4 ``output``; ItemError naming the field on bad input.
    ``progress(done, total)`` hears how many scenes are rendered, about once a second."""
    measured = measure(scenes, files, options)
    if music is not None and files.music is not None:
        # Checked as the request names them, before any rendering.
        bed = measure_parts("music.url", [files.music])
        if music.trim_start >= bed:
            raise InputError(
                f"music.trim_start: {music.trim_start:g} s is past the end of the music"
                f" ({bed:.3f} s)"
            )
    timeline = measured.timeline
    block = options.render
    size = (block.width, block.height)
    warnings: list[str] = []
    built = None
    burn = None
    if options.captions is not None:
        built = caption_build(options.captions, scenes, measured, files, size, font_cache)
        ass = work / "captions.ass"
        ass.write_text(built.ass, encoding="utf-8")
        burn = Burn(ass, prepare_fonts_dir(built.faces, work), isolated_fontconfig(work))
        warnings += built.warnings
    if any(s.words or s.alignment for s in scenes):
        if options.captions is None:
            warnings.append("scenes carry words but captions is not given: nothing was burned")
        elif options.captions.source() is not None:
            warnings.append(
                f"the scenes' words were not used: captions.{options.captions.source()} is"
                " the whole video's captions"
            )
    sources = scene_sources(block, scenes, files)
    count = options.segments or default_segments(timeline.duration)
    ranges = timeline.segments(count)
    failed = threading.Event()
    made_so_far = [SegmentMade() for _ in ranges]

    def going() -> bool:
        if progress is not None:
            rendered = [made.rendered for made in made_so_far]
            progress(scenes_done(timeline, ranges, rendered), len(timeline.slots))
        return not failed.is_set() and (keep_going is None or keep_going())

    def segment(n: int) -> SegmentMade:
        try:
            return render_segment(
                sources,
                timeline,
                size,
                ranges[n],
                work / f"segment{n}.mp4",
                settings.encoding,
                settings.fetch.max_pixels,
                burn,
                going,
                made_so_far[n],
            )
        except BaseException:
            failed.set()  # the other segments stop at their next check
            raise

    compile_kernels()  # once, before the segments' threads would each load them
    tracks = soundtrack_tracks(scenes, files, music, timeline)
    loudness = options.loudness
    target = (
        None if loudness is None else LoudnessTarget(loudness.target_lufs, loudness.true_peak_db)
    )
    log.info(
        "compose started scenes=%d frames=%d segments=%d tracks=%d",
        len(scenes),
        timeline.frames,
        len(ranges),
        len(tracks),
    )

    def mixed() -> Soundtrack:
        folder = work / "sound"
        folder.mkdir()
        try:
            return make_soundtrack(
                tracks, timeline.duration, target, folder, settings.encoding, going
            )
        except BaseException:
            failed.set()
            raise

    with ThreadPoolExecutor(len(ranges) + 1, thread_name_prefix="compose") as pool:
        sound = pool.submit(mixed) if tracks else None
        parts = [pool.submit(segment, n) for n in range(len(ranges))]
    _raise_the_cause([*parts, *([sound] if sound is not None else [])])
    made = [part.result() for part in parts]
    soundtrack: Soundtrack | None = sound.result() if sound is not None else None
    del parts, sound  # nothing keeps a failed segment's frames alive
    if built is not None:
        # Together: libass chooses a font only where it draws, and a segment may show no caption.
        check_font_log("\n".join(segment_made.log for segment_made in made), built.faces)
    segment_files = [work / f"segment{n}.mp4" for n in range(len(ranges))]
    joined = join_segments(
        segment_files,
        soundtrack.path if soundtrack is not None else None,
        output,
        settings.encoding,
        keep_going,
    )
    if joined.frames != timeline.frames:
        raise RenderError(
            f"the joined video has {joined.frames} frames; the timeline has {timeline.frames}"
        )
    warnings += _picture_warnings(made, timeline)
    if soundtrack is not None:
        warnings += soundtrack.warnings
    result: dict[str, Any] = {
        "duration": round(joined.duration, 6),
        "width": joined.width,
        "height": joined.height,
        "fps": joined.fps,
        "frames": joined.frames,
        "encode_passes": 1,
        "timeline": timeline.summary(),
        "segments": len(ranges),
    }
    if soundtrack is not None and soundtrack.loudness is not None:
        result["loudness"] = soundtrack.loudness
    if built is not None:
        result |= {"font": built.font(), "pages": built.pages, "words": len(built.words)}
    if warnings:
        result["warnings"] = capped(warnings)
    return ComposeMade(result, built, timeline_file(measured, work))


def scenes_done(timeline: Timeline, ranges: list[range], rendered: list[int]) -> int:
    """Scenes whose every frame is made, when segment ``k`` has made ``rendered[k]`` frames."""
    done = 0
    for slot in timeline.slots:
        done += all(
            min(slot.end_frame, part.stop) <= part.start + count
            for part, count in zip(ranges, rendered, strict=True)
            if part.start < slot.end_frame and slot.start_frame < part.stop
        )
    return done


def default_segments(seconds: float) -> int:
    """One segment per SECONDS_PER_SEGMENT of video, at most one per CPU (and MAX_SEGMENTS)."""
    return max(1, min(math.ceil(seconds / SECONDS_PER_SEGMENT), cpu_quota(), MAX_SEGMENTS))


def _raise_the_cause(done: list[Future[Any]]) -> None:
    """The failure that stopped the others (they stop saying they were stopped), if any."""
    errors = [e for e in (f.exception() for f in done) if e is not None]
    caused = [
        e
        for e in errors
        if not isinstance(e, FfmpegStopped) and not isinstance(e.__cause__, RenderStopped)
    ]
    if errors:
        raise (caused or errors)[0]


def timeline_file(measured: Measured, work: Path) -> Path:
    """``timeline.json``: every scene's start, length, frames, transition and narration."""
    shown = measured.public()
    path = work / "timeline.json"
    path.write_text(json.dumps(shown, indent=1), encoding="utf-8")
    return path


def capped(warnings: list[str]) -> list[str]:
    """At most MAX_WARNINGS warnings (a result travels in a header of bounded size)."""
    if len(warnings) <= MAX_WARNINGS:
        return warnings
    return [*warnings[: MAX_WARNINGS - 1], f"… and {len(warnings) - MAX_WARNINGS + 1} more"]


def caption_build(
    captions: ComposeCaptions,
    scenes: list[SceneSpec],
    measured: Measured,
    files: ComposeFiles,
    size: tuple[int, int],
    font_cache: Path,
) -> CaptionBuild:
    """The captions laid out on the timeline for a frame of ``size`` (the compose's and the
    dry run's)."""
    text = _captions_text(captions, files.captions_text)
    book = FontBook(font_cache, [files.font] if files.font is not None else [])
    options = CaptionOptions(style=captions.style, replace=captions.replace)
    return build_captions(scene_captions(captions, scenes, measured, text), options, *size, book)


def _captions_text(captions: ComposeCaptions, fetched: Path | None) -> str | None:
    kind = captions.source()
    if fetched is None or kind not in TEXT_SOURCES:
        return None
    return fetched_text(fetched, kind)


def scene_sources(
    block: RenderBlock, scenes: list[SceneSpec], files: ComposeFiles
) -> list[SceneSource]:
    """Each scene's picture as the frame pipeline takes it: its file, move, fit."""
    return [_source(block, i, scene, files) for i, scene in enumerate(scenes)]


def _source(block: RenderBlock, i: int, scene: SceneSpec, files: ComposeFiles) -> SceneSource:
    fit, background = block.fit_for(scene)
    if scene.image_url is not None:
        motion = block.motion_for(scene, i, field="scenes")
        return SceneSource(
            files.images[i],
            None,
            motion,
            fit,
            background,
            content_type=files.content_types.get(i),
        )
    return SceneSource(
        None, files.videos[i], block.motion_for(None), fit, background, scene.trim_start
    )


def _picture_warnings(made: list[SegmentMade], timeline: Timeline) -> list[str]:
    warnings = []
    held = {i: n for segment in made for i, n in segment.held.items()}
    last = timeline.slots[-1].index
    if last in held:  # the tail holds the last scene by design: only a shortfall before it
        held[last] -= round(timeline.tail * timeline.fps)
        if held[last] <= 1:
            del held[last]
    for i, frames in sorted(held.items()):
        warnings.append(
            f"scenes[{i}].video_url: the video ends {frames / timeline.fps:.2f} s before its"
            " scene does; its last frame is held"
        )
    framings = {i: f for segment in made for i, f in segment.framings.items()}
    for i, framing in sorted(framings.items()):
        warnings += [f"scenes[{i}].image_url: {w}" for w in framing.warnings()]
    return warnings
