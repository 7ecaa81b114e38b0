"""What the caption modules hand each other: timed words, cues, and the laid-out pages."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Word:
    """One word and when it is said, in seconds of the output video."""

    text: str
    start: float
    end: float

    def __post_init__(self) -> None:
        if not self.text or self.end < self.start or self.start < 0:
            raise ValueError(f"bad word {self!r}")


@dataclass(frozen=True)
class Cue:
    """A subtitle cue (SRT/VTT): text shown from ``start`` to ``end``; lines split by \\n."""

    start: float
    end: float
    text: str


@dataclass(frozen=True)
class Captions:
    """A parsed source: words with their own times, or cues (whose words are estimated), or
    an ASS document to burn as written (``ass``)."""

    words: list[Word] = field(default_factory=list)
    cues: list[Cue] = field(default_factory=list)
    ass: str | None = None
    estimated: bool = False  # word times were spread over cue times, not measured
    page_starts: tuple[float, ...] = ()  # a page starts at the first word said at or after each


@dataclass(frozen=True)
class Line:
    """One line of a page: its words, and its measured width in pixels."""

    words: list[Word]
    width: float


@dataclass(frozen=True)
class Page:
    """What is on screen at once: up to ``max_lines`` lines, shown from ``start`` to ``end``
    (the next page's start, or the last word's end plus the hold)."""

    lines: list[Line]
    start: float
    end: float

    @property
    def words(self) -> list[Word]:
        return [w for line in self.lines for w in line.words]
