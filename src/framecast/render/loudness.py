"""Loudness: measure (EBU R128 / BS.1770), apply a gain, limit true peaks, measure again.

One pass of ffmpeg's ``loudnorm`` misses its target by about 1 LU: it guesses the gain as it
goes. We measure the whole mix first, so the gain is known, not guessed; the peaks that gain
pushes past the ceiling are limited at 192 kHz (four times 48 kHz, as a true-peak meter
oversamples), and the encoded result is measured again, the one reading we report. Limiting
takes loudness away (much of it from material with sharp transients, whose every peak holds the
gain down for the limiter's release), and AAC coding adds a little peak, so when that reading
misses the target by more than ``TOLERANCE_LU`` or the peak passes its ceiling, the encode is
made again with the gain and ceiling corrected by what was missed: at most twice, the second
time scaled by how much loudness the first correction's gain actually bought.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from framecast.config import EncoderConfig
from framecast.errors import RenderError
from framecast.render.audio_spec import LoudnessTarget
from framecast.render.ffmpeg import run_ffmpeg

__all__ = ["Loudness", "limiter", "measure", "normalise", "read_scan", "scan_filter"]

TOLERANCE_LU = 0.5  # a reading further than this from the target is corrected
MOST_ENCODES = 3  # the first encode and at most two corrections
PEAK_MARGIN_DB = 1.0  # the limiter's ceiling under the target: AAC adds up to ~0.7 dB of peak
SILENT_LUFS = -70.0  # BS.1770's absolute gate: a mix no louder than this is silence
SILENT_PEAK_DB = -120.0  # reported for digital silence in place of −∞
_OVERSAMPLE = 192_000
_LIMITER = "alimiter=limit={limit:.6f}:attack=1:release=50:level=0:latency=1"


@dataclass(frozen=True)
class Loudness:
    """An EBU R128 reading of a whole file."""

    integrated_lufs: float
    true_peak_db: float
    lra: float  # loudness range, LU

    def as_dict(self) -> dict[str, float]:
        return {
            "integrated_lufs": round(self.integrated_lufs, 2),
            "true_peak_db": round(self.true_peak_db, 2),
            "lra": round(self.lra, 2),
        }


def limiter(ceiling_db: float, rate: int) -> str:
    """A filter chain limiting true peaks to ``ceiling_db`` (at ``_OVERSAMPLE``), back at
    ``rate``."""
    limit = min(1.0, max(0.0625, 10 ** (ceiling_db / 20)))  # alimiter's range
    return f"aresample={_OVERSAMPLE},{_LIMITER.format(limit=limit)},aresample={rate}"


def normalise(
    before: Loudness, encode: Callable[[str], Loudness], target: LoudnessTarget, rate: int
) -> Loudness:
    """Bring a mix that measured ``before`` to ``target``: ``encode`` makes the result through
    a filter chain (gain and limiter, at ``rate``) and returns the result's reading; the last
    reading is returned."""
    ceiling = target.true_peak_db - PEAK_MARGIN_DB
    if before.integrated_lufs <= SILENT_LUFS:
        return encode(_chain(0.0, ceiling, rate))  # no gain makes silence loud
    gain = target.target_lufs - before.integrated_lufs
    tried: list[tuple[float, float]] = []  # (gain, integrated loudness it gave)
    while True:
        made = encode(_chain(gain, ceiling, rate))
        missed = target.target_lufs - made.integrated_lufs
        over = made.true_peak_db - target.true_peak_db
        tried.append((gain, made.integrated_lufs))
        if (abs(missed) <= TOLERANCE_LU and over <= 0) or len(tried) == MOST_ENCODES:
            return made
        gain += missed / _slope(tried)
        ceiling -= max(0.0, over)


def _slope(tried: list[tuple[float, float]]) -> float:
    """LU gained per dB of gain, from the last two tries (1 before there are two): a limiter
    working hard turns each dB of gain into less than a dB of loudness. Never under 0.5, so a
    correction is at most twice what was missed: past that, more gain only squashes."""
    if len(tried) < 2 or tried[-1][0] == tried[-2][0]:
        return 1.0
    (gain0, loud0), (gain1, loud1) = tried[-2:]
    return min(1.0, max(0.5, (loud1 - loud0) / (gain1 - gain0)))


def _chain(gain_db: float, ceiling_db: float, rate: int) -> str:
    return f"volume={gain_db:.3f}dB,{limiter(ceiling_db, rate)}"


def measure(
    path: Path, config: EncoderConfig, keep_going: Callable[[], bool] | None = None
) -> Loudness:
    """The integrated loudness, true peak and loudness range of ``path``'s first audio stream."""
    readings = path.with_name(f"{path.name}.r128.txt")
    arguments = ["-loglevel", "error", "-i", str(path), "-map", "0:a:0"]
    arguments += ["-af", scan_filter(readings), "-f", "null", "-"]
    try:
        run_ffmpeg(arguments, None, config, keep_going=keep_going, what="measuring loudness failed")
        return read_scan(readings)
    finally:
        readings.unlink(missing_ok=True)


def scan_filter(readings: Path) -> str:
    """A filter chain measuring the audio that passes through it (ffmpeg's ``ebur128``, true
    peaks at 4× oversampling) into the file ``readings``, for :func:`read_scan`: any ffmpeg
    run can measure what it makes."""
    return f"ebur128=peak=true:metadata=1,ametadata=mode=print:file={_filter_value(readings)}"


def read_scan(readings: Path) -> Loudness:
    """The reading a :func:`scan_filter` wrote: its final values (the last frame's)."""
    values = _last_values(readings)
    try:
        peak = values["lavfi.r128.true_peak"]
        return Loudness(
            integrated_lufs=values["lavfi.r128.I"],
            true_peak_db=20 * math.log10(peak) if peak > 0 else SILENT_PEAK_DB,
            lra=values["lavfi.r128.LRA"],
        )
    except KeyError as exc:
        raise RenderError(f"measuring loudness: no reading in {readings.name} ({exc})") from exc


def _last_values(readings: Path) -> dict[str, float]:
    """The values of the last frame ametadata printed (each frame: a ``frame:`` line, then
    ``key=value`` lines); earlier frames hold running values."""
    values: dict[str, float] = {}
    try:
        with readings.open(encoding="utf-8") as lines:
            for line in lines:
                if line.startswith("frame:"):
                    values = {}
                key, sep, value = line.strip().partition("=")
                if sep:
                    values[key] = float(value)
    except (OSError, ValueError) as exc:
        raise RenderError(f"measuring loudness: unreadable readings ({exc})") from exc
    return values


def _filter_value(path: Path) -> str:
    """``path`` as an option value inside a filter graph: escaped for the option parser,
    then for the graph parser (ffmpeg-filters(1), "Notes on filtergraph escaping")."""
    value = str(path)
    for special in "\\':":
        value = value.replace(special, "\\" + special)
    for special in "\\'[],;":
        value = value.replace(special, "\\" + special)
    return value
