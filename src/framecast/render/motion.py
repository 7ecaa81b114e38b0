"""Camera paths: where the virtual camera looks at each instant of a clip.

A path moves a rectangle over the fitted source image, in fractions of its size (0..1), so a path
is independent of the source's and the output's pixel sizes. Nothing here rounds to pixels: the
jitter of ffmpeg's zoompan comes from rounding its crop window to whole pixels.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass

__all__ = [
    "EASINGS",
    "PRESETS",
    "CameraPath",
    "Rect",
    "camera_path",
    "frame_count",
    "frame_times",
    "pan",
    "static",
    "zoom_in",
    "zoom_out",
]


def _linear(t: float) -> float:
    return t


def _ease_in_out(t: float) -> float:
    # Cosine ease: zero velocity at both ends, symmetric, never leaves [0, 1].
    return 0.5 - 0.5 * math.cos(math.pi * t)


EASINGS: dict[str, Callable[[float], float]] = {"linear": _linear, "ease_in_out": _ease_in_out}


@dataclass(frozen=True)
class Rect:
    """A rectangle in fractions of the fitted source image: top-left corner, width, height."""

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


def frame_count(duration: float, fps: float) -> int:
    """The number of frames of a clip: ``round(duration × fps)``, at least one."""
    return max(1, round(duration * fps))


def frame_times(count: int) -> list[float]:
    """The path time ``t`` of each of ``count`` frames: i / (count − 1), 0 for a single frame."""
    if count <= 1:
        return [0.0] * count
    return [i / (count - 1) for i in range(count)]


def zoom_in(amount: float = 1.25, easing: str = "linear") -> CameraPath:
    """From the full frame to its centre, magnified ``amount`` times."""
    return CameraPath(FULL, Rect.centred(0.5, 0.5, 1 / amount, 1 / amount), easing)


def zoom_out(amount: float = 1.25, easing: str = "linear") -> CameraPath:
    """From the centre magnified ``amount`` times back to the full frame."""
    forward = zoom_in(amount, easing)
    return CameraPath(forward.end, forward.start, easing)


_PAN_ENDS = {
    # direction: (start centre, end centre) as offsets towards the edge, in units of the slack
    "left": ((1.0, 0.0), (-1.0, 0.0)),
    "right": ((-1.0, 0.0), (1.0, 0.0)),
    "up": ((0.0, 1.0), (0.0, -1.0)),
    "down": ((0.0, -1.0), (0.0, 1.0)),
}


def pan(direction: str, zoom: float = 1.2, easing: str = "linear") -> CameraPath:
    """A pan at a fixed magnification ``zoom``, edge to edge towards ``direction``."""
    if direction not in _PAN_ENDS:
        raise ValueError(f"pan direction must be one of {', '.join(_PAN_ENDS)}; got {direction!r}")
    size = 1 / zoom
    slack = (1 - size) / 2  # how far the centre may move before the rectangle leaves the image
    (sx, sy), (ex, ey) = _PAN_ENDS[direction]
    start = Rect.centred(0.5 + sx * slack, 0.5 + sy * slack, size, size)
    end = Rect.centred(0.5 + ex * slack, 0.5 + ey * slack, size, size)
    return CameraPath(start, end, easing)


def static() -> CameraPath:
    """No motion: the full frame throughout."""
    return CameraPath(FULL, FULL)


PRESETS: dict[str, Callable[[], CameraPath]] = {
    "zoom_in": zoom_in,
    "zoom_out": zoom_out,
    "pan_left": lambda: pan("left"),
    "pan_right": lambda: pan("right"),
    "pan_up": lambda: pan("up"),
    "pan_down": lambda: pan("down"),
    "static": static,
}


def camera_path(preset: str, seed: int | None = None) -> CameraPath:
    """The path of a named preset; ``random`` picks a moving preset, reproducibly for a seed."""
    if preset == "random":
        moving = sorted(name for name in PRESETS if name != "static")
        preset = random.Random(seed).choice(moving)
    if preset not in PRESETS:
        names = ", ".join([*PRESETS, "random"])
        raise ValueError(f"motion preset must be one of {names}; got {preset!r}")
    return PRESETS[preset]()
