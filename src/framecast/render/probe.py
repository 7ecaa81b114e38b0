"""What is inside a video file, read with PyAV: used by tests, benchmarks and sanity checks."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import av

from framecast.errors import RenderError

__all__ = ["VideoInfo", "faststart", "probe", "top_level_atoms"]


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
