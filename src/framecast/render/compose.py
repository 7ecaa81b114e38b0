"""Fit modes: how an image of any aspect fills the output frame, and what fills the rest.

``cover`` fills the frame and the camera moves over the whole image. ``contain`` and ``blur``
place the image, whole, in a fixed slot of the frame (centred, its own aspect) over a static
background, a colour or a blurred, darkened fill of the image itself; the camera then moves over
the image inside that slot, so the bars never move and only the picture does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from framecast.contracts.vocab import FITS
from framecast.render.fill import FILL_DARKEN, FILL_SHRINK, FILL_SIGMA, even
from framecast.render.frames import FrameWarper, YuvSource, prepare_source, to_yuv420
from framecast.render.motion import CameraPath, Motion, full_view

__all__ = ["FITS", "Framing", "blurred_fill", "frame_image", "image_slot", "prepare_frames"]

# Bars thinner than this fraction of the frame are not worth drawing: the image fills it.
_SNAP = 0.01
# Enlarged more than this, an image looks soft on screen: each of its pixels is smeared over
# more than two of the output's (a 1280x720 photo in 1080p at the default zoom is 1.9).
_SOFT_ENLARGEMENT = 2.0


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


@dataclass(frozen=True)
class Framing:
    """How one image is shown: the move the camera makes (None: rectangles given), its path in
    fractions of the image, the image's size and its slot (x, y, w, h) in the frame."""

    move: str | None
    path: CameraPath
    image_size: tuple[int, int]
    slot: tuple[int, int, int, int]

    @property
    def enlargement(self) -> float:
        """Output pixels per image pixel where the camera is closest (above 1: enlarged)."""
        # The path's rectangles have the slot's aspect: one axis says it for both.
        return self.slot[2] / (self.path.min_size()[0] * self.image_size[0])

    def warnings(self) -> list[str]:
        """What the client should know about this image, e.g. that it will look soft."""
        if self.enlargement <= _SOFT_ENLARGEMENT:
            return []
        (w, h), factor = self.image_size, self.enlargement
        sharp = f"{math.ceil(w * factor)}x{math.ceil(h * factor)}"
        return [
            f"the image is {w}x{h}: shown at {self.slot[2]}x{self.slot[3]} it is enlarged up to"
            f" {factor:.1f} times and will look soft; an image of {sharp} pixels or more would"
            " be sharp"
        ]


def frame_image(
    image_w: int, image_h: int, width: int, height: int, motion: Motion | CameraPath, fit: str
) -> Framing:
    """Where an image of ``image_w`` × ``image_h`` goes in the frame and how the camera moves
    over it. A :class:`Motion` is resolved against the image (random's pick may change); a
    :class:`CameraPath` is used as given."""
    slot = image_slot(image_w, image_h, width, height, fit)
    if isinstance(motion, CameraPath):
        return Framing(None, motion, (image_w, image_h), slot)
    aspects = (image_w / image_h, slot[2] / slot[3])
    resolved = motion.resolve(*aspects)
    move = None if resolved.start is not None else resolved.move
    return Framing(move, resolved.path(*aspects), (image_w, image_h), slot)


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
    framing = frame_image(image_w, image_h, width, height, motion, fit)
    x, y, w, h = framing.slot
    source, inner = prepare_source(rgb, w, h, framing.path)
    fill = None if (w, h) == (width, height) else _background(rgb, width, height, fit, background)
    warper = FrameWarper(source, width, height, slot=(x, y, w, h), background=fill, buffers=buffers)
    return warper, inner
