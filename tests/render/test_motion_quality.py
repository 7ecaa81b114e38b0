"""Every move, measured: sub-pixel smooth, framed as asked, pans at constant speed, no edges.

Markers are tracked frame by frame in warped frames (no codec: test_smoothness covers the
encoder), at small sizes so the whole set runs in seconds.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from framecast.render.compose import prepare_frames
from framecast.render.motion import MOVES, PANS, Motion, Rect, frame_count
from tests.render.tracking import ideal_positions, step_error_rms, track
from tests.support.media import marker_image

WIDTH, HEIGHT, FPS, DURATION = 320, 180, 24.0, 2.0
FRAMES = frame_count(DURATION, FPS)
SOURCE = (400, 225)  # 16:9; at zoom 1.25 the tightest camera is 320x180: no pre-scale blur
# A 5 × 3 grid that every camera rectangle of every move keeps in view, with room for the
# tracker's window; each marker at a random sub-pixel offset.
_rng = np.random.default_rng(2)
MARKERS = [
    (x + _rng.random(), y + _rng.random())
    for x in np.linspace(100, 290, 5)
    for y in np.linspace(62, 150, 3)
]


def luma_frames(
    rgb: np.ndarray, motion: Motion, width: int = WIDTH, height: int = HEIGHT, frames: int = FRAMES
) -> list[np.ndarray]:
    warper, path = prepare_frames(rgb, width, height, motion)
    planes = []
    for i in range(frames):
        frame = np.frombuffer(warper.render(path.at(i / (frames - 1))), np.uint8)
        planes.append(frame[: width * height].reshape(height, width).astype(np.float64))
    return planes


def measure(motion: Motion, source=SOURCE, markers=MARKERS, width=WIDTH, height=HEIGHT):
    """(measured, ideal) marker positions over the clip, in output pixels."""
    path = motion.path(source[0] / source[1], width / height)
    ideal = ideal_positions(path, FRAMES, markers, source, (width, height))
    image = marker_image(*source, markers, sigma=3.0)
    planes = luma_frames(image, motion, width, height)
    return track(planes, ideal), ideal


@pytest.mark.parametrize("easing", ["linear", "ease_in_out"])
@pytest.mark.parametrize("move", MOVES)
def test_every_move_is_sub_pixel_smooth_and_framed_as_asked(move, easing):
    measured, ideal = measure(Motion(move, 1.25, easing))
    assert step_error_rms(measured, ideal) < 0.015
    # The first and last frames show exactly the requested framing, not just a smooth path.
    assert np.abs(measured[[0, -1]] - ideal[[0, -1]]).max() < 0.1


@pytest.mark.parametrize("move", PANS)
def test_pans_move_at_constant_speed_without_stalls_or_reversals(move):
    measured, _ = measure(Motion(move, 1.25))
    axis = 0 if move in ("pan_left", "pan_right") else 1
    steps = np.diff(measured.mean(axis=1), axis=0)  # per-frame displacement of the markers
    along, across = steps[:, axis], steps[:, 1 - axis]
    assert np.all(np.sign(along) == np.sign(along[0]))
    assert np.abs(along - along.mean()).max() < 0.03 * abs(along.mean()) + 0.02
    assert np.abs(across).max() < 0.02
    # pan_left: the camera moves left, so the picture slides right (markers' x grows).
    assert np.sign(along[0]) == (1 if move in ("pan_left", "pan_up") else -1)


def test_a_portrait_image_pans_its_whole_height_in_landscape_output():
    source = (450, 800)
    top = [(x + 0.3, y + 0.7) for x in (120, 225, 330) for y in (50, 150)]
    bottom = [(x + 0.6, y + 0.2) for x in (120, 225, 330) for y in (650, 750)]
    motion = Motion("pan_down", 1.25)
    path = motion.path(450 / 800, WIDTH / HEIGHT)
    planes = luma_frames(marker_image(*source, top + bottom, sigma=3.0), motion)
    ideal = ideal_positions(path, FRAMES, top + bottom, source, (WIDTH, HEIGHT))
    # The first frame shows the top of the photo, the last its bottom, each exactly framed.
    first = track(planes[:1], ideal[:1, : len(top)])
    last = track(planes[-1:], ideal[-1:, len(top) :])
    assert np.abs(first - ideal[:1, : len(top)]).max() < 0.15
    assert np.abs(last - ideal[-1:, len(top) :]).max() < 0.15


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (Rect(0.05, 0.05, 0.9, 0.9), Rect(0.15, 0.15, 0.7, 0.7)),
        (Rect(0.0, 0.0, 1.0, 0.95), Rect(0.1, 0.12, 0.75, 0.7)),  # aspects off: cropped
    ],
    ids=["matching-aspect", "cropped-aspect"],
)
def test_explicit_start_and_end_are_the_first_and_last_framing(start, end):
    motion = Motion(start=start, end=end)
    measured, ideal = measure(motion)
    assert np.abs(measured[[0, -1]] - ideal[[0, -1]]).max() < 0.1
    assert step_error_rms(measured, ideal) < 0.015


def bordered(width: int, height: int) -> np.ndarray:
    """Mid grey with a 1-pixel white border: any camera past an edge smears the white in."""
    image = np.full((height, width, 3), 128, np.uint8)
    image[[0, -1], :] = 255
    image[:, [0, -1]] = 255
    return image


# (source size, output size): crops along either axis, into landscape, portrait and square
EDGE_CASES = [((400, 300), (320, 180)), ((300, 400), (180, 320)), ((400, 300), (180, 320))]
EDGE_CASES += [((300, 400), (320, 180)), ((500, 200), (160, 160))]


@pytest.mark.parametrize(("source", "output"), EDGE_CASES, ids=lambda v: "x".join(map(str, v)))
@pytest.mark.parametrize("move", MOVES)
def test_cover_never_shows_past_an_edge_of_the_image(move, source, output):
    (width, height) = output
    motion = Motion(move, 1.25, "ease_in_out")
    planes = luma_frames(bordered(*source), motion, width, height, 12)
    # The white border is one source pixel: it may tint the outermost ceil(scale + 0.5) output
    # pixels (bilinear); a camera past the edge replicates it further in, or shows black.
    tightest = motion.path(source[0] / source[1], width / height).min_size()[0] * source[0]
    margin = math.ceil(width / tightest + 0.5)
    for plane in planes:
        inner = plane[margin:-margin, margin:-margin]
        assert inner.max() < 140 and inner.min() > 110
