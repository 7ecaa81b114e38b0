"""The caption builder: what it refuses before anything is burned."""

from __future__ import annotations

import pytest

from framecast.captions.build import build_captions
from framecast.captions.fonts import FontBook
from framecast.captions.model import Captions, Cue
from framecast.contracts.caption import CaptionOptions, CaptionStyle
from framecast.errors import InputError


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> FontBook:
    return FontBook(tmp_path_factory.mktemp("font-cache"))


def test_glyphs_are_checked_in_the_case_that_is_drawn(book: FontBook) -> None:
    # Montserrat has the micro sign "µ" but not its uppercase, the Greek capital "Μ".
    captions = Captions(cues=[Cue(0.0, 1.0, "only 10 µm wide")])
    options = CaptionOptions(style=CaptionStyle(preset="pop", font="Montserrat"))
    with pytest.raises(InputError, match="Montserrat has no glyphs for 'Μ'"):
        build_captions(captions, options, 720, 1280, book)
