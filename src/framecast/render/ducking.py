"""Ducking: the gain that lowers a track by exactly ``depth_db`` while another one plays.

A sidechain compressor's reduction follows the other track's level (quiet words duck less,
loud ones more) and lets the music swell in every pause between words. The mix is made
offline, so we can do better: we know when the narration speaks. Its level, 10 ms at a time
(:mod:`framecast.render.audio_sources`), says when it is active: near its loud windows, and
clear of the room tone a recorded voice has in its pauses (the quietest stretch of
``PAUSE_SECONDS``, when that is far under the voice); pauses shorter than
``BRIDGE_SECONDS`` (or than the attack and release together) are bridged, so the music stays
down through a passage instead of pumping between words. The reduction ramps, linearly in dB,
to the full depth over ``attack_ms`` before each passage starts (look-ahead: the first word is
already clear) and back to none over ``release_ms`` after it ends. The result is a gain curve
sampled at ``ENVELOPE_RATE``, which the mix multiplies the ducked track by.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from framecast.render.audio_sources import RATE, WINDOW

__all__ = ["ENVELOPE_RATE", "Placement", "active_windows", "duck_gains", "grid_points", "place"]

ENVELOPE_RATE = 1000  # gain points per second: ramps of tens of ms are drawn to 1 ms
SILENCE_DB = -60.0  # a window this quiet (dBFS, mean square) is never speech
ACTIVE_RANGE_DB = 30.0  # a window within this of the track's loud windows is speech
PAUSE_SECONDS = 0.3  # the quietest stretch this long that is not silence: a pause's room tone
FLOOR_GAP_DB = 20.0  # a room tone at least this far under the voice is told apart from it
FLOOR_MARGIN_DB = 6.0  # and a window this far above it is speech
BRIDGE_SECONDS = 0.5  # pauses shorter than this keep the music down
_WINDOWS_PER_SECOND = RATE // WINDOW


@dataclass(frozen=True)
class Placement:
    """Where a track plays on the output timeline, in seconds."""

    start: float  # where it starts in the output
    trim: float  # seconds of it skipped at its start
    heard: float  # seconds of it in the output (loops included, cut at the output's end)
    length: float  # its decoded length (one pass, before the trim)
    loop: bool


def active_windows(levels: np.ndarray) -> np.ndarray:
    """Which 10 ms windows of a track (mean squares) are speech rather than pause."""
    db = 10 * np.log10(np.maximum(levels, 1e-20))
    sounding = db[db > SILENCE_DB]
    if not len(sounding):
        return np.zeros(len(levels), bool)
    # The 95th percentile, not the maximum: one click must not set the scale.
    voice = float(np.percentile(sounding, 95))
    threshold = max(SILENCE_DB, voice - ACTIVE_RANGE_DB)
    floor = _room_tone(db)
    if floor is not None and voice - floor >= FLOOR_GAP_DB:
        threshold = max(threshold, floor + FLOOR_MARGIN_DB)
    return db > threshold


def _room_tone(db: np.ndarray) -> float | None:
    """The level of the quietest PAUSE_SECONDS that is not digital silence: the loudest
    window of that stretch. Continuous speech has a word in every such stretch, so this is
    far under its voice only when there are pauses, and then it is their room tone."""
    span = round(PAUSE_SECONDS * _WINDOWS_PER_SECOND)
    if len(db) < span:
        return None
    loudest = np.lib.stride_tricks.sliding_window_view(db, span).max(axis=1)
    heard = loudest[loudest > SILENCE_DB]
    return float(heard.min()) if len(heard) else None


def place(active: np.ndarray, where: Placement, total: float) -> np.ndarray:
    """``active`` (per window of the track) on the output's envelope grid of ``total`` s."""
    points = grid_points(total)
    grid = np.zeros(points, bool)
    first = min(points, round(where.start * ENVELOPE_RATE))
    last = min(points, round((where.start + where.heard) * ENVELOPE_RATE))
    if last <= first or not len(active):
        return grid
    at = np.arange(first, last) / ENVELOPE_RATE - where.start + where.trim  # in the track
    if where.loop and where.length > 0:
        # A loop plays the trimmed track once, then the whole track again and again.
        again = at >= where.length
        at[again] = np.mod(at[again] - where.length, where.length)
    windows = np.minimum((at * _WINDOWS_PER_SECOND).astype(np.int64), len(active) - 1)
    grid[first:last] = active[windows]
    return grid


def duck_gains(
    active: np.ndarray, depth_db: float, attack_ms: float, release_ms: float
) -> np.ndarray:
    """Linear gains at ENVELOPE_RATE: 1 where ``active`` is false, ``−depth_db`` while it is
    true, with the ramps and bridges described above."""
    bridge = max(BRIDGE_SECONDS, (attack_ms + release_ms) / 1000)
    active = _bridged(active, round(bridge * ENVELOPE_RATE))
    since, until = _distances(active)
    down = _ramp(until, attack_ms)  # approaching a passage
    up = _ramp(since, release_ms)  # leaving one
    reduction = depth_db * np.maximum(down, up)
    return np.power(10.0, -reduction / 20).astype(np.float32)


def grid_points(total: float) -> int:
    """Points of the envelope grid covering ``total`` seconds (one past its end)."""
    return int(np.ceil(total * ENVELOPE_RATE)) + 1


def _bridged(active: np.ndarray, longest_gap: int) -> np.ndarray:
    """``active`` with every inactive run shorter than ``longest_gap`` between two active ones
    filled."""
    index = np.arange(len(active))
    previous = np.maximum.accumulate(np.where(active, index, -1))
    following = np.minimum.accumulate(np.where(active, index, len(active))[::-1])[::-1]
    inside = (previous >= 0) & (following < len(active))
    return active | (inside & (following - previous - 1 < longest_gap))


def _distances(active: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Seconds since the last active point and until the next one (inf where there is none)."""
    index = np.arange(len(active), dtype=np.float64)
    previous = np.maximum.accumulate(np.where(active, index, -np.inf))
    following = np.minimum.accumulate(np.where(active, index, np.inf)[::-1])[::-1]
    return (index - previous) / ENVELOPE_RATE, (following - index) / ENVELOPE_RATE


def _ramp(distance: np.ndarray, length_ms: float) -> np.ndarray:
    """1 at distance 0, falling linearly to 0 at ``length_ms``."""
    if length_ms <= 0:
        return (distance == 0).astype(np.float64)
    return np.clip(1 - distance / (length_ms / 1000), 0, 1)
