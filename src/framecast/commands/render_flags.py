"""img2vid's render options as command-line flags (``--aspect``, ``--fps``, ``--motion``…): the
flags, and the request fields they make. The API checks the values, naming the field."""

from __future__ import annotations

import argparse
from typing import Any

# The request fields a flag of the same name sets (``--motions`` and ``--start``/``--end`` are
# turned from text into their JSON shapes).
FIELDS = (
    "width", "height", "aspect", "fps", "motion", "motions", "seed", "zoom", "easing",
    "start", "end", "fit", "background",
)  # fmt: skip


def add_render_flags(parser: argparse.ArgumentParser) -> None:
    """The render flags on ``parser``; each left out is the service's default."""
    parser.add_argument("--width", type=int, help="output width (default 1920)")
    parser.add_argument("--height", type=int, help="output height (default 1080)")
    parser.add_argument("--aspect", help="instead of --width/--height: 16:9, 9:16, 1:1 or 4:5")
    parser.add_argument("--fps", type=float, help="frames per second (default 24)")
    parser.add_argument(
        "--motion", help="zoom_in (default), zoom_out, pan_left/right/up/down, static or random"
    )
    parser.add_argument("--motions", type=_names, help="what random picks from, comma-separated")
    parser.add_argument("--seed", type=int, help="random's picks (default 0)")
    parser.add_argument("--zoom", type=float, help="zoom amount, 1.0-4.0 (default 1.25)")
    parser.add_argument("--easing", help="linear (default) or ease_in_out")
    parser.add_argument("--start", type=region, help="first framing x,y,w,h (fractions)")
    parser.add_argument("--end", type=region, help="last framing x,y,w,h (fractions)")
    parser.add_argument("--fit", help="cover (default), contain or blur")
    parser.add_argument("--background", help='bar colour of --fit contain (default "#000000")')


def render_fields(args: argparse.Namespace) -> dict[str, Any]:
    """The request fields of the flags given."""
    return {name: getattr(args, name) for name in FIELDS if getattr(args, name) is not None}


def region(text: str) -> dict[str, float]:
    """``x,y,w,h`` → a framing rectangle (its values are checked with the rest)."""
    try:
        x, y, w, h = (float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected x,y,w,h fractions, got {text!r}") from None
    return {"x": x, "y": y, "w": w, "h": h}


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]
