import os
import sys
import threading
from pathlib import Path

import av
import numpy as np
import pytest

from framecast.config import EncoderConfig
from framecast.errors import ImageError
from framecast.render import clip as clip_module
from framecast.render.clip import (
    RenderSpec,
    RenderStopped,
    encode_frames,
    render_array,
    render_clip,
    render_frames,
    send_frames,
)
from framecast.render.encode import ClipEncoder
from framecast.render.motion import Motion, Rect
from framecast.render.probe import probe
from tests.support.media import gradient_jpeg, gradient_rgb, png_bytes

X264 = EncoderConfig(encoder="x264", x264_preset="ultrafast")
SMALL = RenderSpec(width=320, height=180, fps=24.0)
LIMIT = 10**8


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> tuple[Path, object]:
    tmp = tmp_path_factory.mktemp("clip")
    image = tmp / "source.jpg"
    image.write_bytes(gradient_jpeg(640, 480))
    out = tmp / "clip.mp4"
    return out, render_clip(image, out, 1.0, SMALL, EncoderConfig(encoder="x264"), LIMIT)


def test_clip_is_h264_high_yuv420p(clip):
    info = probe(clip[0])
    assert (info.codec, info.profile, info.pix_fmt) == ("h264", "High", "yuv420p")


def test_clip_has_the_requested_size_and_fps(clip):
    info = probe(clip[0])
    assert (info.width, info.height, info.fps) == (320, 180, 24.0)


def test_clip_is_tagged_bt709_limited_range(clip):
    info = probe(clip[0])
    # 1 is BT.709 for primaries, transfer and matrix; colour range 1 is limited ("tv").
    assert (info.color_primaries, info.color_trc, info.colorspace, info.color_range) == (1, 1, 1, 1)


def test_clip_is_faststart(clip):
    assert probe(clip[0]).faststart


def test_clip_info_reports_what_was_made(clip):
    info = clip[1]
    assert (info.frames, info.duration, info.encoder) == (24, 1.0, "libx264")


@pytest.mark.parametrize(("duration", "frames"), [(1.0, 24), (2.3, 55), (0.5, 12), (0.02, 1)])
def test_frame_count_and_duration_are_exact(tmp_path, duration, frames):
    out = tmp_path / "clip.mp4"
    render_array(gradient_rgb(400, 300), out, duration, SMALL, X264)
    info = probe(out)
    assert info.frames == frames
    assert info.duration == pytest.approx(frames / 24.0, abs=1e-6)


def test_default_spec_renders_1080p24():
    spec = RenderSpec()
    assert (spec.width, spec.height, spec.fps) == (1920, 1080, 24.0)
    assert (spec.motion.move, spec.motion.zoom, spec.fit) == ("zoom_in", 1.25, "cover")


def test_default_spec_clip_is_1080p(tmp_path):
    out = tmp_path / "clip.mp4"
    render_array(gradient_rgb(2400, 1350), out, 0.25, RenderSpec(), X264)
    info = probe(out)
    assert (info.width, info.height, info.frames) == (1920, 1080, 6)


def test_bad_image_leaves_no_output(tmp_path):
    image, out = tmp_path / "bad.jpg", tmp_path / "clip.mp4"
    image.write_bytes(b"<html>")
    with pytest.raises(ImageError):
        render_clip(image, out, 1.0, SMALL, X264, LIMIT)
    assert not out.exists()


def test_keep_going_is_asked_once_per_second_of_video(tmp_path):
    asked: list[int] = []
    image = tmp_path / "source.jpg"
    image.write_bytes(gradient_jpeg(640, 480))
    out = tmp_path / "clip.mp4"
    info = render_clip(image, out, 3.5, SMALL, X264, LIMIT, keep_going=lambda: not asked.append(1))
    assert info.frames == 84 and probe(out).frames == 84
    assert len(asked) == 3  # after frames 24, 48 and 72


def test_a_clip_stops_mid_render_when_told_and_leaves_no_file(tmp_path):
    answers = iter([True, False])
    image = tmp_path / "source.jpg"
    image.write_bytes(gradient_jpeg(640, 480))
    out = tmp_path / "clip.mp4"
    with pytest.raises(RenderStopped, match="stopped after 48 of 1440 frames") as stopped:
        render_clip(image, out, 60.0, SMALL, X264, LIMIT, keep_going=lambda: next(answers))
    assert (stopped.value.frames_done, stopped.value.frames) == (48, 1440)
    assert not out.exists()


def test_odd_output_size_is_refused():
    with pytest.raises(ValueError, match="even"):
        RenderSpec(width=321, height=180)


def test_clip_info_reports_the_move_and_the_framing(clip):
    framing = clip[1].framing
    assert framing.move == "zoom_in"
    assert framing.path.start == pytest.approx(Rect(0.0, 0.125, 1.0, 0.75))  # 4:3 in 16:9


def test_a_transparent_image_shows_the_background_colour(tmp_path):
    rgba = np.zeros((90, 160, 4), dtype=np.uint8)  # wholly transparent
    image = tmp_path / "clear.png"
    image.write_bytes(png_bytes(rgba))
    spec = RenderSpec(320, 180, 24.0, Motion("static"), background=(255, 0, 0))
    out = tmp_path / "clear.mp4"
    render_clip(image, out, 0.1, spec, X264, LIMIT)
    with av.open(str(out)) as container:
        frame = next(container.decode(video=0)).to_ndarray(format="rgb24").astype(int)
    assert np.abs(frame[90, 160] - (255, 0, 0)).max() < 12


def test_render_array_accepts_a_decoded_image(tmp_path):
    rgb = np.zeros((180, 320, 3), dtype=np.uint8)
    assert render_array(rgb, tmp_path / "c.mp4", 0.5, SMALL, X264).frames == 12


def test_send_frames_writes_every_frame_in_order_while_the_next_renders():
    expected = [bytes(f) for f in render_frames(gradient_rgb(400, 300), SMALL, 9)]
    sent: list[bytes] = []
    send_frames(render_frames(gradient_rgb(400, 300), SMALL, 9), lambda f: sent.append(bytes(f)))
    assert sent == expected
    assert len(set(sent)) == 9  # the camera moves: no frame was overwritten before it was sent


def test_send_frames_raises_a_failed_write():
    def write(frame: memoryview) -> None:
        raise OSError("pipe closed")

    with pytest.raises(OSError, match="pipe closed"):
        send_frames(render_frames(gradient_rgb(400, 300), SMALL, 5), write)


def niceness(thread_or_process: int) -> int:
    return os.getpriority(os.PRIO_PROCESS, thread_or_process)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread niceness is Linux's")
def test_frames_are_made_below_the_priority_of_the_encoder_and_the_writes(tmp_path, monkeypatch):
    caller = niceness(threading.get_native_id())
    makers: list[int] = []
    writers: list[int] = []
    real_render_frames = clip_module.render_frames

    def recording_render_frames(*args, **kwargs):
        for frame in real_render_frames(*args, **kwargs):
            makers.append(niceness(threading.get_native_id()))
            yield frame

    monkeypatch.setattr(clip_module, "render_frames", recording_render_frames)
    with ClipEncoder(X264, tmp_path / "out.mp4", 320, 180, 24.0) as encoder:
        write = encoder.write

        def recording_write(frame):
            writers.append(niceness(threading.get_native_id()))
            write(frame)

        encoder.write = recording_write  # type: ignore[method-assign]
        encode_frames(gradient_rgb(640, 480), SMALL, 5, encoder)
        ffmpeg = niceness(encoder.pid)
    assert makers == [min(19, caller + 10)] * 5
    assert writers == [caller] * 5  # the writes, in the caller's thread, keep its priority
    assert ffmpeg == caller == niceness(threading.get_native_id())
