"""Camera paths: where the virtual camera looks at each instant of a clip.

A path moves a rectangle over the source image, in fractions of its width and height (0..1), so
a path is independent of the source's pixel size. A preset is resolved against the source's and
the output's aspect ratios (:meth:`Motion.path`): its rectangles always have the output's aspect
in pixels and always lie inside the image, so no edge of the source ever shows. Nothing here
rounds to pixels: the jitter of ffmpeg's zoompan comes from rounding its crop window.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from framecast.contracts.vocab import MOTIONS, MOVES, PANS, RANDOM_MOVES

__all__ = [
    "EASINGS",
    "MOTIONS",
    "MOVES",
    "PANS",
    "RANDOM_MOVES",
    "CameraPath",
    "Motion",
    "Rect",
    "choose_move",
    "crop_to_aspect",
    "frame_count",
    "frame_times",
    "full_view",
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


@dataclass(frozen=True)
class Motion:
    """What the camera does, before the image is known: a named move, or ``start`` → ``end``.

    Rectangles given explicitly are fractions of the image; each is cropped, about its centre,
    to the output's aspect (as ``cover`` crops an image), so it never needs to match exactly.
    """

    move: str = "zoom_in"
    zoom: float = 1.25
    easing: str = "linear"
    start: Rect | None = None
    end: Rect | None = None

    def __post_init__(self) -> None:
        if self.move not in MOVES:
            raise ValueError(f"motion must be one of {', '.join(MOVES)}; got {self.move!r}")
        if self.easing not in EASINGS:
            raise ValueError(f"easing must be one of {', '.join(EASINGS)}; got {self.easing!r}")
        if (self.start is None) != (self.end is None):
            raise ValueError("start and end go together: give both or neither")
        if self.start is None and not self.zoom >= 1.0:
            raise ValueError(f"zoom must be at least 1.0; got {self.zoom:g}")
        if self.start is None and self.move in PANS and self.zoom <= 1.0:
            raise ValueError(f"{self.move} needs zoom above 1.0 to have room to move")
        for name, rect in (("start", self.start), ("end", self.end)):
            if rect is not None and not rect.inside_image():
                raise ValueError(f"{name} must lie inside the image (0..1); got {rect}")

    def path(self, image_aspect: float, output_aspect: float) -> CameraPath:
        """The camera path over an image of ``image_aspect`` for an output of ``output_aspect``."""
        if self.start is not None and self.end is not None:
            return CameraPath(
                crop_to_aspect(self.start, image_aspect, output_aspect),
                crop_to_aspect(self.end, image_aspect, output_aspect),
                self.easing,
            )
        view = full_view(image_aspect, output_aspect)
        w, h = view.w / self.zoom, view.h / self.zoom
        if self.move == "static":
            return CameraPath(view, view)
        if self.move in ("zoom_in", "zoom_out"):
            close = Rect.centred(0.5, 0.5, w, h)
            ends = (view, close) if self.move == "zoom_in" else (close, view)
            return CameraPath(*ends, self.easing)
        # A pan runs edge to edge of the whole image, not only of the cover crop: a portrait
        # photo panned up or down in landscape output is seen from its top to its bottom.
        first, last = (
            (Rect(0.0, 0.5 - h / 2, w, h), Rect(1 - w, 0.5 - h / 2, w, h))
            if self.move in ("pan_left", "pan_right")
            else (Rect(0.5 - w / 2, 0.0, w, h), Rect(0.5 - w / 2, 1 - h, w, h))
        )
        # pan_right: the camera moves right (the picture slides left); pan_down likewise.
        ends = (first, last) if self.move in ("pan_right", "pan_down") else (last, first)
        return CameraPath(*ends, self.easing)


def choose_move(choices: Sequence[str], seed: int, index: int) -> str:
    """The move ``random`` picks for item ``index``: reproducible for a seed, varied per item.

    Each pick avoids the previous item's move (when there is a choice), so neighbouring clips
    do not repeat; the walk from item 0 makes each item's pick independent of job chunking.
    """
    options = sorted(set(choices))
    previous: str | None = None
    for i in range(index + 1):
        pool = [m for m in options if m != previous] or options
        digest = hashlib.sha256(f"framecast-motion:{seed}:{i}".encode()).digest()
        previous = pool[int.from_bytes(digest[:8], "big") % len(pool)]
    assert previous is not None
    return previous


def frame_count(duration: float, fps: float) -> int:
    """The number of frames of a clip: ``round(duration × fps)``, at least one."""
    return max(1, round(duration * fps))


def frame_times(count: int) -> list[float]:
    """The path time ``t`` of each of ``count`` frames: i / (count − 1), 0 for a single frame."""
    if count <= 1:
        return [0.0] * count
    return [i / (count - 1) for i in range(count)]


# Paths over an image that already has the output's aspect (tests and benchmarks).


def zoom_in(amount: float = 1.25, easing: str = "linear") -> CameraPath:
    """From the full frame to its centre, magnified ``amount`` times."""
    return Motion("zoom_in", amount, easing).path(1.0, 1.0)


def zoom_out(amount: float = 1.25, easing: str = "linear") -> CameraPath:
    """From the centre magnified ``amount`` times back to the full frame."""
    return Motion("zoom_out", amount, easing).path(1.0, 1.0)


def pan(direction: str, zoom: float = 1.2, easing: str = "linear") -> CameraPath:
    """A pan at a fixed magnification ``zoom``, edge to edge towards ``direction``."""
    if f"pan_{direction}" not in PANS:
        raise ValueError(f"pan direction must be left, right, up or down; got {direction!r}")
    return Motion(f"pan_{direction}", zoom, easing).path(1.0, 1.0)


def static() -> CameraPath:
    """No motion: the full frame throughout."""
    return CameraPath(FULL, FULL)
