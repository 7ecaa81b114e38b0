"""Raw yuv420p frames in through a pipe, an H.264 MP4 out, one process per clip."""

from __future__ import annotations

import collections
import contextlib
import fcntl
import functools
import logging
import os
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, NoReturn, Self

from framecast.config import EncoderConfig
from framecast.errors import RenderError
from framecast.render.colour import BT709_TAGS
from framecast.render.encoder_probe import nvenc_failure
from framecast.render.ffmpeg import FfmpegError, Watchdog, ffmpeg_binary, stderr_tail
from framecast.render.kept_files import private_folder
from framecast.render.vmsplice import splice_frame, splicing_available

__all__ = [
    "ClipEncoder",
    "FfmpegError",
    "FfmpegPipe",
    "choose_encoder",
    "encode_command",
    "encoder_args",
    "ffmpeg_binary",
]

log = logging.getLogger("framecast.render")

_F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)
_F_GETPIPE_SZ = getattr(fcntl, "F_GETPIPE_SZ", 1032)
_PIPE_BYTES = 1 << 20  # the most an unprivileged process may ask for, by default
_MOST_FRAMES_HELD = 4  # splice frames of a quarter of the pipe or more (1080p: 3 MB, 1 held)


@functools.cache
def choose_encoder(config: EncoderConfig) -> str:
    """``h264_nvenc`` or ``libx264`` for ``config``; ``auto`` probes nvenc once per process, or
    once per machine where the answer cannot change (:mod:`.encoder_probe`)."""
    if config.encoder == "nvenc":
        encoder, reason = "h264_nvenc", "forced by configuration"
    elif config.encoder == "x264":
        encoder, reason = "libx264", "forced by configuration"
    else:
        failure, kept = nvenc_failure(ffmpeg_binary(config), private_folder())
        encoder = "libx264" if failure else "h264_nvenc"
        reason = f"h264_nvenc probe failed: {failure}" if failure else "h264_nvenc probe succeeded"
        reason += " (the answer kept from an earlier probe on this machine)" if kept else ""
    log.info('encoder chosen encoder=%s reason="%s"', encoder, reason.replace('"', "'"))
    return encoder


def encoder_args(encoder: str, config: EncoderConfig) -> list[str]:
    """The codec options for ``encoder`` under ``config`` (H.264 High either way)."""
    if encoder == "h264_nvenc":
        quality = ["-preset", config.nvenc_preset, "-rc", "vbr", "-cq", str(config.nvenc_cq)]
        return ["-c:v", "h264_nvenc", *quality, "-b:v", "0", "-profile:v", "high"]
    if encoder == "libx264":
        quality = ["-preset", config.x264_preset, "-crf", str(config.x264_crf)]
        return ["-c:v", "libx264", *quality, "-profile:v", "high"]
    raise ValueError(f"unknown encoder {encoder!r}")


def encode_command(
    config: EncoderConfig,
    encoder: str,
    width: int,
    height: int,
    fps: float,
    output: Path | None,
    source: str = "pipe:0",
    filters: str | None = None,
    loglevel: str = "error",
) -> list[str]:
    """The ffmpeg command encoding raw yuv420p frames from ``source`` (through ``filters``, a
    filter chain, when given); ``output`` None: discard."""
    command = [ffmpeg_binary(config), "-hide_banner", "-nostdin", "-nostats"]
    command += ["-loglevel", loglevel, "-f", "rawvideo", "-pix_fmt", "yuv420p"]
    command += ["-s", f"{width}x{height}", "-framerate", repr(float(fps))]
    # Tagged on the input as well: ffmpeg takes colour properties from the frames, and output
    # options alone leave primaries and transfer "unknown" in the stream.
    command += [*BT709_TAGS, "-i", source, *(["-vf", filters] if filters else [])]
    command += encoder_args(encoder, config)
    command += ["-pix_fmt", "yuv420p", *BT709_TAGS, "-an"]
    if output is None:
        return [*command, "-f", "null", "-"]
    return [*command, "-movflags", "+faststart", "-f", "mp4", "-y", str(output)]


class FfmpegPipe:
    """One ffmpeg process reading raw frames on stdin and writing ``output``.

    Use as a context manager: a clean exit waits for ffmpeg and checks its exit status; an
    exception kills it. Either failure deletes the partial output file.
    """

    def __init__(
        self,
        command: list[str],
        output: Path | None,
        stall_seconds: float = EncoderConfig.stall_seconds,
        env: Mapping[str, str] | None = None,
        keep_log: bool = False,
    ) -> None:
        self.output = output
        self.frames = 0
        self.log = ""  # ffmpeg's stderr, read at a clean close when ``keep_log``
        self._keep_log = keep_log
        self._finished = False
        # A file, not a pipe, for stderr: a chatty ffmpeg can never block on it.
        self._stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close/abort)
        try:
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=self._stderr,
                env={**os.environ, **env} if env else None,
            )
        except OSError as exc:
            self._stderr.close()
            raise RenderError(f"cannot run ffmpeg {command[0]!r}: {exc}") from exc
        assert self._process.stdin is not None
        self._stdin = self._process.stdin
        self._fd = self._stdin.fileno()
        with contextlib.suppress(OSError):
            # A frame is megabytes; a larger pipe means fewer wake-ups per frame on both sides.
            fcntl.fcntl(self._fd, _F_SETPIPE_SZ, _PIPE_BYTES)
        try:
            self._pipe_bytes = fcntl.fcntl(self._fd, _F_GETPIPE_SZ)
        except OSError:
            self._pipe_bytes = _PIPE_BYTES
        # A hung ffmpeg (a wedged GPU encoder, say) must not hold a worker for ever.
        self._watchdog = Watchdog(self._process, stall_seconds)
        # Writes copy unless the caller opts in to splicing (see splice_frames).
        self._splicing = False
        self._lent: collections.deque[memoryview] = collections.deque()

    @property
    def pid(self) -> int:
        """ffmpeg's process id."""
        return self._process.pid

    def splice_frames(self, frame_bytes: int) -> int:
        """Opt in to zero-copy writes of frames of ``frame_bytes``, where the system has them.

        Returns how many of the frames written so far ffmpeg may not have read yet when
        ``write`` returns: the pipe holds their memory, so the caller must not change it.
        (Dropping them is safe: this pipe keeps every lent frame referenced until it has been
        read, so its memory is not reused meanwhile.) 0: writes copy, as they do for small
        frames (cheap to copy, and a ring holding a whole pipe of them would be large).
        """
        held = -(-self._pipe_bytes // frame_bytes)
        self._splicing = splicing_available() and held <= _MOST_FRAMES_HELD
        return held if self._splicing else 0

    def write(self, frame: bytes | memoryview) -> None:
        """Send one raw yuv420p frame to ffmpeg."""
        self._watchdog.waiting_since = time.monotonic()
        try:
            if self._splicing and splice_frame(self._fd, frame):
                self._lend(memoryview(frame))
            else:
                self._splicing = False
                self._stdin.write(frame)
        except (OSError, ValueError) as exc:
            # ffmpeg went away mid-clip (EPIPE) or the pipe failed; ffmpeg's exit status and
            # stderr say why.
            self._fail(f"ffmpeg stopped reading after {self.frames} frames", exc)
        self._watchdog.waiting_since = None
        self.frames += 1

    def _lend(self, frame: memoryview) -> None:
        # The pipe holds at most _pipe_bytes: once that much was written after a frame, ffmpeg
        # has read all of it and its memory may go.
        self._lent.append(frame)
        while sum(f.nbytes for f in self._lent) - self._lent[0].nbytes >= self._pipe_bytes:
            self._lent.popleft()

    def close(self) -> None:
        """Finish the clip: wait for ffmpeg and raise RenderError unless it succeeded."""
        self._watchdog.waiting_since = time.monotonic()
        try:
            self._stdin.close()
        except BrokenPipeError as exc:
            self._fail("ffmpeg stopped reading at the end of the clip", exc)
        code = self._wait()
        self._lent.clear()  # ffmpeg has exited: nothing reads the frames any more
        if code != 0:
            self._fail("ffmpeg failed", None)
        self._finished = True
        if self._keep_log:
            self._stderr.seek(0)
            self.log = self._stderr.read().decode("utf-8", "replace")
        self._stderr.close()

    def abort(self) -> None:
        """Kill ffmpeg and delete the partial output."""
        self._finished = True
        self._process.kill()
        with contextlib.suppress(OSError):
            self._stdin.close()
        self._wait()
        self._lent.clear()
        self._stderr.close()
        self._remove_output()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        elif not self._finished:
            self.abort()

    def _fail(self, what: str, cause: BaseException | None) -> NoReturn:
        self._finished = True
        with contextlib.suppress(OSError):
            self._stdin.close()
        code = self._wait()
        self._lent.clear()
        if self._watchdog.fired:
            what = f"ffmpeg made no progress for {self._watchdog.limit:g} s and was stopped"
        tail = stderr_tail(self._stderr)
        self._stderr.close()
        self._remove_output()
        message = f"{what} (exit code {code}): {tail or 'no diagnostics on stderr'}"
        raise FfmpegError(message, code, tail) from cause

    def _wait(self) -> int:
        code = self._process.wait()
        self._watchdog.stop()
        return code

    def _remove_output(self) -> None:
        if self.output is not None:
            self.output.unlink(missing_ok=True)


class ClipEncoder(FfmpegPipe):
    """An H.264 MP4 encoder for raw yuv420p frames of one clip (``output`` None: discard)."""

    def __init__(
        self,
        config: EncoderConfig,
        output: Path | None,
        width: int,
        height: int,
        fps: float,
        encoder: str | None = None,
    ) -> None:
        self.encoder = encoder or choose_encoder(config)
        command = encode_command(config, self.encoder, width, height, fps, output)
        super().__init__(command, output, config.stall_seconds)
