"""The static font files handed to libass: one weight each, under a name no other font has.

libass cannot pick a weight out of a variable font (it sees only the default instance, e.g.
"Montserrat Thin"), so variable sources are instanced at the asked weight; static sources are
copied. Either way the names are rewritten to a family of our own (``fcast Montserrat 800``),
so the ASS Fontname can only ever match that file. Files are cached under ``cache_dir`` by
content, weight and names, and written atomically because several workers may share the cache.
"""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
from pathlib import Path

from fontTools.misc.roundTools import otRound
from fontTools.ttLib import TTFont, newTable
from fontTools.ttLib.tables import otBase, ttProgram
from fontTools.ttLib.tables import otTables as ot
from fontTools.ttLib.tables.DefaultTable import DefaultTable
from fontTools.varLib import instancer

__all__ = ["static_font"]

FORMAT = 1  # bump when the generated files change, so older cache entries are not reused
NAME_IDS = (1, 2, 3, 4, 6, 16, 17, 18, 21, 22, 25)  # every name a font can be matched by
INTEGER_PPEM = 0x0008  # head.flags bit 3: FreeType would round the ppem (libass's size)
PUSH_POP = b"\xb0\x00\x21"  # TrueType PUSHB[0] 0, POP[]
REGULAR, ITALIC, BOLD = 0x0040, 0x0001, 0x0020  # OS/2 fsSelection bits
VERSION_1_0 = b"\x00\x01\x00\x00"  # a GSUB/GPOS header too old to hold FeatureVariations
VARIATION_INDEX = 0x8000  # a Device table that points into GDEF's variation store
# A ValueRecord's fields: the value, the Device table that varies it, and its ValueFormat bit.
DEVICE_FIELDS = (
    ("XPlacement", "XPlaDevice", 0x10), ("YPlacement", "YPlaDevice", 0x20),
    ("XAdvance", "XAdvDevice", 0x40), ("YAdvance", "YAdvDevice", 0x80),
)  # fmt: skip


def static_font(source: Path, weight: int, ass_name: str, postscript: str, cache_dir: Path) -> Path:
    """The cached static file of ``source`` at ``weight`` named ``ass_name``/``postscript``."""
    key = hashlib.sha256(
        f"{FORMAT}|{_digest(source)}|{weight}|{ass_name}|{postscript}".encode()
    ).hexdigest()
    path = cache_dir / f"{postscript}-{key[:16]}.ttf"
    if path.exists():
        return path
    font = TTFont(source)
    if "fvar" in font:
        _instance(font, weight)
    _rename(font, ass_name, postscript, weight)
    _steady_advances(font)
    font.flavor = None  # a WOFF upload becomes a plain sfnt
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=cache_dir, suffix=".tmp", delete=False) as temp:
        try:
            font.save(temp)
        except BaseException:
            os.unlink(temp.name)
            raise
    os.chmod(temp.name, 0o644)  # NamedTemporaryFile makes it private to this user
    os.replace(temp.name, path)  # a racing worker wrote the same bytes; either copy is right
    return path


def _digest(path: Path) -> str:
    stat = path.stat()
    return _content_digest(path, stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=256)
def _content_digest(path: Path, size: int, mtime_ns: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()  # size and mtime only key the memo


def _instance(font: TTFont, weight: int) -> None:
    """Pin ``font`` at ``weight`` (clamped to its wght axis, if any), other axes at defaults."""
    axes = font["fvar"].axes
    location = {axis.axisTag: axis.defaultValue for axis in axes}
    for axis in axes:
        if axis.axisTag == "wght":
            location["wght"] = min(max(weight, axis.minValue), axis.maxValue)
    # Tables the instancer would only decompile and recompile (seconds, for a big GSUB or
    # GPOS) go back as they were read: a GSUB without FeatureVariations, and at the default
    # location, where every delta is zero, GDEF and GPOS too (HarfBuzz reads their leftover
    # Device tables as zero in a font without axes).
    kept = ["GSUB"] if _unvarying(font, "GSUB") else []
    if all(location[axis.axisTag] == axis.defaultValue for axis in axes):
        kept += ["GDEF", "GPOS"] if _unvarying(font, "GPOS") or "GPOS" not in font else []
    raw = {tag: _raw_table(font, tag) for tag in kept if tag in font}
    for tag in raw:
        del font[tag]
    if "GDEF" not in raw and _layout_variations_are_plain(font):
        _pin_layout_variations(font, location)
    instancer.instantiateVariableFont(font, location, inplace=True, static=True)
    for tag, table in raw.items():
        font[tag] = table


def _unvarying(font: TTFont, tag: str) -> bool:
    """Whether ``tag`` is a GSUB/GPOS too old (1.0) to hold FeatureVariations."""
    return tag in font.reader and font.reader[tag][:4] == VERSION_1_0


def _raw_table(font: TTFont, tag: str) -> DefaultTable:
    table = DefaultTable(tag)
    table.data = font.reader[tag]
    return table


def _layout_variations_are_plain(font: TTFont) -> bool:
    """Whether only GDEF and GPOS vary, which :func:`_pin_layout_variations` handles."""
    if any(tag in font for tag in ("BASE", "MATH", "JSTF")) or "GDEF" not in font:
        return False
    gdef = font["GDEF"].table
    if gdef.Version < 0x00010003 or not getattr(gdef, "VarStore", None):
        return False
    for tag in ("GSUB", "GPOS"):  # conditions on variation-store values need the store kept
        if tag not in font or _unvarying(font, tag):
            continue  # no FeatureVariations, and no need to decompile it to know
        variations = getattr(font[tag].table, "FeatureVariations", None)
        records = variations.FeatureVariationRecord if variations else []
        if any(c.Format != 1 for r in records for c in r.ConditionSet.ConditionTable):
            return False
    return True


def _pin_layout_variations(font: TTFont, location: dict[str, float]) -> None:
    """Add GPOS's deltas at ``location`` and drop the variation store.

    fontTools' instancer does this by re-merging every kerning subtable, which takes seconds
    for Montserrat or Noto Sans and then overflows on compile; adding each delta in place and
    dropping the Device tables gives the same positions (checked glyph by glyph) in a fraction.
    """
    gdef = font["GDEF"].table
    limits = instancer.AxisLimits(location).limitAxesAndPopulateDefaults(font).normalize(font)
    deltas = instancer.instantiateItemVariationStore(gdef.VarStore, font["fvar"].axes, limits)
    seen: set[int] = set()
    for tag in ("GDEF", "GPOS"):
        if tag in font:
            font[tag].table.ensureDecompiled(recurse=True)
            _add_deltas(font[tag].table, deltas, seen)
    if "GPOS" in font:
        _drop_device_formats(font["GPOS"].table)
    gdef.VarStore = None
    gdef.Version = 0x00010002 if getattr(gdef, "MarkGlyphSetsDef", None) else 0x00010000


def _add_deltas(node: object, deltas: dict[int, float], seen: set[int]) -> None:
    if isinstance(node, list):
        for item in node:
            _add_deltas(item, deltas, seen)
        return
    if not isinstance(node, otBase.BaseTable | otBase.ValueRecord) or id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, otBase.ValueRecord):
        for value, device, _ in DEVICE_FIELDS:
            _take_delta(node, value, device, deltas)
    elif isinstance(node, ot.Anchor) and node.Format == 3:
        _take_delta(node, "XCoordinate", "XDeviceTable", deltas)
        _take_delta(node, "YCoordinate", "YDeviceTable", deltas)
        if node.XDeviceTable is None and node.YDeviceTable is None:
            node.Format = 1
    elif isinstance(node, ot.CaretValue) and node.Format == 3:
        _take_delta(node, "Coordinate", "DeviceTable", deltas)
        if node.DeviceTable is None:
            node.Format = 1
    else:
        for child in vars(node).values():
            _add_deltas(child, deltas, seen)


def _take_delta(node: object, value: str, device: str, deltas: dict[int, float]) -> None:
    table = getattr(node, device, None)
    if table is None or table.DeltaFormat != VARIATION_INDEX:
        return
    delta = deltas.get((table.StartSize << 16) + table.EndSize, 0)
    setattr(node, value, getattr(node, value, 0) + otRound(delta))
    setattr(node, device, None)


def _drop_device_formats(gpos: ot.GPOS) -> None:
    """Clear the ValueFormat bits of Device fields no record uses any more."""
    for lookup in gpos.LookupList.Lookup:
        for subtable in lookup.SubTable:
            sub = getattr(subtable, "ExtSubTable", subtable)
            if sub.LookupType == 1:
                records = [sub.Value] if sub.Format == 1 else sub.Value
                sub.ValueFormat = _format(sub.ValueFormat, records)
            elif sub.LookupType == 2:
                if sub.Format == 1:
                    pairs = [pair for pairs in sub.PairSet for pair in pairs.PairValueRecord]
                else:
                    pairs = [pair for row in sub.Class1Record for pair in row.Class2Record]
                sub.ValueFormat1 = _format(sub.ValueFormat1, [p.Value1 for p in pairs])
                sub.ValueFormat2 = _format(sub.ValueFormat2, [p.Value2 for p in pairs])


def _format(value_format: int, records: list[otBase.ValueRecord | None]) -> int:
    for _, device, bit in DEVICE_FIELDS:
        if not any(getattr(record, device, None) is not None for record in records):
            value_format &= ~bit
    return value_format


def _rename(font: TTFont, ass_name: str, postscript: str, weight: int) -> None:
    """Give ``font`` only our names, and the weight and style bits of a plain upright face."""
    name = font["name"]
    name.names = [record for record in name.names if record.nameID not in NAME_IDS]
    names = {1: ass_name, 2: "Regular", 3: postscript, 4: ass_name, 6: postscript, 16: ass_name}
    for name_id, text in names.items():
        name.setName(text, name_id, 3, 1, 0x409)
    font["OS/2"].usWeightClass = weight
    font["OS/2"].fsSelection = (font["OS/2"].fsSelection & ~(ITALIC | BOLD)) | REGULAR
    font["head"].macStyle &= ~0b11  # bold, italic


def _steady_advances(font: TTFont) -> None:
    """Make libass's advances predictable: the whole pixel nearest the linear advance.

    libass shapes with hinted glyph metrics at a 256-pixel working size. FreeType's TrueType
    driver only rounds those advances, but its auto-hinter, used for fonts without real
    hinting (no fpgm and a prep of at most 7 bytes, like Inter and Noto Sans), moves each by
    the stems it finds; and head.flags bit 3 rounds the working size to a whole ppem.
    """
    font["head"].flags &= ~INTEGER_PPEM
    if "glyf" not in font or "fpgm" in font:
        return
    prep = font["prep"].program.getBytecode() if "prep" in font else b""
    if len(prep) <= 7:
        table = newTable("prep")
        table.program = ttProgram.Program()
        table.program.fromBytecode(prep + PUSH_POP * 3)  # does nothing, but takes the hinter
        font["prep"] = table
        font["maxp"].maxStackElements = max(font["maxp"].maxStackElements, 1)
