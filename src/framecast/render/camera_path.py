"""Camera rectangles and paths, in fractions of the source image (0..1 across and down).

A path moves a rectangle from a start to an end, timed by an easing; nothing here rounds to
pixels (the jitter of ffmpeg's zoompan comes from rounding its crop window).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["EASINGS", "FULL", "CameraPath", "Rect", "crop_to_aspect", "full_view"]


def _linear(t: float) -> float:
    return t


def _ease_in_out(t: float) -> float:
    # Cosine ease: zero velocity at both ends, symmetric, never leaves [0, 1].
    return 0.5 - 0.5 * math.cos(math.pi * t)


EASINGS: dict[str, Callable[[float], float]] = {"linear": _linear, "ease_in_out": _ease_in_out}
_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Rect:
    """A rectangle in fractions of the source image: top-left corner, width, height."""

    x: float
    y: float
    w: float
    h: float

    def __post_init__(self) -> None:
        if not (self.w > 0 and self.h > 0):
            raise ValueError(f"a camera rectangle needs a positive size, got {self}")

    @property
    def centre(self) -> tuple[float, float]:
        return (self.x + self.w / 2, self.y + self.h / 2)

    @classmethod
    def centred(cls, cx: float, cy: float, w: float, h: float) -> Rect:
        """The rectangle of size ``w`` × ``h`` centred on (``cx``, ``cy``)."""
        return cls(cx - w / 2, cy - h / 2, w, h)

    def inside_image(self) -> bool:
        return (
            self.x >= -_TOLERANCE
            and self.y >= -_TOLERANCE
            and self.x + self.w <= 1 + _TOLERANCE
            and self.y + self.h <= 1 + _TOLERANCE
        )

    def within(self, outer: Rect) -> Rect:
        """This rectangle in fractions of ``outer`` (both in the same frame of reference)."""
        x, y = (self.x - outer.x) / outer.w, (self.y - outer.y) / outer.h
        return Rect(x, y, self.w / outer.w, self.h / outer.h)


FULL = Rect(0.0, 0.0, 1.0, 1.0)


@dataclass(frozen=True)
class CameraPath:
    """A camera moving from ``start`` to ``end``, timed by an easing function."""

    start: Rect
    end: Rect
    easing: str = "linear"

    def __post_init__(self) -> None:
        if self.easing not in EASINGS:
            raise ValueError(f"easing must be one of {', '.join(EASINGS)}; got {self.easing!r}")

    def at(self, t: float) -> Rect:
        """The camera rectangle at ``t`` in [0, 1]."""
        e = EASINGS[self.easing](min(1.0, max(0.0, t)))
        (cx0, cy0), (cx1, cy1) = self.start.centre, self.end.centre
        # Size moves in log space, so a zoom's apparent speed is constant; the centre moves
        # linearly, so a pan at a fixed size is a plain linear pan.
        w = self.start.w * (self.end.w / self.start.w) ** e
        h = self.start.h * (self.end.h / self.start.h) ** e
        return Rect.centred(cx0 + (cx1 - cx0) * e, cy0 + (cy1 - cy0) * e, w, h)

    def min_size(self) -> tuple[float, float]:
        """The smallest width and height the camera rectangle takes (they decide sharpness)."""
        # Geometric interpolation with an easing inside [0, 1] is monotonic: the ends bound it.
        return (min(self.start.w, self.end.w), min(self.start.h, self.end.h))

    def bounds(self) -> Rect:
        """The smallest rectangle that holds the camera at every instant."""
        # Left and top edges are a linear term minus a convex one (concave), right and bottom
        # edges a linear term plus a convex one (convex): their extremes are at the two ends.
        s, e = self.start, self.end
        left, top = min(s.x, e.x), min(s.y, e.y)
        right, bottom = max(s.x + s.w, e.x + e.w), max(s.y + s.h, e.y + e.h)
        return Rect(left, top, right - left, bottom - top)

    def within(self, outer: Rect) -> CameraPath:
        """The same motion in fractions of ``outer``: the path over a crop of the image."""
        # Scaling and shifting commute with the interpolation, so every frame maps exactly.
        return CameraPath(self.start.within(outer), self.end.within(outer), self.easing)


def full_view(image_aspect: float, output_aspect: float) -> Rect:
    """The largest rectangle of the output's aspect inside the image, centred (a cover crop)."""
    if image_aspect > output_aspect:
        w = output_aspect / image_aspect
        return Rect((1 - w) / 2, 0.0, w, 1.0)
    h = image_aspect / output_aspect
    return Rect(0.0, (1 - h) / 2, 1.0, h)


def crop_to_aspect(rect: Rect, image_aspect: float, output_aspect: float) -> Rect:
    """The largest rectangle of the output's aspect inside ``rect``, on the same centre."""
    inner = full_view(image_aspect * rect.w / rect.h, output_aspect)
    x, y = rect.x + inner.x * rect.w, rect.y + inner.y * rect.h
    return Rect(x, y, inner.w * rect.w, inner.h * rect.h)
