"""Kinds of source media, and whether the first bytes of a download look like its kind.

``sniff`` names a type from the first bytes ("jpeg", "mp4/mov", "html", "text"...; None when it
knows none); ``fits`` is the whole decision table:

    kind       fits                                            unrecognised binary data
    image      jpeg png gif webp bmp tiff heif/avif, and the   fits: Pillow reads formats
               text-headed netpbm xbm xpm eps fits             (PSD, TGA, ICO...) not sniffed
    video      mp4/mov matroska/webm avi mpeg-ts mpeg-ps flv   fits: ffmpeg judges
               ogg
    audio      mp3 "aac (adts)" flac wav aiff m4a, and every   fits: ffmpeg judges
               video container (m4a is mp4; ogg and webm
               often carry audio alone; ffmpeg takes the
               audio stream of a video)
    subtitles  text json xml: UTF-8 (BOM allowed) or UTF-16    refused (SRT, VTT, ASS... are
               with a BOM, no NUL or control characters;       all text)
               not "non-utf-8 text" (Latin-1, cp1252...)
    font       ttf otf ttc woff woff2                          refused

Every other recognised type is refused as clearly something else: a web page, an API's JSON, a
PDF, a zip, a video given as an image, an audio file given as a video.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from enum import StrEnum

# Enough for every signature below: an MPEG-TS packet is 188 bytes and three in a row are checked.
SNIFF_BYTES = 512
EXCERPT_BYTES = 32


class MediaKind(StrEnum):
    """What a download is for: each kind has its own size cap and its own accepted types."""

    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"
    SUBTITLES = "subtitles"
    FONT = "font"

    @property
    def cap_setting(self) -> str:
        """The setting of this kind's size cap, e.g. ``MAX_VIDEO_BYTES``."""
        return _RULES[self].cap_setting

    @property
    def noun(self) -> str:
        """How a message names one of this kind: "an image", "a video", "audio"..."""
        return _RULES[self].noun

    @property
    def file_noun(self) -> str:
        """How a message names the file: "image file", "subtitle file"..."""
        return _RULES[self].file_noun

    @property
    def accept(self) -> str:
        """The Accept header of a request for this kind."""
        return _RULES[self].accept

    def refuses_content_type(self, media_type: str) -> bool:
        """Whether a response of ``media_type`` is refused before its body is read."""
        return media_type.startswith(_RULES[self].refused_types)


@dataclass(frozen=True)
class _Rules:
    cap_setting: str
    noun: str
    file_noun: str
    accept: str
    refused_types: tuple[str, ...]  # Content-Type prefixes: a web page or an API error
    fitting: frozenset[str]  # sniffed types that fit
    unknown_fits: bool  # unrecognised binary data is left to the decoder


IMAGE_TYPES = frozenset(
    {"jpeg", "png", "gif", "webp", "bmp", "tiff", "heif/avif"}
    | {"netpbm", "xbm", "xpm", "eps", "fits"}  # text headers Pillow reads: not "text"
)
VIDEO_TYPES = frozenset({"mp4/mov", "matroska/webm", "avi", "mpeg-ts", "mpeg-ps", "flv", "ogg"})
AUDIO_TYPES = frozenset({"mp3", "aac (adts)", "flac", "wav", "aiff", "m4a"}) | VIDEO_TYPES
TEXT_TYPES = frozenset({"text", "json", "xml"})
FONT_TYPES = frozenset({"ttf", "otf", "ttc", "woff", "woff2"})

_WEB_PAGE = ("text/html", "application/xhtml+xml")
_NOT_MEDIA = ("text/", "application/xhtml+xml", "application/json")
_RULES = {
    MediaKind.IMAGE: _Rules(
        "MAX_IMAGE_BYTES", "an image", "image file", "image/*, */*;q=0.5",
        _NOT_MEDIA, IMAGE_TYPES, unknown_fits=True,
    ),
    MediaKind.VIDEO: _Rules(
        "MAX_VIDEO_BYTES", "a video", "video file", "video/*, */*;q=0.5",
        _NOT_MEDIA, VIDEO_TYPES, unknown_fits=True,
    ),
    MediaKind.AUDIO: _Rules(
        "MAX_AUDIO_BYTES", "audio", "audio file", "audio/*, */*;q=0.5",
        _NOT_MEDIA, AUDIO_TYPES, unknown_fits=True,
    ),
    # Servers send SRT, VTT and ASS as text/plain, text/vtt, text/x-ssa...: only a page is refused.
    MediaKind.SUBTITLES: _Rules(
        "MAX_SUBTITLE_BYTES", "a subtitle file", "subtitle file",
        "text/vtt, application/x-subrip, text/*;q=0.8, */*;q=0.5",
        _WEB_PAGE, TEXT_TYPES, unknown_fits=False,
    ),
    MediaKind.FONT: _Rules(
        "MAX_FONT_BYTES", "a font", "font file", "font/*, application/font-woff, */*;q=0.5",
        _NOT_MEDIA, FONT_TYPES, unknown_fits=False,
    ),
}  # fmt: skip


def fits(kind: MediaKind, sniffed: str | None) -> bool:
    """Whether a download sniffed as ``sniffed`` (None: unrecognised) may be used as ``kind``."""
    rules = _RULES[kind]
    return rules.unknown_fits if sniffed is None else sniffed in rules.fitting


def describe(sniffed: str | None, head: bytes) -> str:
    """What was received, for a message: ``HTML (starts with "<!DOCTYPE html>")``."""
    name = _LABELS.get(sniffed, sniffed.upper()) if sniffed else "unrecognised binary data"
    return f'{name} (starts with "{excerpt(head)}")'


def describe_received(head: bytes, size: int, content_type: str | None) -> str:
    """What a file of ``size`` bytes starting with ``head`` is, for a message; its server's
    ``content_type`` ("" if it sent none; None for a local file, which has none)."""
    said = f", Content-Type {content_type}" if content_type else ", no Content-Type"
    sent = "" if content_type is None else said
    return f"got {describe(sniff(head), head)}, {size} byte{'s' * (size != 1)}{sent}"


def excerpt(head: bytes) -> str:
    """The first bytes of ``head`` as printable text, anything else escaped."""
    text = head[:EXCERPT_BYTES].decode("utf-8", "backslashreplace")
    shown = "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)
    return shown + ("…" if len(head) > EXCERPT_BYTES else "")


_LABELS = {
    "text": "plain text",
    "non-utf-8 text": "text that is not UTF-8",
    "matroska/webm": "Matroska/WebM",
    "ogg": "Ogg",
}

# Signatures at a fixed offset, none of them valid text: checked before the text is.
_MAGIC = (
    (0, b"\xff\xd8\xff", "jpeg"),
    (0, b"\x89PNG\r\n\x1a\n", "png"),
    (0, b"GIF87a", "gif"),
    (0, b"GIF89a", "gif"),
    (0, b"II*\x00", "tiff"),
    (0, b"MM\x00*", "tiff"),
    (0, b"II+\x00", "tiff"),  # BigTIFF
    (0, b"MM\x00+", "tiff"),
    (4, b"ftyp", "iso-bmff"),  # named by its brand below
    (0, b"\x1aE\xdf\xa3", "matroska/webm"),
    (0, b"FLV\x01", "flv"),
    (0, b"\x00\x00\x01\xba", "mpeg-ps"),
    (0, b"OggS\x00", "ogg"),
    (0, b"fLaC", "flac"),
    (0, b"wOFF", "woff"),
    (0, b"wOF2", "woff2"),
    (0, b"ttcf", "ttc"),
    (0, b"%PDF-", "pdf"),
    (0, b"PK\x03\x04", "zip"),
    (0, b"PK\x05\x06", "zip"),  # an empty one
    (0, b"\x1f\x8b\x08", "gzip"),
)
_RIFF = {b"WEBP": "webp", b"WAVE": "wav", b"AVI ": "avi"}
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1"}
_HEIF_BRANDS |= {b"msf1", b"avif", b"avis"}
_M4A_BRANDS = {b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B "}
# Image formats with a text header, which Pillow reads (so they are not "text").
_TEXT_IMAGES = (
    (re.compile(rb"P[1-7]\s"), "netpbm"),
    (re.compile(rb"#define \w+_width "), "xbm"),
    (re.compile(rb"/\* XPM \*/"), "xpm"),
    (re.compile(rb"%!PS-Adobe-"), "eps"),
    (re.compile(rb"SIMPLE  ="), "fits"),
)
# WHATWG's HTML sniffing: one of these tags, after whitespace, ended by a space or ">".
_HTML = re.compile(
    r"\s*(<!--|<(!doctype html|html|head|body|script|iframe|h1|div|font|table|a|style|title|b|br|p"
    r"|meta|link)[ >\t\n\r/])",
    re.IGNORECASE,
)
# An object or an array of arrays, objects or strings: not "[Script Info]" (ASS), "{1}{25}"
# (MicroDVD) or "[10][50]" (MPL2).
_JSON = re.compile(r'\s*(\{\s*["}]|\[\s*[\[{"\]])')
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")  # tab, newlines and form feed are text
_QUICKTIME_ATOMS = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}  # before ftyp existed


def sniff(head: bytes) -> str | None:
    """The type of a file from its first bytes (``SNIFF_BYTES`` suffice); None if unrecognised."""
    for offset, magic, name in _MAGIC:
        if head.startswith(magic, offset):
            return _iso_bmff(head) if name == "iso-bmff" else name
    if head[:4] in (b"RIFF", b"RF64") and head[8:12] in _RIFF:
        return _RIFF[head[8:12]]
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return "aiff"
    if head[:2] == b"BM" and head[6:10] == b"\x00\x00\x00\x00":  # the reserved words are zero
        return "bmp"
    # numTables < 256: its high byte is a NUL, which "true..." as text cannot have.
    if len(head) >= 12 and head[4] == 0 and head[:4] in (b"\x00\x01\x00\x00", b"true"):
        return "ttf"
    if len(head) >= 12 and head[4] == 0 and head[:4] == b"OTTO":
        return "otf"
    return _text(head) or _framed(head)


def _iso_bmff(head: bytes) -> str:
    brand = head[8:12]
    if brand in _HEIF_BRANDS:
        return "heif/avif"
    return "m4a" if brand in _M4A_BRANDS else "mp4/mov"


def _text(head: bytes) -> str | None:
    """An image with a text header, html, xml, svg, json or plain text; None if not text."""
    for pattern, name in _TEXT_IMAGES:
        if pattern.match(head):
            return name
    utf16 = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    try:
        # Incremental and not final: ``head`` may end inside a character.
        text = codecs.getincrementaldecoder("utf-16" if utf16 else "utf-8-sig")().decode(head)
    except UnicodeDecodeError:
        # Compressed data has a control byte every few bytes; Latin-1 or cp1252 text has none.
        return None if _CONTROL.search(head.decode("latin-1")) else "non-utf-8 text"
    if _CONTROL.search(text):
        return None
    start = text.lstrip()[:256].lower()
    if _HTML.match(text):
        return "html"
    if start.startswith("<svg") or (start.startswith("<?xml") and "<svg" in start):
        return "svg"
    if start.startswith("<?xml"):
        return "xml"
    return "json" if _JSON.match(text) else "text"


def _framed(head: bytes) -> str | None:
    """Streams recognised by their frame or packet headers, weaker signatures than the above."""
    if head[:3] == b"ID3" and len(head) >= 10 and head[3] in (2, 3, 4):
        return "mp3"  # an ID3v2 tag; what follows is nearly always MPEG audio
    if _every_188(head, 0) or _every_188(head, 4):  # 4: Blu-ray's timestamped packets
        return "mpeg-ts"
    if len(head) >= 3 and head[0] == 0xFF and (head[1] & 0xE0) == 0xE0:
        layer, version = (head[1] >> 1) & 3, (head[1] >> 3) & 3
        if (head[1] & 0xF6) == 0xF0 and ((head[2] >> 2) & 0xF) < 13:
            return "aac (adts)"
        if layer and version != 1 and (head[2] >> 4) != 0xF and ((head[2] >> 2) & 3) != 3:
            return "mp3"
    if head[4:8] in _QUICKTIME_ATOMS and head[0] == 0:
        return "mp4/mov"
    return None


def _every_188(head: bytes, start: int) -> bool:
    """Whether MPEG-TS sync bytes (0x47) begin the first packets, two of them at least."""
    step = 188 if start == 0 else 192
    syncs = head[start::step]
    return len(syncs) >= 2 and all(byte == 0x47 for byte in syncs)
