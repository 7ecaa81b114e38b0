"""Burning an ASS document into a video: one decode, libass, one encode; the sound copied.

libass is given a fonts folder holding only the job's faces and a fontconfig that sees no
system font, and ffmpeg runs at the verbose level so libass's own font choices can be read back
from its log and checked (a font that did not resolve is an error, never a silent substitute).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from framecast.config import EncoderConfig
from framecast.errors import RenderError
from framecast.render.audio_graph import AAC
from framecast.render.colour import BT709_PARAMS, BT709_TAGS, to_bt709
from framecast.render.encode import choose_encoder, encoder_args
from framecast.render.ffmpeg import run_ffmpeg
from framecast.render.probe import AudioStreamInfo, VideoStreamInfo, probe_media

# Audio codecs an MP4 carries as they are; anything else (Vorbis, PCM…) is encoded to AAC.
MP4_AUDIO = frozenset({"aac", "mp3", "opus", "alac", "flac", "ac3", "eac3"})


@dataclass(frozen=True)
class BurnResult:
    """What came out: the picture's size, rate and length, and what happened to the sound."""

    width: int
    height: int
    fps: Fraction | None
    frames: int
    duration: float
    audio: str  # copied | reencoded | none
    log: str  # ffmpeg's verbose stderr: libass's font choices are read from it


@dataclass(frozen=True)
class Canvas:
    """The frame libass draws on: the video's displayed size (square pixels, rotation done)."""

    width: int
    height: int


@dataclass(frozen=True)
class Picture:
    """What a burn needs to know of its input, probed once: the canvas and the streams."""

    canvas: Canvas
    stream: VideoStreamInfo
    audio: AudioStreamInfo | None


def probe_picture(video: Path) -> Picture:
    """``video``'s canvas and streams; RenderError if it has no picture."""
    info = probe_media(video)
    stream = info.video
    if stream is None or not info.is_video:
        raise RenderError(f"video_url: expected a video; got {info.description()}")
    width, height = stream.display_size
    return Picture(Canvas(width - width % 2, height - height % 2), stream, info.audio)


def burn_captions(
    video: Path,
    picture: Picture,
    ass: Path,
    fonts_dir: Path,
    fonts_env: Mapping[str, str],
    output: Path,
    config: EncoderConfig,
    keep_going: Callable[[], bool] | None = None,
) -> BurnResult:
    """Draw ``ass`` (written for ``picture``'s canvas) on every frame of ``video`` into the MP4
    ``output``: every frame kept at its time, the first audio stream copied when MP4 holds it."""
    canvas, stream, audio = picture.canvas, picture.stream, picture.audio
    chain = []
    if stream.display_size != (canvas.width, canvas.height) or stream.sample_aspect_ratio != 1:
        chain.append(f"scale={canvas.width}:{canvas.height},setsar=1")
    first, colour = to_bt709(stream.colorspace, stream.primaries, stream.transfer)
    chain += [first] if first is not None else []
    chain.append(f"scale={colour},format=yuv420p")
    chain.append(f"ass=filename={filter_path(ass)}:fontsdir={filter_path(fonts_dir)}")
    chain.append(f"setparams={BT709_PARAMS}")
    arguments = ["-loglevel", "verbose", "-i", str(video)]
    arguments += ["-filter_complex", f"[0:{stream.index}]{','.join(chain)}[v]", "-map", "[v]"]
    arguments += ["-fps_mode", "passthrough"]  # every frame at its own time: none added or lost
    arguments += [*encoder_args(choose_encoder(config), config), "-pix_fmt", "yuv420p"]
    arguments += BT709_TAGS
    sound = "none"
    if audio is not None:
        sound = "copied" if audio.codec in MP4_AUDIO else "reencoded"
        arguments += ["-map", f"0:{audio.index}"]
        arguments += ["-c:a", "copy"] if sound == "copied" else AAC
    arguments += ["-sn", "-dn", "-movflags", "+faststart", "-f", "mp4", "-y", str(output)]
    log = run_ffmpeg(
        arguments,
        output,
        config,
        keep_going=keep_going,
        what="burning the captions failed",
        env=fonts_env,
    )
    made = probe_media(output).video
    assert made is not None
    return BurnResult(
        width=made.width,
        height=made.height,
        fps=made.fps,
        frames=made.frames,
        duration=made.duration,
        audio=sound,
        log=log,
    )


def filter_path(path: Path) -> str:
    """``path`` as one filter option value inside a filter graph (escaped for both levels)."""
    value = str(path)
    for special in ("\\", "'", ":"):  # the option's own level
        value = value.replace(special, "\\" + special)
    for special in ("\\", "'", "[", "]", ",", ";"):  # the graph's level
        value = value.replace(special, "\\" + special)
    return value
