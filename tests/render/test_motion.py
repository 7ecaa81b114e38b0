import itertools

import pytest

from framecast.errors import ImageError
from framecast.render.motion import (
    MOVES,
    RANDOM_MOVES,
    CameraPath,
    Motion,
    RandomPick,
    Rect,
    choose_move,
    crop_to_aspect,
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


# (image aspect, output aspect): landscape and portrait images into 16:9, 9:16 and square
ASPECT_PAIRS = [(4 / 3, 16 / 9), (3 / 4, 16 / 9), (16 / 9, 9 / 16), (3.0, 1.0), (16 / 9, 16 / 9)]


@pytest.mark.parametrize(("image", "output"), ASPECT_PAIRS)
@pytest.mark.parametrize("move", MOVES)
def test_every_move_stays_inside_the_image_at_the_output_aspect(move, image, output):
    path = Motion(move, 1.5, "ease_in_out").path(image, output)
    for t in (0.0, 0.25, 0.5, 0.75, 1.0):
        r = path.at(t)
        assert r.inside_image(), (move, t, r)
        assert r.w * image / r.h == pytest.approx(output), (move, t)


@pytest.mark.parametrize(("image", "output"), ASPECT_PAIRS)
def test_pans_run_edge_to_edge_of_the_whole_image(image, output):
    left = Motion("pan_left", 1.25).path(image, output)
    assert left.start.x + left.start.w == pytest.approx(1.0) and left.end.x == pytest.approx(0.0)
    down = Motion("pan_down", 1.25).path(image, output)
    assert down.start.y == pytest.approx(0.0) and down.end.y + down.end.h == pytest.approx(1.0)


def test_pans_keep_their_size():
    path = Motion("pan_up", 1.4).path(3 / 4, 16 / 9)
    assert (path.start.w, path.start.h) == pytest.approx((path.end.w, path.end.h))


def test_zoom_in_starts_from_the_cover_crop_and_zooms_on_its_centre():
    path = Motion("zoom_in", 2.0).path(4 / 3, 16 / 9)
    assert path.start == pytest.approx(Rect(0, 0.125, 1, 0.75))
    assert path.end == pytest.approx(Rect(0.25, 0.3125, 0.5, 0.375))


def test_a_pan_at_zoom_1_crosses_a_panorama_the_cover_crop_leaves_room_in():
    path = Motion("pan_left", 1.0).path(3.0, 16 / 9)  # a 3:1 panorama in 16:9
    assert path.start == pytest.approx(Rect(1 - 16 / 27, 0.0, 16 / 27, 1.0))
    assert path.end == pytest.approx(Rect(0.0, 0.0, 16 / 27, 1.0))


def test_a_pan_at_zoom_1_crosses_a_portrait_image_top_to_bottom():
    path = Motion("pan_down", 1.0).path(3 / 4, 16 / 9)
    assert (path.start.y, path.end.y + path.end.h) == pytest.approx((0.0, 1.0))


@pytest.mark.parametrize(
    ("move", "image", "why"),
    [
        ("pan_left", 16 / 9, "whole width"),
        ("pan_right", 4 / 3, "whole width"),
        ("pan_up", 3.0, "whole height"),
        ("pan_down", 16 / 9, "whole height"),
    ],
)
def test_a_pan_with_no_room_along_its_axis_is_refused_saying_why(move, image, why):
    with pytest.raises(ImageError) as refused:
        Motion(move, 1.0).path(image, 16 / 9)
    assert refused.value.message == (
        f"{move} at zoom 1 has no room to move: the frame already shows the image's {why};"
        " raise zoom above 1.0"
    )


def test_random_s_pick_without_room_gives_way_to_a_move_with_room():
    picked = RandomPick(("pan_up", "pan_left", "pan_right"), seed=3, index=0)
    motion = Motion("pan_up", 1.0, random=picked)
    resolved = motion.resolve(3.0, 16 / 9)
    assert resolved.move in ("pan_left", "pan_right")
    assert resolved == motion.resolve(3.0, 16 / 9)  # reproducible
    assert motion.resolve(3 / 4, 16 / 9) == motion  # the pick has room: kept


def test_random_with_no_move_that_has_room_is_refused_naming_its_choices():
    picked = RandomPick(("pan_up", "pan_down"), seed=0, index=0)
    with pytest.raises(ImageError, match="random picks from pan_up, pan_down; none has room"):
        Motion("pan_up", 1.0, random=picked).path(16 / 9, 16 / 9)


def test_explicit_rectangles_are_cropped_to_the_output_aspect_about_their_centre():
    wide = Rect(0.0, 0.25, 1.0, 0.25)  # 4:1 on a square image, asked for 16:9 output
    cropped = crop_to_aspect(wide, 1.0, 16 / 9)
    assert cropped.centre == pytest.approx(wide.centre)
    assert (cropped.h, cropped.w) == pytest.approx((0.25, 0.25 * 16 / 9))


def test_explicit_rectangles_become_the_path_ends():
    start, end = Rect(0.0, 0.0, 0.5, 0.5), Rect(0.5, 0.5, 0.5, 0.5)
    path = Motion(start=start, end=end).path(16 / 9, 16 / 9)
    assert (path.start, path.end) == (start, end)


def test_start_without_end_is_refused():
    with pytest.raises(ValueError, match="start and end go together"):
        Motion(start=Rect(0, 0, 0.5, 0.5))


def test_bounds_hold_every_frame():
    path = CameraPath(Rect(0.0, 0.1, 0.9, 0.9), Rect(0.6, 0.5, 0.3, 0.3), "ease_in_out")
    b = path.bounds()
    for t in [i / 50 for i in range(51)]:
        r = path.at(t)
        assert b.x - 1e-12 <= r.x and r.x + r.w <= b.x + b.w + 1e-12
        assert b.y - 1e-12 <= r.y and r.y + r.h <= b.y + b.h + 1e-12


def test_random_is_reproducible_for_a_seed():
    assert [choose_move(RANDOM_MOVES, 7, i) for i in range(20)] == [
        choose_move(RANDOM_MOVES, 7, i) for i in range(20)
    ]


def test_random_varies_per_item_and_never_repeats_a_neighbour():
    picks = [choose_move(RANDOM_MOVES, 7, i) for i in range(30)]
    assert len(set(picks)) >= 4
    assert all(a != b for a, b in itertools.pairwise(picks))
    assert set(picks) <= set(RANDOM_MOVES)


def test_random_differs_between_seeds():
    assert [choose_move(RANDOM_MOVES, 1, i) for i in range(10)] != [
        choose_move(RANDOM_MOVES, 2, i) for i in range(10)
    ]


def test_random_picks_only_from_the_allowed_list():
    assert {choose_move(["pan_left", "zoom_out"], 3, i) for i in range(20)} == {
        "pan_left",
        "zoom_out",
    }


def path_centre(path: CameraPath, t: float) -> tuple[float, float]:
    r = path.at(t)
    return (r.x + r.w / 2, r.y + r.h / 2)
