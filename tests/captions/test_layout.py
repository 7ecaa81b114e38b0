"""Presets, safe areas and pagination, measured with a fake font: 10 px per character."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from framecast.captions.layout import HOLD, layout_warnings, paginate
from framecast.captions.model import Word
from framecast.captions.presets import PRESETS, ResolvedStyle, resolve_style
from framecast.captions.safe_area import MARGINS, Rect, safe_rect
from framecast.contracts.caption import CaptionStyle, Point
from framecast.contracts.vocab import CAPTION_PRESETS, SAFE_AREAS
from framecast.errors import InputError


def width(text: str) -> float:
    return 10.0 * len(text)


def style(**overrides: object) -> ResolvedStyle:
    """classic at 20 px without outline: a line's ink is its advance + 2 × 1.6 px."""
    resolved = resolve_style(CaptionStyle(preset="classic", size=20, outline=0), 1000, 1000)
    return replace(resolved, **overrides)


def words(text: str, step: float = 0.5, length: float = 0.4) -> list[Word]:
    return [Word(w, i * step, i * step + length) for i, w in enumerate(text.split())]


def texts(pages: list) -> list[list[str]]:
    return [[" ".join(w.text for w in line.words) for line in page.lines] for page in pages]


# -- presets and safe areas ---------------------------------------------------------------


def test_every_preset_named_by_the_contract_has_a_look() -> None:
    assert set(PRESETS) == set(CAPTION_PRESETS)
    assert set(MARGINS) == set(SAFE_AREAS)


def test_defaults_resolve_to_pixels_of_the_canvas() -> None:
    resolved = resolve_style(CaptionStyle(preset="karaoke"), 1080, 1920)
    assert resolved.size == pytest.approx(0.06 * 1920)
    assert resolved.outline == pytest.approx(0.06 * resolved.size)
    assert resolved.max_width == pytest.approx(0.8 * 1080)
    assert (resolved.font, resolved.weight, resolved.max_lines) == ("Montserrat", 800, 2)
    assert (resolved.break_on_pause, resolved.min_display) == (0.6, 0.3)
    assert resolved.active_color == "#FFD400FF"


def test_word_by_word_is_bigger_and_one_word_a_page() -> None:
    resolved = resolve_style(CaptionStyle(preset="word_by_word"), 1080, 1920)
    assert resolved.size == pytest.approx(0.09 * 1920)
    assert resolved.words_per_page == 1


def test_overrides_win_over_the_preset() -> None:
    given = CaptionStyle(preset="boxed", size=50, color="#FF000080", outline=3, max_width=300)
    resolved = resolve_style(given, 1000, 1000)
    assert (resolved.size, resolved.color, resolved.outline, resolved.max_width) == (
        50.0,
        "#FF000080",
        3.0,
        300.0,
    )


def test_max_width_never_exceeds_the_safe_width() -> None:
    resolved = resolve_style(CaptionStyle(max_width="100%", safe_area="tiktok"), 1080, 1920)
    assert resolved.max_width == pytest.approx(1080 * (1 - 0.05 - 0.13))


def test_safe_rect_without_a_platform_keeps_four_percent() -> None:
    assert safe_rect(None, 1000, 500) == Rect(40, 20, 960, 480)


def test_tiktok_keeps_clear_of_the_action_column_and_the_bottom_bar() -> None:
    rect = safe_rect("tiktok", 1080, 1920)
    assert 1080 - rect.right > rect.left  # the right-hand buttons
    assert 1920 - rect.bottom > rect.top  # the description and sound bar


def test_named_position_sits_on_the_safe_edge_and_a_point_on_its_centre() -> None:
    bottom = resolve_style(CaptionStyle(position="bottom_right"), 1000, 1000).position
    assert (bottom.x, bottom.y, bottom.ax, bottom.ay) == (960, 960, 1.0, 1.0)
    point = resolve_style(CaptionStyle(position=Point(x=0.25, y=0.5)), 1000, 1000).position
    assert (point.x, point.y, point.ax, point.ay) == (250, 500, 0.5, 0.5)


# -- paginate -----------------------------------------------------------------------------


def test_lines_fill_greedily_up_to_max_width() -> None:
    pages = paginate(words("aaa bbb ccc ddd"), width, style(max_width=80))
    assert texts(pages) == [["aaa bbb", "ccc ddd"]]


def test_the_joined_line_is_measured_not_the_sum_of_words() -> None:
    def spaced(text: str) -> float:  # a space costs 30 px, not the 10 a sum would assume
        return 10.0 * len(text.replace(" ", "")) + 30.0 * text.count(" ")

    pages = paginate(words("aaa bbb"), spaced, style(max_width=80))
    assert texts(pages) == [["aaa", "bbb"]]


def test_a_page_holds_at_most_max_lines() -> None:
    pages = paginate(words("aaa bbb ccc ddd eee"), width, style(max_width=40, max_lines=2))
    assert texts(pages) == [["aaa", "bbb"], ["ccc", "ddd"], ["eee"]]


def test_a_pause_starts_a_page() -> None:
    said = [Word("one", 0.0, 0.4), Word("two", 0.5, 0.9), Word("three", 1.5, 2.0)]
    assert texts(paginate(said, width, style())) == [["one two"], ["three"]]


def test_a_pause_shorter_than_the_threshold_does_not() -> None:
    said = [Word("one", 0.0, 0.4), Word("two", 0.99, 1.3)]
    assert texts(paginate(said, width, style())) == [["one two"]]


def test_a_forced_break_starts_a_page() -> None:
    assert texts(paginate(words("a b c d"), width, style(), {2})) == [["a b"], ["c d"]]


def test_max_chars_per_page_counts_the_spaces() -> None:
    pages = paginate(words("aaa bbb ccc"), width, style(max_chars_per_page=7))
    assert texts(pages) == [["aaa bbb"], ["ccc"]]


def test_words_per_page() -> None:
    assert texts(paginate(words("a b c"), width, style(words_per_page=1))) == [["a"], ["b"], ["c"]]


def test_uppercase_is_applied_before_measuring() -> None:
    def caps_wide(text: str) -> float:
        return sum(20.0 if c.isupper() else 10.0 for c in text)

    pages = paginate(words("aa bb"), caps_wide, style(uppercase=True, max_width=90))
    assert texts(pages) == [["AA", "BB"]]


@pytest.mark.parametrize("seed", range(5))
def test_no_line_is_wider_than_max_width(seed: int) -> None:
    rng = random.Random(seed)
    text = " ".join("x" * rng.randint(1, 9) for _ in range(300))
    chosen = style(max_width=rng.uniform(100, 300), max_lines=rng.randint(1, 4), outline=3)
    for page in paginate(words(text, step=0.3), width, chosen):
        assert len(page.lines) <= chosen.max_lines
        for line in page.lines:
            assert line.width == width(" ".join(w.text for w in line.words))
            assert chosen.ink_width(line.width, line.width) <= chosen.max_width


def test_a_word_too_wide_for_a_line_is_alone_and_reported() -> None:
    chosen = style(max_width=60)
    pages = paginate(words("ab abcdefghij cd"), width, chosen)
    assert texts(pages) == [["ab", "abcdefghij"], ["cd"]]
    [warning] = layout_warnings(pages, chosen)
    assert "'abcdefghij'" in warning


def test_a_word_wider_than_the_video_is_refused_by_name() -> None:
    with pytest.raises(InputError, match=r"'x{101}'.*at most 19 px"):
        paginate(words("ok " + "x" * 101), width, style())


def test_page_times_hold_after_the_last_word_and_never_overlap() -> None:
    said = [Word("a", 1.0, 1.2), Word("b", 3.0, 3.1), Word("c", 3.15, 3.2)]
    first, second = paginate(said, width, style(words_per_page=1, min_display=0.0))[:2]
    assert (first.start, first.end) == (1.0, pytest.approx(1.2 + HOLD))
    assert (second.start, second.end) == (3.0, 3.15)  # cut by the next page


def test_a_short_page_stays_min_display() -> None:
    [page] = paginate([Word("a", 1.0, 1.05)], width, style(min_display=0.5))
    assert page.end == pytest.approx(1.5)


def test_right_to_left_words_stay_in_spoken_order() -> None:
    said = words("مرحبا بالعالم الجميل")
    [page] = paginate(said, width, style())
    assert [w.text for w in page.words] == ["مرحبا", "بالعالم", "الجميل"]
