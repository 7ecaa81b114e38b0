"""What is inside a media file, read with PyAV.

:func:`probe_media` describes every stream of a file and is used at run time by workers (is this
download a video? can these clips be joined by stream copy?); :func:`probe` describes the first
video stream and the file's layout, for tests, benchmarks and sanity checks.
"""

from __future__ import annotations

import string
import struct
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import av.container

from framecast.errors import RenderError

__all__ = [
    "AudioStreamInfo",
    "MediaInfo",
    "VideoInfo",
    "VideoStreamInfo",
    "faststart",
    "probe",
    "probe_media",
    "top_level_atoms",
]


@dataclass(frozen=True)
class VideoInfo:
    """The first video stream of a file, and the file's layout."""

    codec: str
    profile: str | None
    pix_fmt: str | None
    width: int
    height: int
    fps: float
    frames: int  # counted packet by packet, not taken from the header
    duration: float  # seconds
    color_primaries: int | None
    color_trc: int | None
    colorspace: int | None
    color_range: int | None
    faststart: bool  # moov before mdat, so players can start before the download ends


def probe(path: Path) -> VideoInfo:
    """Describe the first video stream of ``path``."""
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            ctx = stream.codec_context
            rate = stream.average_rate or stream.guessed_rate
            frames = sum(1 for packet in container.demux(stream) if packet.size > 0)
            if stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            else:
                duration = (container.duration or 0) / av.time_base
            return VideoInfo(
                codec=ctx.name,
                profile=ctx.profile,
                pix_fmt=ctx.pix_fmt,
                width=ctx.width,
                height=ctx.height,
                fps=float(rate) if rate else 0.0,
                frames=frames,
                duration=duration,
                color_primaries=_int(getattr(ctx, "color_primaries", None)),
                color_trc=_int(getattr(ctx, "color_trc", None)),
                colorspace=_int(getattr(ctx, "colorspace", None)),
                color_range=_int(getattr(ctx, "color_range", None)),
                faststart=faststart(path),
            )
    except (av.FFmpegError, IndexError) as exc:
        raise RenderError(f"{path.name} is not a readable video ({exc})") from exc


@dataclass(frozen=True)
class VideoStreamInfo:
    """One video stream of a file."""

    index: int  # the stream's index in the file (ffmpeg's "0:index")
    codec: str
    profile: str | None
    width: int  # coded size: before the sample aspect ratio and the rotation are applied
    height: int
    sample_aspect_ratio: Fraction  # 1 where the file does not say
    pix_fmt: str | None
    fps: Fraction | None  # the average frame rate; None where the file gives none
    time_base: Fraction
    frames: int
    duration: float  # seconds
    rotation: int  # degrees the picture is turned counter-clockwise for display: 0/90/180/270
    colorspace: int | None  # the first frame's AVColorSpace (1: BT.709, 2: unspecified)
    extradata: bytes | None = field(default=None, repr=False)  # codec set-up, e.g. SPS/PPS
    primaries: int | None = None  # the first frame's AVColorPrimaries (9: BT.2020)
    transfer: int | None = None  # its AVColorTransferCharacteristic (16: PQ, 18: HLG)
    # Seconds from the file's start (its earliest stream) to this stream's first frame: MPEG-TS
    # and edited MP4 files can start their sound before their picture.
    start: float = 0.0

    @property
    def display_size(self) -> tuple[int, int]:
        """(width, height) as shown: square pixels, rotation applied."""
        width = max(1, round(self.width * self.sample_aspect_ratio))
        return (self.height, width) if self.rotation % 180 == 90 else (width, self.height)


@dataclass(frozen=True)
class AudioStreamInfo:
    """One audio stream of a file."""

    index: int
    codec: str
    sample_rate: int
    channels: int
    layout: str  # e.g. "stereo", "mono", "5.1"
    duration: float | None  # seconds; None where the file does not say


@dataclass(frozen=True)
class MediaInfo:
    """What a media file holds: its container and its audio and video streams."""

    format: str  # the demuxer's name, e.g. "mov,mp4,m4a,3gp,3g2,mj2" or "jpeg_pipe"
    format_long: str
    duration: float | None  # the container's, in seconds
    videos: tuple[VideoStreamInfo, ...]  # cover art (attached pictures) left out
    audios: tuple[AudioStreamInfo, ...]

    @property
    def video(self) -> VideoStreamInfo | None:
        return self.videos[0] if self.videos else None

    @property
    def audio(self) -> AudioStreamInfo | None:
        return self.audios[0] if self.audios else None

    @property
    def has_audio(self) -> bool:
        return bool(self.audios)

    @property
    def is_image(self) -> bool:
        """A still picture (JPEG, PNG, WebP…) rather than a video."""
        return self.format.endswith("_pipe") or self.format == "image2"

    @property
    def is_video(self) -> bool:
        return self.video is not None and not self.is_image

    def description(self) -> str:
        """What the file is, for messages: "a JPEG image", "audio only (mp3)", "a video (…)"."""
        video = self.video
        if video is not None and self.is_image:
            return f"a {_IMAGE_NAMES.get(video.codec, video.codec.upper())} image"
        if video is None:
            codecs = ", ".join(a.codec for a in self.audios)
            return f"audio only ({codecs})"
        return f"a video ({video.codec} {video.width}x{video.height})"


_IMAGE_NAMES = {"mjpeg": "JPEG", "png": "PNG", "webp": "WebP", "gif": "GIF", "bmp": "BMP"}


def probe_media(path: Path) -> MediaInfo:
    """Describe ``path``'s container and streams; RenderError, saying what it seems to be, if
    it is not media.

    Frame counts come from the container's index where it has one (MP4's sample table: exact
    and free), else from counting packets (a read of the file, no decoding). The first frame of
    each video stream is decoded: it proves the stream decodes and carries the rotation.
    """
    try:
        container = av.open(str(path))
    except FileNotFoundError as exc:
        raise RenderError(f"{path.name} does not exist") from exc
    except (av.FFmpegError, OSError) as exc:
        raise RenderError(f"{path.name} is not a media file: {_looks_like(path)}") from exc
    try:
        with container:
            return _describe(container, path)
    except av.FFmpegError as exc:
        raise RenderError(f"{path.name} is not a readable media file ({exc})") from exc


def _describe(container: av.container.InputContainer, path: Path) -> MediaInfo:
    streams = [
        s for s in container.streams.video if not s.disposition & av.stream.Disposition.attached_pic
    ]
    if not streams and not container.streams.audio:
        raise RenderError(
            f"{path.name} has no audio or video stream ({container.format.long_name}):"
            f" {_looks_like(path)}"
        )
    firsts, counts = _scan(container, streams)
    duration = container.duration / av.time_base if container.duration else None
    videos = []
    for stream in streams:
        if stream.index not in firsts:
            name = stream.codec_context.name
            raise RenderError(f"{path.name} has a video stream ({name}) but no frame decodes")
        frames = stream.frames or counts.get(stream.index, 0)
        start = _start(stream, container.start_time)
        videos.append(_video_stream(stream, firsts[stream.index], frames, duration, start))
    audios = tuple(
        AudioStreamInfo(
            index=s.index,
            codec=s.codec_context.codec.canonical_name,
            sample_rate=s.codec_context.sample_rate,
            channels=s.codec_context.layout.nb_channels,
            layout=s.codec_context.layout.name,
            duration=_seconds(s.duration, s.time_base) or duration,
        )
        for s in container.streams.audio
    )
    return MediaInfo(
        container.format.name, container.format.long_name, duration, tuple(videos), audios
    )


def _scan(
    container: av.container.InputContainer, streams: list[av.VideoStream]
) -> tuple[dict[int, av.VideoFrame], dict[int, int]]:
    """One pass over ``streams``: the first decoded frame of each, and the packets of those
    whose container keeps no count (read to the end only for those)."""
    firsts: dict[int, av.VideoFrame] = {}
    counts = {s.index: 0 for s in streams if not s.frames}
    for stream in streams:
        stream.codec_context.thread_count = 1  # one frame: threads would only cost start-up
    if not streams:
        return firsts, counts
    for packet in container.demux(*streams):
        index = packet.stream.index
        if index in counts and packet.size > 0:
            counts[index] += 1
        if index not in firsts:
            frame = next(iter(packet.decode()), None)
            if isinstance(frame, av.VideoFrame):
                firsts[index] = frame
        elif not counts and len(firsts) == len(streams):
            break
    return firsts, counts


def _video_stream(
    stream: av.VideoStream,
    first: av.VideoFrame,
    frames: int,
    container_duration: float | None,
    start: float,
) -> VideoStreamInfo:
    ctx = stream.codec_context
    fps = _fraction(stream.average_rate) or _fraction(stream.guessed_rate)
    duration = _seconds(stream.duration, stream.time_base)
    if duration is None and container_duration is not None:
        duration = max(0.0, container_duration - start)  # the picture runs to the file's end
    if duration is None:
        duration = float(frames / fps) if fps else 0.0
    return VideoStreamInfo(
        index=stream.index,
        codec=ctx.codec.canonical_name,  # the format's name ("mp3"), not the decoder's
        profile=stream.profile,
        width=ctx.width,
        height=ctx.height,
        sample_aspect_ratio=_fraction(stream.sample_aspect_ratio) or Fraction(1),
        pix_fmt=ctx.pix_fmt,
        fps=fps,
        time_base=_fraction(stream.time_base) or Fraction(0),
        frames=frames,
        duration=duration,
        rotation=round(first.rotation) % 360,  # PyAV: counter-clockwise, in ]-180, 180]
        colorspace=_int(first.colorspace),
        extradata=ctx.extradata,
        primaries=_int(getattr(first, "color_primaries", None)),
        transfer=_int(getattr(first, "color_trc", None)),
        start=start,
    )


def _start(stream: av.VideoStream, file_start: int | None) -> float:
    """Seconds from ``file_start`` (the container's, in AV_TIME_BASE units) to ``stream``'s."""
    first = _seconds(stream.start_time, stream.time_base) or 0.0
    return max(0.0, first - (file_start or 0) / av.time_base)


def _fraction(value: Fraction | None) -> Fraction | None:
    # A Fraction, or (PyAV 19) an AVRational, falsy when unset.
    return Fraction(value.numerator, value.denominator) if value else None


def _seconds(value: int | None, time_base: Fraction | None) -> float | None:
    rate = _fraction(time_base)
    return float(value * rate) if value is not None and rate else None


def _looks_like(path: Path) -> str:
    """A guess at what a file that isn't media is, from its first bytes."""
    try:
        with path.open("rb") as f:
            head = f.read(512)
    except OSError as exc:
        return f"it cannot be read ({exc.strerror})"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if not head:
        return "it is empty"
    if text.startswith((b"<!doctype html", b"<html")) or b"<html" in text:
        return "it looks like an HTML page (an error page or a web page, not the file itself)"
    for magic, what in _MAGIC:
        if text.startswith(magic):
            return f"it looks like {what}"
    if head[4:8] == b"ftyp" or head.startswith(b"\x1a\x45\xdf\xa3"):
        return "it looks like an MP4, MOV or Matroska file cut short or damaged"
    if all(chr(b) in string.printable for b in text[:200]):
        return "it looks like plain text"
    return f"unrecognised data (it starts with {head[:8].hex(' ')})"


_MAGIC = (
    (b"<?xml", "an XML document"),
    (b"<svg", "an SVG drawing"),
    (b"{", "JSON"),
    (b"[", "JSON"),
    (b"%pdf", "a PDF document"),
    (b"pk\x03\x04", "a ZIP archive"),
    (b"\x1f\x8b", "a gzip archive"),
)


def _int(value: object) -> int | None:
    return int(value) if isinstance(value, int) else None


def top_level_atoms(path: Path) -> list[str]:
    """The types of the top-level MP4 boxes of ``path``, in file order."""
    atoms: list[str] = []
    with path.open("rb") as f:
        while header := f.read(8):
            if len(header) < 8:
                break
            size, kind = struct.unpack(">I4s", header)
            if size == 1:  # 64-bit size follows the type
                size = struct.unpack(">Q", f.read(8))[0] - 8
            elif size == 0:  # the box runs to the end of the file
                atoms.append(kind.decode("latin-1"))
                break
            atoms.append(kind.decode("latin-1"))
            f.seek(size - 8, 1)
    return atoms


def faststart(path: Path) -> bool:
    """Whether ``moov`` comes before ``mdat`` in ``path``."""
    atoms = top_level_atoms(path)
    return "moov" in atoms and "mdat" in atoms and atoms.index("moov") < atoms.index("mdat")
