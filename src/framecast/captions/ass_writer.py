"""Pages + a resolved style → the ASS document libass burns, and the cues of what it shows.

The canvas is the video (PlayResX/Y = its size) so every number is a pixel of the output;
libass never re-wraps (WrapStyle 2: the layout broke the lines) and every event is placed with
``\\an`` + ``\\pos`` (placement.py), which also keeps libass's collision logic out of the way.
Word presets write one Dialogue per (page, word being said): word i from its start to the next
word's start, the last one to the page's end; neighbouring events share one rounded boundary,
so nothing flickers. Layers: 0 boxes and pills, 1 text, 2 a popped word.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import pairwise

from framecast.captions.ass_text import (
    ass_colour,
    ass_time,
    centiseconds,
    colour_tags,
    escape_text,
    number,
    rounded_rect,
)
from framecast.captions.model import Cue, Page, Word
from framecast.captions.placement import TextMeasure, place
from framecast.captions.presets import ResolvedStyle
from framecast.captions.safe_area import Rect

__all__ = ["STYLE_NAME", "ass_document", "cues_from_pages"]

STYLE_NAME = "Caption"
POP_MS = 80  # how long the popped word takes to grow
BOX_RADIUS = 0.2  # of the font size (boxed)
PILL_RADIUS = 0.3  # of the pill's height
_FORMAT = (
    "Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour,"
    " Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle,"
    " Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding"
)
# (before, after) a word's text, given its index on the page.
Marks = Callable[[int], tuple[str, str]]


def ass_document(
    pages: Sequence[Page],
    style: ResolvedStyle,
    font_name: str,
    width: int,
    height: int,
    measure: TextMeasure,
    font_weight: int = 400,
) -> str:
    """The ASS document that draws ``pages`` on a ``width`` × ``height`` video in
    ``font_name`` (the face's own family name) of weight ``font_weight``, measured with
    ``measure``."""
    if "," in font_name or not font_name.strip():
        raise ValueError(f"font name {font_name!r} cannot be written in an ASS style")
    # Every text event asks for the face's own weight: libass fakes bold on a face more than
    # 150 lighter than asked, and a style's Bold field asks for 400 (or 700), nothing else.
    weight = f"\\b{font_weight}"
    events = [line for page in pages for line in _page_events(page, style, measure, weight)]
    return _header(style, font_name, width, height) + "".join(events)


def cues_from_pages(pages: Sequence[Page]) -> list[Cue]:
    """What was burned, page by page: one cue per shown page, its lines split by "\\n"."""
    return [
        Cue(page.start, page.end, "\n".join(_words(line.words) for line in page.lines))
        for page in pages
        if centiseconds(page.end) > centiseconds(page.start)
    ]


def _words(words: Sequence[Word]) -> str:
    return " ".join(word.text for word in words)


def _header(style: ResolvedStyle, font_name: str, width: int, height: int) -> str:
    colours = ",".join(
        ass_colour(c) for c in (style.color, style.color, style.outline_color, style.shadow_color)
    )
    # Bold 0 (each event then asks for the face's own weight with \\b). Encoding -1:
    # libass finds each line's direction itself (1 would force left-to-right on Arabic).
    return (
        "[Script Info]\n; framecast captions: the canvas is the video, in pixels\n"
        f"ScriptType: v4.00+\nPlayResX: {width}\nPlayResY: {height}\nWrapStyle: 2\n"
        "ScaledBorderAndShadow: yes\nKerning: yes\nYCbCr Matrix: TV.709\n\n"
        f"[V4+ Styles]\nFormat: {_FORMAT}\n"
        f"Style: {STYLE_NAME},{font_name},{number(style.size)},{colours},0,0,0,0,100,100,0,0,1,"
        f"{number(style.outline)},{number(style.shadow)},7,0,0,0,-1\n\n"
        "[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect,"
        " Text\n"
    )


def _event(layer: int, start: int, end: int, text: str) -> str:
    return f"Dialogue: {layer},{ass_time(start)},{ass_time(end)},{STYLE_NAME},,0,0,0,,{text}\n"


def _page_events(page: Page, style: ResolvedStyle, measure: TextMeasure, weight: str) -> list[str]:
    start, end = centiseconds(page.start), centiseconds(page.end)
    if end <= start:
        return []
    placed = place(page, style, measure)
    at = f"\\an{placed.align}\\pos({number(placed.x)},{number(placed.y)}){weight}"
    events = []
    if style.preset == "boxed":
        pad_x, pad_y = style.box_padding
        boxes = [line.box.grown(pad_x, pad_y, pad_x, pad_y) for line in placed.lines]
        events.append(
            _event(0, start, end, _drawing(boxes, style.box_color, BOX_RADIUS * style.size))
        )
    if style.preset in ("classic", "boxed", "word_by_word"):
        return [*events, _event(1, start, end, "{" + at + "}" + _text(page, _plain))]
    if style.preset == "karaoke_fill":
        return [_event(1, start, end, "{" + at + _sweep_colours(style) + "}" + _swept(page))]
    boxes = [word for line in placed.lines for word in line.words]
    for active, (state_start, state_end) in _states(page):
        text = "{" + at + "}" + _text(page, _marks(style, active))
        events.append(_event(1, state_start, state_end, text))
        if style.preset == "pill":
            pad_x, pad_y = style.box_padding
            pill = boxes[active].grown(pad_x, pad_y, pad_x, pad_y)
            drawing = _drawing([pill], style.box_color, PILL_RADIUS * pill.height)
            events.append(_event(0, state_start, state_end, drawing))
        if style.preset == "pop":
            word = page.words[active].text
            popped = _pop(word, boxes[active], style, weight)
            events.append(_event(2, state_start, state_end, popped))
    return events


def _states(page: Page) -> list[tuple[int, tuple[int, int]]]:
    """(word index, (start, end) in cs) for each word being said, zero-length ones left out."""
    bounds = [*_starts(page), centiseconds(page.end)]
    return [(i, (a, b)) for i, (a, b) in enumerate(pairwise(bounds)) if b > a]


def _starts(page: Page) -> list[int]:
    """Each word's start in cs: the first at the page's start, none before the one before it
    nor after the page's end (so words out of order cannot make an event run backwards)."""
    end = centiseconds(page.end)
    starts = [centiseconds(page.start)]
    for word in page.words[1:]:
        starts.append(min(max(centiseconds(word.start), starts[-1]), end))
    return starts


def _plain(index: int) -> tuple[str, str]:
    return "", ""


def _marks(style: ResolvedStyle, active: int) -> Marks:
    """How the word being said (and, for karaoke, the words before it) is marked."""
    on = "{" + colour_tags(1, style.active_color) + "}"
    off = "{" + colour_tags(1, style.color) + "}"
    if style.preset == "karaoke":
        return lambda i: (on, off) if i <= active else ("", "")
    if style.preset == "underline":
        underlined = ("{\\u1" + on[1:], "{\\u0" + off[1:])
        return lambda i: underlined if i == active else ("", "")
    if style.preset == "pop":
        # Hidden but still laid out, so the line does not move; layer 2 draws it popped.
        hidden = "{\\1a&HFF&\\3a&HFF&\\4a&HFF&}"
        restored = colour_tags(1, style.color) + colour_tags(3, style.outline_color)
        restored = "{" + restored + colour_tags(4, style.shadow_color) + "}"
        return lambda i: (hidden, restored) if i == active else ("", "")
    return lambda i: (on, off) if i == active else ("", "")  # highlight, pill


def _text(page: Page, marks: Marks) -> str:
    """The page's lines joined by ``\\N``, each word escaped between its marks."""
    lines, index = [], 0
    for line in page.lines:
        words = []
        for word in line.words:
            before, after = marks(index)
            words.append(before + escape_text(word.text) + after)
            index += 1
        lines.append(" ".join(words))
    return "\\N".join(lines)


def _sweep_colours(style: ResolvedStyle) -> str:
    # \kf sweeps each syllable from the secondary colour (not yet said) to the primary.
    return colour_tags(1, style.active_color) + colour_tags(2, style.color)


def _swept(page: Page) -> str:
    """The page's text with a ``\\kf`` before each word: its start to the next word's start,
    the last word to its end; durations are differences of rounded absolute times."""
    starts = _starts(page)
    last_end = min(max(centiseconds(page.words[-1].end), starts[-1]), centiseconds(page.end))
    bounds = [*starts, last_end]
    durations = [b - a for a, b in pairwise(bounds)]
    return _text(page, lambda i: (f"{{\\kf{durations[i]}}}", ""))


def _pop(word: str, box: Rect, style: ResolvedStyle, weight: str) -> str:
    """The word being said, over its hidden self, growing to ``active_scale`` about its centre."""
    x, y = (box.left + box.right) / 2, (box.top + box.bottom) / 2
    scale = round(style.active_scale * 100)
    return (
        f"{{\\an5\\pos({number(x)},{number(y)}){weight}{colour_tags(1, style.active_color)}"
        f"\\fscx100\\fscy100\\t(0,{POP_MS},\\fscx{scale}\\fscy{scale})}}{escape_text(word)}"
    )


def _drawing(rects: list[Rect], colour: str, radius: float) -> str:
    """Rounded boxes drawn in canvas pixels (``\\an7\\pos(0,0)``: the drawing's own origin)."""
    path = " ".join(rounded_rect(rect, radius) for rect in rects)
    return f"{{\\an7\\pos(0,0)\\p1\\bord0\\shad0{colour_tags(1, colour)}}}{path}"
