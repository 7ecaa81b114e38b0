"""The ASS document: times, colours, escaping, events per preset and their boundaries."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from framecast.captions.ass_text import (
    WORD_JOINER,
    ass_colour,
    ass_time,
    centiseconds,
    colour_tags,
    escape_text,
    rounded_rect,
)
from framecast.captions.ass_writer import ass_document, cues_from_pages
from framecast.captions.layout import paginate
from framecast.captions.model import Line, Page, Word
from framecast.captions.placement import place, visual_order
from framecast.captions.presets import ResolvedStyle, resolve_style
from framecast.captions.safe_area import Rect
from framecast.contracts.caption import CaptionStyle


@dataclass(frozen=True)
class FakeMeasure:
    """10 px per character; a line as tall as the font size (libass's Fontsize)."""

    line_height: float

    def width(self, text: str) -> float:
        return 10.0 * len(text)


def resolved(preset: str = "classic", **given: object) -> ResolvedStyle:
    return resolve_style(CaptionStyle(preset=preset, size=40, **given), 640, 360)  # type: ignore[arg-type]


def document(preset: str, said: list[Word], **given: object) -> str:
    style = resolved(preset, **given)
    measure = FakeMeasure(style.size)
    pages = paginate(said, measure.width, style)
    return ass_document(pages, style, "fcast Anton 400", 640, 360, measure)


def dialogues(doc: str) -> list[tuple[int, str, str, str]]:
    """(layer, start, end, text) of each Dialogue line."""
    found = re.findall(r"^Dialogue: (\d+),([^,]+),([^,]+),Caption,,0,0,0,,(.*)$", doc, re.M)
    return [(int(layer), start, end, text) for layer, start, end, text in found]


THREE = [Word("one", 1.0, 1.3), Word("two", 1.5, 1.8), Word("three", 2.0, 2.4)]


# -- pieces -------------------------------------------------------------------------------


def test_colours_become_ass_with_inverted_alpha() -> None:
    assert ass_colour("#FFD400FF") == "&H0000D4FF"
    assert ass_colour("#11223380") == "&H7F332211"
    assert colour_tags(1, "#FFD400FF") == "\\1c&H00D4FF&\\1a&H00&"
    assert colour_tags(3, "#00000000") == "\\3c&H000000&\\3a&HFF&"


@pytest.mark.parametrize(
    ("seconds", "written"),
    [
        (1.995, "0:00:02.00"),
        (59.999, "0:01:00.00"),
        (0.004, "0:00:00.00"),
        (0.005, "0:00:00.01"),
        (3599.995, "1:00:00.00"),
        (-0.5, "0:00:00.00"),
    ],
)
def test_times_round_to_the_centisecond(seconds: float, written: str) -> None:
    assert ass_time(centiseconds(seconds)) == written


def test_times_never_print_a_hundred_centiseconds() -> None:
    for n in range(0, 600_000, 7):
        assert re.fullmatch(r"\d+:[0-5]\d:[0-5]\d\.\d\d", ass_time(centiseconds(n / 1000)))


def test_braces_and_backslashes_are_escaped() -> None:
    assert escape_text("a {b} c") == "a \\{b\\} c"
    assert escape_text("x\\N") == "x\\" + WORD_JOINER + "N"
    assert escape_text("\\{") == "\\" + WORD_JOINER + "\\{"
    assert escape_text("line\nbreak") == "line break"


def test_rounded_rect_stays_inside_its_rectangle() -> None:
    path = rounded_rect(Rect(10, 20, 110, 60), 8)
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", path)]
    assert min(numbers[0::2]) == 10 and max(numbers[0::2]) == 110
    assert min(numbers[1::2]) == 20 and max(numbers[1::2]) == 60


def test_visual_order_of_mixed_directions() -> None:
    assert visual_order(["one", "two", "three"]) == [0, 1, 2]
    assert visual_order(["مرحبا", "بالعالم", "الجميل"]) == [2, 1, 0]
    # An English run inside Arabic keeps its own order, the run placed right to left.
    assert visual_order(["مرحبا", "Big", "Apple", "بالعالم"]) == [3, 1, 2, 0]


# -- the document -------------------------------------------------------------------------


def test_the_header_makes_the_canvas_the_video() -> None:
    doc = document("classic", THREE)
    for line in (
        "ScriptType: v4.00+",
        "PlayResX: 640",
        "PlayResY: 360",
        "WrapStyle: 2",
        "ScaledBorderAndShadow: yes",
        "YCbCr Matrix: TV.709",
    ):
        assert line in doc.splitlines()
    assert "\nStyle: Caption,fcast Anton 400,40,&H00FFFFFF," in doc


def test_a_font_name_with_a_comma_is_refused() -> None:
    style = resolved()
    with pytest.raises(ValueError, match="font name"):
        ass_document([], style, "Bad, Font", 640, 360, FakeMeasure(40))


def test_classic_writes_one_event_per_page() -> None:
    [(layer, start, end, text)] = dialogues(document("classic", THREE))
    assert (layer, start, end) == (1, "0:00:01.00", "0:00:02.65")
    assert text.endswith("}one two three")


def test_highlight_events_share_their_boundaries() -> None:
    events = dialogues(document("highlight", THREE))
    assert [(start, end) for _, start, end, _ in events] == [
        ("0:00:01.00", "0:00:01.50"),
        ("0:00:01.50", "0:00:02.00"),
        ("0:00:02.00", "0:00:02.65"),
    ]
    active = "{\\1c&H00D4FF&\\1a&H00&}"
    assert active + "two{" in events[1][3] and active + "one" not in events[1][3]


def test_karaoke_colours_every_word_said_so_far() -> None:
    last = dialogues(document("karaoke", THREE))[-1][3]
    assert last.count("\\1c&H00D4FF&") == 3


def test_karaoke_fill_durations_do_not_drift_over_a_minute() -> None:
    said = [Word(f"w{i}", i * 0.2997, i * 0.2997 + 0.2) for i in range(200)]
    style = resolved("karaoke_fill", max_lines=6, max_width="100%", break_on_pause_ms=60_000)
    page = Page([Line(said, 0.0)], said[0].start, said[-1].end)
    [(_, start, _, text)] = dialogues(
        ass_document([page], style, "F", 640, 360, FakeMeasure(style.size))
    )
    assert start == "0:00:00.00"
    durations = [int(d) for d in re.findall(r"\\kf(\d+)", text)]
    elapsed = 0
    for word, duration in zip(said, durations, strict=True):
        assert elapsed == centiseconds(word.start) - centiseconds(page.start)
        elapsed += duration
    assert elapsed == centiseconds(said[-1].end) - centiseconds(page.start)


def test_pill_draws_a_box_under_the_word_being_said() -> None:
    events = dialogues(document("pill", THREE))
    drawings = [text for layer, *_, text in events if layer == 0]
    assert len(drawings) == 3 and all("\\p1" in d for d in drawings)


def test_pop_hides_the_word_in_the_line_and_draws_it_growing_above() -> None:
    events = dialogues(document("pop", THREE))
    [overlay] = [text for layer, start, *_, text in events if layer == 2 and start == "0:00:01.50"]
    assert "\\t(0,80,\\fscx115\\fscy115)}TWO" in overlay


def test_text_is_written_literally() -> None:
    [(*_, text)] = dialogues(document("classic", [Word("{\\b1}", 0.0, 1.0)]))
    assert text.endswith("}\\{\\" + WORD_JOINER + "b1\\}")


def test_the_block_stays_inside_the_safe_rect_at_a_corner() -> None:
    style = resolved("pop", position={"x": 1.0, "y": 1.0}, safe_area="youtube")
    measure = FakeMeasure(style.size)
    [page] = paginate(THREE, measure.width, style)
    placed = place(page, style, measure)
    assert style.safe.contains(placed.ink)
    assert placed.ink.right == pytest.approx(style.safe.right)


def test_cues_are_the_pages_with_their_lines() -> None:
    pages = [
        Page([Line(THREE[:2], 70), Line(THREE[2:], 50)], 1.0, 2.6),
        Page([Line([Word("gone", 3.0, 3.0)], 40)], 3.0, 3.001),  # too short to be shown
    ]
    [cue] = cues_from_pages(pages)
    assert (cue.start, cue.end, cue.text) == (1.0, 2.6, "one two\nthree")
