import ctypes
import errno
import logging
import sys
import time

import numpy as np
import pytest

from framecast.config import EncoderConfig, Settings
from framecast.errors import RenderError
from framecast.render import vmsplice
from framecast.render.clip import send_frames
from framecast.render.encode import (
    ClipEncoder,
    FfmpegError,
    FfmpegPipe,
    choose_encoder,
    encode_command,
)
from framecast.render.vmsplice import splicing_available

FRAME = bytes(64 * 64 * 3 // 2)


def test_x264_forced_gives_libx264():
    assert choose_encoder(EncoderConfig(encoder="x264")) == "libx264"


def test_nvenc_forced_gives_nvenc_without_probing():
    config = EncoderConfig(encoder="nvenc", ffmpeg_binary="/nonexistent/ffmpeg")
    assert choose_encoder(config) == "h264_nvenc"


def test_auto_falls_back_to_libx264_without_a_gpu_and_logs_once(caplog):
    config = EncoderConfig(encoder="auto", nvenc_cq=29)  # a config no other test has probed
    with caplog.at_level(logging.INFO, logger="framecast.render"):
        first, second = choose_encoder(config), choose_encoder(config)
    assert first == second == "libx264"
    events = [r.getMessage() for r in caplog.records if "encoder chosen" in r.getMessage()]
    assert len(events) == 1
    assert events[0].startswith('encoder chosen encoder=libx264 reason="h264_nvenc probe failed')


def test_auto_with_a_missing_ffmpeg_is_a_render_error():
    config = EncoderConfig(encoder="auto", ffmpeg_binary="/nonexistent/ffmpeg")
    with pytest.raises(RenderError, match="/nonexistent/ffmpeg"):
        choose_encoder(config)


def test_missing_ffmpeg_binary_is_a_render_error(tmp_path):
    config = EncoderConfig(encoder="x264", ffmpeg_binary="/nonexistent/ffmpeg")
    with pytest.raises(RenderError, match="cannot run ffmpeg '/nonexistent/ffmpeg'"):
        ClipEncoder(config, tmp_path / "out.mp4", 64, 64, 24.0)


def test_ffmpeg_failure_carries_exit_code_and_stderr_and_removes_output(tmp_path):
    out = tmp_path / "out.mp4"
    config = EncoderConfig(encoder="x264", x264_preset="no-such-preset")
    with pytest.raises(FfmpegError) as caught, ClipEncoder(config, out, 64, 64, 24.0) as encoder:
        for _ in range(200):
            encoder.write(FRAME)
    assert caught.value.exit_code not in (0, None)
    assert "no-such-preset" in caught.value.message or "preset" in caught.value.stderr_tail
    assert not out.exists()


def test_an_exception_while_rendering_kills_ffmpeg_and_removes_output(tmp_path):
    out = tmp_path / "out.mp4"
    config = EncoderConfig(encoder="x264")
    with pytest.raises(KeyError), ClipEncoder(config, out, 64, 64, 24.0) as encoder:
        encoder.write(FRAME)
        raise KeyError("boom")
    assert not out.exists()


def test_encode_command_reads_raw_yuv420p_and_tags_bt709():
    command = encode_command(EncoderConfig(), "libx264", 1920, 1080, 24.0, None)
    joined = " ".join(command)
    assert "-f rawvideo -pix_fmt yuv420p -s 1920x1080 -framerate 24.0" in joined
    assert "-preset veryfast -crf 23 -profile:v high" in joined
    assert "-color_primaries bt709" in joined
    assert command[-3:] == ["-f", "null", "-"]


def test_nvenc_arguments_use_constant_quality_vbr():
    command = " ".join(encode_command(EncoderConfig(), "h264_nvenc", 64, 64, 24.0, None))
    assert "-c:v h264_nvenc -preset p4 -rc vbr -cq 23 -b:v 0 -profile:v high" in command


def copy_command(config: EncoderConfig, width: int, height: int, out) -> list[str]:
    """ffmpeg copying raw grey frames from stdin to a raw file, byte for byte."""
    return [
        *encode_command(config, "libx264", width, height, 24.0, None)[:4],
        *("-f", "rawvideo", "-pix_fmt", "gray", "-s", f"{width}x{height}", "-i", "pipe:0"),
        *("-f", "rawvideo", "-pix_fmt", "gray", "-y", str(out)),
    ]


def test_spliced_frames_reach_ffmpeg_intact_from_a_reused_ring(tmp_path):
    # Spliced frames are the pipe's until ffmpeg reads them: a ring of 2 + held buffers must
    # never overwrite one it still holds. Every frame is distinct, so any overwrite shows.
    width, height, count = 1024, 512, 60  # 512 KB frames: the 1 MB pipe holds 2
    out = tmp_path / "frames.raw"
    rng = np.random.default_rng(0)
    expected = [rng.integers(0, 256, width * height, dtype=np.uint8) for _ in range(count)]
    config = EncoderConfig(encoder="x264")
    with FfmpegPipe(copy_command(config, width, height, out), out) as pipe:
        held = pipe.splice_frames(width * height)
        assert held == (2 if splicing_available() else 0)
        ring = [np.empty(width * height, np.uint8) for _ in range(2 + held)]

        def frames():
            for i, frame in enumerate(expected):
                buffer = ring[i % len(ring)]
                buffer[:] = frame
                yield buffer.data

        send_frames(frames(), pipe.write)
    written = np.fromfile(out, np.uint8).reshape(count, width * height)
    assert all(np.array_equal(written[i], frame) for i, frame in enumerate(expected))


def test_small_frames_are_copied_not_spliced(tmp_path):
    with ClipEncoder(EncoderConfig(encoder="x264"), None, 64, 64, 24.0) as encoder:
        assert encoder.splice_frames(64 * 64 * 3 // 2) == 0
        encoder.write(FRAME)


def test_ffmpeg_failing_under_spliced_writes_is_an_ffmpeg_error(tmp_path):
    out = tmp_path / "out.mp4"
    config = EncoderConfig(encoder="x264", x264_preset="no-such-preset")
    frame = np.zeros(1920 * 1080 * 3 // 2, np.uint8).data
    with pytest.raises(FfmpegError), ClipEncoder(config, out, 1920, 1080, 24.0) as encoder:
        encoder.splice_frames(frame.nbytes)
        for _ in range(50):
            encoder.write(frame)
    assert not out.exists()


def test_a_system_refusing_vmsplice_falls_back_to_copying_writes(tmp_path, monkeypatch):
    calls = []

    def refused(fd, vector, count, flags):  # what a seccomp profile without vmsplice answers
        calls.append(fd)
        ctypes.set_errno(errno.EPERM)
        return -1

    monkeypatch.setattr(vmsplice, "_VMSPLICE", refused)
    width, height = 1024, 512
    out = tmp_path / "frames.raw"
    frames = [np.full(width * height, value, np.uint8) for value in (7, 99, 200)]
    with FfmpegPipe(copy_command(EncoderConfig(encoder="x264"), width, height, out), out) as pipe:
        assert pipe.splice_frames(width * height) == 2
        for frame in frames:
            pipe.write(frame.data)
    assert len(calls) == 1  # refused once, then plain writes
    written = np.fromfile(out, np.uint8).reshape(3, width * height)
    assert all(np.array_equal(written[i], frame) for i, frame in enumerate(frames))


def test_an_ffmpeg_that_stops_reading_is_killed_and_the_write_fails(tmp_path):
    out = tmp_path / "out.mp4"
    out.write_bytes(b"partial")
    hung = ["sh", "-c", "exec sleep 600"]  # never reads, never exits
    started = time.monotonic()
    with pytest.raises(FfmpegError) as caught, FfmpegPipe(hung, out, stall_seconds=0.5) as pipe:
        for _ in range(10):
            pipe.write(bytes(512 * 1024))  # the second fills the 1 MB pipe and blocks
    assert "no progress for 0.5 s" in caught.value.message
    assert time.monotonic() - started < 10
    assert not out.exists()


def test_an_ffmpeg_that_never_finishes_the_file_is_killed(tmp_path):
    out = tmp_path / "out.mp4"
    hung = ["sh", "-c", "cat > /dev/null; exec sleep 600"]  # reads it all, then hangs
    with pytest.raises(FfmpegError) as caught, FfmpegPipe(hung, out, stall_seconds=0.5) as pipe:
        pipe.write(FRAME)
    assert "no progress" in caught.value.message


def test_time_spent_making_frames_is_not_a_stall(tmp_path):
    out = tmp_path / "frames.raw"
    command = copy_command(EncoderConfig(encoder="x264"), 64, 64, out)
    with FfmpegPipe(command, out, stall_seconds=1.0) as pipe:
        for value in (1, 2):
            pipe.write(bytes([value]) * 64 * 64)
            time.sleep(1.5)  # a slow renderer: ffmpeg waits on us, not we on it
    assert out.read_bytes() == bytes([1]) * 64 * 64 + bytes([2]) * 64 * 64


def test_the_stall_limit_is_a_setting(monkeypatch):
    monkeypatch.setenv("FFMPEG_STALL_SECONDS", "30")
    assert Settings.from_env().encoding.stall_seconds == 30.0


def test_an_ffmpeg_busy_finishing_the_file_is_slow_not_hung(tmp_path):
    # It reads everything, then works (uses CPU) for 3 stall periods before exiting cleanly:
    # a long final flush (a slow preset, a 4K clip) must not be taken for a hang.
    busy = [
        sys.executable,
        "-c",
        "import sys, time; sys.stdin.buffer.read(); end = time.monotonic() + 3.0\n"
        "while time.monotonic() < end: pass",
    ]
    with FfmpegPipe(busy, None, stall_seconds=1.0) as pipe:
        pipe.write(FRAME)
    assert pipe.frames == 1
