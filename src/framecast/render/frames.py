"""Source preparation and the per-frame warp: image file → fitted BT.709 YUV → yuv420p frames."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from framecast.errors import ImageError
from framecast.render.motion import CameraPath, Rect
from framecast.render.warp import PlaneMap, PlaneWarper, warp_direct
from framecast.worker.media_kinds import SNIFF_BYTES, describe_received

__all__ = ["FrameWarper", "YuvSource", "fit_canvas", "load_image", "prepare_source", "to_yuv420"]

# BT.709 luma weights; Cb/Cr scale (B'−Y')/1.8556 and (R'−Y')/1.5748 into ±0.5.
_KR, _KB = 0.2126, 0.0722
_KG = 1 - _KR - _KB
_EPS = 1e-6  # fractions this close to a pixel edge are on it
# RGB uint8 → Y', Cb, Cr codes as affine maps (the last column is the offset).
_Y_MATRIX = np.array([[_KR, _KG, _KB, 0.0]]) * 219 / 255 + [[0, 0, 0, 16]]
_CB = np.array([-_KR, -_KG, 1 - _KB]) * 224 / 255 / (2 * (1 - _KB))
_CR = np.array([1 - _KR, -_KG, -_KB]) * 224 / 255 / (2 * (1 - _KR))
_UV_MATRIX = np.array([[*_CB, 128.0], [*_CR, 128.0]])
# The chroma siting filter: columns 2c-1, 2c, 2c+1 and rows 2r, 2r+1 (see to_yuv420).
_CHROMA_ACROSS = np.array([0.25, 0.5, 0.25], np.float32)
_CHROMA_DOWN = np.array([0.5, 0.5], np.float32)


# Our own pixel limit is checked from the header right after open(), before anything is
# decoded; Pillow's fixed one (about 179 M pixels) would otherwise refuse first, naming its
# number instead of the setting's, or warn about images our limit allows.
Image.MAX_IMAGE_PIXELS = None


def load_image(
    path: Path,
    max_pixels: int,
    background: tuple[int, int, int] = (0, 0, 0),
    content_type: str | None = None,
) -> np.ndarray:
    """Decode ``path`` to an upright RGB uint8 array, transparency composited over
    ``background``; an unreadable file is described with its server's ``content_type``."""
    try:
        image = Image.open(path)  # reads the header only
        with image:
            width, height = image.size
            if width * height > max_pixels:
                raise ImageError(
                    f"the image is {width}x{height} ({width * height} pixels), over the "
                    f"limit of {max_pixels} pixels"
                )
            image.load()  # decodes now, so a truncated file fails here rather than silently
            ImageOps.exif_transpose(image, in_place=True)  # in place: no copy of a 4K image
            return _flatten(image, background)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        # Pillow reports bad data as OSError ("image file is truncated"), SyntaxError (broken
        # PNG chunks) or ValueError; all mean the same thing to the user.
        # Pillow's message names our temp file: the user needs the reason, not the path.
        reason = str(exc).replace(f" {str(path)!r}", "").replace(str(path), "the file")
        raise ImageError(
            f"the file is not a readable image ({reason}): {_received(path, content_type)}"
        ) from exc


def _received(path: Path, content_type: str | None) -> str:
    # "cannot identify image file" alone leaves the user guessing: a web page, a video, an
    # empty body? The first bytes and the size usually answer at once.
    try:
        with path.open("rb") as file:
            head = file.read(SNIFF_BYTES)
        return describe_received(head, path.stat().st_size, content_type)
    except OSError as exc:
        return exc.strerror or type(exc).__name__


def _flatten(image: Image.Image, background: tuple[int, int, int]) -> np.ndarray:
    if image.mode == "I" or image.mode.startswith("I;16"):
        # 16-bit grey (PNG, TIFF): Pillow's RGB conversion clips it at 255 (white); scale it.
        grey = np.rint(np.clip(np.asarray(image, dtype=np.float32), 0, 65535) / 257)
        return np.repeat(grey.astype(np.uint8)[..., None], 3, axis=2)
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = np.asarray(image.convert("RGBA"), dtype=np.float32)
        alpha = rgba[..., 3:4] / 255.0
        behind = np.asarray(background, dtype=np.float32) * (1.0 - alpha)
        return np.rint(rgba[..., :3] * alpha + behind).astype(np.uint8)
    # One copy, out of Pillow (read-only: nothing writes to a decoded image).
    return np.asarray(image if image.mode == "RGB" else image.convert("RGB"))


def fit_canvas(
    rgb: np.ndarray, width: int, height: int, path: CameraPath
) -> tuple[np.ndarray, CameraPath]:
    """Crop ``rgb`` to what ``path`` ever shows and shrink it to the size the path needs.

    Returns the canvas and the same path in fractions of it. The crop is rounded outwards to
    whole pixels and the path re-expressed exactly, so cropping moves nothing on screen.
    """
    src_h, src_w = rgb.shape[:2]
    b = path.bounds()
    left = max(0, math.floor(b.x * src_w + _EPS))
    top = max(0, math.floor(b.y * src_h + _EPS))
    right = min(src_w, math.ceil((b.x + b.w) * src_w - _EPS))
    bottom = min(src_h, math.ceil((b.y + b.h) * src_h - _EPS))
    crop_w, crop_h = max(1, right - left), max(1, bottom - top)
    inner = path.within(Rect(left / src_w, top / src_h, crop_w / src_w, crop_h / src_h))
    cropped = rgb[top : top + crop_h, left : left + crop_w]
    # The tightest rectangle of the path must still get ≥ 1 source pixel per output pixel;
    # any more is wasted warp work, so shrink once to exactly that (never enlarge). The path's
    # rectangles have the output's aspect, so the shrink is the same along both axes.
    min_w, min_h = inner.min_size()
    need_w, need_h = math.ceil(width / min_w - 1e-9), math.ceil(height / min_h - 1e-9)
    if crop_w > need_w and crop_h > need_h:
        return cv2.resize(cropped, (need_w, need_h), interpolation=cv2.INTER_AREA), inner
    return np.ascontiguousarray(cropped), inner


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
    # Pad to an even size for 4:2:0 by repeating the edge, which is what the warp's border
    # does anyway.
    padded = cv2.copyMakeBorder(rgb, 0, height % 2, 0, width % 2, cv2.BORDER_REPLICATE)
    # cv2.transform computes in floating point and rounds once: a large source converts in
    # milliseconds, where the same arithmetic in numpy temporaries took a third of a second.
    y = cv2.transform(padded, _Y_MATRIX)
    # Chroma sits where H.264 puts it unless told otherwise, so where every player expects it
    # ("left", as MPEG-2): on the even luma columns, midway between two rows. Each sample
    # averages its two rows and filters the columns around it [1, 2, 1]/4. Chroma is linear
    # in RGB, so filtering RGB first equals filtering Cb/Cr, at a fraction of the work; in
    # float, so nothing rounds twice.
    filtered = cv2.sepFilter2D(
        padded, cv2.CV_32F, _CHROMA_ACROSS, _CHROMA_DOWN, anchor=(1, 0),
        borderType=cv2.BORDER_REPLICATE,
    )  # fmt: skip
    quad = np.ascontiguousarray(filtered[::2, ::2])
    # convertScaleAbs rounds to nearest and saturates, as np.rint did (codes are never < 0).
    u, v = cv2.split(cv2.convertScaleAbs(cv2.transform(quad, _UV_MATRIX)))
    return YuvSource(y.reshape(padded.shape[:2]), u, v, width, height)


def prepare_source(
    rgb: np.ndarray, width: int, height: int, path: CameraPath
) -> tuple[YuvSource, CameraPath]:
    """Fit ``rgb`` for a ``width`` × ``height`` view along ``path``, converted once; the path
    in fractions of the fitted source."""
    canvas, inner = fit_canvas(rgb, width, height, path)
    return to_yuv420(canvas), inner


class FrameWarper:
    """Renders yuv420p frames of one source into a small ring of reused output buffers.

    The source fills the whole frame, or only ``slot`` (x, y, w, h: even pixels) over a static
    ``background`` that is written once: each frame then re-warps only the slot.
    ``separable`` False uses one plain ``cv2.warpAffine`` per plane: the reference the faster
    two-pass default (:class:`PlaneWarper`) is tested against.
    ``buffers`` frames are kept: a frame stays valid until ``buffers`` more have been rendered,
    so a writer thread can send one frame while the next is being warped.
    """

    def __init__(
        self,
        source: YuvSource,
        width: int,
        height: int,
        separable: bool = True,
        slot: tuple[int, int, int, int] | None = None,
        background: YuvSource | None = None,
        buffers: int = 2,
    ) -> None:
        if width % 2 or height % 2:
            raise ValueError(f"yuv420p needs an even frame size, got {width}x{height}")
        x, y, w, h = slot or (0, 0, width, height)
        if any(v % 2 for v in (x, y, w, h)) or x + w > width or y + h > height or w < 2 or h < 2:
            raise ValueError(f"the slot must be even and inside the frame, got {slot}")
        if buffers < 1:
            raise ValueError(f"at least one output buffer is needed, got {buffers}")
        self.source, self.width, self.height = source, w, h
        luma, chroma = width * height, width * height // 4
        self._buffers: list[np.ndarray] = []
        self._planes: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        for _ in range(buffers):
            buffer = np.zeros(width * height * 3 // 2, dtype=np.uint8)
            planes = (
                buffer[:luma].reshape(height, width),
                buffer[luma : luma + chroma].reshape(height // 2, width // 2),
                buffer[luma + chroma :].reshape(height // 2, width // 2),
            )
            if background is not None:
                fills = (background.y, background.u, background.v)
                for plane, fill in zip(planes, fills, strict=True):
                    plane[...] = fill[: plane.shape[0], : plane.shape[1]]
            self._buffers.append(buffer)
            self._planes.append(
                (
                    planes[0][y : y + h, x : x + w],
                    planes[1][y // 2 : (y + h) // 2, x // 2 : (x + w) // 2],
                    planes[2][y // 2 : (y + h) // 2, x // 2 : (x + w) // 2],
                )
            )
        self._next = 0
        self._separable = separable
        if separable:
            self._warpers = (
                PlaneWarper(source.y, w, h),
                PlaneWarper(source.u, w // 2, h // 2),
                PlaneWarper(source.v, w // 2, h // 2),
            )

    def plane_maps(self, rect: Rect) -> tuple[PlaneMap, PlaneMap]:
        """How the luma and the chroma planes are resampled for camera rectangle ``rect``."""
        # Continuous coordinates with pixel centres at i + 0.5: output x_o covers source
        # rect.x·W_s + x_o·sx; pixel indices put centres at i, hence the ±0.5 terms.
        sx = rect.w * self.source.width / self.width
        sy = rect.h * self.source.height / self.height
        ox, oy = rect.x * self.source.width, rect.y * self.source.height
        luma = PlaneMap(sx, ox + 0.5 * sx - 0.5, sy, oy + 0.5 * sy - 0.5)
        # Chroma column c sits on luma column 2c in source and output alike (see to_yuv420),
        # so horizontally it is the luma map in half-size units; vertically a chroma row sits
        # midway between two luma rows, the centre of each pair.
        chroma = PlaneMap(sx, luma.tx / 2, sy, oy / 2 + 0.5 * sy - 0.5)
        return luma, chroma

    def render(self, rect: Rect) -> memoryview:
        """The yuv420p frame for ``rect``; valid until ``buffers`` more frames are rendered."""
        luma, chroma = self.plane_maps(rect)
        index = self._next
        self._next = (index + 1) % len(self._buffers)
        y, u, v = self._planes[index]
        if self._separable:
            wy, wu, wv = self._warpers
            wy.warp(luma, y)
            wu.warp(chroma, u)
            wv.warp(chroma, v)
        else:
            warp_direct(self.source.y, luma, y)
            warp_direct(self.source.u, chroma, u)
            warp_direct(self.source.v, chroma, v)
        return self._buffers[index].data
