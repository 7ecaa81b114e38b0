"""The files uploaded beside a captioned video: SRT, WebVTT and the words as JSON.

Every time is rounded to the nearest millisecond (half up), never truncated, and carried into
the seconds: 1.9996 s is written 00:00:02,000, never 00:00:01,1000. Negative times are written
as zero. What sources.py parses back from these files equals what was written, to the ms.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

from framecast.captions.model import Cue, Word

__all__ = ["millis", "srt_text", "timestamp", "vtt_text", "words_json"]


def millis(seconds: float) -> int:
    """``seconds`` as whole milliseconds, rounded half up (never below zero)."""
    # floor(x + 0.5), not round(): round() goes to even on exact halves (0.0025 s → 2 ms).
    return max(0, math.floor(seconds * 1000 + 0.5))


def timestamp(seconds: float, separator: str = ",") -> str:
    """``HH:MM:SS,mmm`` (SRT; ``separator="."`` for WebVTT); hours grow past 99 if need be."""
    total = millis(seconds)
    minutes, ms = divmod(total, 60_000)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{ms // 1000:02d}{separator}{ms % 1000:03d}"


def srt_text(cues: Sequence[Cue]) -> str:
    """A SubRip document of ``cues`` with "\\n" line ends; cues without text are left out."""
    blocks: list[str] = []
    for cue in cues:
        # A "-->" in the text would read back as a timing line.
        lines = _lines(cue.text.replace("-->", "->"))
        if lines:
            timing = f"{timestamp(cue.start)} --> {timestamp(cue.end)}"
            blocks.append(f"{len(blocks) + 1}\n{timing}\n{lines}\n")
    return "\n".join(blocks)


def vtt_text(cues: Sequence[Cue]) -> str:
    """A WebVTT document of ``cues`` ("WEBVTT" header; ``&``, ``<`` and ``>`` escaped)."""
    blocks = ["WEBVTT\n"]
    for cue in cues:
        text = cue.text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        lines = _lines(text)
        if lines:
            timing = f"{timestamp(cue.start, '.')} --> {timestamp(cue.end, '.')}"
            blocks.append(f"{timing}\n{lines}\n")
    return "\n".join(blocks)


def words_json(words: Sequence[Word]) -> str:
    """The words as a JSON list of ``{"word", "start", "end"}``, seconds rounded to the ms."""
    return json.dumps(
        [
            {"word": word.text, "start": millis(word.start) / 1000, "end": millis(word.end) / 1000}
            for word in words
        ],
        ensure_ascii=False,
    )


def _lines(text: str) -> str:
    # A blank line would end the cue early in both formats.
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())
