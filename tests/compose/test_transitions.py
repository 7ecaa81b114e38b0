import numpy as np
import pytest

from framecast.compose.transitions import COMPOSE_TRANSITIONS, Blender

W, H = 64, 48
SIZES = {"h": W, "v": H}


def flat(y: int, u: int, v: int) -> np.ndarray:
    """A yuv420p frame of one colour."""
    return np.concatenate(
        [
            np.full(W * H, y, np.uint8),
            np.full(W * H // 4, u, np.uint8),
            np.full(W * H // 4, v, np.uint8),
        ]
    )


def patterned(seed: int) -> np.ndarray:
    """A yuv420p frame whose every sample is random: a shifted copy never matches by chance."""
    return np.random.default_rng(seed).integers(0, 256, W * H * 3 // 2, dtype=np.uint8)


def planes(frame: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    data = np.frombuffer(frame, np.uint8)  # type: ignore[call-overload]
    luma, chroma = W * H, W * H // 4
    return (
        data[:luma].reshape(H, W),
        data[luma : luma + chroma].reshape(H // 2, W // 2),
        data[luma + chroma :].reshape(H // 2, W // 2),
    )


A, B = flat(40, 100, 200), flat(200, 150, 60)


def test_fade_at_half_is_the_mean_of_each_plane() -> None:
    y, u, v = planes(Blender(W, H).blend("fade", A.data, B.data, 0.5))
    assert (y == 120).all() and (u == 125).all() and (v == 130).all()


def test_fade_weights_follow_progress_and_round_to_nearest() -> None:
    # 16·0.7 + 235·0.3 = 81.7: truncating would give 81.
    y, _, _ = planes(Blender(W, H).blend("fade", flat(16, 128, 128), flat(235, 128, 128), 0.3))
    assert (y == 82).all()


@pytest.mark.parametrize(("kind", "luma"), [("fadeblack", 16), ("fadewhite", 235)])
def test_fade_through_a_colour_is_that_colour_at_half(kind: str, luma: int) -> None:
    y, u, v = planes(Blender(W, H).blend(kind, A, B, 0.5))
    assert (y == luma).all() and (u == 128).all() and (v == 128).all()


def test_fadeblack_darkens_a_in_its_first_half() -> None:
    y, u, _ = planes(Blender(W, H).blend("fadeblack", A, B, 0.25))  # a half way to black
    assert (y == 28).all() and (u == 114).all()


def test_fadeblack_brings_b_in_its_second_half() -> None:
    y, _, v = planes(Blender(W, H).blend("fadeblack", A, B, 0.75))  # b half way from black
    assert (y == 108).all() and (v == 94).all()


def b_region(kind: str, shape: tuple[int, int], share: int) -> np.ndarray:
    """Where b shows in a plane of ``shape`` when it has ``share`` lines of it."""
    rows, cols = np.indices(shape)
    return {
        "wipeleft": cols >= shape[1] - share,
        "wiperight": cols < share,
        "wipeup": rows >= shape[0] - share,
        "wipedown": rows < share,
    }[kind]


@pytest.mark.parametrize(
    ("kind", "axis"), [("wipeleft", "h"), ("wiperight", "h"), ("wipeup", "v"), ("wipedown", "v")]
)
def test_wipe_shows_b_in_exactly_its_share_of_every_plane(kind: str, axis: str) -> None:
    frame = Blender(W, H).blend(kind, A, B, 0.25)
    share = SIZES[axis] // 4  # 16 columns or 12 rows of luma: even, so 8 or 6 of chroma
    for plane, a, b, factor in zip(planes(frame), planes(A), planes(B), (1, 2, 2), strict=True):
        expected = np.where(b_region(kind, plane.shape, share // factor), b, a)
        assert np.array_equal(plane, expected), kind


def test_wipe_edges_fall_on_even_luma_lines() -> None:
    # 0.3 of 64 columns is 19.2: the edge goes to 20, where a chroma column starts.
    y, u, _ = planes(Blender(W, H).blend("wiperight", A, B, 0.3))
    assert (y[:, :20] == 200).all() and (y[:, 20:] == 40).all()
    assert (u[:, :10] == 150).all() and (u[:, 10:] == 100).all()


def slid(kind: str, a: np.ndarray, b: np.ndarray, shift: int) -> np.ndarray:
    """One plane of a slide: a window moving over a and b laid side by side."""
    n = a.shape[1] if kind in ("slideleft", "slideright") else a.shape[0]
    if kind == "slideleft":
        return np.hstack([a, b])[:, shift : shift + n]
    if kind == "slideright":
        return np.hstack([b, a])[:, n - shift : 2 * n - shift]
    if kind == "slideup":
        return np.vstack([a, b])[shift : shift + n]
    return np.vstack([b, a])[n - shift : 2 * n - shift]


@pytest.mark.parametrize(
    ("kind", "axis"),
    [("slideleft", "h"), ("slideright", "h"), ("slideup", "v"), ("slidedown", "v")],
)
def test_slide_moves_both_frames_by_their_share(kind: str, axis: str) -> None:
    a, b = patterned(1), patterned(2)
    frame = Blender(W, H).blend(kind, a, b, 0.25)
    shift = SIZES[axis] // 4
    for plane, pa, pb, factor in zip(planes(frame), planes(a), planes(b), (1, 2, 2), strict=True):
        assert np.array_equal(plane, slid(kind, pa, pb, shift // factor)), kind


def test_cut_shows_a_before_half_and_b_from_it() -> None:
    blender = Blender(W, H)
    assert bytes(blender.blend("none", A, B, 0.4)) == A.tobytes()
    assert bytes(blender.blend("none", A, B, 0.5)) == B.tobytes()


def test_every_compose_transition_blends() -> None:
    blender = Blender(W, H)
    for kind in COMPOSE_TRANSITIONS:
        assert len(blender.blend(kind, A, B, 0.6)) == W * H * 3 // 2


def test_a_frame_stays_valid_until_the_ring_comes_round() -> None:
    blender = Blender(W, H, buffers=3)
    first = blender.blend("fade", A, B, 0.5)
    kept = bytes(first)
    blender.blend("fadewhite", A, B, 0.5)
    blender.blend("fadeblack", A, B, 0.5)
    assert bytes(first) == kept  # two more blends: untouched
    blender.blend("none", A, B, 0.1)
    assert bytes(first) == A.tobytes()  # the third reuses its buffer


def test_an_unknown_transition_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown transition 'zoomin'"):
        Blender(W, H).blend("zoomin", A, B, 0.5)


def test_a_frame_of_the_wrong_size_is_refused() -> None:
    with pytest.raises(ValueError, match="frame b has"):
        Blender(W, H).blend("fade", A, B[:-2], 0.5)
