"""Motion smoothness: markers tracked frame by frame must follow the ideal camera path."""

from pathlib import Path

import numpy as np
import pytest

from framecast.config import EncoderConfig
from framecast.render.clip import RenderSpec, render_array
from framecast.render.frames import FrameWarper, prepare_source
from framecast.render.motion import CameraPath, frame_count, frame_times, pan, zoom_in
from tests.render.tracking import decode_luma, ideal_positions, step_error_rms, track
from tests.support.media import marker_image

WIDTH, HEIGHT, FPS, DURATION = 640, 360, 24.0, 2.0
SOURCE = (800, 450)  # exactly what a 1.25 zoom needs at 640x360, so no pre-scaling blurs markers
SIGMA = 3.0
# CRF 23 adds ≈ 0.05 px of coding noise to any tracker; CRF 12 keeps the codec out of the way so
# the encoded test measures our motion (the renderer alone is measured without any codec too).
FINE = EncoderConfig(encoder="x264", x264_preset="veryfast", x264_crf=12)


def markers(region: tuple[float, float, float, float]) -> list[tuple[float, float]]:
    """A 6 × 4 grid inside ``region`` (x0, y0, x1, y1), each at a random sub-pixel offset."""
    rng = np.random.default_rng(1)
    x0, y0, x1, y1 = region
    return [
        (x + rng.random(), y + rng.random())
        for x in np.linspace(x0, x1, 6)
        for y in np.linspace(y0, y1, 4)
    ]


def warped_luma(image: np.ndarray, path: CameraPath, frames: int) -> list[np.ndarray]:
    source, inner = prepare_source(image, WIDTH, HEIGHT, path)
    warper = FrameWarper(source, WIDTH, HEIGHT)
    planes = []
    for t in frame_times(frames):
        frame = np.frombuffer(warper.render(inner.at(t)), np.uint8)
        planes.append(frame[: WIDTH * HEIGHT].reshape(HEIGHT, WIDTH).astype(np.float64))
    return planes


def encoded_luma(image: np.ndarray, path: CameraPath, tmp_path: Path) -> list[np.ndarray]:
    out = tmp_path / "markers.mp4"
    render_array(image, out, DURATION, RenderSpec(WIDTH, HEIGHT, FPS, path), FINE)
    return decode_luma(out)


# Markers stay inside the tightest camera rectangle, with a margin for the tracker's window.
ZOOM_MARKERS = markers((110, 75, 690, 375))
PAN_MARKERS = markers((270, 60, 530, 390))


@pytest.mark.parametrize(
    ("path", "points"),
    [(zoom_in(1.25), ZOOM_MARKERS), (pan("right", 1.25), PAN_MARKERS)],
    ids=["zoom_in", "pan_right"],
)
def test_warped_frames_follow_the_camera_path(path, points):
    frames = frame_count(DURATION, FPS)
    ideal = ideal_positions(path, frames, points, SOURCE, (WIDTH, HEIGHT))
    planes = warped_luma(marker_image(*SOURCE, points, sigma=SIGMA), path, frames)
    assert step_error_rms(track(planes, ideal), ideal) < 0.015


def test_encoded_zoom_follows_the_camera_path(tmp_path):
    path, frames = zoom_in(1.25), frame_count(DURATION, FPS)
    ideal = ideal_positions(path, frames, ZOOM_MARKERS, SOURCE, (WIDTH, HEIGHT))
    planes = encoded_luma(marker_image(*SOURCE, ZOOM_MARKERS, sigma=SIGMA), path, tmp_path)
    assert len(planes) == frames
    assert step_error_rms(track(planes, ideal), ideal) < 0.03
