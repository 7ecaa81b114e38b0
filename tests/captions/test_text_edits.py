from __future__ import annotations

from framecast.captions.model import Captions, Cue, Word
from framecast.captions.text_edits import apply_exclusions, apply_offset, apply_replacements
from framecast.contracts.caption import Replacement, TimeRange


def _words(*texts: str) -> list[Word]:
    return [Word(text, i * 1.0, i * 1.0 + 0.5) for i, text in enumerate(texts)]


def _texts(captions: Captions) -> list[str]:
    return [w.text for w in captions.words]


def _remove(find: str, **kwargs: bool) -> list[Replacement]:
    return [Replacement(find=find, replace="", **kwargs)]


def test_offset_moves_words_and_cues() -> None:
    captions = apply_offset(Captions(words=_words("a"), cues=[Cue(1, 2, "x")]), 2.0)
    assert captions.words == [Word("a", 2.0, 2.5)] and captions.cues == [Cue(3.0, 4.0, "x")]


def test_negative_offset_drops_what_ends_before_zero_and_clips_starts() -> None:
    captions = apply_offset(Captions(words=_words("a", "b"), cues=[Cue(0.5, 1.5, "x")]), -1.25)
    assert captions.words == [Word("b", 0.0, 0.25)] and captions.cues == [Cue(0.0, 0.25, "x")]


def test_zero_offset_changes_nothing() -> None:
    captions = Captions(words=[Word("a", 0.0, 0.0)])
    assert apply_offset(captions, 0.0) is captions


def test_whole_word_leaves_album_and_umbrella_alone() -> None:
    captions = apply_replacements(Captions(words=_words("album", "umbrella", "Um")), _remove("um"))
    assert _texts(captions) == ["album", "umbrella"]


def test_whole_word_is_not_part_of_a_contraction() -> None:
    captions = Captions(words=_words("don't", "don"))
    assert _texts(apply_replacements(captions, _remove("don"))) == ["don't"]


def test_removed_word_gives_its_punctuation_to_the_word_before() -> None:
    captions = apply_replacements(Captions(words=_words("I", "think", "um,", "yes")), _remove("um"))
    assert _texts(captions) == ["I", "think,", "yes"]
    assert captions.words[1] == Word("think,", 1.0, 1.5)  # the others keep their times


def test_punctuation_is_not_doubled_or_left_leading() -> None:
    captions = Captions(words=_words("Um...", "so,", "um,", "hi"))
    assert _texts(apply_replacements(captions, _remove("um"))) == ["so,", "hi"]


def test_replacement_inside_a_word_when_not_whole_word() -> None:
    rule = [Replacement(find="colour", replace="color", whole_word=False)]
    captions = apply_replacements(Captions(words=_words("Colours!")), rule)
    assert _texts(captions) == ["colors!"]


def test_case_sensitive_replacement_skips_other_cases() -> None:
    rule = [Replacement(find="Frame", replace="FRAME", case_sensitive=True)]
    captions = apply_replacements(Captions(words=_words("frame", "Frame")), rule)
    assert _texts(captions) == ["frame", "FRAME"]


def test_a_match_over_two_words_becomes_one_word_spanning_both() -> None:
    rule = [Replacement(find="frame cast", replace="FrameCast")]
    captions = apply_replacements(Captions(words=_words("try", "Frame", "Cast.")), rule)
    assert captions.words == [Word("try", 0.0, 0.5), Word("FrameCast.", 1.0, 2.5)]


def test_non_latin_whole_words_respect_combining_marks() -> None:
    captions = Captions(words=_words("हिंदी", "हि"))
    assert _texts(apply_replacements(captions, _remove("हि"))) == ["हिंदी"]


def test_replacements_edit_cue_lines() -> None:
    cue = Cue(0, 1, "So, um, the album\num")
    captions = apply_replacements(Captions(cues=[cue]), _remove("um"))
    assert captions.cues == [Cue(0, 1, "So, the album")]


def test_a_cue_left_without_text_is_dropped() -> None:
    captions = apply_replacements(Captions(cues=[Cue(0, 1, "um")]), _remove("um"))
    assert captions.cues == []


def test_exclusion_drops_words_by_their_midpoint() -> None:
    captions = Captions(words=[Word("a", 0.0, 1.0), Word("b", 0.8, 1.6)])
    edited = apply_exclusions(captions, [TimeRange(start=0.0, end=1.1)])
    assert _texts(edited) == ["b"]


def test_exclusion_drops_a_cue_entirely_inside() -> None:
    captions = Captions(cues=[Cue(1, 2, "x")])
    assert apply_exclusions(captions, [TimeRange(start=0.5, end=2.5)]).cues == []


def test_exclusion_trims_a_cue_partly_inside() -> None:
    captions = Captions(cues=[Cue(1, 3, "x")])
    assert apply_exclusions(captions, [TimeRange(start=2, end=4)]).cues == [Cue(1, 2, "x")]


def test_exclusion_trims_the_start_of_a_cue() -> None:
    captions = Captions(cues=[Cue(1, 3, "x")])
    assert apply_exclusions(captions, [TimeRange(start=0, end=2)]).cues == [Cue(2, 3, "x")]


def test_exclusion_inside_a_cue_splits_it_in_two() -> None:
    captions = Captions(cues=[Cue(1, 5, "x")])
    edited = apply_exclusions(captions, [TimeRange(start=2, end=3)])
    assert edited.cues == [Cue(1, 2, "x"), Cue(3, 5, "x")]


def test_exclusion_drops_slivers_of_a_cue() -> None:
    captions = Captions(cues=[Cue(1, 3, "x")])
    edited = apply_exclusions(captions, [TimeRange(start=1.05, end=3)])
    assert edited.cues == []


def test_exclusion_leaves_ass_and_untouched_cues() -> None:
    captions = Captions(cues=[Cue(5, 6, "y")], ass="[Script Info]")
    edited = apply_exclusions(captions, [TimeRange(start=1, end=2)])
    assert edited == captions
