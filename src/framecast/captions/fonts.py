"""Caption fonts: the bundled families, and the faces one job draws with.

A :class:`FontBook` turns a family and weight into a :class:`Face`: a static file under a name
of our own (:mod:`framecast.captions.font_files`), and the metrics libass will use for it, so
captions are laid out with the widths libass draws. libass sizes a face like VSFilter: the ASS
Fontsize is the face's ascender + descender height (OS/2 win metrics), not its em.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import io
import math
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from fontTools.ttLib import TTFont
from PIL import ImageFont, features

from framecast.captions.font_check import isolated_fontconfig, prepare_fonts_dir
from framecast.captions.font_files import static_font
from framecast.errors import ConfigError, InputError

__all__ = ["DEFAULT_FAMILY", "DEFAULT_WEIGHT", "Face", "FontBook", "FontFile", "Measure"]
__all__ += ["bundled_fonts", "isolated_fontconfig", "prepare_fonts_dir", "read_font_file"]

FONT_PACKAGES = (
    "fontpkg_anton", "fontpkg_bebas_neue", "fontpkg_inter", "fontpkg_luckiest_guy",
    "fontpkg_montserrat", "fontpkg_noto_sans", "fontpkg_noto_sans_arabic", "fontpkg_poppins",
    "fontpkg_roboto",
)  # fmt: skip
DEFAULT_FAMILY = "Montserrat"
DEFAULT_WEIGHT = 400
LIBASS_FT_SIZE = 256.0  # libass (hinting off, as in ffmpeg) loads glyphs at this size, then scales
FONT_SUFFIXES = (".ttf", ".otf")
# usWeightClass 0-9, from fonts of the 1-9 scale, read as libass reads them (ass_font.c).
OLD_WEIGHT_CLASSES = (400, 100, 200, 300, 350, 400, 600, 700, 800, 900)


@dataclass(frozen=True)
class FontFile:
    """One source file of a family: its weight, and its wght axis range when it is variable."""

    family: str
    path: Path
    weight: int
    italic: bool = False
    axis: tuple[float, float] | None = None


def read_font_file(path: Path, family: str | None = None) -> FontFile:
    """A font file's family (``family``, else nameID 16, else 1), weight, slant and wght axis."""
    with TTFont(path, lazy=True) as font:
        missing = {"cmap", "head", "hhea", "hmtx", "name", "OS/2"} - set(font.keys())
        if missing or not {"glyf", "CFF ", "CFF2"} & set(font.keys()):
            raise ValueError(f"no {', '.join(sorted(missing)) or 'outlines'} table")
        names = font["name"]
        family = family or names.getDebugName(16) or names.getDebugName(1)
        if not family or not font.getBestCmap():
            raise ValueError("no family name" if not family else "no Unicode cmap")
        os2 = font["OS/2"]
        italic = bool(os2.fsSelection & 0x01 or font["head"].macStyle & 0x02)
        axes = [a for a in font["fvar"].axes if a.axisTag == "wght"] if "fvar" in font else []
        axis = (axes[0].minValue, axes[0].maxValue) if axes else None
        weight = os2.usWeightClass
        weight = OLD_WEIGHT_CLASSES[weight] if weight < len(OLD_WEIGHT_CLASSES) else weight
        return FontFile(family, path, weight, italic, axis)


@functools.cache
def bundled_fonts() -> Mapping[str, tuple[FontFile, ...]]:
    """The families installed with framecast (the fontpkg-* packages), upright files only."""
    families = {}
    for package in FONT_PACKAGES:
        module = importlib.import_module(package)
        paths = sorted(p for p in (module.ROOT / "files").iterdir() if p.suffix in FONT_SUFFIXES)
        files = (read_font_file(path, module.FAMILY) for path in paths)
        families[module.FAMILY] = tuple(file for file in files if not file.italic)
    return MappingProxyType(families)


class FontBook:
    """The fonts one job may use: the bundled families, plus the files of its ``font_url``."""

    def __init__(self, cache_dir: Path, extra_files: Sequence[Path] = ()) -> None:
        self.cache_dir = cache_dir
        extras: dict[str, list[FontFile]] = {}
        for path in extra_files:
            try:
                file = read_font_file(path)
            except Exception as exc:  # fontTools raises anything from struct.error to KeyError
                raise InputError(f"style.font_url: not a TrueType/OpenType font ({exc})") from exc
            extras.setdefault(file.family, []).append(file)
        # A user's font replaces a bundled family of the same name.
        taken = {family.casefold() for family in extras}
        self._families = {f: v for f, v in bundled_fonts().items() if f.casefold() not in taken}
        self._families.update((family, tuple(files)) for family, files in extras.items())
        self._extra_paths = set(extra_files)
        self._own = list(extras)  # the font_url file's family: the default when one is given
        self._faces: dict[tuple[str, int], Face] = {}

    def families(self) -> list[str]:
        """Every family name this job may ask for."""
        return sorted(self._families)

    def face(self, family: str | None = None, weight: int | None = None) -> Face:
        """The face of ``family`` (default: the font_url file's, else Montserrat) nearest to
        ``weight`` (default 400)."""
        wanted = family or (self._own[0] if self._own else DEFAULT_FAMILY)
        name = next((f for f in self._families if f.casefold() == wanted.casefold()), None)
        if name is None:
            available = ", ".join(self.families())
            raise InputError(f"style.font: no font family {wanted!r}; available: {available}")
        file, drawn = _choose(self._families[name], DEFAULT_WEIGHT if weight is None else weight)
        if (name, drawn) not in self._faces:
            ass_name, postscript = _internal_names(name, drawn)
            try:
                path = static_font(file.path, drawn, ass_name, postscript, self.cache_dir)
            except Exception as exc:
                if file.path not in self._extra_paths:
                    raise
                raise InputError(f"style.font_url: not a usable font ({exc})") from exc
            face = Face(name, drawn, path, ass_name, postscript, file.path.name)
            self._faces[name, drawn] = face
        return self._faces[name, drawn]


def _choose(files: Sequence[FontFile], weight: int) -> tuple[FontFile, int]:
    """The file to draw ``weight`` from, and the weight it will actually have."""
    for file in files:
        if file.axis:
            return file, round(min(max(weight, file.axis[0]), file.axis[1]))
    # Nearest weight; on a tie CSS's rule: heavier when asking for bold, lighter otherwise.
    bold = weight > 500
    nearest = min(files, key=lambda f: (abs(f.weight - weight), (f.weight < weight) == bold))
    return nearest, nearest.weight


def _internal_names(family: str, weight: int) -> tuple[str, str]:
    """The family (for the ASS Fontname) and PostScript name of ``family`` at ``weight``."""
    kept = (c for c in family if c == " " or (c.isascii() and c.isalnum()))
    token = "".join(kept).replace(" ", "_")
    if token.replace("_", " ") != family or len(token) > 40:
        # Dropped characters could make two families share a name: keep them apart.
        token = f"{token[:40]}_{hashlib.sha256(family.encode()).hexdigest()[:8]}"
    return f"fcast {token.replace('_', ' ')} {weight}", f"fcast-{token}-{weight}"


@dataclass(frozen=True)
class _Metrics:
    """What measuring needs from a face's file."""

    units_per_em: int
    ascender: int  # font units; libass's rule (ass_font.c): the OS/2 win metrics when set
    descender: int  # positive: the depth below the baseline
    codepoints: frozenset[int]
    layout_font: bytes  # the file, with the advances libass lays out with (see _read_metrics)


def _read_metrics(path: Path) -> _Metrics:
    with TTFont(path, recalcBBoxes=False, recalcTimestamp=False) as font:
        os2, hhea = font["OS/2"], font["hhea"]
        if os2.usWinAscent + os2.usWinDescent:
            ascender, descender = os2.usWinAscent, os2.usWinDescent
        else:
            ascender, descender = hhea.ascent, -hhea.descent
        # libass shapes with glyphs loaded at a 256-pixel working size with hinted metrics,
        # whose advances FreeType rounds to whole pixels there, and scales the result to the
        # Fontsize. A copy holding those rounded advances lets HarfBuzz (in Pillow) lay out
        # each glyph as libass does, joined Arabic forms and ligatures included.
        units = (ascender + descender) / LIBASS_FT_SIZE  # font units per working-size pixel
        metrics = font["hmtx"].metrics
        for glyph, (advance, lsb) in metrics.items():
            metrics[glyph] = (round(math.floor(advance / units + 0.5) * units), lsb)
        layout_font = io.BytesIO()
        font.save(layout_font)
        codepoints = frozenset(font.getBestCmap())
        upem = font["head"].unitsPerEm
        return _Metrics(upem, ascender, descender, codepoints, layout_font.getvalue())


@dataclass(frozen=True)
class Face:
    """A static font file libass draws with, under a family name of its own."""

    family: str  # the family as the request names it
    weight: int  # the weight drawn
    path: Path
    ass_name: str  # the family to write as the ASS style's Fontname
    postscript: str  # the name libass logs when it picks this face
    source: str  # the file this face was made from

    @property
    def ass_bold_tag(self) -> str:
        """``\\b<weight>``, for each event: libass fakes bold when asked for a weight over
        150 heavier than the face, and a style's Bold field can only ask for 400 or 700."""
        return f"\\b{self.weight}"

    def missing(self, text: str) -> str:
        """The characters of ``text`` with no glyph here (whitespace and format marks aside)."""
        codepoints = self._metrics.codepoints
        chars = (c for c in text if not c.isspace() and ord(c) not in codepoints)
        return "".join(dict.fromkeys(c for c in chars if unicodedata.category(c) != "Cf"))

    def measure(self, size: float) -> Measure:
        """This face's metrics at ASS Fontsize ``size`` (pixels, with PlayRes = video size)."""
        return Measure(self, size)

    @functools.cached_property
    def _metrics(self) -> _Metrics:
        return _read_metrics(self.path)


class Measure:
    """A face's pixel metrics at one ASS Fontsize, as libass lays out a line.

    Widths assume the script says ``Kerning: yes``: without it libass, like VSFilter, does not
    kern, and a kerned line like "WAVE To." comes out several pixels wider than measured.
    """

    def __init__(self, face: Face, size: float) -> None:
        if not features.check_feature("raqm"):
            raise ConfigError("Pillow was built without raqm: captions cannot be shaped")
        self.size = size
        metrics = face._metrics
        height = metrics.ascender + metrics.descender
        self.em = size * metrics.units_per_em / height  # pixels per em
        self.ascent = size * metrics.ascender / height  # line top to baseline
        self.descent = size * metrics.descender / height
        self.line_height = self.ascent + self.descent  # libass steps lines by exactly this
        layout_font = io.BytesIO(metrics.layout_font)
        self._font = ImageFont.truetype(layout_font, self.em, layout_engine=ImageFont.Layout.RAQM)

    def width(self, text: str) -> float:
        """The advance width of ``text`` in pixels, shaped as libass shapes it (HarfBuzz)."""
        return self._font.getlength(text)
