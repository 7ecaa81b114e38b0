"""An ASS document a client wrote: burned as written, but with every font it names resolved
to our files (a family we do not have is an error naming the ones we do, never a substitute)."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial

from framecast.captions.fonts import Face, FontBook
from framecast.errors import InputError

_FN_TAG = re.compile(r"\\fn([^\\}]*)")
BOLD, REGULAR = 700, 400


def restyle_fonts(document: str, book: FontBook) -> tuple[str, list[Face]]:
    """``document`` with each style's Fontname and each ``\\fn`` tag naming one of our faces;
    the faces it uses, the first style's first."""
    faces: dict[tuple[str, int], Face] = {}

    def face(family: str, weight: int, where: str) -> Face:
        key = (family.strip().lstrip("@"), weight)
        if key not in faces:
            try:
                faces[key] = book.face(key[0], weight)
            except InputError as exc:
                raise InputError(f"captions.ass: {where}: {exc.message}") from exc
        return faces[key]

    lines = document.splitlines()
    section, columns = "", list[str]()
    for n, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            section, columns = stripped.lower(), []
            continue
        key, _, value = stripped.partition(":")
        if section in ("[v4+ styles]", "[v4 styles]") and key.lower() == "format":
            columns = [c.strip().lower() for c in value.split(",")]
        elif section in ("[v4+ styles]", "[v4 styles]") and key.lower() == "style" and columns:
            lines[n] = _restyled(line, key, value, columns, face)
        elif section == "[events]" and key.lower() == "dialogue":
            lines[n] = _FN_TAG.sub(partial(_fn_tag, face, f"line {n + 1} \\fn"), line)
    if not faces:
        raise InputError("captions.ass: no [V4+ Styles] section naming a font")
    return "\n".join(lines) + "\n", list(faces.values())


def _fn_tag(face: Callable[[str, int, str], Face], where: str, match: re.Match[str]) -> str:
    return "\\fn" + face(match.group(1), REGULAR, where).ass_name


def _restyled(
    line: str, key: str, value: str, columns: list[str], face: Callable[[str, int, str], Face]
) -> str:
    fields = [f.strip() for f in value.split(",", len(columns) - 1)]
    if "fontname" not in columns or len(fields) != len(columns):
        raise InputError(f"captions.ass: a style line does not match its Format: {line.strip()!r}")
    at = columns.index("fontname")
    bold = "bold" in columns and fields[columns.index("bold")] not in ("0", "")
    weight = BOLD if bold else REGULAR
    chosen = face(fields[at], weight, f"style {fields[0]!r}")
    fields[at] = chosen.ass_name
    if "bold" in columns:
        fields[columns.index("bold")] = "0"  # the weight is the file's own: no faux bold on top
    return f"{key}: {','.join(fields)}"
