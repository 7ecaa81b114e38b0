"""The caption builder: parsed captions + options + the video's size → the ASS to burn, the
cues and words for the sidecars, and the faces libass must be given.

One library function for every caller: the caption operation, the command line and compose
(which feeds the same document into its own single encode).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from framecast.captions.ass_writer import ass_document, cues_from_pages
from framecast.captions.authored_ass import restyle_fonts
from framecast.captions.fonts import Face, FontBook
from framecast.captions.layout import layout_warnings, paginate
from framecast.captions.model import Captions, Cue, Word
from framecast.captions.presets import resolve_style
from framecast.captions.sources import words_from_cues
from framecast.captions.text_edits import apply_exclusions, apply_offset, apply_replacements
from framecast.contracts.caption import CaptionOptions
from framecast.errors import InputError

# Presets that show which word is being said (the others show whole pages).
WORD_PRESETS = frozenset(
    {"karaoke", "karaoke_fill", "highlight", "pill", "underline", "word_by_word", "pop"}
)


@dataclass(frozen=True)
class CaptionBuild:
    """What to burn and what to hand back beside the video."""

    ass: str
    cues: list[Cue]  # what is on screen, page by page (the SRT/VTT sidecars)
    words: list[Word]  # after offset, replacements and exclusions (the words JSON)
    pages: int
    faces: list[Face]
    warnings: list[str] = field(default_factory=list)

    def font(self) -> dict[str, Any]:
        """The font drawn (the first face: the style's), as the result reports it."""
        face = self.faces[0]
        return {"family": face.family, "weight": face.weight, "file": face.source}


def build_captions(
    captions: Captions, options: CaptionOptions, width: int, height: int, book: FontBook
) -> CaptionBuild:
    """The captions of ``options`` for a ``width`` × ``height`` video, fonts from ``book``."""
    captions = apply_offset(captions, options.offset)
    captions = apply_replacements(captions, options.replace)
    captions = apply_exclusions(captions, options.exclude)
    warnings: list[str] = []
    if captions.ass is not None:
        ass, faces = restyle_fonts(captions.ass, book)
        words = captions.words or words_from_cues(captions.cues)
        return CaptionBuild(ass, captions.cues, words, len(captions.cues), faces, warnings)
    words, breaks = _words(captions)
    if not words:
        raise InputError("captions: no words left to show (after offset, replace and exclude)")
    style = resolve_style(options.style, width, height)
    if not captions.words and style.preset in WORD_PRESETS:
        warnings.append(
            "word times were spread over each cue's time by length (the source has no word"
            " timings): give words or alignment for exact highlighting"
        )
    face = book.face(style.font, style.weight)
    _check_glyphs(face, words, book, style.uppercase)
    measure = face.measure(style.size)
    pages = paginate(words, measure.width, style, breaks)
    warnings += layout_warnings(pages, style)
    ass = ass_document(pages, style, face.ass_name, width, height, measure, face.weight)
    return CaptionBuild(ass, cues_from_pages(pages), words, len(pages), [face], warnings)


def _words(captions: Captions) -> tuple[list[Word], set[int]]:
    """The words to lay out and the indexes where a page must start: a cue's first word, the
    first word at or after each of ``page_starts``."""
    if captions.words:
        said = list(captions.words)
        firsts = [
            next((i for i, w in enumerate(said) if w.start >= t), None)
            for t in captions.page_starts
        ]
        return said, {i for i in firsts if i}
    words: list[Word] = []
    breaks: set[int] = set()
    for cue in captions.cues:
        breaks.add(len(words))
        words += words_from_cues([cue])
    return words, breaks


def _check_glyphs(face: Face, words: list[Word], book: FontBook, uppercase: bool) -> None:
    """Every character must be drawable by the face: a missing glyph is an error, not a box."""
    text = " ".join(w.text for w in words)
    # What is drawn: "µ" uppercased is the Greek "Μ", which a Latin face may lack.
    text = text.upper() if uppercase else text
    missing = face.missing(text)
    if not missing:
        return
    covering = [
        family for family in book.families() if not book.face(family, None).missing(missing)
    ]
    shown = "".join(sorted(set(missing)))[:40]
    hint = f"; {', '.join(covering)} can draw them" if covering else ""
    raise InputError(
        f"style.font: {face.family} has no glyphs for {shown!r}{hint}"
        " (pick one with style.font, or give style.font_url)"
    )
