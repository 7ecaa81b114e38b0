"""The files a mix reads: the video checked, each track's parts probed and decoded.

Lengths are counted in decoded samples, never taken from the container: an MP3 without a
gapless header says a length its decoder does not produce, and parts joined by their container
durations drift by tens of milliseconds per join. One exception, as ffmpeg makes it: the
samples of a last frame past its packet's end are encoder padding (AAC in MP4 pads its last
frame, and says where the sound ends), and are not counted. The mix cuts or pads each part to
the count, so what is counted is what plays. A track that another ducks under is also measured,
10 ms at a time, for :mod:`framecast.render.ducking`.
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
    lengths: list[int]  # each part's length in samples at RATE
    levels: np.ndarray | None  # mean square of each WINDOW of the joined track (mono)

    @property
    def samples(self) -> int:
        """The joined length in samples at RATE."""
        return sum(self.lengths)

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
    streams, lengths = [], []
    for j, path in enumerate(parts):
        field = f"{name}.url" + (f"[{j}]" if len(parts) > 1 else "")
        stream = _audio_stream(field, path)
        streams.append(stream)
        lengths.append(_decode(field, path, stream, meter))
        if meter is not None:
            meter.end_part(lengths[-1])
    return DecodedTrack(streams, lengths, meter.levels() if meter else None)


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
    """Samples of ``path``'s stream ``index`` at RATE: the decoded count (less the last
    frame's padding), rescaled as the mix's resampler rescales it (±1 sample)."""
    decoded, rate, largest = 0, 0, 0
    first: float | None = None  # seconds: the first frame's timestamp
    end: float | None = None  # seconds: the latest packet end
    resampler = av.AudioResampler(format="flt", layout="mono", rate=RATE) if meter else None
    try:
        with av.open(str(path)) as container:
            stream = container.streams[index]
            for packet in container.demux(stream):
                if packet.pts is not None and packet.duration and packet.time_base is not None:
                    packet_end = float((packet.pts + packet.duration) * packet.time_base)
                    end = packet_end if end is None else max(end, packet_end)
                for frame in packet.decode():
                    assert isinstance(frame, av.AudioFrame)
                    if first is None and frame.pts is not None and frame.time_base is not None:
                        first = float(frame.pts * frame.time_base)
                    decoded += frame.samples
                    largest = max(largest, frame.samples)
                    rate = frame.sample_rate
                    if resampler is not None and meter is not None:
                        for mono in resampler.resample(frame):
                            meter.add(mono.to_ndarray()[0])
            if resampler is not None and meter is not None:
                for mono in resampler.resample(None):
                    meter.add(mono.to_ndarray()[0])
    except av.FFmpegError as exc:
        raise RenderError(f"{field}: {path.name} cannot be decoded ({exc})") from exc
    if not decoded:
        raise RenderError(f"{field}: {path.name} holds no audio samples")
    native = decoded
    if first is not None and end is not None:
        padding = decoded - round((end - first) * rate)
        if 0 < padding < largest:  # within the last frame: padding; more: odd timestamps
            native -= padding
    return round(native * RATE / rate)


class _LevelMeter:
    """Mean square per WINDOW of a stream of mono samples fed in pieces of any size, part by
    part, each part cut or padded to its counted length when it ends."""

    _HELD = RATE  # samples held back: a part's end may yet be cut (its last frame's padding)

    def __init__(self) -> None:
        self._carry = np.zeros(0, np.float32)  # measured samples short of a whole WINDOW
        self._held: list[np.ndarray] = []  # the current part's latest samples
        self._held_count = 0
        self._part = 0  # samples fed in the current part
        self._levels: list[np.ndarray] = []

    def add(self, samples: np.ndarray) -> None:
        self._held.append(samples.astype(np.float32, copy=False))
        self._held_count += len(samples)
        self._part += len(samples)
        if self._held_count > 2 * self._HELD:
            held = np.concatenate(self._held)
            self._measure(held[: -self._HELD])
            self._held, self._held_count = [held[-self._HELD :]], self._HELD

    def end_part(self, samples: int) -> None:
        """The part fed since the last call is ``samples`` long: cut or pad what is held."""
        held = np.concatenate(self._held) if self._held else np.zeros(0, np.float32)
        extra = self._part - samples
        if extra > 0:
            held = held[: max(0, len(held) - extra)]
        elif extra < 0:
            held = np.concatenate([held, np.zeros(-extra, np.float32)])
        self._measure(held)
        self._held, self._held_count, self._part = [], 0, 0

    def levels(self) -> np.ndarray:
        if len(self._carry):
            self._levels.append(np.array([np.mean(np.square(self._carry, dtype=np.float64))]))
            self._carry = np.zeros(0, np.float32)
        return np.concatenate(self._levels) if self._levels else np.zeros(0)

    def _measure(self, samples: np.ndarray) -> None:
        data = np.concatenate([self._carry, samples])
        whole = len(data) // WINDOW * WINDOW
        if whole:
            squares = np.square(data[:whole], dtype=np.float64)
            self._levels.append(squares.reshape(-1, WINDOW).mean(axis=1))
        self._carry = data[whole:]
