import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from framecast.errors import ImageError
from framecast.render.frames import FrameWarper, fit_canvas, load_image, prepare_source, to_yuv420
from framecast.render.motion import Motion, Rect, static, zoom_in
from framecast.worker.media_kinds import excerpt
from tests.support.media import (
    gradient_jpeg,
    gradient_rgb,
    jpeg_with_exif_orientation,
    png_bytes,
    truncated_jpeg,
)

LIMIT = 10**8


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_load_image_returns_rgb_uint8(tmp_path):
    rgb = load_image(write(tmp_path, "a.jpg", gradient_jpeg(64, 48)), LIMIT)
    assert rgb.shape == (48, 64, 3)
    assert rgb.dtype == np.uint8


def test_exif_orientation_6_turns_landscape_to_portrait(tmp_path):
    rgb = load_image(write(tmp_path, "o.jpg", jpeg_with_exif_orientation(80, 40, 6)), LIMIT)
    assert rgb.shape == (80, 40, 3)
    # Orientation 6 is "rotate 90° clockwise": the stored top-left lands top-right.
    assert rgb[5, -5].tolist() == pytest.approx([254, 0, 0], abs=8)
    assert rgb[5, 5].max() < 10


def test_alpha_is_composited_over_black(tmp_path):
    rgba = np.zeros((8, 8, 4), dtype=np.uint8)
    rgba[...] = (200, 100, 50, 128)
    rgb = load_image(write(tmp_path, "a.png", png_bytes(rgba)), LIMIT)
    assert rgb[0, 0].tolist() == [100, 50, 25]


def test_alpha_is_composited_over_the_background_colour(tmp_path):
    rgba = np.zeros((8, 8, 4), dtype=np.uint8)
    rgba[...] = (200, 100, 50, 128)
    rgba[0, 0, 3] = 0  # fully transparent: the background alone
    rgb = load_image(write(tmp_path, "a.png", png_bytes(rgba)), LIMIT, background=(255, 255, 255))
    assert rgb[0, 0].tolist() == [255, 255, 255]
    assert rgb[1, 1].tolist() == [227, 177, 152]  # 200·128/255 + 255·127/255, …


def test_a_palette_image_s_transparent_colour_shows_the_background(tmp_path):
    image = Image.new("P", (4, 4), 0)
    image.putpalette([10, 20, 30, 240, 240, 240])
    image.putpixel((0, 0), 1)
    path = tmp_path / "p.png"
    image.save(path, transparency=0)
    rgb = load_image(path, LIMIT, background=(0, 128, 0))
    assert rgb[0, 0].tolist() == [240, 240, 240]
    assert rgb[3, 3].tolist() == [0, 128, 0]


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_16_bit_grey_is_scaled_not_clipped(tmp_path, suffix):
    levels = np.array([[0, 257, 30000, 65535]], dtype=np.uint16).repeat(4, axis=0)
    path = tmp_path / f"grey16{suffix}"
    Image.fromarray(levels).save(path)
    assert Image.open(path).mode.startswith("I")
    rgb = load_image(path, 10**6)
    assert rgb.dtype == np.uint8 and rgb.shape == (4, 4, 3)
    assert rgb[0, :, 0].tolist() == [0, 1, 117, 255]  # value / 257, rounded
    assert (rgb[..., 0] == rgb[..., 1]).all() and (rgb[..., 1] == rgb[..., 2]).all()


@pytest.mark.parametrize(
    "data",
    [truncated_jpeg(), b"<!doctype html><html><body>Not found</body></html>", b""],
    ids=["truncated-jpeg", "html", "empty"],
)
def test_unreadable_bytes_are_an_image_error(tmp_path, data):
    with pytest.raises(ImageError, match="is not a readable image"):
        load_image(write(tmp_path, "bad.jpg", data), LIMIT)


def test_an_unreadable_image_says_what_was_received(tmp_path):
    path = write(tmp_path, "bad.jpg", b"\x7fELF\x02\x01 not an image at all")
    with pytest.raises(ImageError) as refused:
        load_image(path, LIMIT, content_type="image/jpeg")
    assert refused.value.message == (
        "the file is not a readable image (cannot identify image file): got unrecognised binary"
        ' data (starts with "\\x7fELF\\x02\\x01 not an image at all"), 26 bytes,'
        " Content-Type image/jpeg"
    )


def test_a_broken_image_is_named_by_its_first_bytes_and_a_local_file_has_no_content_type(
    tmp_path,
):
    data = truncated_jpeg()
    with pytest.raises(ImageError) as refused:
        load_image(write(tmp_path, "cut.jpg", data), LIMIT)
    message = refused.value.message
    assert message.startswith("the file is not a readable image (image file is truncated")
    assert message.endswith(f"got JPEG (starts with {excerpt_of(data)}), {len(data)} bytes")


def excerpt_of(data: bytes) -> str:
    return '"' + excerpt(data) + '"'


def test_pixel_cap_is_checked_and_named(tmp_path):
    with pytest.raises(ImageError, match=r"100x80 \(8000 pixels\).*limit of 7999 pixels"):
        load_image(write(tmp_path, "big.jpg", gradient_jpeg(100, 80)), 7999)


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` (it holds no pixels)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


def test_a_decompression_bomb_names_its_size_and_our_limit_only(tmp_path):
    # Pillow refuses such a header itself (over twice its own limit) before our check runs.
    path = write(tmp_path, "bomb.png", png_claiming(60000, 60000))
    with pytest.raises(ImageError) as refused:
        load_image(path, 10**8)
    message = refused.value.message
    assert message == (
        "the image is 60000x60000 (3600000000 pixels), over the limit of 100000000 pixels"
    )


def test_fit_canvas_crops_to_what_the_path_shows_and_shrinks_to_what_it_needs():
    path = Motion("zoom_in", 1.25).path(4000 / 2000, 640 / 360)
    fitted, inner = fit_canvas(gradient_rgb(4000, 2000), 640, 360, path)
    assert fitted.shape[:2] == pytest.approx((450, 800), abs=1)  # 640 × 1.25, 360 × 1.25
    start = inner.start
    assert (start.x, start.y, start.w, start.h) == pytest.approx((0, 0, 1, 1), abs=1e-3)


def test_fit_canvas_keeps_the_whole_width_a_pan_crosses():
    path = Motion("pan_left", 1.25).path(4000 / 2000, 640 / 360)
    fitted, inner = fit_canvas(gradient_rgb(4000, 2000), 640, 360, path)
    assert fitted.shape[1] / fitted.shape[0] == pytest.approx(4000 / 1600, rel=1e-3)
    assert (inner.start.x + inner.start.w, inner.end.x) == pytest.approx((1.0, 0.0))


def test_fit_canvas_never_enlarges_a_small_source():
    fitted, _ = fit_canvas(gradient_rgb(320, 180), 640, 360, static())
    assert fitted.shape[:2] == (180, 320)


def test_yuv_conversion_uses_bt709_limited_range():
    colours = np.array([[[255, 255, 255], [0, 0, 0], [255, 0, 0]]], dtype=np.uint8)
    rgb = np.repeat(np.repeat(colours, 2, axis=0), 4, axis=1)  # 4-wide blocks of each colour
    yuv = to_yuv420(rgb)
    assert yuv.y[0, 0:12:4].tolist() == [235, 16, 63]  # BT.601 would give red Y = 81
    # Chroma columns 0, 2 and 5 sit on luma columns 0, 4 and 10: each inside one block.
    assert yuv.u[0, [0, 2, 5]].tolist() == [128, 128, 102]
    assert yuv.v[0, [0, 2, 5]].tolist() == [128, 128, 240]


def test_chroma_is_sited_on_the_even_luma_columns_between_two_rows():
    # H.264's default siting ("left"), which players assume: chroma column c is luma column
    # 2c, filtered [1, 2, 1]/4. One red luma column at x = 5 then reaches the chroma of x = 4
    # and x = 6 equally, a quarter each (centred 2×2 averages would give x = 4..5 half).
    rgb = np.zeros((2, 16, 3), np.uint8)
    rgb[:, 5] = (255, 0, 0)
    v = to_yuv420(rgb).v[0].astype(int)
    assert v[[1, 4]].tolist() == [128, 128]
    assert v[2] == v[3] == 128 + round(0.25 * 112)


def test_a_frame_samples_chroma_where_it_is_sited():
    # A camera twice as wide as the frame, 1.5 source pixels in: output chroma column k is
    # output luma column 2k, whose centre is source luma column 4k + 2 (4k + 1.5 + 0.5),
    # which is source chroma column 2k + 1, exactly. Vertical stripes: rows don't matter.
    stripes = np.zeros((64, 132, 3), np.uint8)
    stripes[:, :, 0] = np.random.default_rng(3).integers(0, 256, 132, dtype=np.uint8)
    source = to_yuv420(stripes)
    camera = Rect(1.5 / 132, 0, 128 / 132, 1)
    frame = np.frombuffer(FrameWarper(source, 64, 32).render(camera), np.uint8)
    v = frame[64 * 32 + 32 * 16 :].reshape(16, 32)
    assert np.array_equal(v, np.repeat(source.v[:1, 1:64:2], 16, axis=0))


def test_full_frame_rect_at_source_size_reproduces_the_source():
    rgb = gradient_rgb(320, 180)
    source = to_yuv420(rgb)
    frame = np.frombuffer(FrameWarper(source, 320, 180).render(Rect(0, 0, 1, 1)), np.uint8)
    assert np.array_equal(frame[: 320 * 180].reshape(180, 320), source.y[:180, :320])


def test_frame_is_one_contiguous_yuv420p_buffer():
    source, _ = prepare_source(gradient_rgb(400, 300), 320, 180, zoom_in())
    warper = FrameWarper(source, 320, 180)
    assert warper.render(Rect(0.1, 0.1, 0.8, 0.8)).nbytes == 320 * 180 * 3 // 2


@pytest.mark.parametrize("size", [(320, 180), (640, 360), (322, 182)])
def test_two_pass_warp_matches_a_single_warp_affine(size):
    width, height = size
    rgb = np.random.default_rng(0).integers(0, 256, (417, 743, 3), dtype=np.uint8)
    source, _ = prepare_source(rgb, width, height, zoom_in(1.25))
    rect = Rect(0.0731, 0.1193, 0.8123, 0.8123)
    fast = np.frombuffer(FrameWarper(source, width, height).render(rect), np.uint8)
    reference = np.frombuffer(
        FrameWarper(source, width, height, separable=False).render(rect), np.uint8
    )
    assert np.abs(fast.astype(int) - reference.astype(int)).max() <= 1


def test_a_frame_stays_valid_while_the_next_is_rendered():
    source, _ = prepare_source(gradient_rgb(400, 300), 320, 180, zoom_in())
    warper = FrameWarper(source, 320, 180)
    first = warper.render(Rect(0.0, 0.0, 1.0, 1.0))
    kept = bytes(first)
    second = warper.render(Rect(0.1, 0.1, 0.8, 0.8))
    assert bytes(first) == kept  # a writer thread may still be sending it
    assert bytes(second) != kept
    single = FrameWarper(source, 320, 180, buffers=1)
    assert bytes(single.render(Rect(0.1, 0.1, 0.8, 0.8))) == bytes(second)


def test_every_buffer_of_the_ring_gets_the_background():
    source, _ = prepare_source(gradient_rgb(400, 300), 160, 180, zoom_in())
    background = to_yuv420(np.full((180, 320, 3), (10, 200, 30), dtype=np.uint8))
    warper = FrameWarper(source, 320, 180, slot=(80, 0, 160, 180), background=background)
    frames = [np.frombuffer(warper.render(Rect(0, 0, 1, 1)), np.uint8).copy() for _ in range(3)]
    assert all(np.array_equal(frame, frames[0]) for frame in frames)
    assert frames[0][0] == background.y[0, 0]


def test_a_ring_needs_a_buffer():
    source, _ = prepare_source(gradient_rgb(400, 300), 320, 180, zoom_in())
    with pytest.raises(ValueError, match="at least one output buffer"):
        FrameWarper(source, 320, 180, buffers=0)
