import cv2
import numpy as np
import pytest

from framecast.render.warp import PlaneMap, PlaneWarper, warp_direct


def noise_plane(height: int, width: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return cv2.GaussianBlur(rng.integers(0, 256, (height, width), dtype=np.uint8), (0, 0), 1.5)


def float_reference(src: np.ndarray, m: PlaneMap, width: int, height: int) -> np.ndarray:
    """Bilinear in floating point, borders replicated: what the warp approximates."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    u = np.clip(xx * m.sx + m.tx, 0, src.shape[1] - 1)
    v = np.clip(yy * m.sy + m.ty, 0, src.shape[0] - 1)
    x0 = np.minimum(np.floor(u).astype(int), max(src.shape[1] - 2, 0))
    y0 = np.minimum(np.floor(v).astype(int), max(src.shape[0] - 2, 0))
    x1, y1 = np.minimum(x0 + 1, src.shape[1] - 1), np.minimum(y0 + 1, src.shape[0] - 1)
    fx, fy = u - x0, v - y0
    s = src.astype(np.float64)
    top = s[y0, x0] * (1 - fx) + s[y0, x1] * fx
    bottom = s[y1, x0] * (1 - fx) + s[y1, x1] * fx
    return top * (1 - fy) + bottom * fy


CASES = [
    # (source h, w), (output h, w), map
    ((300, 500), (180, 320), PlaneMap(1.3712, 17.29, 1.3712, 9.871)),  # zoomed in
    ((300, 500), (180, 320), PlaneMap(0.8123, 3.5, 0.8123, 2.25)),  # enlarging
    ((300, 500), (150, 200), PlaneMap(1.0, -40.3, 1.0, -20.6)),  # past the top-left edge
    ((300, 500), (150, 200), PlaneMap(1.0, 420.7, 1.0, 250.2)),  # past the bottom-right edge
    ((300, 500), (100, 100), PlaneMap(1.0, 900.0, 1.0, 10.0)),  # wholly past the right edge
    ((1, 9), (4, 6), PlaneMap(1.1, 0.3, 0.5, 0.0)),  # a one-row plane
    ((7, 1), (3, 5), PlaneMap(0.2, 0.0, 2.0, 0.4)),  # a one-column plane
    ((700, 1300), (541, 963), PlaneMap(1.2345, 11.11, 1.2345, 7.77)),  # many bands, a part one
]


@pytest.mark.parametrize(("src_size", "out_size", "m"), CASES)
def test_two_pass_warp_matches_warp_affine_within_one_code(src_size, out_size, m):
    src = noise_plane(*src_size)
    fast, reference = np.empty(out_size, np.uint8), np.empty(out_size, np.uint8)
    PlaneWarper(src, out_size[1], out_size[0]).warp(m, fast)
    warp_direct(src, m, reference)
    assert np.abs(fast.astype(int) - reference.astype(int)).max() <= 1


@pytest.mark.parametrize(("src_size", "out_size", "m"), CASES)
def test_two_pass_warp_rounds_once(src_size, out_size, m):
    # Exact bilinear rounded to uint8 is off by 0.29 RMS (uniform rounding); a second rounding
    # of an 8-bit intermediate would add about 0.2 more. Weights in 1/256 add a little to the
    # worst case (steep edges), not to the RMS.
    src = noise_plane(*src_size, seed=1)
    out = np.empty(out_size, np.uint8)
    PlaneWarper(src, out_size[1], out_size[0]).warp(m, out)
    error = out - float_reference(src, m, out_size[1], out_size[0])
    assert np.abs(error).max() < 0.8
    if out.size > 1000:  # enough samples for the RMS to mean something
        assert np.sqrt(np.mean(error**2)) < 0.30


def test_a_warper_can_write_into_a_strided_view():
    src = noise_plane(200, 300)
    m = PlaneMap(1.1, 5.5, 1.1, 3.3)
    canvas = np.zeros((150, 260), np.uint8)
    PlaneWarper(src, 200, 130).warp(m, canvas[10:140, 40:240])
    alone = np.empty((130, 200), np.uint8)
    PlaneWarper(src, 200, 130).warp(m, alone)
    assert np.array_equal(canvas[10:140, 40:240], alone)
    assert not canvas[:10].any() and not canvas[:, :40].any() and not canvas[:, 240:].any()


def test_a_warper_needs_one_uint8_plane():
    with pytest.raises(ValueError, match="one uint8 plane"):
        PlaneWarper(np.zeros((4, 4, 3), np.uint8), 2, 2)
