"""Storing an upload: its kind sniffed from its first bytes, its size capped by that kind."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from framecast.config import FetchConfig
from framecast.errors import InputError, PayloadTooLarge
from framecast.storage.base import Storage, StoredObject
from framecast.worker.media_kinds import SNIFF_BYTES, MediaKind, describe_received, fits, sniff

# The order a sniffed type is given a kind in: an MP4 is a video (which audio fields take too);
# WAV, MP3, FLAC... fit no kind before audio.
KINDS = (MediaKind.IMAGE, MediaKind.VIDEO, MediaKind.AUDIO, MediaKind.SUBTITLES, MediaKind.FONT)
# A client's Content-Type may pick between kinds a type fits (an M4A sent as audio/mp4).
_HINTS = {
    "image/": MediaKind.IMAGE,
    "video/": MediaKind.VIDEO,
    "audio/": MediaKind.AUDIO,
    "text/": MediaKind.SUBTITLES,
    "application/x-subrip": MediaKind.SUBTITLES,
    "font/": MediaKind.FONT,
}
_CONTENT_TYPES = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "bmp": "image/bmp",
    "tiff": "image/tiff",
    "heif/avif": "image/heif",
    "mp4/mov": "video/mp4",
    "matroska/webm": "video/x-matroska",
    "avi": "video/x-msvideo",
    "mpeg-ts": "video/mp2t",
    "mpeg-ps": "video/mpeg",
    "flv": "video/x-flv",
    "ogg": "application/ogg",
    "mp3": "audio/mpeg",
    "aac (adts)": "audio/aac",
    "flac": "audio/flac",
    "wav": "audio/wav",
    "aiff": "audio/aiff",
    "m4a": "audio/mp4",
    "text": "text/plain; charset=utf-8",
    "json": "application/json",
    "xml": "application/xml",
    "ttf": "font/ttf",
    "otf": "font/otf",
    "ttc": "font/collection",
    "woff": "font/woff",
    "woff2": "font/woff2",
}


@dataclass(frozen=True)
class Received:
    """An upload in storage, and what it was found to be."""

    stored: StoredObject
    kind: MediaKind
    content_type: str


def kind_of(sniffed: str | None, declared: MediaKind | None, media_type: str) -> MediaKind | None:
    """The kind of an upload sniffed as ``sniffed``; None if it is none of them.

    A ``declared`` kind must fit (unrecognised binary data fits image, video and audio: their
    decoders judge it); without one, only a recognised type has a kind.
    """
    if declared is not None:
        return declared if fits(declared, sniffed) else None
    if sniffed is None:
        return None
    hinted = next((kind for prefix, kind in _HINTS.items() if media_type.startswith(prefix)), None)
    if hinted is not None and fits(hinted, sniffed):
        return hinted
    return next((kind for kind in KINDS if fits(kind, sniffed)), None)


async def receive(
    chunks: AsyncIterator[bytes],
    storage: Storage,
    key: str,
    limits: FetchConfig,
    declared: MediaKind | None = None,
    media_type: str = "",
    length: int | None = None,
) -> Received:
    """Store ``chunks`` at ``key`` if they are one of the kinds, within that kind's cap.

    ``media_type`` is the client's Content-Type (a hint, never trusted alone); ``length`` its
    Content-Length, checked against the cap before the rest of the body is read.
    """
    head = b""
    async for chunk in chunks:
        head += chunk
        if len(head) >= SNIFF_BYTES:
            break
    if not head:
        raise InputError("body: empty; send the file's bytes (raw, or as the form field 'file')")
    sniffed = sniff(head[:SNIFF_BYTES])
    kind = kind_of(sniffed, declared, media_type.lower())
    if kind is None:
        wanted = declared.noun if declared else "an image, a video, audio, subtitles or a font"
        received = describe_received(head[:SNIFF_BYTES], length or len(head), media_type or "")
        raise InputError(f"body: not {wanted}: {received}")
    cap = limits.max_bytes_for(kind)
    too_large = f"body: {kind.noun} is at most {cap} bytes ({kind.cap_setting})"
    if length is not None and length > cap:
        raise PayloadTooLarge(f"{too_large}; this one is {length} bytes")

    async def whole() -> AsyncIterator[bytes]:
        yield head
        async for chunk in chunks:
            yield chunk

    try:
        stored = await storage.write(key, whole(), cap)
    except PayloadTooLarge as exc:
        raise PayloadTooLarge(too_large) from exc
    return Received(stored, kind, _content_type(sniffed, kind))


def _content_type(sniffed: str | None, kind: MediaKind) -> str:
    if sniffed == "ogg" and kind is MediaKind.AUDIO:
        return "audio/ogg"
    return _CONTENT_TYPES.get(sniffed or "", "application/octet-stream")
