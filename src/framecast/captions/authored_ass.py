"""An ASS document a client wrote: burned as written, but with every font it names resolved
to our files (a family we do not have is an error naming the ones we do, never a substitute)."""

from __future__ import annotations

import re
from collections.abc import Callable

from framecast.captions.fonts import Face, FontBook
from framecast.errors import InputError

# Dialogue fields until the document's own Format line (as libass reads them).
EVENTS_FORMAT = "Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text"
# The tags that choose a face: \fn (family), \b (weight; not \bord, \be, \blur), \r (reset).
_FACE_TAG = re.compile(r"\\(?:fn(?P<fn>[^\\}]*)|b(?P<b>\d*)(?=[\\}])|r(?P<r>[^\\}]*))")
_BLOCK = re.compile(r"\{[^{}]*\}")
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
    styles: dict[str, tuple[str, int]] = {}  # style name: its family and weight as written
    for n, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            section = stripped.lower()
            columns = _columns(EVENTS_FORMAT) if section == "[events]" else []
            continue
        key, _, value = stripped.partition(":")
        if key.lower() == "format":
            columns = _columns(value)
        elif section in ("[v4+ styles]", "[v4 styles]") and key.lower() == "style" and columns:
            lines[n] = _restyled(line, key, value, columns, face, styles)
        elif section == "[events]" and key.lower() == "dialogue":
            fields = value.split(",", len(columns) - 1)
            if columns[-1:] == ["text"] and len(fields) == len(columns):
                name = fields[columns.index("style")].strip() if "style" in columns else ""
                start = styles.get(name) or next(iter(styles.values()), ("", REGULAR))
                fields[-1] = _retagged(fields[-1], face, f"line {n + 1}", styles, start)
                lines[n] = f"{key}:{','.join(fields)}"
    if not faces:
        raise InputError("captions.ass: no [V4+ Styles] section naming a font")
    return "\n".join(lines) + "\n", list(faces.values())


def _retagged(
    text: str,
    face: Callable[[str, int, str], Face],
    where: str,
    styles: dict[str, tuple[str, int]],
    start: tuple[str, int],
) -> str:
    """An event's text with each \\fn and \\b naming our face of the family and weight then
    in force: libass would fake bold on a regular face for \\b1, and the font check refuse it."""
    family, weight = start
    asked = REGULAR  # the weight libass asks for: the styles' Bold fields are 0

    def tag(match: re.Match[str]) -> str:
        nonlocal family, weight, asked
        if match["r"] is not None:
            family, weight = styles.get(match["r"].strip(), start)
            asked = REGULAR
            return match[0]
        if match["fn"] is not None:
            family, name = match["fn"] or start[0], "fn"
        else:
            value = int(match["b"]) if match["b"] else -1
            weight, name = (
                {0: REGULAR, 1: BOLD}.get(value, value if value >= 100 else start[1]),
                "b",
            )
        chosen = face(family, weight, f"{where} \\{name}")
        fn, bold = f"\\fn{chosen.ass_name}", f"\\b{chosen.weight}"
        # libass picks a face after each tag: the step between the two must not ask a face
        # for a weight heavier than its own (that would be faux bold, which the check refuses).
        tags = fn + bold if asked <= chosen.weight else bold + fn
        asked = chosen.weight
        return tags

    return _BLOCK.sub(lambda block: _FACE_TAG.sub(tag, block[0]), text)


def _restyled(
    line: str,
    key: str,
    value: str,
    columns: list[str],
    face: Callable[[str, int, str], Face],
    styles: dict[str, tuple[str, int]],
) -> str:
    fields = [f.strip() for f in value.split(",", len(columns) - 1)]
    if "fontname" not in columns or len(fields) != len(columns):
        raise InputError(f"captions.ass: a style line does not match its Format: {line.strip()!r}")
    at = columns.index("fontname")
    bold = "bold" in columns and fields[columns.index("bold")] not in ("0", "")
    weight = BOLD if bold else REGULAR
    chosen = face(fields[at], weight, f"style {fields[0]!r}")
    styles[fields[0]] = (fields[at], weight)
    fields[at] = chosen.ass_name
    if "bold" in columns:
        fields[columns.index("bold")] = "0"  # the weight is the file's own: no faux bold on top
    return f"{key}: {','.join(fields)}"


def _columns(format_line: str) -> list[str]:
    return [name.strip().lower() for name in format_line.split(",")]
