"""Words → pages of lines, measured with the real font so that no line is wider than allowed.

Lines are filled greedily, each candidate line measured whole (the spaces and the shaping
between words included; sums of word widths are not what libass draws). A word that does not
fit on a line alone still gets a line of its own and a warning (:func:`layout_warnings`);
one wider than the whole frame, outline included, is refused with an :class:`InputError`
naming it, because part of it would be cut off whatever we did. Lines keep the words in
spoken (logical) order, right-to-left scripts included: the shaper orders them for display.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import replace

from framecast.captions.model import Line, Page, Word
from framecast.captions.presets import ResolvedStyle
from framecast.errors import InputError

__all__ = ["HOLD", "layout_warnings", "paginate"]

# How long a page stays after its last word ends (when the next page does not start first):
# long enough to finish reading the last word, short enough not to hang over a pause.
HOLD = 0.25
_PAUSE_TOLERANCE = 1e-9  # float noise: 1.6 - 1.0 must count as a 600 ms pause


def paginate(
    words: Sequence[Word],
    width_of: Callable[[str], float],
    style: ResolvedStyle,
    forced_breaks: Collection[int] = (),
) -> list[Page]:
    """Lay ``words`` (in spoken order) out in pages; a page also starts at each index of
    ``forced_breaks`` (a cue's first word). ``width_of`` measures a line's advance in pixels."""
    breaks = frozenset(forced_breaks)
    widths: dict[str, float] = {}

    def width(text: str) -> float:
        if text not in widths:
            widths[text] = width_of(text)
        return widths[text]

    def fits(line: list[Word]) -> bool:
        text = " ".join(w.text for w in line)
        widest = max(width(w.text) for w in line)
        return style.ink_width(width(text), widest) <= style.max_width + 1e-6

    pages: list[list[list[Word]]] = []
    previous: Word | None = None
    for i, word in enumerate(words):
        if style.uppercase:
            word = replace(word, text=word.text.upper())
        _check_fits_frame(word, width(word.text), style)
        page = pages[-1] if pages else None
        if page is None or _starts_page(i, word, previous, page, style, breaks):
            pages.append([[word]])
        elif fits([*page[-1], word]):
            page[-1].append(word)
        elif len(page) < style.max_lines:
            page.append([word])
        else:
            pages.append([[word]])
        previous = word
    return _timed(pages, width, style)


def layout_warnings(pages: Sequence[Page], style: ResolvedStyle) -> list[str]:
    """One warning for each word that is wider than ``max_width`` on a line of its own."""
    warnings = []
    for page in pages:
        for line in page.lines:
            ink = style.ink_width(line.width, line.width)
            if len(line.words) == 1 and ink > style.max_width + 1e-6:
                where = "crosses the safe area" if ink > style.safe.width else "is shown alone"
                warnings.append(
                    f"the word {line.words[0].text!r} is {ink:.0f} px wide, wider than"
                    f" max_width ({style.max_width:.0f} px): it {where}"
                )
    return warnings


def _starts_page(
    index: int,
    word: Word,
    previous: Word | None,
    page: list[list[Word]],
    style: ResolvedStyle,
    forced_breaks: Collection[int],
) -> bool:
    """Whether ``word`` must open a new page, whatever room the current page has left."""
    if index in forced_breaks:
        return True
    if previous is not None:
        pause = word.start - previous.end
        # A threshold of 0 means "at any silence", not "before every word".
        if pause > 0 and pause >= style.break_on_pause - _PAUSE_TOLERANCE:
            return True
    on_page = [w for line in page for w in line]
    if style.words_per_page is not None and len(on_page) >= style.words_per_page:
        return True
    if style.max_chars_per_page is not None:
        chars = sum(len(w.text) for w in on_page) + len(on_page) + len(word.text)
        if chars > style.max_chars_per_page:
            return True
    return False


def _check_fits_frame(word: Word, advance: float, style: ResolvedStyle) -> None:
    """Refuse a word that, alone on its line, is wider than the video itself."""
    ink = style.ink_width(advance, advance)
    if ink <= style.frame.width:
        return
    # Every length scales with the font size except the 1 px anti-aliasing allowance.
    largest = style.size * style.frame.width / ink
    raise InputError(
        f"style.size: the word {word.text!r} is {ink:.0f} px wide at size {style.size:.0f} px,"
        f" wider than the {style.frame.width:.0f} px video; use a size of at most"
        f" {int(largest)} px, or a narrower font"
    )


def _timed(
    pages: list[list[list[Word]]], width: Callable[[str], float], style: ResolvedStyle
) -> list[Page]:
    """Pages with their times: from the first word's start to the last word's end plus the
    hold (at least ``min_display``), cut short by the next page's start: never overlapping."""
    timed: list[Page] = []
    for n, lines in enumerate(pages):
        start = lines[0][0].start
        end = max(max(w.end for line in lines for w in line) + HOLD, start + style.min_display)
        if n + 1 < len(pages):
            end = min(end, pages[n + 1][0][0].start)
        measured = [Line(line, width(" ".join(w.text for w in line))) for line in lines]
        timed.append(Page(measured, start, max(end, start)))
    return timed
