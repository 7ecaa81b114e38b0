"""The pieces of an ASS document: times, colours, literal text, numbers and vector drawings.

Times are centiseconds, rounded once from absolute seconds; every boundary and duration is
computed from those integers, so nothing drifts however long the video. Caption text is
escaped so that libass draws it as written: ``{`` and ``}`` become libass's ``\\{`` and
``\\}``, and each backslash is followed by a WORD JOINER (U+2060, zero width, never drawn) so
that ``\\N``, ``\\n``, ``\\h`` or a following brace cannot be read as an escape.
"""

from __future__ import annotations

import math
import re

from framecast.captions.safe_area import Rect

__all__ = [
    "ass_colour",
    "ass_time",
    "centiseconds",
    "colour_tags",
    "escape_text",
    "number",
    "rounded_rect",
]

WORD_JOINER = "\u2060"
# Characters that would end the Dialogue line or draw as boxes.
_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")
_KAPPA = 0.5523  # cubic Bézier control distance for a quarter circle, per unit of radius


def centiseconds(seconds: float) -> int:
    """``seconds`` in whole centiseconds, rounded half up (never truncated, never below 0)."""
    # Rounding to 1e-6 first removes float noise: 1.995 * 100 is 199.49999999999997.
    return max(0, math.floor(round(seconds * 100, 6) + 0.5))


def ass_time(cs: int) -> str:
    """An ASS time, ``H:MM:SS.cc``, of whole centiseconds."""
    seconds, cc = divmod(cs, 100)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}.{cc:02d}"


def ass_colour(colour: str) -> str:
    """``#RRGGBBAA`` (AA the opacity) as a style's ``&HAABBGGRR`` (AA the transparency)."""
    red, green, blue, alpha = (colour[i : i + 2] for i in (1, 3, 5, 7))
    return f"&H{255 - int(alpha, 16):02X}{blue}{green}{red}"


def colour_tags(slot: int, colour: str) -> str:
    """The override tags that set colour ``slot`` (1 fill, 2 karaoke, 3 outline, 4 shadow)."""
    red, green, blue, alpha = (colour[i : i + 2] for i in (1, 3, 5, 7))
    return f"\\{slot}c&H{blue}{green}{red}&\\{slot}a&H{255 - int(alpha, 16):02X}&"


def escape_text(text: str) -> str:
    """``text`` as an event's text that libass draws literally."""
    text = _CONTROL.sub(" ", text)
    text = text.replace("\\", "\\" + WORD_JOINER)  # first: the escapes below add backslashes
    return text.replace("{", "\\{").replace("}", "\\}")


def number(value: float) -> str:
    """A coordinate to 1/100 px, without trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def rounded_rect(rect: Rect, radius: float) -> str:
    """An ASS drawing (``\\p1``) of ``rect`` with rounded corners, clockwise on screen.

    Every shape of one drawing turns the same way, so overlapping shapes fill once (no double
    alpha where two lines' boxes meet)."""
    radius = max(0.0, min(radius, rect.width / 2, rect.height / 2))
    k = radius * (1 - _KAPPA)
    left, top, right, bottom = rect.left, rect.top, rect.right, rect.bottom
    # (command, points): a line to, or a cubic Bézier through two control points to.
    path: list[tuple[str, tuple[float, ...]]] = [
        ("m", (left + radius, top)),
        ("l", (right - radius, top)),
        ("b", (right - k, top, right, top + k, right, top + radius)),
        ("l", (right, bottom - radius)),
        ("b", (right, bottom - k, right - k, bottom, right - radius, bottom)),
        ("l", (left + radius, bottom)),
        ("b", (left + k, bottom, left, bottom - k, left, bottom - radius)),
        ("l", (left, top + radius)),
        ("b", (left, top + k, left + k, top, left + radius, top)),
    ]
    return " ".join(f"{command} " + " ".join(map(number, values)) for command, values in path)
