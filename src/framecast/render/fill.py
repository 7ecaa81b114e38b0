"""The blurred fill behind a picture of another aspect, and even sizes: shared by img2vid's
frame pipeline and concatenate's filter graph, so both fill the same way."""

from __future__ import annotations

# The fill is made this many times smaller than the frame: a blur that wide hides the lost
# detail, and it keeps the cost of a 4K fill to a few milliseconds.
FILL_SHRINK = 8
FILL_SIGMA = 3.0  # at the shrunken size: about 1/40 of the frame's width at 16:9
FILL_DARKEN = 0.55


def even(value: float, least: int = 2) -> int:
    """``value`` rounded to an even number of pixels, at least ``least``."""
    return max(least, 2 * round(value / 2))
