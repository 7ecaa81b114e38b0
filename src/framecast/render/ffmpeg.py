"""Running ffmpeg: the binary, its errors, the stall watchdog, and one runner for every operation.

Two ways to drive ffmpeg share these parts: :class:`framecast.render.encode.FfmpegPipe` feeds raw
frames on stdin (img2vid, compose), and :func:`run_ffmpeg` runs a whole command on files
(concatenate, audio, caption). Either way a hung ffmpeg is killed, a failure carries ffmpeg's
exit code and the tail of its stderr, and a partial output is removed.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO

import imageio_ffmpeg

from framecast.config import EncoderConfig
from framecast.errors import RenderError

__all__ = ["FfmpegError", "FfmpegStopped", "ffmpeg_binary", "run_ffmpeg", "stderr_tail"]

STDERR_TAIL = 2000  # characters of ffmpeg's stderr carried in a RenderError
KEEP_GOING_SECONDS = 1.0  # how often run_ffmpeg asks whether the job is still wanted


class FfmpegError(RenderError):
    """ffmpeg exited badly; carries its exit code and the tail of its stderr."""

    def __init__(self, message: str, exit_code: int | None, stderr_tail: str) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.stderr_tail = stderr_tail


class FfmpegStopped(RenderError):
    """ffmpeg was stopped because its job no longer wants the result (cancel, deadline)."""


def ffmpeg_binary(config: EncoderConfig) -> str:
    """The ffmpeg to run: the configured one, else the imageio-ffmpeg wheel's."""
    return config.ffmpeg_binary or imageio_ffmpeg.get_ffmpeg_exe()


def stderr_tail(file: IO[bytes]) -> str:
    """The last STDERR_TAIL characters of a captured stderr file."""
    file.seek(0)
    return file.read().decode("utf-8", "replace").strip()[-STDERR_TAIL:]


def run_ffmpeg(
    arguments: Sequence[str],
    output: Path | None,
    config: EncoderConfig,
    *,
    keep_going: Callable[[], bool] | None = None,
    what: str = "ffmpeg failed",
    env: Mapping[str, str] | None = None,
) -> str:
    """Run ffmpeg with ``arguments`` (everything after the binary) to its end; its stderr.

    ``env`` adds to the environment (caption burns point fontconfig at an empty folder).

    Raises :class:`FfmpegError` (exit code, stderr tail) when it fails or stalls for
    ``config.stall_seconds`` without using CPU, and :class:`FfmpegStopped` once ``keep_going``
    (asked about once a second) says the result is no longer wanted. Either way ``output`` is
    deleted, so no partial file is ever left behind.
    """
    command = [ffmpeg_binary(config), "-hide_banner", "-nostdin", "-nostats", *arguments]
    with tempfile.TemporaryFile() as stderr:
        try:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                env=None if env is None else {**os.environ, **env},
            )
        except OSError as exc:
            raise RenderError(f"cannot run ffmpeg {command[0]!r}: {exc}") from exc
        watchdog = Watchdog(process, config.stall_seconds)
        watchdog.waiting_since = time.monotonic()  # all of a file-to-file run is ffmpeg's time
        stopped = False
        try:
            while True:
                try:
                    code = process.wait(timeout=KEEP_GOING_SECONDS)
                    break
                except subprocess.TimeoutExpired:
                    if keep_going is not None and not keep_going():
                        stopped = True
                        process.kill()
        except BaseException:
            process.kill()
            process.wait()
            _remove(output)
            raise
        finally:
            watchdog.stop()
        if stopped:
            _remove(output)
            raise FfmpegStopped("stopped: the job was cancelled or passed its deadline")
        if code != 0 or watchdog.fired:
            _remove(output)
            tail = stderr_tail(stderr)
            if watchdog.fired:
                what = f"ffmpeg made no progress for {watchdog.limit:g} s and was stopped"
            message = f"{what} (exit code {code}): {tail or 'no diagnostics on stderr'}"
            raise FfmpegError(message, code, tail)
        stderr.seek(0)
        return stderr.read().decode("utf-8", "replace")


def _remove(output: Path | None) -> None:
    if output is not None:
        with contextlib.suppress(OSError):
            output.unlink(missing_ok=True)


class Watchdog:
    """Kills ffmpeg once we have waited on it (a blocked write, or the wait for the finished
    file) for ``limit`` seconds in which it used no CPU: hung, not slow. Time spent making
    frames is ours and does not count. It holds the process, not the pipe, and stops when
    ffmpeg exits."""

    def __init__(self, process: subprocess.Popen[bytes], limit: float) -> None:
        self.process, self.limit = process, limit
        self.waiting_since: float | None = None  # set by the pipe while it waits on ffmpeg
        self.fired = False
        self._stopped = threading.Event()
        threading.Thread(target=self._run, name="ffmpeg-watchdog", daemon=True).start()

    def stop(self) -> None:
        self._stopped.set()

    def _run(self) -> None:
        cpu, busy_at = _cpu_ticks(self.process.pid), time.monotonic()
        while not self._stopped.wait(min(1.0, self.limit / 2)):
            if self.process.poll() is not None:
                return
            now, ticks = time.monotonic(), _cpu_ticks(self.process.pid)
            if ticks != cpu:
                cpu, busy_at = ticks, now
            since = self.waiting_since
            if since is not None and now - max(since, busy_at) > self.limit:
                self.fired = True
                self.process.kill()
                return


def _cpu_ticks(pid: int) -> int | None:
    """CPU time ``pid`` has used, in clock ticks (Linux); None where that can't be read, and
    the watchdog then goes by time alone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()  # after "(comm)", which may hold spaces
    return int(fields[11]) + int(fields[12])  # utime, stime
