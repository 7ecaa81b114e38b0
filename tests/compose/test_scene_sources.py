import os
import signal
import subprocess
from dataclasses import replace
from pathlib import Path

import av
import cv2
import imageio_ffmpeg
import numpy as np
import pytest

from framecast.compose.image_scene import ImageScene
from framecast.compose.video_scene import VideoScene
from framecast.config import EncoderConfig
from framecast.errors import RenderError
from framecast.render.clip import RenderSpec, render_frames
from framecast.render.compose import blurred_fill
from framecast.render.frames import to_yuv420
from framecast.render.motion import Motion
from framecast.render.probe import probe_media
from tests.support.clips import lavfi_audio, lavfi_clip
from tests.support.media import gradient_rgb, png_bytes

CONFIG = EncoderConfig()
RED = (255, 0, 0)


def planes(frame: object, width: int, height: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    data = np.frombuffer(frame, np.uint8)  # type: ignore[call-overload]
    luma, chroma = width * height, width * height // 4
    return (
        data[:luma].reshape(height, width),
        data[luma : luma + chroma].reshape(height // 2, width // 2),
        data[luma + chroma :].reshape(height // 2, width // 2),
    )


def psnr(x: np.ndarray, y: np.ndarray) -> float:
    error = np.mean((x.astype(np.float64) - y.astype(np.float64)) ** 2)
    return float(10 * np.log10(255**2 / max(error, 1e-9)))


def softened(plane: np.ndarray) -> np.ndarray:
    return cv2.GaussianBlur(plane, (0, 0), 1.5)


# Image scenes


@pytest.mark.parametrize("fit", ["cover", "contain", "blur"])
def test_image_scene_frames_are_the_clip_renderers_in_any_order(fit: str) -> None:
    rgb = gradient_rgb(400, 300)
    spec = RenderSpec(width=160, height=90, motion=Motion("zoom_in"), fit=fit, background=RED)
    scene = ImageScene(rgb, 160, 90, spec.motion, fit, RED, frames=9)
    clip = [bytes(f) for f in render_frames(rgb, replace(spec, motion=scene.framing.path), 9)]
    for k in (8, 0, 4, 2, 4):
        assert bytes(scene.frame(k)) == clip[k], k
    assert clip[0] != clip[8]  # the camera moved: the comparison above saw different frames


def test_image_scene_reports_the_move_it_resolved() -> None:
    scene = ImageScene(gradient_rgb(400, 300), 160, 90, Motion("pan_left"), "cover", RED, 5)
    assert scene.framing.move == "pan_left"
    assert scene.framing.path.start != scene.framing.path.end


def test_image_scene_of_one_frame_shows_the_start_of_the_path() -> None:
    rgb = gradient_rgb(400, 300)
    scene = ImageScene(rgb, 160, 90, Motion("zoom_in"), "cover", RED, frames=1)
    spec = RenderSpec(width=160, height=90, motion=scene.framing.path)
    assert bytes(scene.frame(0)) == bytes(next(render_frames(rgb, spec, 1)))


# Video scenes: a 2 s, 25 fps testsrc2 clip (every frame differs), read at 30 fps.


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return lavfi_clip(tmp_path_factory.mktemp("video") / "testsrc.mp4", 2.0, 320, 240, 25.0)


@pytest.fixture(scope="module")
def source(clip: Path) -> list[np.ndarray]:
    """The clip's 50 frames as decoded yuv420p planes (one array of 1.5 × height rows)."""
    with av.open(str(clip)) as container:
        return [frame.to_ndarray(format="yuv420p") for frame in container.decode(video=0)]


def read(scene: VideoScene, first: int, end: int) -> list[bytes]:
    return [bytes(scene.frame(k)) for k in range(first, end)]


def source_index(frame: bytes, source: list[np.ndarray]) -> int:
    """Which source frame ``frame`` (the clip's own size) is; it must be that frame exactly."""
    data = np.frombuffer(frame, np.uint8).reshape(source[0].shape)
    errors = [np.mean((data.astype(np.int32) - s) ** 2) for s in source]
    assert min(errors) == 0
    return int(np.argmin(errors))


@pytest.mark.parametrize("trim_start", [0.0, 0.3])
def test_frame_k_shows_the_video_at_trim_start_plus_k_over_fps(
    clip: Path, source: list[np.ndarray], trim_start: float
) -> None:
    with VideoScene(clip, 320, 240, 30.0, "cover", RED, trim_start, 30, CONFIG) as scene:
        shown = [source_index(frame, source) for frame in read(scene, 0, 30)]
    # As ffmpeg's fps filter: the last source frame j (starting at j/25) placed, to the
    # nearest output frame, at or before k (never a tie at these rates).
    expected = [
        max(j for j in range(50) if round((j / 25 - trim_start) * 30) <= k) for k in range(30)
    ]
    assert shown == expected


def test_a_video_shorter_than_the_scene_holds_its_last_frame(clip: Path) -> None:
    # 2 s from 0.5 s at 30 fps: 45 frames of video, 15 more held.
    with VideoScene(clip, 180, 320, 30.0, "cover", RED, 0.5, 60, CONFIG) as scene:
        frames = read(scene, 0, 60)
        assert scene.held == 15
    assert len(set(frames[:45])) == 38  # source frames 12 to 49, some shown twice at 30 fps
    assert set(frames[44:]) == {frames[44]}


def test_a_video_long_enough_holds_nothing(clip: Path) -> None:
    with VideoScene(clip, 180, 320, 30.0, "cover", RED, 0.5, 45, CONFIG) as scene:
        frames = read(scene, 0, 45)
        assert scene.held == 0
    assert len(set(frames)) == 38


@pytest.mark.parametrize(("fit", "skip"), [("cover", 40), ("blur", 40), ("cover", 55)])
def test_skipped_frames_change_nothing_after_them(clip: Path, fit: str, skip: int) -> None:
    # (2 − 0.3) s × 30 fps: 51 frames of video, 9 held; skipping 55 starts among the held.
    with VideoScene(clip, 180, 320, 30.0, fit, RED, 0.3, 60, CONFIG) as whole:
        everything = read(whole, 0, 60)
    with VideoScene(clip, 180, 320, 30.0, fit, RED, 0.3, 60, CONFIG, skip=skip) as part:
        assert read(part, skip, 60) == everything[skip:]
        assert part.held == whole.held == 9


def test_cover_fills_the_frame_with_the_pictures_middle(
    clip: Path, source: list[np.ndarray]
) -> None:
    with VideoScene(clip, 180, 320, 25.0, "cover", RED, 0.0, 1, CONFIG) as scene:
        y, _, _ = planes(scene.frame(0), 180, 320)
    # Independently: 320x240 scaled by 4/3 to 428 (even) x 320, its middle 180 columns.
    wide = cv2.resize(source[0][:240], (428, 320), interpolation=cv2.INTER_LINEAR)
    # Compared softened: sharp edges resample a little differently in swscale and OpenCV.
    assert psnr(softened(wide[:, 124:304]), softened(y)) > 32


def test_contain_bars_are_the_background_in_bt709(clip: Path, source: list[np.ndarray]) -> None:
    with VideoScene(clip, 180, 320, 25.0, "contain", RED, 0.0, 1, CONFIG) as scene:
        y, u, v = planes(scene.frame(0), 180, 320)
    red = to_yuv420(np.full((2, 2, 3), RED, np.uint8))  # the image pipeline's conversion
    for plane, expected in ((y, red.y), (u, red.u), (v, red.v)):
        bar = plane.shape[0] * 92 // 320  # 92 rows above a picture of 180x136
        assert (plane[:bar] == expected[0, 0]).all() and (plane[-bar:] == expected[0, 0]).all()
    small = cv2.resize(source[0][:240], (180, 136), interpolation=cv2.INTER_AREA)
    assert psnr(small, y[92:228]) > 35


def test_blur_fills_the_bars_with_the_darkened_picture(clip: Path) -> None:
    with VideoScene(clip, 180, 320, 25.0, "blur", RED, 0.0, 1, CONFIG) as scene:
        y, _, _ = planes(scene.frame(0), 180, 320)
    with av.open(str(clip)) as container:
        rgb = next(container.decode(video=0)).to_ndarray(format="rgb24")
    fill = to_yuv420(blurred_fill(rgb, 180, 320)).y  # how an image scene fills
    assert psnr(fill[:92], y[:92]) > 25
    assert y[:92].std() > 10  # a picture, not a flat bar


def test_a_bt601_video_is_converted_to_bt709(tmp_path: Path) -> None:
    red = tmp_path / "red601.mp4"
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-f", "lavfi", "-i",
         "color=c=red:s=64x64:r=25:d=0.4", "-vf", "scale=out_color_matrix=bt601:out_range=tv",
         "-pix_fmt", "yuv420p", "-colorspace", "smpte170m", "-c:v", "libx264", str(red)],
        check=True,
    )  # fmt: skip
    assert probe_media(red).videos[0].colorspace == 6  # BT.601: red is Y 81 there
    with VideoScene(red, 64, 64, 25.0, "cover", RED, 0.0, 1, CONFIG) as scene:
        y, u, _ = planes(scene.frame(0), 64, 64)
    assert abs(int(np.median(y)) - 63) <= 1 and abs(int(np.median(u)) - 102) <= 1


def test_a_returned_frame_stays_valid_while_the_ring_fills(clip: Path) -> None:
    with VideoScene(clip, 180, 320, 30.0, "cover", RED, 0.0, 10, CONFIG, buffers=3) as scene:
        first = scene.frame(0)
        kept = bytes(first)
        read(scene, 1, 3)
        assert bytes(first) == kept
        scene.frame(3)
        assert bytes(first) != kept  # its buffer is reused by the third frame after it


def test_frames_must_be_asked_for_in_order(clip: Path) -> None:
    scene = VideoScene(clip, 180, 320, 30.0, "cover", RED, 0.0, 10, CONFIG, skip=2)
    with scene, pytest.raises(ValueError, match="expected 2"):
        scene.frame(0)


def test_closing_early_stops_and_reaps_ffmpeg(clip: Path) -> None:
    scene = VideoScene(clip, 1080, 1920, 30.0, "cover", RED, 0.0, 60, CONFIG)
    scene.frame(0)
    scene.close()
    with pytest.raises(ProcessLookupError):
        os.kill(scene.pid, 0)  # gone, not a zombie


def test_a_decoder_killed_mid_scene_is_a_render_error(clip: Path) -> None:
    # Frames of 3 MB: ffmpeg is blocked writing the next when it is killed.
    with VideoScene(clip, 1080, 1920, 30.0, "cover", RED, 0.0, 60, CONFIG) as scene:
        scene.frame(0)
        os.kill(scene.pid, signal.SIGKILL)
        with pytest.raises(RenderError, match="exit code -9"):
            read(scene, 1, 60)


def test_a_failing_decoder_reports_its_stderr(clip: Path, tmp_path: Path) -> None:
    broken = tmp_path / "ffmpeg"
    broken.write_text("#!/bin/sh\necho 'Invalid data found when processing input' >&2\nexit 3\n")
    broken.chmod(0o755)
    config = EncoderConfig(ffmpeg_binary=str(broken))
    scene = VideoScene(clip, 180, 320, 30.0, "cover", RED, 0.0, 10, config)
    with scene, pytest.raises(RenderError, match=r"exit code 3\): Invalid data found"):
        scene.frame(0)


def test_a_stalled_decoder_is_stopped(clip: Path, tmp_path: Path) -> None:
    stalled = tmp_path / "ffmpeg"
    stalled.write_text("#!/bin/sh\nexec sleep 30\n")
    stalled.chmod(0o755)
    config = EncoderConfig(ffmpeg_binary=str(stalled), stall_seconds=1.0)
    scene = VideoScene(clip, 180, 320, 30.0, "cover", RED, 0.0, 10, config)
    with scene, pytest.raises(RenderError, match="no progress for 1 s"):
        scene.frame(0)


def test_an_image_is_not_a_video(tmp_path: Path) -> None:
    image = tmp_path / "still.png"
    image.write_bytes(png_bytes(gradient_rgb(32, 32)))
    with pytest.raises(RenderError, match=r"still\.png is not a video: it is a PNG image"):
        VideoScene(image, 180, 320, 30.0, "cover", RED, 0.0, 10, CONFIG)


def test_audio_alone_is_not_a_video(tmp_path: Path) -> None:
    sound = lavfi_audio(tmp_path / "tone.m4a", 0.5)
    with pytest.raises(RenderError, match="is not a video: it is audio only"):
        VideoScene(sound, 180, 320, 30.0, "cover", RED, 0.0, 10, CONFIG)


def test_a_file_that_is_not_media_is_refused(tmp_path: Path) -> None:
    page = tmp_path / "video.mp4"
    page.write_text("<html><body>Not found</body></html>")
    with pytest.raises(RenderError, match="not a media file: it looks like an HTML page"):
        VideoScene(page, 180, 320, 30.0, "cover", RED, 0.0, 10, CONFIG)


def test_a_trim_start_past_the_end_is_refused(clip: Path) -> None:
    with pytest.raises(RenderError, match=r"trim_start \(2.5 s\) is at or beyond the end"):
        VideoScene(clip, 180, 320, 30.0, "cover", RED, 2.5, 10, CONFIG)
