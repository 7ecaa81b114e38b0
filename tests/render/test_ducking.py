"""The ducking gain curve, from activity made in code (no ffmpeg)."""

from __future__ import annotations

import numpy as np
import pytest

from framecast.render.ducking import (
    ENVELOPE_RATE,
    Placement,
    active_windows,
    duck_gains,
    place,
)


def grid(seconds: float, *spans: tuple[float, float]) -> np.ndarray:
    """Activity on the envelope grid: true during ``spans`` (start, end) s."""
    t = np.arange(round(seconds * ENVELOPE_RATE)) / ENVELOPE_RATE
    active = np.zeros(len(t), bool)
    for start, end in spans:
        active |= (t >= start) & (t < end)
    return active


def db_at(gains: np.ndarray, seconds: float) -> float:
    return float(20 * np.log10(gains[round(seconds * ENVELOPE_RATE)]))


def test_active_windows_are_speech_not_pauses_or_breaths() -> None:
    # A breath 35 dB under the words: above the floor of silence, below the speech range.
    speech, breath, silence = 0.3**2, (0.3 * 10 ** (-35 / 20)) ** 2, 0.0
    levels = np.array([silence, speech, speech, breath, speech, silence, breath])
    assert active_windows(levels).tolist() == [False, True, True, False, True, False, False]


def test_silence_is_never_active() -> None:
    assert not active_windows(np.zeros(50)).any()


def test_gain_is_the_depth_while_active_and_unity_away_from_it() -> None:
    gains = duck_gains(grid(4.0, (1.0, 2.0)), depth_db=10, attack_ms=20, release_ms=300)
    assert db_at(gains, 1.5) == pytest.approx(-10, abs=1e-4)
    assert db_at(gains, 0.5) == pytest.approx(0, abs=1e-6)
    assert db_at(gains, 3.0) == pytest.approx(0, abs=1e-6)


def test_attack_is_finished_when_the_narration_starts() -> None:
    gains = duck_gains(grid(4.0, (1.0, 2.0)), depth_db=10, attack_ms=100, release_ms=300)
    assert db_at(gains, 1.0) == pytest.approx(-10, abs=1e-4)
    assert db_at(gains, 0.95) == pytest.approx(-5, abs=0.1)  # half-way, linear in dB
    assert db_at(gains, 0.899) == pytest.approx(0, abs=1e-6)


def test_release_is_finished_release_ms_after_the_narration_stops() -> None:
    gains = duck_gains(grid(4.0, (1.0, 2.0)), depth_db=12, attack_ms=20, release_ms=300)
    assert db_at(gains, 2.15) == pytest.approx(-6, abs=0.1)
    assert db_at(gains, 2.3) == pytest.approx(0, abs=1e-6)


def test_short_pauses_are_bridged_and_long_ones_released() -> None:
    active = grid(6.0, (1.0, 1.4), (1.7, 2.1), (3.5, 4.0))  # pauses of 0.3 s and 1.4 s
    gains = duck_gains(active, depth_db=10, attack_ms=20, release_ms=300)
    assert db_at(gains, 1.55) == pytest.approx(-10, abs=1e-4)
    assert db_at(gains, 2.8) == pytest.approx(0, abs=1e-6)


def test_place_puts_a_trimmed_looped_track_on_the_timeline() -> None:
    """One 10 ms window of activity per second of a 2 s track, started at 0.5 s with its
    first 0.5 s trimmed and looped: trimmed once, then whole, over and over."""
    active = np.zeros(200, bool)
    active[[0, 100]] = True  # at 0 s and 1 s of the track
    where = Placement(start=0.5, trim=0.5, heard=4.0, length=2.0, loop=True)
    on = place(active, where, 4.5)
    starts = np.flatnonzero(np.diff(on.astype(int)) == 1) + 1
    # Track time 1 s at output 1 s; then the loop: track 0 s at 2 s, 1 s at 3 s, 0 s at 4 s.
    assert (starts / ENVELOPE_RATE).tolist() == [1.0, 2.0, 3.0, 4.0]


def levels_db(*spans: tuple[float, float, float], seconds: float = 4.0) -> np.ndarray:
    """Mean squares per 10 ms window: ``(start, end, dB)`` spans over a floor of −200 dB."""
    db = np.full(round(seconds * 100), -200.0)
    for start, end, level in spans:
        db[round(start * 100) : round(end * 100)] = level
    return 10 ** (db / 10)


def test_room_tone_in_the_pauses_of_a_recorded_voice_is_not_speech() -> None:
    """A voice at −20 dB over a room tone at −45 dB (25 dB under it, within the 30 dB range
    of speech): the pauses are pauses, or the music never comes back."""
    levels = levels_db((0.0, 4.0, -45.0), (1.0, 2.0, -20.0), (3.0, 3.5, -20.0))
    active = active_windows(levels)
    assert active[100:200].all() and active[300:350].all()
    assert not active[:100].any() and not active[200:300].any() and not active[350:].any()


def test_quiet_sounds_inside_continuous_speech_stay_speech() -> None:
    """Soft consonants 25 dB under the vowels, never 0.3 s of them: no pause, no room tone."""
    spans = [(t, t + 0.1, -20.0 if round(t * 10) % 2 else -45.0) for t in np.arange(0, 4, 0.1)]
    assert active_windows(levels_db(*spans)).all()
