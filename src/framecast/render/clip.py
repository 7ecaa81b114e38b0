"""One clip: an image and a camera path in, an MP4 with an exact frame count out."""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np

from framecast.config import EncoderConfig
from framecast.render.compose import FITS, Framing, frame_image, prepare_frames
from framecast.render.encode import ClipEncoder, FfmpegPipe
from framecast.render.frames import load_image
from framecast.render.motion import CameraPath, Motion, frame_count, frame_times

__all__ = [
    "ClipInfo",
    "RenderSpec",
    "RenderStopped",
    "encode_frames",
    "render_array",
    "render_clip",
    "render_frames",
    "send_frames",
    "until_stopped",
    "yield_to_the_encoder",
]


@dataclass(frozen=True)
class RenderSpec:
    """What a clip looks like: output size, frame rate, camera motion and fit mode.

    ``motion`` is usually a :class:`Motion` (resolved against each image); a
    :class:`CameraPath` pins the rectangles exactly (tests and benchmarks).
    """

    width: int = 1920
    height: int = 1080
    fps: float = 24.0
    motion: Motion | CameraPath = field(default_factory=Motion)
    fit: str = "cover"
    background: tuple[int, int, int] = (0, 0, 0)  # RGB behind a ``contain`` image

    def __post_init__(self) -> None:
        if self.width <= 0 or self.height <= 0 or self.width % 2 or self.height % 2:
            raise ValueError(
                f"the output size must be even and positive, got {self.width}x{self.height}"
            )
        if not self.fps > 0:
            raise ValueError(f"fps must be positive, got {self.fps}")
        if self.fit not in FITS:
            raise ValueError(f"fit must be one of {', '.join(FITS)}; got {self.fit!r}")


@dataclass(frozen=True)
class ClipInfo:
    """What was rendered: the frame count is exact, ``duration`` is frames / fps."""

    frames: int
    duration: float
    width: int
    height: int
    fps: float
    encoder: str
    framing: Framing | None = None  # how the image was shown: the move made, its path


class RenderStopped(Exception):
    """The clip was abandoned part-way because ``keep_going`` said so; nothing was written."""

    def __init__(self, frames_done: int, frames: int) -> None:
        super().__init__(f"stopped after {frames_done} of {frames} frames")
        self.frames_done = frames_done
        self.frames = frames


def render_frames(
    rgb: np.ndarray, spec: RenderSpec, frames: int, buffers: int = 2
) -> Iterator[memoryview]:
    """The ``frames`` yuv420p frames of ``rgb`` moving as ``spec``, in a ring of ``buffers``:
    each stays valid until ``buffers`` more are made (:func:`send_frames` needs 2).

    The source is prepared at once, in the caller's thread; each frame as it is taken.
    """
    # OpenCV's worker threads spin while they wait: on 2 cores they added a fifth to a half to
    # the warp's CPU for ~20 % less wall time, and the cores are busy anyway (a batch of clips,
    # the frame writer, the encoder). The setting is process-wide, as is the reason for it.
    cv2.setNumThreads(1)
    # Not in encode_frames' maker thread: its lower priority lets the encoder have the cores,
    # but before the first frame the encoder has nothing to do, and the start-up would only
    # wait longer behind other processes.
    warper, path = prepare_frames(
        rgb, spec.width, spec.height, spec.motion, spec.fit, spec.background, buffers
    )
    return (warper.render(path.at(t)) for t in frame_times(frames))


def send_frames(
    frames: Iterable[memoryview],
    write: Callable[[memoryview], object],
    maker_setup: Callable[[], None] | None = None,
) -> None:
    """``write`` each frame while a helper thread makes the next (``maker_setup`` runs first
    in that thread).

    Both the warp and the pipe write release the GIL, so writing frame N overlaps making N+1;
    N+2 is only begun once N is written. Each frame must therefore stay valid while the next
    is made, as :func:`render_frames`' do.
    """
    made = iter(frames)
    with ThreadPoolExecutor(1, "frame-maker", initializer=maker_setup) as maker:
        pending = maker.submit(next, made, None)
        while (frame := pending.result()) is not None:
            pending = maker.submit(next, made, None)
            write(frame)


def encode_frames(
    rgb: np.ndarray,
    spec: RenderSpec,
    frames: int,
    pipe: FfmpegPipe,
    keep_going: Callable[[], bool] | None = None,
) -> None:
    """Render the clip's frames into ``pipe``, each write overlapping the next frame's warp.

    ``keep_going`` is asked once per second of video; when it says no, :class:`RenderStopped`
    is raised (a cancelled job stops mid-clip instead of holding its worker to the end).

    The ring has room for the frames ffmpeg may not have read yet (spliced writes lend it
    their memory) besides the one being written and the one being made.

    The frames are made by a thread of lower priority than ffmpeg's and the writes' (the
    caller's): on libx264 the encoder is the bottleneck and the warp, ~5x faster, then runs in
    the encoder's idle time instead of taking cores from it; when the encoder waits for frames
    it idles and the warp gets the cores. Nothing is lost either way: only the order changes.
    """
    held = pipe.splice_frames(spec.width * spec.height * 3 // 2)
    frames_made = render_frames(rgb, spec, frames, buffers=2 + held)
    if keep_going is not None:
        frames_made = until_stopped(frames_made, frames, keep_going, every=max(1, round(spec.fps)))
    send_frames(frames_made, pipe.write, maker_setup=yield_to_the_encoder)


def until_stopped(
    frames: Iterator[memoryview], total: int, keep_going: Callable[[], bool], every: int
) -> Iterator[memoryview]:
    """``frames``, asking ``keep_going`` every ``every`` frames: RenderStopped when it says no."""
    for done, frame in enumerate(frames):
        if done and done % every == 0 and not keep_going():
            raise RenderStopped(done, total)
        yield frame


def yield_to_the_encoder() -> None:
    """Lower the calling thread's priority: frame makers run in the encoder's idle time."""
    # Linux gives each thread its own niceness; elsewhere this would renice the whole
    # process, ffmpeg's parent, so it is left alone.
    if sys.platform.startswith("linux"):
        thread = threading.get_native_id()
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, thread, os.getpriority(os.PRIO_PROCESS, thread) + 10)


def render_array(
    rgb: np.ndarray, out_path: Path, duration: float, spec: RenderSpec, encoding: EncoderConfig
) -> ClipInfo:
    """Render an already-decoded RGB uint8 image to ``out_path`` (an MP4)."""
    return _render(lambda: rgb, out_path, duration, spec, encoding)


def render_clip(
    image_path: Path,
    out_path: Path,
    duration: float,
    spec: RenderSpec,
    encoding: EncoderConfig,
    max_pixels: int,
    keep_going: Callable[[], bool] | None = None,
    content_type: str | None = None,
) -> ClipInfo:
    """Render the image at ``image_path`` to an MP4 of ``round(duration × fps)`` frames.

    Raises :class:`RenderStopped` (and leaves no file) once ``keep_going`` answers False.
    ``content_type`` (the server's, for a download) describes an unreadable image.
    """
    image = functools.partial(load_image, image_path, max_pixels, spec.background, content_type)
    return _render(image, out_path, duration, spec, encoding, keep_going)


def _render(
    image: Callable[[], np.ndarray],
    out_path: Path,
    duration: float,
    spec: RenderSpec,
    encoding: EncoderConfig,
    keep_going: Callable[[], bool] | None = None,
) -> ClipInfo:
    if not duration > 0:
        raise ValueError(f"duration must be positive, got {duration}")
    frames = frame_count(duration, spec.fps)
    # ffmpeg starts first: its start-up (and the encoder's) overlaps decoding the image and
    # preparing the source. A bad image kills it and leaves no output, as any failure does.
    with ClipEncoder(encoding, out_path, spec.width, spec.height, spec.fps) as encoder:
        rgb = image()
        # Resolved once, here: the path rendered is the one reported (random's pick included).
        height, width = rgb.shape[:2]
        framing = frame_image(width, height, spec.width, spec.height, spec.motion, spec.fit)
        encode_frames(rgb, replace(spec, motion=framing.path), frames, encoder, keep_going)
    size = (spec.width, spec.height)
    return ClipInfo(frames, frames / spec.fps, *size, spec.fps, encoder.encoder, framing)
