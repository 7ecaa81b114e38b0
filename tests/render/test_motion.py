import itertools

import pytest

from framecast.render.motion import (
    PRESETS,
    CameraPath,
    Rect,
    camera_path,
    frame_count,
    frame_times,
    pan,
    zoom_in,
    zoom_out,
)


@pytest.mark.parametrize(
    ("duration", "fps", "frames"), [(1.0, 24, 24), (2.3, 24, 55), (5.0, 30, 150), (0.01, 24, 1)]
)
def test_frame_count_is_rounded_duration_times_fps(duration, fps, frames):
    assert frame_count(duration, fps) == frames


def test_frame_times_run_from_zero_to_one_inclusive():
    assert frame_times(5) == [0.0, 0.25, 0.5, 0.75, 1.0]


def test_a_single_frame_sits_at_the_start():
    assert frame_times(1) == [0.0]


def test_path_ends_are_its_start_and_end():
    path = zoom_in(1.25)
    assert path.at(0.0) == pytest.approx(path.start)
    assert path.at(1.0) == pytest.approx(path.end)


def test_zoom_size_is_geometric_so_zoom_speed_is_constant():
    path = zoom_in(4.0)
    assert path.at(0.5).w == pytest.approx(0.5)  # sqrt(1 × 1/4), not the linear 0.625


def test_zoom_in_keeps_the_centre_fixed():
    for t in (0.0, 0.3, 1.0):
        assert path_centre(zoom_in(1.25), t) == pytest.approx((0.5, 0.5))


def test_pan_at_fixed_size_moves_linearly():
    path = pan("right", zoom=1.25)
    xs = [path.at(t).x for t in (0.0, 0.25, 0.5, 0.75, 1.0)]
    steps = [b - a for a, b in itertools.pairwise(xs)]
    assert steps == pytest.approx([steps[0]] * 4)
    assert path.at(0.0).x == pytest.approx(0.0)
    assert path.at(1.0).x + path.at(1.0).w == pytest.approx(1.0)


def test_ease_in_out_starts_and_ends_slowly():
    path = CameraPath(Rect(0, 0, 0.5, 0.5), Rect(0.5, 0.5, 0.5, 0.5), "ease_in_out")
    first_step = path.at(0.01).x - path.at(0.0).x
    middle_step = path.at(0.51).x - path.at(0.5).x
    assert first_step < middle_step / 50


def test_zoom_out_reverses_zoom_in():
    assert zoom_out(1.25).at(0.3) == pytest.approx(zoom_in(1.25).at(0.7))


def test_min_size_is_the_tightest_rectangle():
    assert zoom_in(1.25).min_size() == pytest.approx((0.8, 0.8))


def test_unknown_easing_is_refused():
    with pytest.raises(ValueError, match="easing"):
        CameraPath(Rect(0, 0, 1, 1), Rect(0, 0, 1, 1), "bounce")


def test_every_preset_stays_inside_the_image():
    for name in PRESETS:
        for t in (0.0, 0.5, 1.0):
            r = camera_path(name).at(t)
            assert r.x >= -1e-9 and r.x + r.w <= 1 + 1e-9, name
            assert r.y >= -1e-9 and r.y + r.h <= 1 + 1e-9, name


def test_random_preset_is_reproducible_for_a_seed():
    assert camera_path("random", seed=7) == camera_path("random", seed=7)
    assert camera_path("random", seed=7) in {factory() for factory in PRESETS.values()}


def path_centre(path: CameraPath, t: float) -> tuple[float, float]:
    r = path.at(t)
    return (r.x + r.w / 2, r.y + r.h / 2)
