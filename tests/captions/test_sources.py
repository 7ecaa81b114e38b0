from __future__ import annotations

import pytest

from framecast.captions.model import Captions, Cue, Word
from framecast.captions.sources import (
    parse_srt,
    parse_vtt,
    read_captions,
    words_from_alignment,
    words_from_cues,
)
from framecast.contracts.caption import AlignmentSpec, CaptionsSpec, WordSpec
from framecast.errors import InputError

SRT = (
    "1\n00:00:01,000 --> 00:00:02,500\nHello there\nfriend\n\n"
    "2\n00:00:03,000 --> 00:00:04,000\nBye\n"
)
ASS = """[Script Info]
ScriptType: v4.00+

[V4+ Styles]
Format: Name, Fontname, Fontsize
Style: Default,Arial,40

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
Dialogue: 0,0:00:01.50,0:00:03.00,Default,,0,0,0,,{\\an8\\b1}Top, line\\Nsecond\\hpart
Comment: 0,0:00:04.00,0:00:05.00,Default,,0,0,0,,not shown
"""


def test_srt_cues_keep_line_breaks() -> None:
    assert parse_srt(SRT) == [Cue(1.0, 2.5, "Hello there\nfriend"), Cue(3.0, 4.0, "Bye")]


def test_a_crlf_srt_with_a_bom_gives_every_cue() -> None:
    blocks = [f"{i + 1}\r\n{_t(i)} --> {_t(i + 0.5)}\r\nline {i}\r\n" for i in range(50)]
    cues = parse_srt("\ufeff" + "\r\n".join(blocks))
    assert [c.text for c in cues] == [f"line {i}" for i in range(50)]


def test_lone_cr_line_ends_are_lines() -> None:
    assert parse_srt(SRT.replace("\n", "\r")) == parse_srt(SRT)


def test_srt_tolerates_dots_missing_numbers_gaps_and_blank_lines() -> None:
    text = "\n\n00:00:01.000 --> 00:00:02.000\nA\n\n\n\n7\n00:00:03,000 --> 00:00:04,000\nB\n"
    assert parse_srt(text) == [Cue(1.0, 2.0, "A"), Cue(3.0, 4.0, "B")]


def test_srt_tolerates_a_missing_blank_line_between_cues() -> None:
    text = "1\n00:00:01,000 --> 00:00:02,000\nA\n2\n00:00:03,000 --> 00:00:04,000\nB\n"
    assert parse_srt(text) == [Cue(1.0, 2.0, "A"), Cue(3.0, 4.0, "B")]


def test_srt_blank_line_inside_a_cue_continues_it() -> None:
    text = "1\n00:00:01,000 --> 00:00:02,000\nA\n\nstill A\n\n2\n00:00:03,000 --> 00:00:04,000\nB"
    assert parse_srt(text)[0].text == "A\nstill A"


def test_srt_tags_and_backslash_overrides_are_removed() -> None:
    text = "1\n00:00:01,000 --> 00:00:02,000\n{\\an8}<i>Hi</i> <font color=red>you</font>\n"
    assert parse_srt(text)[0].text == "Hi you"


def test_srt_braces_without_a_backslash_and_backslashes_are_text() -> None:
    text = "1\n00:00:01,000 --> 00:00:02,000\n{b} a\\b {x} a < b > c\n"
    assert parse_srt(text)[0].text == "{b} a\\b {x} a < b > c"


def test_right_to_left_text_keeps_its_logical_order() -> None:
    text = "1\n00:00:01,000 --> 00:00:02,000\nمرحبا بالعالم\n"
    assert parse_srt(text)[0].text == "مرحبا بالعالم"


def test_srt_cues_are_sorted_by_start() -> None:
    text = "1\n00:00:05,000 --> 00:00:06,000\nB\n\n2\n00:00:01,000 --> 00:00:02,000\nA\n"
    assert [c.text for c in parse_srt(text)] == ["A", "B"]


def test_srt_end_before_start_names_cue_and_line() -> None:
    text = SRT + "\n3\n00:00:05,000 --> 00:00:04,000\nX\n"
    with pytest.raises(InputError, match=r"captions\.srt: cue 3 \(line 11\): end 00:00:04,000"):
        parse_srt(text)


def test_a_bad_timestamp_names_its_line() -> None:
    with pytest.raises(InputError, match=r"captions\.srt: line 2: bad timing"):
        parse_srt("1\n00:00:aa,000 --> 00:00:02,000\nA\n")


def test_no_cues_is_an_error() -> None:
    with pytest.raises(InputError, match=r"captions\.vtt: no cues found"):
        parse_vtt("WEBVTT\n\nNOTE nothing here\n")


def test_vtt_skips_header_note_and_style_and_cue_settings() -> None:
    text = (
        "WEBVTT - a title\nKind: captions\n\nNOTE a comment\nspanning lines\n\n"
        "STYLE\n::cue { color: red }\n\nintro\n00:01.000 --> 00:02.500 align:start position:10%\n"
        "<v Roger><c.yellow>Hi</c> &amp; bye</v>\n"
    )
    assert parse_vtt(text) == [Cue(1.0, 2.5, "Hi & bye")]


def test_vtt_hours_are_optional() -> None:
    text = "WEBVTT\n\n01:02.003 --> 01:00:00.000\nA\n"
    assert parse_vtt(text) == [Cue(62.003, 3600.0, "A")]


def test_vtt_timestamp_tags_give_word_times() -> None:
    text = "WEBVTT\n\n00:01.000 --> 00:03.000\n<00:01.000>Hello <00:02.000>world\n"
    captions = read_captions("vtt", text)
    assert captions.words == [Word("Hello", 1.0, 2.0), Word("world", 2.0, 3.0)]
    assert captions.cues == [Cue(1.0, 3.0, "Hello world")] and not captions.estimated


def test_vtt_words_sharing_one_stamp_are_estimated() -> None:
    text = "WEBVTT\n\n00:01.000 --> 00:03.000\n<00:02.000>ab cd\n"
    captions = read_captions("vtt", text)
    assert captions.words == [Word("ab", 2.0, 2.5), Word("cd", 2.5, 3.0)] and captions.estimated


def test_srt_source_gives_cues_and_leaves_words_to_the_builder() -> None:
    assert read_captions("srt", SRT) == Captions(cues=parse_srt(SRT))


def test_vtt_without_timestamp_tags_gives_cues_only() -> None:
    captions = read_captions("vtt", "WEBVTT\n\n00:01.000 --> 00:03.000\nHello world\n")
    assert captions == Captions(cues=[Cue(1.0, 3.0, "Hello world")])


def test_alignment_groups_characters_on_whitespace() -> None:
    chars = list("Hi,  you\nthere ")
    starts = [i * 0.1 for i in range(len(chars))]
    words = words_from_alignment(chars, starts, [s + 0.1 for s in starts])
    assert [(w.text, round(w.start, 3), round(w.end, 3)) for w in words] == [
        ("Hi,", 0.0, 0.3),
        ("you", 0.5, 0.8),
        ("there", 0.9, 1.4),
    ]


def test_alignment_of_only_spaces_is_an_error() -> None:
    with pytest.raises(InputError, match=r"captions\.alignment"):
        words_from_alignment([" ", "\n"], [0.0, 0.1], [0.1, 0.2])


def test_words_from_cues_share_the_cue_by_length() -> None:
    words = words_from_cues([Cue(0.0, 1.0, "a\nbcd"), Cue(2.0, 2.0, "x")])
    assert words == [Word("a", 0.0, 1 / 3), Word("bcd", 1 / 3, 1.0), Word("x", 2.0, 2.0)]


def test_ass_is_kept_and_its_dialogue_gives_cues() -> None:
    captions = read_captions("ass", "\ufeff" + ASS.replace("\n", "\r\n"))
    assert captions.ass == ASS
    assert captions.cues == [Cue(1.5, 3.0, "Top, line\nsecond part")]


def test_ass_without_events_is_an_error() -> None:
    with pytest.raises(InputError, match=r"captions\.ass: not an ASS/SSA document"):
        read_captions("ass", "[Script Info]\nTitle: x\n")


def test_ass_without_dialogue_is_an_error() -> None:
    with pytest.raises(InputError, match=r"captions\.ass: no Dialogue"):
        read_captions("ass", ASS.split("Dialogue")[0])


def test_words_are_sorted_by_start() -> None:
    spec = CaptionsSpec(
        words=[WordSpec(word="b", start=1, end=2), WordSpec(word="a", start=0, end=3)]
    )
    assert read_captions("words", spec).words == [Word("a", 0, 3), Word("b", 1, 2)]


def test_read_captions_takes_an_alignment() -> None:
    spec = AlignmentSpec(
        characters=["o", "k"],
        character_start_times_seconds=[0, 0.2],
        character_end_times_seconds=[0.2, 0.4],
    )
    assert read_captions("alignment", spec).words == [Word("ok", 0, 0.4)]


def test_an_unknown_kind_is_an_error() -> None:
    with pytest.raises(InputError, match="unknown source 'sbv'"):
        read_captions("sbv", "text")


def _t(seconds: float) -> str:
    ms = round(seconds * 1000)
    return f"00:{ms // 60_000:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"
