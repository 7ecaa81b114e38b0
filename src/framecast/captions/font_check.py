"""Giving libass our fonts and nothing else, and proving from its log that it drew with them.

libass loads every file of ffmpeg's ``fontsdir`` as a memory font, but still asks fontconfig
when a name does not match, and silently draws the system's substitute (DejaVu Sans). So
ffmpeg runs with a fontconfig that knows no fonts, and :func:`check_font_log` reads the
``fontselect:`` lines of its verbose log: every selection must be the face it was asked for.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from framecast.errors import RenderError

if TYPE_CHECKING:
    from framecast.captions.fonts import Face

__all__ = ["check_font_log", "isolated_fontconfig", "prepare_fonts_dir"]

# libass (ass_fontselect.c): "fontselect: (family, bold, italic) -> path or name, index, PS name".
SELECTED = re.compile(
    r"fontselect: \((?P<family>.*), (?P<bold>-?\d+), (?P<italic>-?\d+)\) -> "
    r"(?P<path>.*), (?P<index>-?\d+), (?P<postscript>.*)$"
)
NO_FALLBACK = re.compile(
    r"fontselect: failed to find any fallback with glyph 0x(?P<glyph>[0-9A-Fa-f]+) "
    r"for font: \((?P<family>.*), (?P<bold>-?\d+), (?P<italic>-?\d+)\)"
)
FAUX_BOLD_MARGIN = 150  # libass emboldens a face when asked for more than this above its weight
FAUX_ITALIC = 55  # libass slants an upright face when asked for a slant above this


def prepare_fonts_dir(faces: Iterable[Face], work_dir: Path) -> Path:
    """A folder holding these faces' files and nothing else, for ffmpeg's ``fontsdir``."""
    folder = work_dir / "libass-fonts"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for face in faces:
        target = folder / face.path.name
        if target.exists():
            continue
        try:
            os.link(face.path, target)
        except OSError:  # another file system, or one without hard links
            shutil.copyfile(face.path, target)
    return folder


def isolated_fontconfig(work_dir: Path) -> dict[str, str]:
    """Environment for ffmpeg under which fontconfig finds no fonts at all."""
    folder = work_dir / "fontconfig"
    (folder / "none").mkdir(parents=True, exist_ok=True)
    config = folder / "fonts.conf"
    config.write_text(
        "<?xml version='1.0'?>\n<fontconfig>\n"
        f"  <dir>{escape(str(folder / 'none'))}</dir>\n"
        f"  <cachedir>{escape(str(folder / 'cache'))}</cachedir>\n"
        "</fontconfig>\n",
        encoding="utf-8",
    )
    return {"FONTCONFIG_FILE": str(config)}


def check_font_log(stderr: str, faces: Iterable[Face]) -> None:
    """Raise :class:`RenderError` unless every font libass selected (``-v verbose`` log) is
    the face the ASS asked for, at its own weight and slant, with every glyph found."""
    by_name = {face.ass_name.casefold(): face for face in faces}
    ours = ", ".join(sorted(face.ass_name for face in by_name.values())) or "none"
    lines = [line for line in stderr.splitlines() if "fontselect:" in line]
    if by_name and not lines:  # nothing drawn, or a log without libass's info (-v verbose)
        raise RenderError("the ffmpeg log shows no font chosen by libass: cannot check fonts")
    for line in lines:
        failed = NO_FALLBACK.search(line)
        if failed:
            family, glyph = failed["family"], int(failed["glyph"], 16)
            if glyph == 0:
                raise RenderError(f"libass found no font {family!r} (ours: {ours})")
            raise RenderError(
                f"libass found no glyph for {chr(glyph)!r} (U+{glyph:04X}) in {family!r}"
            )
        selected = SELECTED.search(line)
        if not selected:  # e.g. "fontselect: Using default font: (…) -> …": a substitute
            raise RenderError(f"libass did not draw a font of ours: {line.strip()!r}")
        _check_selection(selected, by_name, ours)


def _check_selection(selected: re.Match[str], by_name: dict[str, Face], ours: str) -> None:
    family, picked = selected["family"], selected["postscript"]
    face = by_name.get(family.casefold())
    if face is None:
        raise RenderError(f"libass was asked for {family!r}, none of our fonts ({ours})")
    # A memory font from fontsdir is logged by its PostScript name; a file path is the system's.
    if picked != face.postscript or selected["path"] != face.postscript:
        raise RenderError(
            f"libass drew {family!r} with {selected['path']} ({picked}),"
            f" not {face.path.name} ({face.postscript})"
        )
    if int(selected["bold"]) > face.weight + FAUX_BOLD_MARGIN:
        raise RenderError(
            f"libass would fake bold on {family!r}: asked for weight {selected['bold']} from a"
            f" {face.weight} face (write {face.ass_bold_tag} in the event)"
        )
    if int(selected["italic"]) > FAUX_ITALIC:
        raise RenderError(f"libass would fake italic on {family!r}: our faces are upright")
