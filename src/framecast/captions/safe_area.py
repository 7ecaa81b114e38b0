"""Safe areas: the rectangle of the frame that caption text may occupy.

A platform's app draws its own interface over a vertical video: tabs at the top, a column of
action buttons down the right-hand side, the account name, description and sound bar along the
bottom. Text under them is unreadable, so each safe area is the frame less those margins.

Where the numbers come from: the platforms publish no exact figures, and their overlays move
between app versions and phone sizes. The margins below are the 1080 × 1920 safe-zone templates
that creators' tools and the platforms' ad specifications circulated in 2024, rounded *up* to
whole percent so that a slightly taller bar on some phone still misses the text:

- TikTok: top tabs ≈ 130 px (7 %), action column ≈ 140 px plus its gap (13 %), caption and
  sound bar ≈ 370 px (19 %), and a thin left margin (5 %).
- Instagram Reels: a taller bottom (description, audio, and the comment field) ≈ 420 px (22 %),
  top ≈ 200 px (10 %); the same action column.
- YouTube Shorts: top ≈ 140 px (7 %), bottom (title, channel, sound) ≈ 380 px (20 %), action
  column ≈ 13 %.
- YouTube: no overlay while playing, but players and TVs crop or cover edges: the broadcast
  title-safe area (SMPTE RP 2046-1: the central 90 %, so 5 % on each side).

Without a platform, 4 % on each side keeps text off the very edge (rounded corners, bezels).
The fractions apply to any frame shape: a 16:9 video posted to TikTok is letterboxed under the
same overlays, so keeping the same margins is the cautious choice.
"""

from __future__ import annotations

from dataclasses import dataclass

from framecast.contracts.vocab import SAFE_AREAS

__all__ = ["DEFAULT_MARGIN", "MARGINS", "Rect", "safe_rect"]

# name: fractions of the frame kept clear (left, right, top, bottom)
MARGINS: dict[str, tuple[float, float, float, float]] = {
    "tiktok": (0.05, 0.13, 0.07, 0.19),
    "reels": (0.05, 0.13, 0.10, 0.22),
    "shorts": (0.05, 0.13, 0.07, 0.20),
    "youtube": (0.05, 0.05, 0.05, 0.05),
}
DEFAULT_MARGIN = 0.04
assert set(MARGINS) == set(SAFE_AREAS), "a safe area without margins (or margins without a name)"


@dataclass(frozen=True)
class Rect:
    """A rectangle of the frame in pixels: ``left <= x < right``, ``top <= y < bottom``."""

    left: float
    top: float
    right: float
    bottom: float

    def __post_init__(self) -> None:
        if self.right < self.left or self.bottom < self.top:
            raise ValueError(f"empty rectangle {self!r}")

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.bottom - self.top

    def moved(self, dx: float, dy: float) -> Rect:
        return Rect(self.left + dx, self.top + dy, self.right + dx, self.bottom + dy)

    def grown(self, left: float, top: float, right: float, bottom: float) -> Rect:
        """This rectangle with each side pushed outwards by its amount."""
        return Rect(self.left - left, self.top - top, self.right + right, self.bottom + bottom)

    def union(self, other: Rect) -> Rect:
        """The smallest rectangle holding both."""
        return Rect(
            min(self.left, other.left),
            min(self.top, other.top),
            max(self.right, other.right),
            max(self.bottom, other.bottom),
        )

    def contains(self, other: Rect) -> bool:
        """Whether ``other`` lies wholly inside this rectangle."""
        return (
            self.left <= other.left
            and other.right <= self.right
            and self.top <= other.top
            and other.bottom <= self.bottom
        )


def safe_rect(safe_area: str | None, width: int, height: int) -> Rect:
    """The part of a ``width`` × ``height`` frame that text may occupy under ``safe_area``."""
    if safe_area is None:
        left = right = top = bottom = DEFAULT_MARGIN
    else:
        left, right, top, bottom = MARGINS[safe_area]
    return Rect(left * width, top * height, width - right * width, height - bottom * height)
