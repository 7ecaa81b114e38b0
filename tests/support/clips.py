"""Test videos made in code with ffmpeg's lavfi sources: never binary fixtures."""

from __future__ import annotations

import subprocess
from pathlib import Path

import imageio_ffmpeg


def lavfi_clip(
    path: Path,
    seconds: float,
    width: int = 160,
    height: int = 90,
    fps: float = 24.0,
    tone_hz: float | None = None,
    sample_rate: int = 48000,
    source: str = "testsrc2",
) -> Path:
    """An H.264 MP4 of ``source`` (testsrc2: every frame differs), with a sine tone if asked."""
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y"]
    command += [
        "-f",
        "lavfi",
        "-i",
        f"{source}=size={width}x{height}:rate={fps}:duration={seconds}",
    ]
    if tone_hz is not None:
        command += ["-f", "lavfi", "-i", f"sine=frequency={tone_hz}:sample_rate={sample_rate}"]
        command += ["-c:a", "aac", "-shortest"]
    command += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)]
    subprocess.run(command, check=True, capture_output=True)
    return path


def lavfi_audio(path: Path, seconds: float, tone_hz: float = 440.0, volume: float = 0.3) -> Path:
    """A mono sine tone of ``seconds``; the format follows the suffix (.mp3, .wav, .m4a)."""
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y"]
    command += [
        "-f",
        "lavfi",
        "-i",
        f"sine=frequency={tone_hz}:sample_rate=48000:duration={seconds}",
    ]
    command += ["-af", f"volume={volume}", str(path)]
    subprocess.run(command, check=True, capture_output=True)
    return path
