"""Source preparation and the per-frame warp: image file → fitted BT.709 YUV → yuv420p frames."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from framecast.errors import ImageError
from framecast.render.motion import CameraPath, Rect
from framecast.render.warp import PlaneMap, PlaneWarper, warp_direct

__all__ = ["FrameWarper", "YuvSource", "fit_cover", "load_image", "prepare_source", "to_yuv420"]

# BT.709 luma weights; Cb/Cr scale (B'−Y')/1.8556 and (R'−Y')/1.5748 into ±0.5.
_KR, _KB = 0.2126, 0.0722
_KG = 1 - _KR - _KB


def load_image(path: Path, max_pixels: int) -> np.ndarray:
    """Decode ``path`` to an upright RGB uint8 array (alpha composited over black)."""
    try:
        # Our own pixel limit applies, checked below from the header; Pillow's warning is noise.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(path)
        with image:
            width, height = image.size
            if width * height > max_pixels:
                raise ImageError(
                    f"{path.name} is {width}x{height} ({width * height} pixels), over the "
                    f"limit of {max_pixels} pixels"
                )
            image.load()  # decodes now, so a truncated file fails here rather than silently
            upright = ImageOps.exif_transpose(image)
            return _flatten(upright)
    except Image.DecompressionBombError as exc:
        raise ImageError(
            f"{path.name} is too large ({exc}); the limit is {max_pixels} pixels"
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        # Pillow reports bad data as OSError ("image file is truncated"), SyntaxError (broken
        # PNG chunks) or ValueError; all mean the same thing to the user.
        raise ImageError(f"{path.name} is not a readable image ({exc})") from exc


def _flatten(image: Image.Image) -> np.ndarray:
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = np.asarray(image.convert("RGBA"), dtype=np.float32)
        alpha = rgba[..., 3:4] / 255.0
        return np.rint(rgba[..., :3] * alpha).astype(np.uint8)
    return np.ascontiguousarray(np.asarray(image.convert("RGB"), dtype=np.uint8))


def fit_cover(rgb: np.ndarray, width: int, height: int, path: CameraPath) -> np.ndarray:
    """Crop ``rgb`` to the output aspect (centred) and shrink it to the size ``path`` needs."""
    src_h, src_w = rgb.shape[:2]
    aspect = width / height
    if src_w / src_h > aspect:
        crop_w, crop_h = max(1, round(src_h * aspect)), src_h
    else:
        crop_w, crop_h = src_w, max(1, round(src_w / aspect))
    left, top = (src_w - crop_w) // 2, (src_h - crop_h) // 2
    cropped = rgb[top : top + crop_h, left : left + crop_w]
    # The tightest rectangle of the path must still get ≥ 1 source pixel per output pixel;
    # any more is wasted warp work, so shrink once to exactly that (never enlarge).
    min_w, min_h = path.min_size()
    need_w, need_h = math.ceil(width / min_w - 1e-9), math.ceil(height / min_h - 1e-9)
    if crop_w > need_w and crop_h > need_h:
        return cv2.resize(cropped, (need_w, need_h), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(cropped)


@dataclass(frozen=True)
class YuvSource:
    """A fitted source as BT.709 limited-range planes: Y full size, U and V halved (4:2:0)."""

    y: np.ndarray
    u: np.ndarray
    v: np.ndarray
    width: int  # of the fitted image in luma pixels; the planes may carry edge padding
    height: int


def to_yuv420(rgb: np.ndarray) -> YuvSource:
    """Convert RGB uint8 to BT.709 limited-range 4:2:0 planes (not cv2's BT.601 conversion)."""
    height, width = rgb.shape[:2]
    # Pad by repeating the edge, which is what the warp's border does anyway: to an even height
    # for 4:2:0, to a width of whole groups of 8 so the warp can pack chroma columns by 4.
    padded = np.pad(rgb, ((0, height % 2), (0, -width % 8), (0, 0)), mode="edge")
    rgbf = padded.astype(np.float32) / 255.0
    luma = _KR * rgbf[..., 0] + _KG * rgbf[..., 1] + _KB * rgbf[..., 2]
    y = np.rint(16 + 219 * luma).astype(np.uint8)
    # Chroma is linear in RGB, so averaging RGB 2×2 first equals averaging Cb/Cr, at 1/4 the work.
    ph, pw = padded.shape[:2]
    quad = rgbf.reshape(ph // 2, 2, pw // 2, 2, 3).mean(axis=(1, 3))
    quad_luma = _KR * quad[..., 0] + _KG * quad[..., 1] + _KB * quad[..., 2]
    u = np.rint(128 + 224 * (quad[..., 2] - quad_luma) / (2 * (1 - _KB))).astype(np.uint8)
    v = np.rint(128 + 224 * (quad[..., 0] - quad_luma) / (2 * (1 - _KR))).astype(np.uint8)
    return YuvSource(y, u, v, width, height)


def prepare_source(rgb: np.ndarray, width: int, height: int, path: CameraPath) -> YuvSource:
    """Fit ``rgb`` for a ``width`` × ``height`` output along ``path`` and convert it once."""
    return to_yuv420(fit_cover(rgb, width, height, path))


class FrameWarper:
    """Renders yuv420p frames of one source, reusing one output buffer.

    ``separable`` False uses one plain ``cv2.warpAffine`` per plane: the reference the faster
    two-pass default (:class:`PlaneWarper`) is tested against.
    """

    def __init__(self, source: YuvSource, width: int, height: int, separable: bool = True) -> None:
        if width % 2 or height % 2:
            raise ValueError(f"yuv420p needs an even frame size, got {width}x{height}")
        self.source, self.width, self.height = source, width, height
        self._buffer = np.empty(width * height * 3 // 2, dtype=np.uint8)
        luma, chroma = width * height, width * height // 4
        self._y = self._buffer[:luma].reshape(height, width)
        self._u = self._buffer[luma : luma + chroma].reshape(height // 2, width // 2)
        self._v = self._buffer[luma + chroma :].reshape(height // 2, width // 2)
        self._separable = separable
        if separable:
            self._warpers = (
                PlaneWarper(source.y, width, height),
                PlaneWarper(source.u, width // 2, height // 2),
                PlaneWarper(source.v, width // 2, height // 2),
            )

    def plane_maps(self, rect: Rect) -> tuple[PlaneMap, PlaneMap]:
        """How the luma and the chroma planes are resampled for camera rectangle ``rect``."""
        # Continuous coordinates with pixel centres at i + 0.5: output x_o covers source
        # rect.x·W_s + x_o·sx; pixel indices put centres at i, hence the ±0.5 terms.
        sx = rect.w * self.source.width / self.width
        sy = rect.h * self.source.height / self.height
        ox, oy = rect.x * self.source.width, rect.y * self.source.height
        luma = PlaneMap(sx, ox + 0.5 * sx - 0.5, sy, oy + 0.5 * sy - 0.5)
        # Chroma samples sit at the centre of each 2×2 luma block in source and output alike,
        # so the same scale applies with the offsets in half-size units.
        chroma = PlaneMap(sx, ox / 2 + 0.5 * sx - 0.5, sy, oy / 2 + 0.5 * sy - 0.5)
        return luma, chroma

    def render(self, rect: Rect) -> memoryview:
        """The yuv420p frame for ``rect``; valid until the next call."""
        luma, chroma = self.plane_maps(rect)
        if self._separable:
            wy, wu, wv = self._warpers
            wy.warp(luma, self._y)
            wu.warp(chroma, self._u)
            wv.warp(chroma, self._v)
        else:
            warp_direct(self.source.y, luma, self._y)
            warp_direct(self.source.u, chroma, self._u)
            warp_direct(self.source.v, chroma, self._v)
        return self._buffer.data
