"""The picture of a compose: every frame of a range of the timeline made from the sources
(image scenes with their motion, video scenes decoded, transitions blended), captions burned
by libass in the encoder's own filter, encoded once into one segment.

A segment is a pure function of its frame range: frame ``f`` is the same whichever segment
makes it, so segments rendered apart and joined by stream copy equal one rendered whole.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from framecast.compose.image_scene import ImageScene
from framecast.compose.timeline import Slot, Timeline
from framecast.compose.transitions import Blender
from framecast.compose.video_scene import VideoScene
from framecast.config import EncoderConfig
from framecast.errors import ItemError, RenderError
from framecast.render.caption_burn import filter_path
from framecast.render.clip import RenderStopped, send_frames, until_stopped, yield_to_the_encoder
from framecast.render.compose import Framing
from framecast.render.encode import FfmpegPipe, choose_encoder, encode_command
from framecast.render.frames import load_image
from framecast.render.motion import CameraPath, Motion


@dataclass(frozen=True)
class SceneSource:
    """One scene's picture: an image file (with its move) or a video file."""

    image: Path | None
    video: Path | None
    motion: Motion | CameraPath | None  # None for a video: it plays as it is
    fit: str
    background: tuple[int, int, int]
    trim_start: float = 0.0
    content_type: str | None = None  # the image server's, to describe an unreadable image


@dataclass(frozen=True)
class Burn:
    """Captions burned into every segment: one ASS for the whole timeline and its fonts."""

    ass: Path
    fonts_dir: Path
    env: Mapping[str, str]  # an isolated fontconfig: libass sees only these faces


@dataclass
class SegmentMade:
    """What rendering a segment learnt: each image's framing, video frames held at an end."""

    rendered: int = 0  # frames made so far (read by another thread for progress)
    framings: dict[int, Framing] = field(default_factory=dict)
    held: dict[int, int] = field(default_factory=dict)
    log: str = ""  # ffmpeg's verbose log when captions were burned (libass's font choices)


@dataclass
class _Opened:
    image: ImageScene | None = None
    video: VideoScene | None = None

    def frame(self, k: int) -> memoryview:
        if self.image is not None:
            return self.image.frame(k)
        assert self.video is not None
        return self.video.frame(k)


def render_segment(
    scenes: list[SceneSource],
    timeline: Timeline,
    size: tuple[int, int],
    frames: range,
    output: Path,
    config: EncoderConfig,
    max_pixels: int,
    burn: Burn | None = None,
    keep_going: Callable[[], bool] | None = None,
    made: SegmentMade | None = None,
) -> SegmentMade:
    """Frames ``frames`` of ``timeline`` encoded into the MP4 ``output`` (picture only, a
    keyframe first, captions burned at their times in the whole video); ``made`` is filled
    in as it goes."""
    width, height = size
    filters = None
    if burn is not None:
        # The ASS is timed on the whole video: the segment's frames are shown to libass at
        # their own times, then counted from 0 again for the segment's file.
        shift = f"setpts=PTS+{frames.start}/(FRAME_RATE*TB)"
        ass = f"ass=filename={filter_path(burn.ass)}:fontsdir={filter_path(burn.fonts_dir)}"
        filters = f"{shift},{ass},setpts=PTS-STARTPTS"
    command = encode_command(
        config,
        choose_encoder(config),
        width,
        height,
        timeline.fps,
        output,
        filters=filters,
        loglevel="verbose" if burn is not None else "error",
    )
    made = made if made is not None else SegmentMade()
    try:
        with FfmpegPipe(
            command,
            output,
            config.stall_seconds,
            env=burn.env if burn is not None else None,
            keep_log=burn is not None,
        ) as pipe:
            held = pipe.splice_frames(width * height * 3 // 2)
            made_frames = picture_frames(
                scenes, timeline, size, frames, max_pixels, config, made, held + 3
            )
            pictures: Iterator[memoryview] = made_frames
            if keep_going is not None:
                every = max(1, round(timeline.fps))
                pictures = until_stopped(made_frames, len(frames), keep_going, every)
            try:
                send_frames(pictures, pipe.write, maker_setup=yield_to_the_encoder)
            finally:
                made_frames.close()  # a stop or a failure closes the scenes' decoders now
    except RenderStopped as exc:
        raise ItemError(f"{exc}: the job was cancelled or passed its deadline") from exc
    made.log = pipe.log
    return made


def picture_frames(
    scenes: list[SceneSource],
    timeline: Timeline,
    size: tuple[int, int],
    frames: range,
    max_pixels: int,
    config: EncoderConfig,
    made: SegmentMade | None = None,
    buffers: int = 3,
) -> Generator[memoryview]:
    """The raw yuv420p frames ``frames`` of ``timeline``, each valid until ``buffers`` − 1
    more have been taken."""
    made = made if made is not None else SegmentMade()
    blender = Blender(*size, buffers)
    opened: dict[int, _Opened] = {}
    with contextlib.ExitStack() as closing:

        def source(slot: Slot) -> _Opened:
            if slot.index not in opened:
                opened[slot.index] = _open(
                    scenes[slot.index],
                    slot,
                    timeline,
                    size,
                    frames.start,
                    max_pixels,
                    config,
                    buffers,
                )
                got = opened[slot.index]
                if got.video is not None:
                    closing.enter_context(got.video)
                elif got.image is not None:
                    made.framings[slot.index] = got.image.framing
            return opened[slot.index]

        first = 0  # the first scene not yet over
        slots = timeline.slots
        for f in frames:
            while slots[first].end_frame <= f:
                _close(opened.pop(slots[first].index, None), slots[first].index, made)
                first += 1
            shown = [s for s in slots[first : first + 2] if s.start_frame <= f]
            if len(shown) == 1:
                (slot,) = shown
                yield source(slot).frame(f - slot.start_frame)
                made.rendered += 1
                continue
            outgoing, incoming = shown
            k = f - incoming.start_frame
            progress = (k + 1) / (incoming.transition_frames + 1)
            a = source(outgoing).frame(f - outgoing.start_frame)
            b = source(incoming).frame(k)
            yield blender.blend(incoming.transition, a, b, progress)
            made.rendered += 1
        for index in list(opened):
            _close(opened.pop(index), index, made)


def _open(
    scene: SceneSource,
    slot: Slot,
    timeline: Timeline,
    size: tuple[int, int],
    start: int,
    max_pixels: int,
    config: EncoderConfig,
    buffers: int,
) -> _Opened:
    field = f"scenes[{slot.index}]"
    width, height = size
    if scene.image is not None and scene.motion is not None:
        try:
            rgb = load_image(scene.image, max_pixels, scene.background, scene.content_type)
        except ItemError as exc:
            raise ItemError(f"{field}.image_url: {exc.message}") from exc
        image = ImageScene(
            rgb,
            width,
            height,
            scene.motion,
            scene.fit,
            scene.background,
            slot.frames,
            buffers=buffers,
        )
        return _Opened(image=image)
    assert scene.video is not None
    try:
        video = VideoScene(
            scene.video,
            width,
            height,
            timeline.fps,
            scene.fit,
            scene.background,
            scene.trim_start,
            slot.frames,
            config,
            skip=max(0, start - slot.start_frame),
            buffers=buffers,
        )
    except RenderError as exc:
        raise ItemError(f"{field}.video_url: {exc.message}") from exc
    return _Opened(video=video)


def _close(opened: _Opened | None, index: int, made: SegmentMade) -> None:
    if opened is not None and opened.video is not None:
        if opened.video.held:
            made.held[index] = opened.video.held
        opened.video.close()
