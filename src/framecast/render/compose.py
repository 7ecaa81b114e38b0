"""Fit modes: how an image of any aspect fills the output frame, and what fills the rest.

``cover`` fills the frame and the camera moves over the whole image. ``contain`` and ``blur``
place the image, whole, in a fixed slot of the frame (centred, its own aspect) over a static
background, a colour or a blurred, darkened fill of the image itself; the camera then moves over
the image inside that slot, so the bars never move and only the picture does.
"""

from __future__ import annotations

import cv2
import numpy as np

from framecast.contracts.vocab import FITS
from framecast.render.fill import FILL_DARKEN, FILL_SHRINK, FILL_SIGMA, even
from framecast.render.frames import FrameWarper, YuvSource, prepare_source, to_yuv420
from framecast.render.motion import CameraPath, Motion, full_view

__all__ = ["FITS", "blurred_fill", "image_slot", "prepare_frames"]

# Bars thinner than this fraction of the frame are not worth drawing: the image fills it.
_SNAP = 0.01


def image_slot(
    image_w: int, image_h: int, width: int, height: int, fit: str
) -> tuple[int, int, int, int]:
    """Where the image goes in the frame, (x, y, w, h) in even pixels."""
    if fit not in FITS:
        raise ValueError(f"fit must be one of {', '.join(FITS)}; got {fit!r}")
    if fit == "cover":
        return (0, 0, width, height)
    scale = min(width / image_w, height / image_h)
    w = even(image_w * scale) if image_w * scale < width * (1 - _SNAP) else width
    h = even(image_h * scale) if image_h * scale < height * (1 - _SNAP) else height
    # A slot fixed at even pixels costs no smoothness: it never moves.
    return (even((width - w) / 2, 0), even((height - h) / 2, 0), w, h)


def blurred_fill(rgb: np.ndarray, width: int, height: int) -> np.ndarray:
    """The image covering ``width`` × ``height``, heavily blurred and darkened (RGB uint8)."""
    view = full_view(rgb.shape[1] / rgb.shape[0], width / height)
    src_h, src_w = rgb.shape[:2]
    left, top = round(view.x * src_w), round(view.y * src_h)
    crop = rgb[
        top : top + max(1, round(view.h * src_h)), left : left + max(1, round(view.w * src_w))
    ]
    small = (max(2, width // FILL_SHRINK), max(2, height // FILL_SHRINK))
    shrunk = cv2.resize(crop, small, interpolation=cv2.INTER_AREA).astype(np.float32)
    blurred = cv2.GaussianBlur(
        shrunk * FILL_DARKEN, (0, 0), FILL_SIGMA, borderType=cv2.BORDER_REFLECT
    )
    fill = cv2.resize(blurred, (width, height), interpolation=cv2.INTER_LINEAR)
    return np.clip(np.rint(fill), 0, 255).astype(np.uint8)


def _background(
    rgb: np.ndarray, width: int, height: int, fit: str, colour: tuple[int, int, int]
) -> YuvSource:
    if fit == "blur":
        return to_yuv420(blurred_fill(rgb, width, height))
    # A solid colour converts the same at any size: convert one 2×8 block and tile it.
    block = to_yuv420(np.full((2, 8, 3), colour, dtype=np.uint8))
    return YuvSource(
        np.full((height, width), block.y[0, 0], np.uint8),
        np.full((height // 2, width // 2), block.u[0, 0], np.uint8),
        np.full((height // 2, width // 2), block.v[0, 0], np.uint8),
        width,
        height,
    )


def prepare_frames(
    rgb: np.ndarray,
    width: int,
    height: int,
    motion: Motion | CameraPath,
    fit: str = "cover",
    background: tuple[int, int, int] = (0, 0, 0),
    buffers: int = 2,
) -> tuple[FrameWarper, CameraPath]:
    """The warper of one clip (a ring of ``buffers`` frames) and its camera path in the
    warper's source fractions.

    A :class:`Motion` is resolved against the image; a :class:`CameraPath` is used as given
    (its rectangles in fractions of the image, already of the slot's aspect).
    """
    image_h, image_w = rgb.shape[:2]
    x, y, w, h = image_slot(image_w, image_h, width, height, fit)
    path = motion.path(image_w / image_h, w / h) if isinstance(motion, Motion) else motion
    source, inner = prepare_source(rgb, w, h, path)
    fill = None if (w, h) == (width, height) else _background(rgb, width, height, fit, background)
    warper = FrameWarper(source, width, height, slot=(x, y, w, h), background=fill, buffers=buffers)
    return warper, inner
