"""The files a mix reads: the video checked, each track's parts probed and decoded.

Lengths are counted in decoded samples, never taken from the container: an MP3 without a
gapless header says a length its decoder does not produce, and parts joined by their container
durations drift by tens of milliseconds per join. A track that another ducks under is also
measured, 10 ms at a time, for :mod:`framecast.render.ducking`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from framecast.contracts.audio import MAX_AUDIO_SECONDS
from framecast.errors import RenderError
from framecast.render.probe import MediaInfo, VideoStreamInfo, probe_media

__all__ = ["RATE", "WINDOW", "DecodedTrack", "check_video", "decode_track"]

RATE = 48_000  # every track is mixed at 48 kHz stereo
WINDOW = RATE // 100  # samples per level measurement: 10 ms


@dataclass(frozen=True)
class DecodedTrack:
    """One track's parts, joined: where each is read from and how long the whole is."""

    streams: list[int]  # each part's audio stream (its index in the file)
    samples: int  # the joined length in samples at RATE
    levels: np.ndarray | None  # mean square of each WINDOW of the joined track (mono)

    @property
    def seconds(self) -> float:
        return self.samples / RATE


def check_video(path: Path) -> tuple[MediaInfo, VideoStreamInfo]:
    """``path``'s streams; RenderError naming ``video_url`` when it holds no video."""
    try:
        info = probe_media(path)
    except RenderError as exc:
        raise RenderError(f"video_url: {exc.message}") from exc
    if info.video is None or info.is_image:
        raise RenderError(f"video_url: {path.name} is {info.description()}, not a video")
    return info, info.video


def decode_track(name: str, parts: list[Path], levels: bool) -> DecodedTrack:
    """Decode every part of the track ``name`` (``tracks[i]``), counting its samples at RATE,
    and with ``levels`` measuring it too."""
    meter = _LevelMeter() if levels else None
    streams, samples = [], 0
    for j, path in enumerate(parts):
        field = f"{name}.url" + (f"[{j}]" if len(parts) > 1 else "")
        stream = _audio_stream(field, path)
        streams.append(stream)
        samples += _decode(field, path, stream, meter)
    return DecodedTrack(streams, samples, meter.levels() if meter else None)


def _audio_stream(field: str, path: Path) -> int:
    try:
        info = probe_media(path)
    except RenderError as exc:
        raise RenderError(f"{field}: {exc.message}") from exc
    if info.audio is None:
        raise RenderError(f"{field}: {path.name} is not audio: {info.description()}")
    length = info.audio.duration or info.duration or 0.0
    if length > MAX_AUDIO_SECONDS:  # refused before hours of decoding, from the container's word
        raise RenderError(
            f"{field}: {length / 3600:.2f} h is longer than a track may be"
            f" ({MAX_AUDIO_SECONDS / 3600:g} h)"
        )
    return info.audio.index


def _decode(field: str, path: Path, index: int, meter: _LevelMeter | None) -> int:
    """Samples of ``path``'s stream ``index`` at RATE: the decoded count, rescaled as the mix's
    resampler rescales it (±1 sample)."""
    native, rate = 0, 0
    resampler = av.AudioResampler(format="flt", layout="mono", rate=RATE) if meter else None
    try:
        with av.open(str(path)) as container:
            stream = container.streams[index]
            for frame in container.decode(stream):
                assert isinstance(frame, av.AudioFrame)
                native += frame.samples
                rate = frame.sample_rate
                if resampler is not None and meter is not None:
                    for mono in resampler.resample(frame):
                        meter.add(mono.to_ndarray()[0])
            if resampler is not None and meter is not None:
                for mono in resampler.resample(None):
                    meter.add(mono.to_ndarray()[0])
    except av.FFmpegError as exc:
        raise RenderError(f"{field}: {path.name} cannot be decoded ({exc})") from exc
    if not native:
        raise RenderError(f"{field}: {path.name} holds no audio samples")
    return round(native * RATE / rate)


class _LevelMeter:
    """Mean square per WINDOW of a stream of mono samples fed in pieces of any size."""

    def __init__(self) -> None:
        self._carry = np.zeros(0, np.float32)
        self._levels: list[np.ndarray] = []

    def add(self, samples: np.ndarray) -> None:
        data = np.concatenate([self._carry, samples.astype(np.float32, copy=False)])
        whole = len(data) // WINDOW * WINDOW
        if whole:
            squares = np.square(data[:whole], dtype=np.float64)
            self._levels.append(squares.reshape(-1, WINDOW).mean(axis=1))
        self._carry = data[whole:]

    def levels(self) -> np.ndarray:
        if len(self._carry):
            self._levels.append(np.array([np.mean(np.square(self._carry, dtype=np.float64))]))
        return np.concatenate(self._levels) if self._levels else np.zeros(0)
