"""A video scene: a video file decoded by ffmpeg into raw yuv420p frames of the output, in order.

One ffmpeg process per scene seeks to ``trim_start``, fits each frame to the output exactly as
concatenate's re-encode does (:func:`framecast.render.concat_graph.fit_chain`) and writes raw
frames to a pipe that the scene reads into a small ring of buffers. Frame k shows what the
video shows at ``trim_start + k / fps``, picked as ffmpeg's ``fps`` filter picks: the last
source frame that starts by then, to the nearest output frame. The seek is to the keyframe
before ``trim_start`` with every frame after it kept (``-noaccurate_seek``), so the frame
showing at ``trim_start`` is there for frame 0 even when it started earlier; the ``fps``
filter then drops what comes before it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import IO, NoReturn, Self

import numpy as np

from framecast.config import EncoderConfig
from framecast.contracts.vocab import FITS
from framecast.errors import RenderError
from framecast.render.concat_graph import fit_chain
from framecast.render.concat_plan import requested_rate
from framecast.render.ffmpeg import FfmpegError, Watchdog, ffmpeg_binary, stderr_tail
from framecast.render.probe import VideoStreamInfo, probe_media

__all__ = ["VideoScene"]

_F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)
_PIPE_BYTES = 1 << 20  # a frame is megabytes: a larger pipe means fewer wake-ups per frame


class VideoScene:
    """The ``frames`` yuv420p frames of the video at ``path`` from ``trim_start`` (seconds after
    its first frame), at ``fps``, fitted as ``fit`` into ``width`` × ``height``.

    Frames are read in order from ``skip`` (a part of the scene starting mid-way: the frames
    before are decoded and dropped, so frame k is the same whatever ``skip`` is). A video that
    ends too soon has its last frame repeated; ``held`` says how many of the scene's frames
    were, once the last has been read. A returned frame stays valid until ``buffers`` more have
    been returned. Use as a context manager (or call :meth:`close`): ffmpeg is killed if still
    running. Not thread-safe: one caller at a time.
    """

    def __init__(
        self,
        path: Path,
        width: int,
        height: int,
        fps: float,
        fit: str,
        background: tuple[int, int, int],
        trim_start: float,
        frames: int,
        config: EncoderConfig,
        skip: int = 0,
        buffers: int = 3,
    ) -> None:
        if width <= 0 or height <= 0 or width % 2 or height % 2:
            raise ValueError(f"yuv420p needs an even, positive frame size, got {width}x{height}")
        if fit not in FITS:
            raise ValueError(f"fit must be one of {', '.join(FITS)}; got {fit!r}")
        if not 0 <= skip < frames:
            raise ValueError(f"skip must be within the scene's {frames} frames, got {skip}")
        if buffers < 1:
            raise ValueError(f"at least one output buffer is needed, got {buffers}")
        video = _video_stream(path, trim_start)
        self.path, self.frames, self.held = path, frames, 0
        self.frame_bytes = width * height * 3 // 2
        rate = requested_rate(fps)
        colour = (video.colorspace, video.primaries, video.transfer)
        graph = fit_chain(0, video.index, rate, width, height, fit, colour, frames, hold=False,
                          background=background)  # fmt: skip
        command = [ffmpeg_binary(config), "-hide_banner", "-nostdin", "-nostats"]
        command += ["-loglevel", "error", "-noaccurate_seek"]
        # -ss counts from the file's start; trim_start from the video's first frame.
        seek = video.start + trim_start
        if seek > 0:
            command += ["-ss", f"{seek:.6f}"]
        command += ["-i", str(path), "-filter_complex", ";".join(graph), "-map", "[v0]"]
        command += ["-frames:v", str(frames), "-fps_mode", "passthrough"]
        command += ["-f", "rawvideo", "-pix_fmt", "yuv420p", "pipe:1"]
        self._ring = [np.zeros(self.frame_bytes, np.uint8) for _ in range(buffers)]
        self._next = 0  # the ring slot the next frame is read into
        self._latest: int | None = None  # the slot holding the last frame read
        self._wanted = skip  # the frame the caller must ask for next
        self._produced = 0  # frames ffmpeg has given, skipped ones included
        self._ended = False
        self._stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close)
        try:
            self._process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._stderr,
                bufsize=0,
            )  # fmt: skip
        except OSError as exc:
            self._stderr.close()
            raise RenderError(f"cannot run ffmpeg {command[0]!r}: {exc}") from exc
        assert self._process.stdout is not None
        self._stdout = self._process.stdout
        with contextlib.suppress(OSError):
            fcntl.fcntl(self._stdout.fileno(), _F_SETPIPE_SZ, _PIPE_BYTES)
        # A hung decoder (a stalled network mount, a wedged GPU) must not hold a worker for ever.
        self._watchdog = Watchdog(self._process, config.stall_seconds)

    @property
    def pid(self) -> int:
        """ffmpeg's process id."""
        return self._process.pid

    def frame(self, k: int) -> memoryview:
        """Frame ``k`` of the scene; frames are asked for in order, from ``skip``."""
        if k != self._wanted:
            raise ValueError(f"frames of a video scene come in order: expected {self._wanted}")
        if k >= self.frames:
            raise IndexError(f"frame {k} is outside the scene's {self.frames} frames")
        self._wanted = k + 1
        while self._produced <= k and not self._ended:
            # Skipped frames land in the same free slot, each over the last.
            if self._read_into(self._ring[self._next]):
                self._produced += 1
                self._latest = self._next
            else:
                self._end()
        assert self._latest is not None  # _end raises when no frame came
        if not self._ended:
            self._next = (self._next + 1) % len(self._ring)
        # Once ended, the last frame's slot is never written again: it stays valid for good.
        return self._ring[self._latest].data

    def close(self) -> None:
        """Stop ffmpeg if it is still running (the scene may be left early) and reap it."""
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        self._watchdog.stop()
        self._stdout.close()
        self._stderr.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _read_into(self, buffer: np.ndarray) -> bool:
        """Read one whole frame into ``buffer``: False at the end of ffmpeg's output."""
        view, got = buffer.data, 0
        self._watchdog.waiting_since = time.monotonic()
        try:
            while got < self.frame_bytes:
                count = os.readv(self._stdout.fileno(), [view[got:]])
                if not count:
                    break
                got += count
        except OSError as exc:
            self._fail(f"reading the frames decoded from {self.path.name} failed", exc)
        finally:
            self._watchdog.waiting_since = None
        if got and got < self.frame_bytes:
            self._fail(f"decoding {self.path.name} stopped mid-frame", None)
        return got == self.frame_bytes

    def _end(self) -> None:
        """ffmpeg's output ended before the scene did: it must have exited cleanly."""
        self._ended = True
        self._watchdog.waiting_since = time.monotonic()
        code = self._process.wait()
        self._watchdog.waiting_since = None
        if code != 0 or self._watchdog.fired:
            self._fail(f"decoding {self.path.name} failed", None)
        if self._latest is None:
            raise RenderError(f"{self.path.name} has no frame to show from its trim_start")
        self.held = self.frames - self._produced

    def _fail(self, what: str, cause: BaseException | None) -> NoReturn:
        self._ended = True
        if self._process.poll() is None:
            self._process.kill()
        code = self._process.wait()
        self._watchdog.stop()
        if self._watchdog.fired:
            what = f"ffmpeg made no progress for {self._watchdog.limit:g} s and was stopped"
        tail = stderr_tail(self._stderr)
        message = f"{what} (exit code {code}): {tail or 'no diagnostics on stderr'}"
        raise FfmpegError(message, code, tail) from cause


def _video_stream(path: Path, trim_start: float) -> VideoStreamInfo:
    """The video stream of ``path``; RenderError if it has none or ``trim_start`` is past it."""
    info = probe_media(path)
    if not info.is_video or info.video is None:
        raise RenderError(f"{path.name} is not a video: it is {info.description()}")
    video = info.video
    if trim_start < 0:
        raise RenderError(f"trim_start must be at least 0, got {trim_start:g}")
    if trim_start >= video.duration:
        raise RenderError(
            f"trim_start ({trim_start:g} s) is at or beyond the end of the video"
            f" ({video.duration:g} s)"
        )
    return video
