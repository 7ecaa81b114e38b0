"""Sniffing a type from the first bytes, and which types fit which media kind."""

from __future__ import annotations

import codecs
import gzip
import io
import subprocess
import zipfile
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image, ImageFont

from framecast.worker.media_kinds import (
    SNIFF_BYTES,
    MediaKind,
    describe,
    describe_received,
    excerpt,
    fits,
    sniff,
)

VIDEO = ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=0.3"]
SINE = ["-f", "lavfi", "-i", "sine=frequency=440:duration=0.3"]
# Real files from ffmpeg: name -> (output options, file name).
ENCODED = {
    "mp4": ([*VIDEO, "-c:v", "libx264", "-pix_fmt", "yuv420p"], "v.mp4"),
    "mov": ([*VIDEO, "-c:v", "libx264", "-pix_fmt", "yuv420p"], "v.mov"),
    "mkv": ([*VIDEO, "-c:v", "libx264"], "v.mkv"),
    "webm": ([*VIDEO, "-c:v", "libvpx", "-deadline", "realtime"], "v.webm"),
    "avi": ([*VIDEO, "-c:v", "mpeg4"], "v.avi"),
    "ts": ([*VIDEO, "-c:v", "mpeg2video"], "v.ts"),
    "mpg": ([*VIDEO, "-c:v", "mpeg2video", "-f", "vob"], "v.mpg"),
    "flv": ([*VIDEO, "-c:v", "flv"], "v.flv"),
    "m4a": ([*SINE, "-c:a", "aac"], "a.m4a"),
    "mp3": ([*SINE, "-c:a", "libmp3lame"], "a.mp3"),
    "mp3 without a tag": ([*SINE, "-c:a", "libmp3lame", "-id3v2_version", "0"], "b.mp3"),
    "adts": ([*SINE, "-c:a", "aac", "-f", "adts"], "a.aac"),
    "flac": (SINE, "a.flac"),
    "wav": (SINE, "a.wav"),
    "aiff": (SINE, "a.aiff"),
    "vorbis": ([*SINE, "-c:a", "libvorbis"], "a.ogg"),
    "opus in webm": ([*SINE, "-c:a", "libopus"], "a.webm"),
}


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """Real files, each made once: ffmpeg's containers, Pillow's images, Pillow's own font."""
    folder = tmp_path_factory.mktemp("media")
    files = {name: _encode(folder, options, file) for name, (options, file) in ENCODED.items()}
    picture = Image.fromarray((np.arange(48 * 64 * 3) % 251).astype(np.uint8).reshape(48, 64, 3))
    for name in ("PNG", "JPEG", "GIF", "WEBP", "BMP", "TIFF", "AVIF", "PDF", "EPS"):
        buffer = io.BytesIO()
        picture.save(buffer, name)
        files[name.lower()] = buffer.getvalue()
    buffer = io.BytesIO()
    picture.convert("1").save(buffer, "XBM")
    files["xbm"] = buffer.getvalue()
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 210, 220)).save(buffer, "PPM")  # no byte below 0x80
    files["bright ppm"] = buffer.getvalue()
    files["ttf"] = ImageFont.load_default(12).font_bytes
    return files


def _encode(folder: Path, options: list[str], name: str) -> bytes:
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", *options, str(folder / name)]
    subprocess.run(command, check=True, capture_output=True, timeout=60)
    return (folder / name).read_bytes()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("png", "png"),
        ("jpeg", "jpeg"),
        ("gif", "gif"),
        ("webp", "webp"),
        ("bmp", "bmp"),
        ("tiff", "tiff"),
        ("avif", "heif/avif"),
        ("xbm", "xbm"),
        ("bright ppm", "netpbm"),
        ("eps", "eps"),
        ("pdf", "pdf"),
        ("mp4", "mp4/mov"),
        ("mov", "mp4/mov"),
        ("mkv", "matroska/webm"),
        ("webm", "matroska/webm"),
        ("avi", "avi"),
        ("ts", "mpeg-ts"),
        ("mpg", "mpeg-ps"),
        ("flv", "flv"),
        ("m4a", "m4a"),
        ("mp3", "mp3"),
        ("mp3 without a tag", "mp3"),
        ("adts", "aac (adts)"),
        ("flac", "flac"),
        ("wav", "wav"),
        ("aiff", "aiff"),
        ("vorbis", "ogg"),
        ("opus in webm", "matroska/webm"),
        ("ttf", "ttf"),
    ],
)
def test_real_files_are_sniffed_from_their_first_bytes(media, name, expected) -> None:
    assert sniff(media[name][:SNIFF_BYTES]) == expected


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("clip.mp4", b"not really")
    return buffer.getvalue()


# numTables 0x000b, then searchRange etc.: the table directory a font starts with.
FONT_DIRECTORY = b"\x00\x0b\x00\x80\x00\x03\x00\x30" + b"cmap" + bytes(12)


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\x00\x01\x00\x00" + FONT_DIRECTORY, "ttf"),
        (b"true" + FONT_DIRECTORY, "ttf"),
        (b"true story, told in subtitles\n", "text"),
        (b"OTTO" + FONT_DIRECTORY, "otf"),
        (b"ttcf\x00\x02\x00\x00\x00\x00\x00\x02", "ttc"),
        (b"wOFF\x00\x01\x00\x00\x00\x00\x10\x00", "woff"),
        (b"wOF2\x00\x01\x00\x00\x00\x00\x10\x00", "woff2"),
        (b"\x00\x00\x00\x1cftypheic\x00\x00\x00\x00mif1heic", "heif/avif"),
        (b"\x00\x00\x00\x1cftypM4A \x00\x00\x02\x00M4A mp42", "m4a"),
        (b"\x00\x00\x00\x08wide\x00\x00\x10\x00mdat", "mp4/mov"),  # QuickTime before ftyp
        (bytes(4) + b"\x47" + bytes(191) + b"\x47" + bytes(191), "mpeg-ts"),  # Blu-ray m2ts
        (b"P3\n2 1\n255\n255 0 0 0 0 255\n", "netpbm"),
        (b"/* XPM */\nstatic char *x[] = {", "xpm"),
        (b"SIMPLE  =                    T", "fits"),
        (_zip(), "zip"),
        (gzip.compress(b"{}"), "gzip"),
        (b"<!DOCTYPE html><html><body>Sign in</body></html>", "html"),
        (b"\n  <HTML lang=en>", "html"),
        (b"<!-- a page -->\n<p>hello", "html"),
        (codecs.BOM_UTF8 + b"<html>", "html"),
        (b'<?xml version="1.0"?><Error><Code>AccessDenied</Code></Error>', "xml"),
        (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>', "svg"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "svg"),
        (b'{"error": "not found"}', "json"),
        (b'[ {"a": 1} ]', "json"),
        (b"1\r\n00:00:00,000 --> 00:00:01,000\r\nHello\r\n", "text"),
        (b"WEBVTT\n\n00:00.000 --> 00:01.000\nHello\n", "text"),
        (b"[Script Info]\nScriptType: v4.00+\n", "text"),  # ASS, not a JSON array
        (b"{1}{25}Hello|world", "text"),  # MicroDVD, not a JSON object
        (codecs.BOM_UTF8 + "1\r\n00:00:00,000 --> 00:00:01,000\r\nÉté\r\n".encode(), "text"),
        ("\ufeff1\n00:00:00,000 --> 00:00:01,000\nHi\n".encode("utf-16-le"), "text"),
        ("\ufeffWEBVTT\n".encode("utf-16-be"), "text"),
        ("été".encode()[:-1], "text"),  # cut inside a character: the rest is past the head
        ("1\r\n00:00:00,000 --> 00:00:01,000\r\nÉté\r\n".encode("cp1252"), "non-utf-8 text"),
    ],
)
def test_signatures_are_recognised(head: bytes, expected: str) -> None:
    assert sniff(head[:SNIFF_BYTES]) == expected


@pytest.mark.parametrize(
    "head",
    [
        bytes(range(256)),  # arbitrary binary
        b"hello\x00world",  # a NUL is not text
        "1\nHi\n".encode("utf-16-le"),  # UTF-16 without a BOM has NULs
        b"RIFF\x10\x00\x00\x00RMID",  # a RIFF of another kind
        b"\x47\x40\x00\x10" + bytes(100),  # one MPEG-TS sync byte is not enough
        b"\x00\x00\x01\x00\x01\x00\x10\x10",  # ICO: Pillow reads it, we don't sniff it
    ],
)
def test_unknown_data_is_not_named(head: bytes) -> None:
    assert sniff(head) is None


@pytest.mark.parametrize(
    ("kind", "sniffed"),
    [
        (MediaKind.IMAGE, "jpeg"),
        (MediaKind.IMAGE, "heif/avif"),
        (MediaKind.IMAGE, "netpbm"),
        (MediaKind.IMAGE, None),  # Pillow reads formats we don't sniff
        (MediaKind.VIDEO, "mp4/mov"),
        (MediaKind.VIDEO, "matroska/webm"),
        (MediaKind.VIDEO, "mpeg-ts"),
        (MediaKind.VIDEO, None),  # ffmpeg judges
        (MediaKind.AUDIO, "mp3"),
        (MediaKind.AUDIO, "m4a"),
        (MediaKind.AUDIO, "mp4/mov"),  # audio in an mp4 container
        (MediaKind.AUDIO, "ogg"),
        (MediaKind.AUDIO, "matroska/webm"),
        (MediaKind.AUDIO, None),
        (MediaKind.SUBTITLES, "text"),
        (MediaKind.SUBTITLES, "xml"),  # TTML
        (MediaKind.FONT, "ttf"),
        (MediaKind.FONT, "woff2"),
    ],
)
def test_what_fits_a_kind(kind: MediaKind, sniffed: str | None) -> None:
    assert fits(kind, sniffed)


@pytest.mark.parametrize(
    ("kind", "sniffed"),
    [
        (MediaKind.IMAGE, "html"),
        (MediaKind.IMAGE, "json"),
        (MediaKind.IMAGE, "xml"),
        (MediaKind.IMAGE, "svg"),
        (MediaKind.IMAGE, "pdf"),
        (MediaKind.IMAGE, "text"),
        (MediaKind.IMAGE, "mp4/mov"),
        (MediaKind.IMAGE, "mp3"),
        (MediaKind.VIDEO, "html"),
        (MediaKind.VIDEO, "text"),
        (MediaKind.VIDEO, "jpeg"),
        (MediaKind.VIDEO, "zip"),
        (MediaKind.VIDEO, "m4a"),  # audio alone
        (MediaKind.VIDEO, "wav"),
        (MediaKind.AUDIO, "png"),
        (MediaKind.AUDIO, "pdf"),
        (MediaKind.SUBTITLES, "html"),
        (MediaKind.SUBTITLES, "mp4/mov"),
        (MediaKind.SUBTITLES, None),  # binary
        (MediaKind.SUBTITLES, "non-utf-8 text"),  # its decoders read UTF-8
        (MediaKind.IMAGE, "non-utf-8 text"),
        (MediaKind.FONT, "zip"),
        (MediaKind.FONT, "text"),
        (MediaKind.FONT, None),
    ],
)
def test_what_does_not_fit_a_kind(kind: MediaKind, sniffed: str | None) -> None:
    assert not fits(kind, sniffed)


def test_every_kind_names_the_setting_of_its_cap() -> None:
    assert {kind: kind.cap_setting for kind in MediaKind} == {
        MediaKind.IMAGE: "MAX_IMAGE_BYTES",
        MediaKind.VIDEO: "MAX_VIDEO_BYTES",
        MediaKind.AUDIO: "MAX_AUDIO_BYTES",
        MediaKind.SUBTITLES: "MAX_SUBTITLE_BYTES",
        MediaKind.FONT: "MAX_FONT_BYTES",
    }


@pytest.mark.parametrize("media_type", ["text/plain", "text/vtt", "application/json"])
def test_subtitles_are_not_refused_for_a_text_content_type(media_type: str) -> None:
    assert not MediaKind.SUBTITLES.refuses_content_type(media_type)
    assert MediaKind.VIDEO.refuses_content_type(media_type)


def test_a_web_page_is_refused_for_every_kind() -> None:
    assert all(kind.refuses_content_type("text/html") for kind in MediaKind)


def test_what_was_received_is_described_with_a_printable_excerpt() -> None:
    head = b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head>"
    assert describe("html", head) == 'HTML (starts with "<!DOCTYPE html>\\n<html><head><tit…")'
    assert describe(None, b"\x00\x01ab") == 'unrecognised binary data (starts with "\\x00\\x01ab")'


def test_an_excerpt_escapes_what_is_not_printable() -> None:
    assert excerpt(codecs.BOM_UTF8 + b"1\r\n\xff") == "\\ufeff1\\r\\n\\xff"


def test_what_was_received_names_the_type_guess_the_size_and_the_content_type() -> None:
    head = b"<html><body>Not found</body></html>"
    assert describe_received(head, 2048, "text/plain") == (
        'got HTML (starts with "<html><body>Not found</body></ht…"), 2048 bytes,'
        " Content-Type text/plain"
    )
    assert describe_received(b"\x00", 1, "").endswith('"), 1 byte, no Content-Type')
    assert describe_received(b"\x00", 1, None).endswith('"), 1 byte')  # a local file has none
