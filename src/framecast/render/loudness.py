"""Loudness: measure (EBU R128 / BS.1770), apply a gain, limit true peaks, measure again.

One pass of ffmpeg's ``loudnorm`` misses its target by about 1 LU: it guesses the gain as it
goes. We measure the whole mix first, so the gain is known, not guessed; the peaks that gain
pushes past the ceiling are limited at 192 kHz (four times 48 kHz, as a true-peak meter
oversamples), and the encoded result is measured again, the one reading we report. Limiting
takes a little loudness away, and AAC coding adds a little peak, so when that reading misses
the target by more than ``TOLERANCE_LU`` or the peak passes its ceiling the encode is made once
more with the gain and ceiling corrected by what was missed.
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

__all__ = ["Loudness", "limiter", "measure", "normalise"]

TOLERANCE_LU = 0.5  # a reading further than this from the target is corrected once
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
    source: Path,
    encode: Callable[[str], Path],
    target: LoudnessTarget,
    rate: int,
    config: EncoderConfig,
    keep_going: Callable[[], bool] | None,
) -> Loudness:
    """Measure ``source``, then ``encode`` it through a gain and a limiter (a filter chain
    ``encode`` applies; it returns the file it made) until that file meets ``target``, and
    return the encoded file's reading."""
    before = measure(source, config, keep_going)
    gain = 0.0 if before.integrated_lufs <= SILENT_LUFS else target.target_lufs - before.integrated_lufs
    ceiling = target.true_peak_db - PEAK_MARGIN_DB
    made = measure(encode(_chain(gain, ceiling, rate)), config, keep_going)
    if made.integrated_lufs <= SILENT_LUFS:
        return made
    missed = target.target_lufs - made.integrated_lufs
    over = made.true_peak_db - target.true_peak_db
    if abs(missed) > TOLERANCE_LU or over > 0:
        gain, ceiling = gain + missed, ceiling - max(0.0, over)
        made = measure(encode(_chain(gain, ceiling, rate)), config, keep_going)
    return made


def _chain(gain_db: float, ceiling_db: float, rate: int) -> str:
    return f"volume={gain_db:.3f}dB,{limiter(ceiling_db, rate)}"


def measure(
    path: Path, config: EncoderConfig, keep_going: Callable[[], bool] | None = None
) -> Loudness:
    """The integrated loudness, true peak and loudness range of ``path``'s first audio stream,
    by ffmpeg's ``ebur128`` filter (its final values, read from the frame metadata it writes)."""
    readings = path.with_name(f"{path.name}.r128.txt")
    scan = f"ebur128=peak=true:metadata=1,ametadata=mode=print:file={_filter_value(readings)}"
    arguments = ["-loglevel", "error", "-i", str(path), "-map", "0:a:0", "-af", scan]
    try:
        run_ffmpeg(
            [*arguments, "-f", "null", "-"],
            None,
            config,
            keep_going=keep_going,
            what="measuring loudness failed",
        )
        values = _last_values(readings)
    finally:
        readings.unlink(missing_ok=True)
    try:
        peak = values["lavfi.r128.true_peak"]
        return Loudness(
            integrated_lufs=values["lavfi.r128.I"],
            true_peak_db=20 * math.log10(peak) if peak > 0 else SILENT_PEAK_DB,
            lra=values["lavfi.r128.LRA"],
        )
    except KeyError as exc:
        raise RenderError(f"measuring loudness: no reading of {path.name} ({exc})") from exc


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
