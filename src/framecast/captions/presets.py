"""Caption presets: each preset's look, merged with the request's overrides and resolved to
pixels for one canvas (the video's own size, which is also the ASS canvas).

What each preset draws (ass_writer.py draws it):

- classic: white text with a black outline; whole pages, nothing highlighted.
- boxed: white text on a translucent black box (one rounded box per line, merged).
- karaoke: the words said so far, the one being said included, in ``active_color``.
- karaoke_fill: libass ``\\kf``: each word sweeps from ``color`` to ``active_color`` from its
  start to the next word's start.
- highlight: only the word being said in ``active_color``.
- pill: the word being said on a rounded box of ``box_color`` (its text in ``active_color``).
- underline: the word being said underlined and in ``active_color``.
- word_by_word: one word at a time (a page per word), bigger: 9 % of the height.
- pop: the word being said in ``active_color``, growing to 115 % over 80 ms.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from framecast.captions.safe_area import Rect, safe_rect
from framecast.contracts.caption import CaptionStyle, Point
from framecast.contracts.vocab import CAPTION_PRESETS

__all__ = ["PRESETS", "Anchor", "Bleed", "Look", "ResolvedStyle", "resolve_style"]


@dataclass(frozen=True)
class Look:
    """A preset's defaults: every field named like CaptionStyle's can be overridden by it."""

    font: str = "Montserrat"
    weight: int = 800
    size: str | int = "6%"
    color: str = "#FFFFFFFF"
    active_color: str = "#FFD400FF"
    outline: float = 0.06  # a fraction of the font size here; the request gives pixels
    outline_color: str = "#000000FF"
    shadow: float = 0.0  # a fraction of the font size here; the request gives pixels
    box_color: str = "#000000AA"
    uppercase: bool = False
    position: str = "bottom_center"
    max_lines: int = 2
    max_width: str | int = "80%"
    max_chars_per_page: int | None = None
    break_on_pause_ms: int = 600
    min_display: float = 0.3
    # Not in the request: part of the preset's design.
    box_padding: tuple[float, float] = (0.0, 0.0)  # fractions of the font size: x, y
    words_per_page: int | None = None
    active_scale: float = 1.0  # how big the word being said grows (pop)


PRESETS: dict[str, Look] = {
    "classic": Look(weight=700),
    "boxed": Look(weight=700, outline=0.0, box_padding=(0.25, 0.0)),
    "karaoke": Look(),
    "karaoke_fill": Look(),
    "highlight": Look(),
    "pill": Look(active_color="#FFFFFFFF", box_color="#7C4DFFFF", box_padding=(0.15, 0.0)),
    "underline": Look(),
    "word_by_word": Look(size="9%", uppercase=True, max_lines=1, words_per_page=1),
    "pop": Look(uppercase=True, active_scale=1.15),
}
assert set(PRESETS) == set(CAPTION_PRESETS), "every preset named in the contract has a look"
# Ink reaches past the advance box: in the bundled families (measured with fontTools) "j" hangs
# left of its origin and the carons of "ť", "ď", "ľ" right of its advance by up to 0.12 of the
# font size; the win ascent and descent bound every Latin letter but "ŋ" within 0.02.
OVERHANG_X = 0.12
OVERHANG_Y = 0.02
ANTIALIAS_PX = 1.0


@dataclass(frozen=True)
class Anchor:
    """Where the caption block goes: the point (``x``, ``y``) in pixels, and which point of the
    block sits on it (``ax``, ``ay``: 0 left/top, 0.5 centre, 1 right/bottom)."""

    x: float
    y: float
    ax: float
    ay: float


@dataclass(frozen=True)
class Bleed:
    """How far ink reaches beyond a line's advance box (outline, shadow, boxes), in pixels."""

    left: float
    top: float
    right: float
    bottom: float


@dataclass(frozen=True)
class ResolvedStyle:
    """A caption style with every value concrete, in pixels of the output video."""

    preset: str
    font: str | None  # None: the family in the request's font_url file
    weight: int
    size: float  # the ASS Fontsize: the line's height (the font's win ascent + descent)
    color: str  # every colour "#RRGGBBAA", AA the opacity (FF opaque)
    active_color: str
    outline: float
    outline_color: str
    shadow: float
    shadow_color: str
    box_color: str
    box_padding: tuple[float, float]  # x, y
    uppercase: bool
    position: Anchor
    safe: Rect
    frame: Rect  # the whole video: a word wider than this cannot be shown
    max_lines: int
    max_width: float  # the widest a line's ink may be: never more than the safe width
    max_chars_per_page: int | None
    words_per_page: int | None
    break_on_pause: float  # seconds
    min_display: float  # seconds
    active_scale: float

    def __post_init__(self) -> None:
        if self.size <= 0 or self.max_width <= 0 or self.active_scale < 1:
            raise ValueError(f"bad resolved style {self!r}")

    @property
    def bleed(self) -> Bleed:
        """The ink beyond a line's advance box; the box's padding where one is drawn."""
        side = self.outline + OVERHANG_X * self.size + ANTIALIAS_PX
        top = self.outline + OVERHANG_Y * self.size + ANTIALIAS_PX
        pad_x, pad_y = self.box_padding
        return Bleed(
            max(side, pad_x + ANTIALIAS_PX),
            max(top, pad_y + ANTIALIAS_PX),
            max(side + self.shadow, pad_x + ANTIALIAS_PX),
            max(top + self.shadow, pad_y + ANTIALIAS_PX),
        )

    def ink_width(self, line_width: float, widest_word: float) -> float:
        """The widest a line's ink can get, with its widest word grown (pop) at either end."""
        bleed = self.bleed
        grow = (self.active_scale - 1) * (widest_word + 2 * self.outline)
        return line_width + bleed.left + bleed.right + grow


def resolve_style(style: CaptionStyle, width: int, height: int) -> ResolvedStyle:
    """``style`` over its preset's look, in pixels of a ``width`` × ``height`` video."""
    look = PRESETS[style.preset]
    given = {f.name: getattr(style, f.name) for f in fields(Look) if hasattr(style, f.name)}
    chosen = {name: value for name, value in given.items() if value is not None}
    size = _pixels(chosen.get("size", look.size), height)
    safe = safe_rect(style.safe_area, width, height)
    outline = style.outline if style.outline is not None else look.outline * size
    outline_color = chosen.get("outline_color", look.outline_color)
    font = style.font if style.font is not None or style.font_url else look.font
    return ResolvedStyle(
        preset=style.preset,
        font=font,
        weight=chosen.get("weight", look.weight),
        size=size,
        color=chosen.get("color", look.color),
        active_color=chosen.get("active_color", look.active_color),
        outline=outline,
        outline_color=outline_color,
        shadow=style.shadow if style.shadow is not None else look.shadow * size,
        # The request has no shadow colour: the outline's, half as opaque.
        shadow_color=outline_color[:7] + f"{int(outline_color[7:], 16) // 2:02X}",
        box_color=chosen.get("box_color", look.box_color),
        box_padding=(look.box_padding[0] * size, look.box_padding[1] * size),
        uppercase=chosen.get("uppercase", look.uppercase),
        position=_anchor(chosen.get("position", look.position), safe, width, height),
        safe=safe,
        frame=Rect(0, 0, width, height),
        max_lines=chosen.get("max_lines", look.max_lines),
        max_width=min(_pixels(chosen.get("max_width", look.max_width), width), safe.width),
        max_chars_per_page=chosen.get("max_chars_per_page", look.max_chars_per_page),
        words_per_page=look.words_per_page,
        break_on_pause=chosen.get("break_on_pause_ms", look.break_on_pause_ms) / 1000,
        min_display=chosen.get("min_display", look.min_display),
        active_scale=look.active_scale,
    )


def _pixels(value: str | int, reference: int) -> float:
    """Pixels, or a percentage ("6%") of ``reference``."""
    if isinstance(value, int):
        return float(value)
    return float(value.rstrip("%")) / 100 * reference


def _anchor(position: str | Point, safe: Rect, width: int, height: int) -> Anchor:
    """A named place is an edge or the centre of the safe rectangle; a point is the block's
    centre as fractions of the frame (the writer keeps the block inside the safe rectangle)."""
    if isinstance(position, Point):
        return Anchor(position.x * width, position.y * height, 0.5, 0.5)
    row, column = position.split("_")
    ax = {"left": 0.0, "center": 0.5, "right": 1.0}[column]
    ay = {"top": 0.0, "middle": 0.5, "bottom": 1.0}[row]
    return Anchor(safe.left + ax * safe.width, safe.top + ay * safe.height, ax, ay)
