"""Where a page goes on the canvas: the box of each line and word, and the ASS ``\\an`` and
``\\pos`` that put libass's block exactly there, its ink kept inside the safe rectangle.

libass (WrapStyle 2, our line breaks) stacks the lines one line height apart (the Fontsize: the
font's win ascent + descent) from the ``\\pos`` y for a top alignment, and lines each one up on
the ``\\pos`` x: left (7), centred (8) or right (9). Knowing that, every word's box follows from
our own measurements, which is what the pill, the pop and the safe-area clamp need.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from framecast.captions.model import Page
from framecast.captions.presets import ANTIALIAS_PX, OVERHANG_X, OVERHANG_Y, ResolvedStyle
from framecast.captions.safe_area import Rect

__all__ = ["LineBox", "Placement", "TextMeasure", "place", "popped", "visual_order"]


class TextMeasure(Protocol):
    """A face at one size: a shaped text's advance, and the height of a line, in pixels."""

    @property
    def line_height(self) -> float: ...

    def width(self, text: str) -> float: ...


@dataclass(frozen=True)
class LineBox:
    """A line's advance box on the canvas, and each word's, in the line's (spoken) order."""

    box: Rect
    words: tuple[Rect, ...]


@dataclass(frozen=True)
class Placement:
    """A page placed: ``\\an<align>\\pos(x,y)`` draws its lines at ``lines``; nothing it draws
    (outline, shadow, boxes, a popped word) reaches outside ``ink``."""

    align: int
    x: float
    y: float
    lines: tuple[LineBox, ...]
    ink: Rect


def place(page: Page, style: ResolvedStyle, measure: TextMeasure) -> Placement:
    """``page`` on the canvas at ``style.position``, moved as little as needed to keep its ink
    inside the safe rectangle (centred on it, then kept in the frame, if it is wider)."""
    ax = style.position.ax
    height = measure.line_height
    texts = [[w.text for w in line.words] for line in page.lines]
    widths = [measure.width(" ".join(line)) for line in texts]
    block = max(widths)
    lines = []
    for n, (line, width) in enumerate(zip(texts, widths, strict=True)):
        box = Rect((block - width) * ax, n * height, (block - width) * ax + width, (n + 1) * height)
        lines.append(LineBox(box, _word_boxes(line, box, measure)))
    ink = _ink(lines, style)
    left = _clamp(style.position.x - ax * ink.width, style.safe, style.frame, ink.width, "x")
    top = _clamp(
        style.position.y - style.position.ay * ink.height, style.safe, style.frame, ink.height, "y"
    )
    dx, dy = left - ink.left, top - ink.top
    placed = tuple(
        LineBox(line.box.moved(dx, dy), tuple(w.moved(dx, dy) for w in line.words))
        for line in lines
    )
    align = {0.0: 7, 0.5: 8, 1.0: 9}[ax]
    return Placement(align, dx + ax * block, dy, placed, ink.moved(dx, dy))


def popped(word: Rect, style: ResolvedStyle) -> Rect:
    """The ink of a word drawn ``active_scale`` times bigger about its centre (pop)."""
    scale = style.active_scale
    # libass scales the outline with the glyphs (\fscx, \fscy), the anti-aliasing not.
    half_width = scale * (word.width / 2 + style.outline + OVERHANG_X * style.size) + ANTIALIAS_PX
    half_height = scale * (word.height / 2 + style.outline + OVERHANG_Y * style.size)
    half_height += ANTIALIAS_PX
    x, y = (word.left + word.right) / 2, (word.top + word.bottom) / 2
    return Rect(x - half_width, y - half_height, x + half_width, y + half_height)


def visual_order(texts: Sequence[str]) -> list[int]:
    """The indexes of a line's words from left to right as the bidi algorithm shows them.

    A word-level form of the Unicode algorithm: a line is right-to-left when its first strong
    character is; words without one (numbers, punctuation) follow their neighbours when both
    agree, else the line; runs of words against the line's direction keep their own order.
    Exact for one-direction lines and for runs of one script inside the other."""
    strong = [_direction(t) for t in texts]
    base = next((d for d in strong if d), "L")
    resolved = []
    for n, d in enumerate(strong):
        before = next((x for x in reversed(strong[:n]) if x), base)
        after = next((x for x in strong[n + 1 :] if x), base)
        resolved.append(d or (before if before == after else base))
    order: list[int] = []
    n = 0
    while n < len(texts):
        end = n + 1
        while resolved[n] != base and end < len(texts) and resolved[end] != base:
            end += 1
        order.extend(reversed(range(n, end)) if resolved[n] != base else [n])
        n = end
    return order[::-1] if base == "R" else order


def _direction(text: str) -> str | None:
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind == "L":
            return "L"
        if kind in ("R", "AL"):
            return "R"
    return None


def _word_boxes(texts: list[str], line: Rect, measure: TextMeasure) -> tuple[Rect, ...]:
    """Each word's box, left to right in display order, then given back in spoken order."""
    boxes: dict[int, Rect] = {}
    shown: list[str] = []
    for index in visual_order(texts):
        shown.append(texts[index])
        # The right edge of a word is the width of everything up to it, spaces included.
        right = line.left + measure.width(" ".join(shown))
        left = right - measure.width(texts[index])
        boxes[index] = Rect(left, line.top, right, line.bottom)
    return tuple(boxes[i] for i in range(len(texts)))


def _ink(lines: list[LineBox], style: ResolvedStyle) -> Rect:
    bleed = style.bleed
    ink = None
    for line in lines:
        rects = [line.box.grown(bleed.left, bleed.top, bleed.right, bleed.bottom)]
        if style.active_scale > 1:
            rects += [popped(word, style) for word in line.words]
        for rect in rects:
            ink = rect if ink is None else ink.union(rect)
    assert ink is not None, "a page has at least one line"
    return ink


def _clamp(start: float, safe: Rect, frame: Rect, size: float, axis: str) -> float:
    """The start (left or top) nearest ``start`` that keeps ``size`` inside ``safe``, or
    centred on it when it is bigger, then inside ``frame`` when that is still possible."""
    low, high = (safe.left, safe.right) if axis == "x" else (safe.top, safe.bottom)
    frame_high = frame.right if axis == "x" else frame.bottom
    if size <= high - low:
        return min(max(start, low), high - size)
    centred = (low + high - size) / 2
    return min(max(centred, 0.0), max(frame_high - size, 0.0))
