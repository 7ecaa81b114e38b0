"""Real libass renders (ffmpeg's ass filter) of our documents: ink lands where we said it would.

Frames are drawn over a flat green no caption uses, so every pixel that differs is caption ink
(text, outline, shadow or box). Each check renders several pages into one document at
different times and decodes just the frames it needs, so one ffmpeg run covers many cases.
libass sees only our faces (FontBook's files, a fontconfig with no fonts), and its log is
checked to prove it drew with them and never looked for a fallback.
"""

from __future__ import annotations

import math
import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest

from framecast.captions.ass_writer import ass_document
from framecast.captions.font_check import check_font_log
from framecast.captions.fonts import Face, FontBook, isolated_fontconfig, prepare_fonts_dir
from framecast.captions.layout import paginate
from framecast.captions.model import Line, Page, Word
from framecast.captions.placement import TextMeasure, place
from framecast.captions.presets import ResolvedStyle, resolve_style
from framecast.captions.safe_area import Rect
from framecast.config import EncoderConfig
from framecast.contracts.caption import CaptionStyle
from framecast.render.ffmpeg import ffmpeg_binary

BACKGROUND = (0, 96, 0)
# A pixel further than this from the background in any channel was drawn on.
_LOW = np.array([max(c - 24, 0) for c in BACKGROUND], np.uint8)
_HIGH = np.array([min(c + 24, 255) for c in BACKGROUND], np.uint8)
RED = "#FF0000FF"
LONG = (
    "Captions have to stay readable on every phone so we keep them clear of the buttons"
    " and the description bar whatever the frame looks like"
)
ARABIC = "مرحبا بالعالم الجميل"


@dataclass(frozen=True)
class Libass:
    """ffmpeg's ass filter, given our faces' folder and a fontconfig that knows no font."""

    work: Path
    fonts_dir: Path
    env: dict[str, str]
    anton: Face  # static: no instancing, so the fixture is quick
    arabic: Face

    def document(
        self,
        pages: list[Page],
        style: ResolvedStyle,
        measure: TextMeasure,
        face: Face | None = None,
    ) -> str:
        """Our ASS for ``pages`` on the style's frame, in ``face`` (Anton unless given)."""
        face = face or self.anton
        width, height = int(style.frame.width), int(style.frame.height)
        return ass_document(pages, style, face.ass_name, width, height, measure, face.weight)

    def frames(
        self, ass: str, width: int, height: int, times: Sequence[float], rate: int = 100
    ) -> list[np.ndarray]:
        """The frames at ``times`` (seconds, on a ``rate`` fps clock) of ``ass`` over green."""
        path = self.work / f"doc{len(list(self.work.glob('doc*')))}.ass"
        path.write_text(ass, encoding="utf-8")
        numbers = sorted({round(t * rate) for t in times})
        picked = "+".join(f"eq(n\\,{n})" for n in numbers)
        colour = "0x{:02X}{:02X}{:02X}".format(*BACKGROUND)
        command = [
            *(ffmpeg_binary(EncoderConfig()), "-v", "verbose", "-f", "lavfi"),
            *("-i", f"color=c={colour}:s={width}x{height}:r={rate}:d={(numbers[-1] + 0.5) / rate}"),
            *("-vf", f"select={picked},format=rgb24,ass={path}:fontsdir={self.fonts_dir}"),
            *("-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"),
        ]
        env = {**os.environ, **self.env}
        done = subprocess.run(command, capture_output=True, env=env, check=True, timeout=60)
        check_font_log(done.stderr.decode(), [self.anton, self.arabic])
        frames = np.frombuffer(done.stdout, np.uint8).reshape(-1, height, width, 3)
        assert len(frames) == len(numbers), done.stderr.decode()[-2000:]
        by_number = dict(zip(numbers, frames, strict=True))
        return [by_number[round(t * rate)] for t in times]


@pytest.fixture(scope="module")
def libass(tmp_path_factory: pytest.TempPathFactory) -> Libass:
    work = tmp_path_factory.mktemp("libass")
    book = FontBook(work / "cache")
    anton, arabic = book.face("Anton", 400), book.face("Noto Sans Arabic", 400)
    fonts_dir = prepare_fonts_dir([anton, arabic], work)
    return Libass(work, fonts_dir, isolated_fontconfig(work), anton, arabic)


def ink(frame: np.ndarray) -> np.ndarray:
    """Where anything was drawn."""
    return ((frame < _LOW) | (frame > _HIGH)).any(axis=2)


def coloured(frame: np.ndarray, rgb: tuple[int, int, int]) -> np.ndarray:
    """Where ``rgb`` was drawn (anti-aliased edges aside)."""
    return (np.abs(frame.astype(np.int16) - np.array(rgb, np.int16)) < 60).all(axis=2)


def columns(mask: np.ndarray) -> tuple[int, int]:
    xs = np.nonzero(mask.any(axis=0))[0]
    return int(xs[0]), int(xs[-1]) + 1


def outside(mask: np.ndarray, rect: Rect) -> int:
    """How many ink pixels lie wholly outside ``rect``."""
    top, left = math.floor(rect.top), math.floor(rect.left)
    inside = mask[top : math.ceil(rect.bottom), left : math.ceil(rect.right)]
    return int(mask.sum() - inside.sum())


def laid_out(
    given: CaptionStyle, width: int, height: int, said: list[Word], face: Face
) -> tuple[ResolvedStyle, TextMeasure, list[Page]]:
    style = resolve_style(given, width, height)
    measure = face.measure(style.size)
    return style, measure, paginate(said, measure.width, style)


def spoken(text: str, start: float = 0.0, step: float = 0.2) -> list[Word]:
    return [
        Word(w, start + i * step, start + i * step + step * 0.8) for i, w in enumerate(text.split())
    ]


def merged(documents: list[str]) -> str:
    """One document: the first's header, every document's events (all share one style)."""
    head = documents[0].split("Dialogue:", 1)[0]
    events = [
        line for doc in documents for line in doc.splitlines() if line.startswith("Dialogue:")
    ]
    return head + "\n".join(events) + "\n"


SIZES = [(360, 640), (480, 480), (640, 360)]
PLACES: list[tuple[object, str | None]] = [
    *[(name, None) for name in ("top_left", "top_center", "middle_center", "bottom_right")],
    *[(name, area) for name in ("bottom_center", "middle_right") for area in ("tiktok", "reels")],
    ("top_right", "shorts"),
    ("bottom_left", "youtube"),
    *[
        ({"x": x, "y": y}, area)
        for x in (0.0, 1.0)
        for y in (0.0, 1.0)
        for area in (None, "tiktok")
    ],
    ({"x": 1.0, "y": 1.0}, "reels"),
    ({"x": 0.5, "y": 0.5}, "shorts"),
]
# Between them: text, outline, shadow, a box, a pill and a grown word.
LOOKS: dict[str, dict[str, object]] = {"classic": {"shadow": 4}, "boxed": {}, "pill": {}, "pop": {}}


@pytest.mark.parametrize(("width", "height"), SIZES)
@pytest.mark.parametrize("preset", list(LOOKS))
def test_no_caption_pixel_leaves_the_safe_area(
    libass: Libass, preset: str, width: int, height: int
) -> None:
    documents, times, rects = [], [], []
    for n, (position, area) in enumerate(PLACES):
        given = CaptionStyle.model_validate(
            {"preset": preset, "position": position, "safe_area": area, **LOOKS[preset]}
        )
        said = spoken(LONG, start=6.0 * n + 1)
        style, measure, pages = laid_out(given, width, height, said, libass.anton)
        documents.append(libass.document(pages, style, measure))
        first = pages[0].words
        # The first and the last word of the first page being said: a pill or a popped word
        # at either end of the block.
        times += [first[0].start + 0.1, first[-1].start + 0.1]
        rects += [style.safe, style.safe]
    frames = libass.frames(merged(documents), width, height, times, rate=10)
    where = [place for place in PLACES for _ in (0, 1)]
    for frame, rect, (position, area) in zip(frames, rects, where, strict=True):
        drawn = ink(frame)
        assert drawn.sum() > 500, f"nothing drawn at {position} / {area}"
        assert outside(drawn, rect) == 0, f"ink outside the {area} safe area at {position}"


def test_letters_that_overhang_their_advance_stay_inside(libass: Libass) -> None:
    # In Anton the circumflexes of "ĵ" and "Î" reach past the advance box on both sides.
    places = ["top_left", "bottom_right", {"x": 0.0, "y": 0.0}, {"x": 1.0, "y": 1.0}]
    documents, times, rects = [], [], []
    for n, position in enumerate(places):
        given = CaptionStyle.model_validate({"position": position, "outline": 0})
        said = spoken("ĵam sÎ", start=n + 0.5)
        style, measure, pages = laid_out(given, 360, 640, said, libass.anton)
        documents.append(libass.document(pages, style, measure))
        times.append(n + 0.6)
        rects.append(style.safe)
    for frame, rect in zip(libass.frames(merged(documents), 360, 640, times), rects, strict=True):
        assert outside(ink(frame), rect) == 0


def test_a_named_position_reaches_its_safe_edge(libass: Libass) -> None:
    given = CaptionStyle(position="bottom_center", safe_area="tiktok")
    style, measure, pages = laid_out(given, 360, 640, spoken("Edge to edge"), libass.anton)
    [frame] = libass.frames(libass.document(pages, style, measure), 360, 640, [0.1])
    rows = np.nonzero(ink(frame).any(axis=1))[0]
    # Only the outline, the allowances and the font's own descent below the "g" apart.
    assert style.safe.bottom - 0.25 * style.size <= rows[-1] + 1 <= style.safe.bottom


@pytest.mark.parametrize(("width", "height"), [(360, 640), (640, 360)])
def test_no_line_is_wider_than_max_width(libass: Libass, width: int, height: int) -> None:
    given = CaptionStyle.model_validate(
        {"max_width": "70%", "max_lines": 3, "position": {"x": 0.5, "y": 0.5}}
    )
    style, measure, pages = laid_out(given, width, height, spoken(LONG), libass.anton)
    times = [page.start + 0.01 for page in pages]
    frames = libass.frames(libass.document(pages, style, measure), width, height, times)
    widest = 0
    for page, frame in zip(pages, frames, strict=True):
        for line in place(page, style, measure).lines:
            band = ink(frame)[round(line.box.top) : round(line.box.bottom)]
            left, right = columns(band)
            assert right - left <= style.max_width
            widest = max(widest, right - left)
    assert widest > 0.8 * style.max_width  # the lines were filled, not merely short


def rendered(libass: Libass, texts: list[str]) -> list[tuple[int, int, float]]:
    """(ink width, ink height, measured width) of each text, drawn as one word, no outline."""
    style = resolve_style(CaptionStyle(outline=0, size=48, max_width="100%"), 640, 360)
    measure = libass.anton.measure(style.size)
    documents, times = [], []
    for n, text in enumerate(texts):
        line = Line([Word(text, n, n + 0.4)], measure.width(text))
        documents.append(libass.document([Page([line], n, n + 0.5)], style, measure))
        times.append(n + 0.1)
    found = []
    for frame, text in zip(libass.frames(merged(documents), 640, 360, times), texts, strict=True):
        drawn = ink(frame)
        left, right = columns(drawn)
        rows = np.nonzero(drawn.any(axis=1))[0]
        found.append((right - left, int(rows[-1] - rows[0] + 1), measure.width(text)))
    return found


def test_braces_and_backslashes_are_drawn_literally(libass: Libass) -> None:
    plain, braces, slashes = rendered(libass, ["a b c", "a {b} c", "a\\N\\n\\h{\\b1}\\{c\\}\\"])
    assert braces[0] > plain[0] + 0.5 * (braces[2] - plain[2])  # the braces are there
    for width, height, measured in (braces, slashes):
        assert abs(width - measured) <= 4  # every character drawn, nothing read as a tag
        assert height < 48  # one line: no \N or \n became a line break


def test_highlight_moves_to_the_next_word_at_its_start(libass: Libass) -> None:
    said = [Word("first", 0.5, 0.9), Word("second", 1.0, 1.4), Word("third", 1.5, 1.9)]
    given = CaptionStyle(preset="highlight", active_color=RED, position="middle_center")
    style, measure, [page] = laid_out(given, 640, 360, said, libass.anton)
    boxes = place(page, style, measure).lines[0].words
    before, at = libass.frames(libass.document([page], style, measure), 640, 360, [0.99, 1.0])
    for frame, box in ((before, boxes[0]), (at, boxes[1])):
        left, right = columns(coloured(frame, (255, 0, 0)))
        assert box.left - 1 <= left and right <= box.right + 1
        assert right - left > 0.8 * box.width


def test_arabic_is_drawn_right_to_left_in_spoken_order(libass: Libass) -> None:
    said = spoken(ARABIC, start=0.5, step=0.5)
    given = CaptionStyle(preset="highlight", active_color=RED, position="middle_center")
    style, measure, [page] = laid_out(given, 640, 360, said, libass.arabic)
    times = [w.start + 0.1 for w in said]
    frames = libass.frames(libass.document([page], style, measure, libass.arabic), 640, 360, times)
    line_left, line_right = columns(ink(frames[0]))
    first, second, third = (columns(coloured(frame, (255, 0, 0))) for frame in frames)
    assert line_right - first[1] <= style.outline + 2  # the first word said is rightmost
    assert third[0] - line_left <= style.outline + 2  # the last is leftmost
    assert first[0] > second[1] and second[0] > third[1]


@pytest.mark.parametrize(
    ("preset", "text"),
    [("pill", "one two three four"), ("pop", "stay clear of the bar"), ("pill", ARABIC)],
    ids=["pill", "pop", "pill-arabic"],
)
def test_the_word_being_said_is_marked_where_libass_draws_it(
    libass: Libass, preset: str, text: str
) -> None:
    face = libass.arabic if text == ARABIC else libass.anton
    said = spoken(text)
    given = CaptionStyle(preset=preset, active_color=RED, box_color="#0000FFFF", outline=0)
    style, measure, [page] = laid_out(given, 640, 360, said, face)
    times = [w.start + 0.15 for w in said]
    marked = libass.frames(libass.document([page], style, measure, face), 640, 360, times)
    # The same page, placed the same, with the word in red where libass itself puts it.
    plain = replace(style, preset="highlight")
    drawn = libass.frames(libass.document([page], plain, measure, face), 640, 360, times)
    mark = (0, 0, 255) if preset == "pill" else (255, 0, 0)
    for ours, libass_word in zip(marked, drawn, strict=True):
        word_left, word_right = columns(coloured(libass_word, (255, 0, 0)))
        left, right = columns(coloured(ours, mark))
        assert abs((left + right) - (word_left + word_right)) / 2 <= 2  # centred on the word
        assert right - left > word_right - word_left  # a box around it, or the word grown
