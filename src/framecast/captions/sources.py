"""Caption sources (SRT, WebVTT, ASS, timed words, TTS character alignment) read into Captions.

Lenient with what real files get wrong (a BOM, CRLF or lone CR, "." or "," before the ms, missing
numbers, extra blank lines); an InputError naming the field and line for what would burn wrong
(a bad timestamp, a cue ending before it starts). Cue text keeps its "\\n" line breaks and its
characters, in logical order (right-to-left text is never reversed); tags (<i>, <c.x>, <v Name>,
<00:00:01.000>) are removed. In SRT, braces whose content starts with a backslash ({\\an8}) are
an ASS override and are removed; any other brace ({b}) is text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from pathlib import Path

from framecast.captions.model import Captions, Cue, Word
from framecast.contracts.caption import SOURCES, AlignmentSpec, CaptionsSpec, WordSpec
from framecast.errors import InputError

__all__ = ["parse_srt", "parse_vtt", "read_captions", "words_from_alignment", "words_from_cues"]

_TIME = r"(?:(\d+):)?(\d{1,2}):(\d{1,2})(?:[.,](\d{1,3}))?"
_TIMING = re.compile(rf"^\s*{_TIME}\s*-->\s*{_TIME}(?:\s.*)?$")
_ASS_TIME = re.compile(r"^\s*(\d+):(\d{1,2}):(\d{1,2})(?:[.,](\d{1,3}))?\s*$")
# Only known tag names, so that literal text such as "a <b and c> d" is not eaten.
_TAG = re.compile(
    r"</?(?:i|b|u|s|c|v|lang|ruby|rt|font|span)(?:[.\s][^<>]*)?>"
    r"|<\d+:\d{2}(?::\d{2})?[.,]\d{1,3}>",
    re.IGNORECASE,
)
_VTT_STAMP = re.compile(r"<((?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})>")
_SRT_OVERRIDE = re.compile(r"\{\\[^{}]*\}")
_ASS_OVERRIDE = re.compile(r"\{[^{}]*\}")
_VTT_SKIP = ("NOTE", "STYLE", "REGION")
_EVENTS_FORMAT = "Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text"

# The request's CaptionsSpec, or one kind's value: text, a list of WordSpec, an AlignmentSpec.
Source = str | CaptionsSpec | list[WordSpec] | AlignmentSpec


def parse_srt(text: str) -> list[Cue]:
    """The cues of a SubRip document that have text, sorted by start."""
    return [clean for _, clean in _cues(text, "srt")]


def parse_vtt(text: str) -> list[Cue]:
    """The cues of a WebVTT document that have text, sorted by start."""
    return [clean for _, clean in _cues(text, "vtt")]


def words_from_alignment(
    chars: Sequence[str], starts: Sequence[float], ends: Sequence[float]
) -> list[Word]:
    """Words from a TTS character alignment: characters grouped on whitespace, times kept."""
    if not len(chars) == len(starts) == len(ends):
        raise InputError("captions.alignment: characters and their times differ in length")
    words: list[Word] = []
    text, start, end = "", 0.0, 0.0
    for char, char_start, char_end in [*zip(chars, starts, ends, strict=True), (" ", 0, 0)]:
        if char.strip():
            if not text:
                start = max(0.0, char_start)
            text, end = text + char, char_end
        elif text:
            words.append(Word(text, start, max(start, end)))
            text = ""
    if not words:
        raise InputError("captions.alignment: no words (only whitespace)")
    return words


def words_from_cues(cues: Sequence[Cue]) -> list[Word]:
    """Word times estimated from cue times: each cue's span shared by its words' lengths.

    An estimate, not a measurement: a word gets time in proportion to its characters plus one
    (so short words are not squeezed to nothing), and a cue's words follow without gaps.
    """
    words: list[Word] = []
    for cue in cues:
        words += _spread(cue.text.split(), cue.start, cue.end)
    return words


def fetched_text(path: Path, kind: str) -> str:
    """A captions file fetched for ``captions.{kind}``, as text (UTF-8, a BOM dropped)."""
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"captions.{kind}: the file is not UTF-8 text") from exc


def read_captions(kind: str, source: Source) -> Captions:
    """Captions from one source: ``kind`` is srt, vtt, ass, words or alignment.

    ``source`` is the request's CaptionsSpec, or that kind's own value (the fetched text for
    srt/vtt/ass, the list of WordSpec, the AlignmentSpec). Cue sources give cues and no
    words (words_from_cues estimates them), except a VTT whose every cue has timestamp tags.
    """
    if kind not in SOURCES:
        raise InputError(f"captions: unknown source {kind!r} (one of {', '.join(SOURCES)})")
    value = getattr(source, kind, None) if isinstance(source, CaptionsSpec) else source
    if isinstance(value, str) and kind in ("srt", "ass"):
        ass, cues = _read_ass(value) if kind == "ass" else (None, parse_srt(value))
        return Captions(cues=cues, ass=ass)
    if isinstance(value, str) and kind == "vtt":
        return _read_vtt(value)
    if isinstance(value, list) and kind == "words":
        words = [Word(w.word.strip(), w.start, w.end) for w in value if w.word.strip()]
        if not words:
            raise InputError("captions.words: no words (only whitespace)")
        return Captions(words=sorted(words, key=lambda word: word.start))
    if isinstance(value, AlignmentSpec) and kind == "alignment":
        chars, starts = value.characters, value.character_start_times_seconds
        return Captions(
            words=words_from_alignment(chars, starts, value.character_end_times_seconds)
        )
    if value is None:
        raise InputError(f"captions.{kind}: not given")
    raise InputError(f"captions.{kind}: cannot read a {type(value).__name__} as {kind}")


def _normalise(text: str) -> str:
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _seconds(groups: Sequence[str | None]) -> float:
    hours, minutes, seconds, fraction = (g or "0" for g in groups)
    # Whole milliseconds first, so that a time written by sidecars reads back as the same float.
    millis = ((int(hours) * 60 + int(minutes)) * 60 + int(seconds)) * 1000
    return (millis + int(fraction.ljust(3, "0"))) / 1000


def _cues(text: str, field: str) -> list[tuple[Cue, Cue]]:
    """Each cue as written (tags kept) and cleaned; cues left without text are dropped."""
    pairs = [(cue, _clean(cue, field)) for cue in _raw_cues(text, field)]
    pairs = [(raw, clean) for raw, clean in pairs if clean.text]
    if not pairs:
        raise InputError(f"captions.{field}: no cues found")
    return sorted(pairs, key=lambda pair: pair[1].start)


def _raw_cues(text: str, field: str) -> list[Cue]:
    cues: list[Cue] = []
    blocks: list[list[tuple[int, str]]] = [[]]
    for number, line in enumerate(_normalise(text).split("\n"), start=1):
        if line.strip():
            blocks[-1].append((number, line.strip()))
        elif blocks[-1]:
            blocks.append([])
    for block in blocks:
        if not block or (field == "vtt" and block[0][1].split(" ")[0] in _VTT_SKIP):
            continue
        timings = [i for i, (_, line) in enumerate(block) if "-->" in line]
        if not timings:
            # SRT has no escape for a blank line inside a cue: a block without a timing
            # line (other than a stray number) continues the cue before it.
            if field == "srt" and cues and not block[0][1].isdigit():
                more = "\n".join(line for _, line in block)
                cues[-1] = Cue(cues[-1].start, cues[-1].end, f"{cues[-1].text}\n{more}")
            continue
        for k, at in enumerate(timings):
            stop = timings[k + 1] if k + 1 < len(timings) else len(block)
            lines = [line for _, line in block[at + 1 : stop]]
            if stop < len(block) and lines and lines[-1].isdigit():
                lines.pop()  # the next cue's number, the blank line before it missing
            cues.append(_timed(block[at], lines, len(cues) + 1, field))
    return cues


def _timed(timing: tuple[int, str], lines: list[str], index: int, field: str) -> Cue:
    number, line = timing
    match = _TIMING.match(line)
    if match is None:
        raise InputError(
            f"captions.{field}: line {number}: bad timing {line!r}"
            " (expected like 00:00:01,000 --> 00:00:02,500)"
        )
    start, end = _seconds(match.groups()[:4]), _seconds(match.groups()[4:])
    if end < start:
        written_start, rest = line.split("-->", 1)
        raise InputError(
            f"captions.{field}: cue {index} (line {number}): end {rest.split()[0]} is before"
            f" start {written_start.strip()}"
        )
    return Cue(start, end, "\n".join(lines))


def _clean(cue: Cue, field: str) -> Cue:
    text = _TAG.sub("", cue.text)
    text = _SRT_OVERRIDE.sub("", text) if field == "srt" else html.unescape(text)
    lines = [line.strip() for line in text.split("\n")]
    return Cue(cue.start, cue.end, "\n".join(line for line in lines if line))


def _read_vtt(text: str) -> Captions:
    """WebVTT cues, and words timed by its ``<00:00:01.000>`` tags if every cue has them."""
    pairs = _cues(text, "vtt")
    cues = [clean for _, clean in pairs]
    if not all(_VTT_STAMP.search(raw.text) for raw, _ in pairs):
        return Captions(cues=cues)
    words: list[Word] = []
    estimated = False  # several words after one stamp share its span (as words_from_cues)
    for raw, _ in pairs:
        # split() alternates text and stamp: each text runs from its stamp to the next one.
        parts = _VTT_STAMP.split(raw.text)
        stamps = [raw.start, *(_stamp(s) for s in parts[1::2]), raw.end]
        for i, part in enumerate(parts[0::2]):
            start = min(max(stamps[i], raw.start), raw.end)
            end = min(max(stamps[i + 1], start), raw.end)
            texts = _clean(Cue(start, end, part), "vtt").text.split()
            estimated |= len(texts) > 1
            words += _spread(texts, start, end)
    return Captions(words=words, cues=cues, estimated=estimated)


def _stamp(text: str) -> float:
    match = re.fullmatch(_TIME, text)
    assert match is not None  # _VTT_STAMP only finds what _TIME matches
    return _seconds(match.groups())


def _read_ass(text: str) -> tuple[str, list[Cue]]:
    """The document (BOM removed, "\\n" line ends) and the cues of its Dialogue lines."""
    doc = _normalise(text)
    lines = doc.split("\n")
    sections = {line.strip().lower() for line in lines if line.strip().startswith("[")}
    if "[script info]" not in sections or "[events]" not in sections:
        raise InputError("captions.ass: not an ASS/SSA document (needs [Script Info] and [Events])")
    fields = _columns(_EVENTS_FORMAT)  # until the document's own Format line
    cues: list[Cue] = []
    seen: set[Cue] = set()
    section, dialogues = "", 0
    for number, line in enumerate(lines, start=1):
        key, _, value = line.strip().partition(":")
        section = key.lower() if key.startswith("[") else section
        if section == "[events]" and key.lower() == "format":
            fields = _columns(value)
        if section != "[events]" or key.lower() != "dialogue":
            continue
        dialogues += 1
        values = dict(zip(fields, value.split(",", len(fields) - 1), strict=False))
        times = [_ASS_TIME.match(values.get(name, "")) for name in ("start", "end")]
        if times[0] is None or times[1] is None:
            raise InputError(f"captions.ass: line {number}: bad Dialogue times")
        start, end = _seconds(times[0].groups()), _seconds(times[1].groups())
        if end < start:
            raise InputError(f"captions.ass: line {number}: end is before start")
        text = _ASS_OVERRIDE.sub("", values.get("text", ""))
        text = text.replace("\\N", "\n").replace("\\n", "\n").replace("\\h", " ")
        cue = Cue(start, end, "\n".join(s.strip() for s in text.split("\n") if s.strip()))
        if cue.text and cue not in seen:  # layered effects repeat a line
            cues.append(cue)
            seen.add(cue)
    if not dialogues:
        raise InputError("captions.ass: no Dialogue lines in [Events]")
    return doc, sorted(cues, key=lambda cue: cue.start)


def _columns(format_line: str) -> list[str]:
    return [name.strip().lower() for name in format_line.split(",")]


def _spread(texts: list[str], start: float, end: float) -> list[Word]:
    weights = [len(text) + 1 for text in texts]
    total, done, words = sum(weights), 0, []
    for text, weight in zip(texts, weights, strict=True):
        word_start = start + (end - start) * done / total
        done += weight
        word_end = end if done == total else start + (end - start) * done / total
        words.append(Word(text, word_start, word_end))
    return words
