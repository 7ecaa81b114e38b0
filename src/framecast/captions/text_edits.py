"""The request's edits of parsed captions: ``offset``, ``replace`` and ``exclude``.

Each function returns new Captions and edits both its words and its cues; an ASS document
(``Captions.ass``) is burned as written, so it is left as it is.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import replace

from framecast.captions.model import Captions, Cue, Word
from framecast.contracts.caption import Replacement, TimeRange

__all__ = ["apply_exclusions", "apply_offset", "apply_replacements"]

# A piece of a cue trimmed by an excluded span shorter than this is dropped: a flash that
# nobody can read looks like a glitch.
MIN_PIECE = 0.1
_APOSTROPHES = "'’"


def apply_offset(captions: Captions, seconds: float) -> Captions:
    """Every time moved by ``seconds``; what then ends at or before 0 is dropped, starts at 0."""
    if seconds == 0:
        return captions
    words = [
        Word(w.text, max(0.0, w.start + seconds), w.end + seconds)
        for w in captions.words
        if w.end + seconds > 0
    ]
    cues = [
        Cue(max(0.0, c.start + seconds), c.end + seconds, c.text)
        for c in captions.cues
        if c.end + seconds > 0
    ]
    return replace(captions, words=words, cues=cues)


def apply_replacements(captions: Captions, replacements: Sequence[Replacement]) -> Captions:
    """Each replacement applied in turn to the words and to each line of each cue.

    ``whole_word`` matches only where the found text is not part of a longer word ("um" is not
    found in "album", "umbrella" or "um's"). A match spanning several words becomes one word
    from the first one's start to the last one's end. A removal (``replace`` empty) drops the
    words it empties; one left with only punctuation ("um," → ",") gives it to the word before,
    unless that word already ends with punctuation.
    """
    words, cues = captions.words, captions.cues
    for rule in replacements:
        edited = _edit_tokens([w.text for w in words], rule)
        if edited is not None:
            words = [
                Word(text, min(words[i].start for i in covers), max(words[i].end for i in covers))
                for text, covers in edited
            ]
        cues = [cue for cue in (_edit_cue(cue, rule) for cue in cues) if cue.text]
    return replace(captions, words=words, cues=cues)


def apply_exclusions(captions: Captions, ranges: Sequence[TimeRange]) -> Captions:
    """No captions in ``ranges``: words whose midpoint is in one are dropped, cues trimmed.

    A cue partly inside keeps its part(s) outside, as one or two cues with its text; a part
    shorter than MIN_PIECE is dropped.
    """
    if not ranges:
        return captions
    starts, ends = _union(ranges)

    def excluded(moment: float) -> bool:
        at = bisect_right(starts, moment) - 1
        return at >= 0 and moment < ends[at]

    words = [w for w in captions.words if not excluded((w.start + w.end) / 2)]
    cues: list[Cue] = []
    for cue in captions.cues:
        if cue.start == cue.end:
            cues += [] if excluded(cue.start) else [cue]
            continue
        pieces, cursor = [], cue.start
        at = bisect_right(ends, cue.start)  # the first span ending after the cue starts
        while at < len(starts) and starts[at] < cue.end:
            pieces.append((cursor, starts[at]))
            cursor = max(cursor, ends[at])
            at += 1
        if cursor == cue.start:
            cues.append(cue)
            continue
        pieces.append((cursor, cue.end))
        cues += [Cue(a, b, cue.text) for a, b in pieces if b - a >= MIN_PIECE]
    return replace(captions, words=words, cues=cues)


def _union(ranges: Sequence[TimeRange]) -> tuple[list[float], list[float]]:
    """The ranges merged where they overlap: sorted starts and their ends."""
    starts: list[float] = []
    ends: list[float] = []
    for rng in sorted(ranges, key=lambda r: r.start):
        if ends and rng.start <= ends[-1]:
            ends[-1] = max(ends[-1], rng.end)
        else:
            starts.append(rng.start)
            ends.append(rng.end)
    return starts, ends


def _edit_cue(cue: Cue, rule: Replacement) -> Cue:
    lines = []
    for line in cue.text.split("\n"):
        edited = _edit_tokens(line.split(), rule)
        lines.append(line if edited is None else " ".join(text for text, _ in edited))
    return Cue(cue.start, cue.end, "\n".join(line for line in lines if line.strip()))


def _edit_tokens(tokens: list[str], rule: Replacement) -> list[tuple[str, list[int]]] | None:
    """The tokens after ``rule``, each with the indices of the tokens it covers; None if no match.

    The tokens are searched joined by one space, so a ``find`` may span several of them.
    """
    text = " ".join(tokens)
    matches = list(_matches(text, rule))
    if not matches:
        return None
    starts = [0]
    for token in tokens[:-1]:
        starts.append(starts[-1] + len(token) + 1)
    pieces: list[list[str]] = [[] for _ in tokens]
    covers = [[i] for i in range(len(tokens))]
    into = list(range(len(tokens)))  # the token each one's remaining text goes to
    touched = [False] * len(tokens)

    def overlapping(lo: int, hi: int) -> Iterator[int]:
        i = max(0, bisect_right(starts, lo) - 1)
        while i < len(tokens) and starts[i] < hi:
            if starts[i] + len(tokens[i]) > lo:
                yield i
            i += 1

    def keep(lo: int, hi: int) -> None:
        for i in overlapping(lo, hi):
            pieces[into[i]].append(text[max(lo, starts[i]) : min(hi, starts[i] + len(tokens[i]))])

    done = 0
    for lo, hi in matches:
        inside = list(overlapping(lo, hi))
        if not inside:  # only the spaces between tokens: they are not anyone's text
            continue
        keep(done, lo)
        first = into[inside[0]]
        pieces[first].append(rule.replace)
        touched[first] = True
        for i in inside[1:]:
            # The match joins these to the first: their rest ("Cast." → ".") and their time.
            covers[first] += covers[i]
            covers[i], into[i] = [], first
        done = hi
    keep(done, len(text))
    removing = not rule.replace.strip()
    result: list[tuple[str, list[int]]] = []
    for i, token_covers in enumerate(covers):
        new = "".join(pieces[i]).strip()
        if not token_covers or not new:
            continue
        if removing and touched[i] and not any(map(_word_char, new)):
            if result and _word_char(result[-1][0][-1]):
                result[-1] = (result[-1][0] + new, result[-1][1])
            continue
        result.append((new, token_covers))
    return result


def _matches(text: str, rule: Replacement) -> Iterator[tuple[int, int]]:
    pattern = re.compile(re.escape(rule.find), 0 if rule.case_sensitive else re.IGNORECASE)
    at = 0
    while (match := pattern.search(text, at)) is not None:
        lo, hi = match.span()
        if rule.whole_word and (_joined(text, lo) or _joined(text, hi)):
            at = lo + 1  # a later, overlapping match may still stand alone
            continue
        yield lo, hi
        at = hi


def _word_char(char: str) -> bool:
    # Marks count: Arabic harakat or Devanagari vowel signs are inside a word, not after it.
    return char.isalnum() or char == "_" or unicodedata.category(char)[0] == "M"


def _joined(text: str, at: int) -> bool:
    """Whether ``text[at - 1]`` and ``text[at]`` are in one word (Unicode's rule, simplified)."""
    if at <= 0 or at >= len(text):
        return False
    before, after = text[at - 1], text[at]
    if _word_char(before) and _word_char(after):
        return True
    # An apostrophe between letters is inside the word: "don't", "l'homme".
    if after in _APOSTROPHES and at + 1 < len(text):
        return _word_char(before) and _word_char(text[at + 1])
    if before in _APOSTROPHES and at >= 2:
        return _word_char(text[at - 2]) and _word_char(after)
    return False
