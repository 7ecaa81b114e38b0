"""Test media made in code: images as bytes or arrays, never binary fixtures."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

__all__ = [
    "gradient_jpeg",
    "gradient_rgb",
    "jpeg_with_exif_orientation",
    "marker_image",
    "png_bytes",
    "serve_images",
    "solid_jpeg",
    "truncated_jpeg",
]

if TYPE_CHECKING:
    from tests.support.http_server import MediaServer

EXIF_ORIENTATION = 0x0112


def serve_images(
    server: MediaServer, count: int, seconds: float = 0.5, slow: float = 0.0
) -> list[dict[str, Any]]:
    """Serve ``count`` small JPEGs at /img{i}.jpg (after ``slow`` s if set); their request items."""
    for i in range(count):
        body = solid_jpeg(64, 36, (i * 30 % 255, 80, 160))
        if slow:
            server.add_slow(f"/img{i}.jpg", body, delay=slow)
        else:
            server.add(f"/img{i}.jpg", body)
    return [
        {"id": f"img-{i}", "image_url": server.url(f"/img{i}.jpg"), "duracao": seconds}
        for i in range(count)
    ]


def gradient_rgb(width: int, height: int) -> np.ndarray:
    """An RGB uint8 image: red grows left to right, green top to bottom, blue constant."""
    red = np.linspace(0, 255, width, dtype=np.float32)[None, :].repeat(height, axis=0)
    green = np.linspace(0, 255, height, dtype=np.float32)[:, None].repeat(width, axis=1)
    blue = np.full((height, width), 96, dtype=np.float32)
    return np.rint(np.stack([red, green, blue], axis=-1)).astype(np.uint8)


def solid_jpeg(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    """A JPEG of one flat colour."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def gradient_jpeg(width: int, height: int, quality: int = 90) -> bytes:
    """A JPEG of :func:`gradient_rgb`."""
    buffer = io.BytesIO()
    Image.fromarray(gradient_rgb(width, height)).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def png_bytes(pixels: np.ndarray) -> bytes:
    """A PNG of an RGB or RGBA uint8 array (RGBA keeps its alpha channel)."""
    mode = {3: "RGB", 4: "RGBA"}[pixels.shape[2]]
    buffer = io.BytesIO()
    Image.fromarray(pixels, mode).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg_with_exif_orientation(width: int, height: int, orientation: int) -> bytes:
    """A ``width`` × ``height`` JPEG, pure red in its top-left quarter, tagged ``orientation``.

    Stored pixels are black except that quarter, so a test can tell where it lands once the
    orientation is applied (6: the stored top-left goes to the top-right).
    """
    pixels = np.zeros((height, width, 3), dtype=np.uint8)
    pixels[: height // 2, : width // 2] = (255, 0, 0)
    image = Image.fromarray(pixels)
    exif = image.getexif()
    exif[EXIF_ORIENTATION] = orientation
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95, exif=exif.tobytes())
    return buffer.getvalue()


def truncated_jpeg(width: int = 256, height: int = 256) -> bytes:
    """A JPEG cut off half-way: the header is intact, the scan data is not."""
    whole = gradient_jpeg(width, height)
    return whole[: len(whole) // 2]


def marker_image(
    width: int,
    height: int,
    markers: Sequence[tuple[float, float]],
    sigma: float = 2.5,
    level: float = 230.0,
    background: int = 0,
) -> np.ndarray:
    """A dark RGB uint8 image with a grey Gaussian blob centred on each marker.

    Marker positions are continuous pixel coordinates: the centre of pixel (i, j) is at
    (i + 0.5, j + 0.5), so a marker may sit anywhere between pixel centres.
    """
    xs = np.arange(width, dtype=np.float64) + 0.5
    ys = np.arange(height, dtype=np.float64) + 0.5
    field = np.full((height, width), float(background))
    reach = 5 * sigma  # beyond it a blob adds < 1e-5 of its level
    for mx, my in markers:
        cols = (xs > mx - reach) & (xs < mx + reach)
        rows = (ys > my - reach) & (ys < my + reach)
        gx = np.exp(-((xs[cols] - mx) ** 2) / (2 * sigma**2))
        gy = np.exp(-((ys[rows] - my) ** 2) / (2 * sigma**2))
        field[np.ix_(rows, cols)] += (level - background) * np.outer(gy, gx)
    grey = np.rint(np.clip(field, 0, 255)).astype(np.uint8)
    return np.repeat(grey[..., None], 3, axis=2)
