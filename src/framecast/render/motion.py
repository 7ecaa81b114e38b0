"""Camera moves: where the virtual camera goes over an image, before the image is known.

A move (a preset, or explicit ``start`` and ``end`` rectangles) becomes a camera path
(:mod:`camera_path`) once the source's and the output's aspect ratios are known
(:meth:`Motion.path`): its rectangles always have the output's aspect in pixels and always lie
inside the image, so no edge of the source ever shows. A pan needs room to move: at zoom 1.0
only an image wider (or taller) than the frame leaves it some (:meth:`Motion.resolve`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace

from framecast.contracts.vocab import MOTIONS, MOVES, PANS, RANDOM_MOVES
from framecast.errors import ImageError
from framecast.render.camera_path import (
    EASINGS,
    FULL,
    CameraPath,
    Rect,
    crop_to_aspect,
    full_view,
)

# A pan travelling less than this fraction of its own frame has no room to move: it would
# drift a pixel or two, which reads as a wobble, not a pan.
_MIN_TRAVEL = 1e-3

__all__ = [
    "EASINGS",
    "MOTIONS",
    "MOVES",
    "PANS",
    "RANDOM_MOVES",
    "CameraPath",
    "Motion",
    "RandomPick",
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


@dataclass(frozen=True)
class RandomPick:
    """What ``random`` picked from for item ``index`` of a job with ``seed``."""

    choices: tuple[str, ...]
    seed: int
    index: int


@dataclass(frozen=True)
class Motion:
    """What the camera does, before the image is known: a named move, or ``start`` → ``end``.

    Rectangles given explicitly are fractions of the image; each is cropped, about its centre,
    to the output's aspect (as ``cover`` crops an image), so it never needs to match exactly.
    A move that ``random`` picked carries what it picked from (``random``): on an image that
    leaves the pick no room to move, another of its choices is taken (:meth:`resolve`).
    """

    move: str = "zoom_in"
    zoom: float = 1.25
    easing: str = "linear"
    start: Rect | None = None
    end: Rect | None = None
    random: RandomPick | None = None

    def __post_init__(self) -> None:
        if self.move not in MOVES:
            raise ValueError(f"motion must be one of {', '.join(MOVES)}; got {self.move!r}")
        if self.easing not in EASINGS:
            raise ValueError(f"easing must be one of {', '.join(EASINGS)}; got {self.easing!r}")
        if (self.start is None) != (self.end is None):
            raise ValueError("start and end go together: give both or neither")
        if self.start is None and not self.zoom >= 1.0:
            raise ValueError(f"zoom must be at least 1.0; got {self.zoom:g}")
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
        move = self.resolve(image_aspect, output_aspect).move
        w, h = view.w / self.zoom, view.h / self.zoom
        if move == "static":
            return CameraPath(view, view)
        if move in ("zoom_in", "zoom_out"):
            close = Rect.centred(0.5, 0.5, w, h)
            ends = (view, close) if move == "zoom_in" else (close, view)
            return CameraPath(*ends, self.easing)
        # A pan runs edge to edge of the whole image, not only of the cover crop: a portrait
        # photo panned up or down in landscape output is seen from its top to its bottom.
        first, last = (
            (Rect(0.0, 0.5 - h / 2, w, h), Rect(1 - w, 0.5 - h / 2, w, h))
            if move in ("pan_left", "pan_right")
            else (Rect(0.5 - w / 2, 0.0, w, h), Rect(0.5 - w / 2, 1 - h, w, h))
        )
        # pan_right: the camera moves right (the picture slides left); pan_down likewise.
        ends = (first, last) if move in ("pan_right", "pan_down") else (last, first)
        return CameraPath(*ends, self.easing)

    def resolve(self, image_aspect: float, output_aspect: float) -> Motion:
        """This motion over an image: itself when its move has room to move there, else
        another of random's choices; :class:`ImageError` saying why when none has room.

        At zoom 1.0 a pan has room only along an axis the cover crop cuts: a 3:1 panorama
        in 16:9 pans left and right, a portrait photo up and down.
        """
        view = full_view(image_aspect, output_aspect)
        if self.start is not None or _has_room(self.move, self.zoom, view):
            return self
        if self.random is None:
            raise ImageError(
                f"{self.move} at zoom {self.zoom:g} has no room to move: the frame already"
                f" shows the image's {_axis(self.move)}; raise zoom above 1.0"
            )
        pick = self.random
        roomy = [m for m in pick.choices if _has_room(m, self.zoom, view)]
        if not roomy:
            raise ImageError(
                f"random picks from {', '.join(pick.choices)}; none has room to move at zoom"
                f" {self.zoom:g} on this image (the frame already shows its whole width or"
                " height); raise zoom above 1.0 or add moves to motions"
            )
        # Picked from the moves with room in the same seeded way: reproducible per image.
        return replace(self, move=choose_move(roomy, pick.seed, pick.index))


def _has_room(move: str, zoom: float, view: Rect) -> bool:
    """Whether ``move`` at ``zoom`` travels across ``view`` (zooms and static always fit)."""
    if move not in PANS:
        return True
    # The pan's camera is the view magnified by zoom; it travels the rest of the image.
    size = view.w / zoom if move in ("pan_left", "pan_right") else view.h / zoom
    return (1 - size) / size > _MIN_TRAVEL


def _axis(move: str) -> str:
    return "whole width" if move in ("pan_left", "pan_right") else "whole height"


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
