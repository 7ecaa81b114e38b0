"""Fit modes: cover fills the frame; contain and blur keep the whole image in a fixed slot."""

from __future__ import annotations

import numpy as np
import pytest

from framecast.render.clip import RenderSpec, render_frames
from framecast.render.compose import blurred_fill, frame_image, image_slot
from framecast.render.motion import Motion, RandomPick, Rect
from tests.support.media import gradient_rgb

WIDTH, HEIGHT = 320, 180


def frames_of(rgb: np.ndarray, spec: RenderSpec, count: int = 6) -> list[np.ndarray]:
    """Each frame's Y, U, V planes."""
    w, h = spec.width, spec.height
    out = []
    for frame in render_frames(rgb, spec, count):
        data = np.frombuffer(frame, np.uint8).copy()
        y = data[: w * h].reshape(h, w)
        u = data[w * h : w * h * 5 // 4].reshape(h // 2, w // 2)
        v = data[w * h * 5 // 4 :].reshape(h // 2, w // 2)
        out.append(np.stack([y[::2, ::2], u, v], axis=-1))  # a half-size YUV view
    return out


def test_portrait_image_gets_a_centred_slot_of_its_own_aspect():
    assert image_slot(300, 400, 320, 180, "contain") == (92, 0, 136, 180)


def test_landscape_image_in_portrait_output_gets_a_band():
    assert image_slot(400, 300, 180, 320, "blur") == (0, 92, 180, 136)


def test_cover_fills_the_frame():
    assert image_slot(300, 400, 320, 180, "cover") == (0, 0, 320, 180)


def test_bars_thinner_than_one_percent_are_not_drawn():
    assert image_slot(1918, 1080, 1920, 1080, "contain") == (0, 0, 1920, 1080)


def test_unknown_fit_is_refused():
    with pytest.raises(ValueError, match="fit must be one of cover, contain, blur"):
        image_slot(10, 10, 10, 10, "stretch")


def test_contain_bars_are_the_colour_asked_and_never_move():
    spec = RenderSpec(WIDTH, HEIGHT, 24.0, Motion("zoom_in", 1.5), "contain", (255, 0, 0))
    frames = frames_of(gradient_rgb(300, 400), spec)
    for frame in frames:
        bars = np.concatenate([frame[:, : 92 // 2], frame[:, (92 + 136) // 2 :]], axis=1)
        # BT.709 limited-range red: Y 63, Cb 102, Cr 240
        assert (bars.reshape(-1, 3) == [63, 102, 240]).all()
    # the picture inside the slot does move
    assert np.abs(frames[0][:, 50:110].astype(int) - frames[-1][:, 50:110]).max() > 10


def test_blur_fills_the_bars_with_a_darker_image_that_never_moves():
    image = gradient_rgb(300, 400)
    spec = RenderSpec(WIDTH, HEIGHT, 24.0, Motion("pan_down", 1.3), "blur")
    frames = frames_of(image, spec)
    left = [f[:, : 92 // 2, 0].astype(int) for f in frames]
    assert all(np.array_equal(left[0], other) for other in left[1:])
    assert left[0].std() > 2  # an image, not a flat colour
    slot_luma = frames[0][:, 92 // 2 : (92 + 136) // 2, 0].mean()
    assert left[0].mean() < 0.8 * slot_luma


def test_blurred_fill_is_cheap_to_make_from_a_large_image():
    fill = blurred_fill(gradient_rgb(4000, 3000), 1080, 1920)
    assert fill.shape == (1920, 1080, 3)


def test_contain_with_the_output_aspect_equals_cover():
    image = gradient_rgb(400, 225)
    cover = frames_of(image, RenderSpec(WIDTH, HEIGHT, 24.0, Motion("zoom_out", 1.3)))
    contain = frames_of(image, RenderSpec(WIDTH, HEIGHT, 24.0, Motion("zoom_out", 1.3), "contain"))
    assert all(np.array_equal(a, b) for a, b in zip(cover, contain, strict=True))


def test_framing_names_the_move_random_took_and_its_rectangles():
    picked = RandomPick(("pan_up", "pan_left"), seed=0, index=0)
    framing = frame_image(3000, 1000, 1920, 1080, Motion("pan_up", 1.0, random=picked), "cover")
    assert framing.move == "pan_left"  # a 3:1 panorama has no room to pan up at zoom 1.0
    assert framing.path.start == pytest.approx(Rect(1 - 16 / 27, 0.0, 16 / 27, 1.0))


def test_framing_of_explicit_rectangles_names_no_move():
    motion = Motion(start=Rect(0, 0, 0.5, 0.5), end=Rect(0.5, 0.5, 0.5, 0.5))
    assert frame_image(1600, 900, 1920, 1080, motion, "cover").move is None


def test_a_source_much_smaller_than_the_output_is_warned_about():
    framing = frame_image(320, 240, 1920, 1080, Motion("zoom_in", 1.25), "cover")
    assert framing.enlargement == pytest.approx(7.5)  # 1920 / (320 / 1.25)
    assert framing.warnings() == [
        "the image is 320x240: shown at 1920x1080 it is enlarged up to 7.5 times and will look"
        " soft; an image of 2400x1800 pixels or more would be sharp"
    ]


@pytest.mark.parametrize(("width", "height"), [(1920, 1080), (1280, 720), (4000, 3000)])
def test_a_source_near_the_output_size_or_larger_gets_no_warning(width, height):
    assert frame_image(width, height, 1920, 1080, Motion(), "cover").warnings() == []
