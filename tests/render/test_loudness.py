"""Loudness: ffmpeg's EBU R128 reading against an independent BS.1770 meter (pyloudnorm), the
true-peak limiter, and the measure → gain → limit → measure loop."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from framecast.render.audio_mix import LoudnessTarget
from framecast.render.ffmpeg import run_ffmpeg
from framecast.render.loudness import (
    SILENT_LUFS,
    SILENT_PEAK_DB,
    Loudness,
    limiter,
    measure,
    normalise,
)
from tests.render.test_audio_mix import (
    CONFIG,
    RATE,
    decoded_audio,
    lufs,
    speech_like,
    tone,
    true_peak_db,
    with_clicks,
    words,
    write_wav,
)


def stereo(mono: np.ndarray) -> np.ndarray:
    return np.stack([mono, 0.7 * mono])


def test_measure_agrees_with_an_independent_meter(tmp_path: Path) -> None:
    samples = stereo(speech_like(4.0, words(0.1, 3.9), 0.1) + tone(4.0, 440, 0.05))
    path = write_wav(tmp_path / "speech.wav", samples)
    reading = measure(path, CONFIG)
    samples = decoded_audio(path)
    assert reading.integrated_lufs == pytest.approx(lufs(samples), abs=0.1)
    assert reading.true_peak_db == pytest.approx(true_peak_db(samples), abs=0.2)
    assert 0 <= reading.lra < 5


def test_measure_reads_a_file_whose_folder_has_filter_graph_metacharacters(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "it's [a]:b,c;d\\e"
    folder.mkdir()
    path = write_wav(folder / "tone.wav", stereo(tone(1.0, 997, 0.25)))
    assert measure(path, CONFIG).integrated_lufs == pytest.approx(
        lufs(decoded_audio(path)), abs=0.1
    )
    assert sorted(p.name for p in folder.iterdir()) == ["tone.wav"]  # readings removed


def test_silence_reads_as_silent_without_infinities(tmp_path: Path) -> None:
    reading = measure(write_wav(tmp_path / "silence.wav", np.zeros((2, RATE))), CONFIG)
    assert reading.integrated_lufs <= SILENT_LUFS
    assert reading.true_peak_db == SILENT_PEAK_DB


def test_limiter_holds_true_peaks_under_its_ceiling_and_keeps_every_sample(
    tmp_path: Path,
) -> None:
    source = write_wav(tmp_path / "clicks.wav", stereo(with_clicks(tone(2.0, 300, 0.2), 10)))
    limited = tmp_path / "limited.wav"
    chain = f"volume=12dB,{limiter(-3.0, RATE)}"
    arguments = ["-loglevel", "error", "-i", str(source), "-af", chain]
    run_ffmpeg([*arguments, "-c:a", "pcm_f32le", "-y", str(limited)], limited, CONFIG)
    before, after = decoded_audio(source), decoded_audio(limited)
    assert after.shape == before.shape
    assert true_peak_db(before) + 12 > 0  # the gain alone would clip
    assert true_peak_db(after) <= -3.0 + 0.1


def test_normalise_corrects_the_loudness_a_hard_working_limiter_takes(tmp_path: Path) -> None:
    """Clicks near full scale over quiet speech: the gain to -14 LUFS puts the limiter to
    work on every click, which the first encode measures, and the corrections make up."""
    source = write_wav(
        tmp_path / "source.wav", stereo(with_clicks(speech_like(4.0, words(0.1, 3.9), 0.04), 20))
    )
    made = tmp_path / "made.wav"
    encodes: list[str] = []

    def encode(chain: str) -> Loudness:
        encodes.append(chain)
        arguments = ["-loglevel", "error", "-i", str(source), "-af", chain]
        run_ffmpeg([*arguments, "-c:a", "pcm_f32le", "-y", str(made)], made, CONFIG)
        return measure(made, CONFIG)

    target = LoudnessTarget(-14.0, -1.0)
    reading = normalise(measure(source, CONFIG), encode, target, RATE)
    samples = decoded_audio(made)
    assert len(encodes) > 1  # the first encode missed: this test means something
    assert lufs(samples) == pytest.approx(-14.0, abs=0.5)
    assert reading.integrated_lufs == pytest.approx(lufs(samples), abs=0.1)
    assert true_peak_db(samples) <= -1.0


def test_normalise_leaves_silence_alone() -> None:
    chains: list[str] = []

    def encode(chain: str) -> Loudness:
        chains.append(chain)
        return Loudness(-70.0, SILENT_PEAK_DB, 0.0)

    normalise(Loudness(-70.0, SILENT_PEAK_DB, 0.0), encode, LoudnessTarget(), RATE)
    assert len(chains) == 1 and chains[0].startswith("volume=0.000dB,")


def test_normalise_stops_after_its_corrections() -> None:
    """A mix the limiter keeps 3 LU short whatever the gain: three encodes (the second
    correction at most twice what was missed), then the last reading, not a loop."""
    gains: list[float] = []

    def encode(chain: str) -> Loudness:
        gains.append(float(chain.removeprefix("volume=").partition("dB")[0]))
        return Loudness(-17.0, -2.0, 1.0)

    made = normalise(Loudness(-30.0, -10.0, 1.0), encode, LoudnessTarget(-14.0, -1.0), RATE)
    assert gains == [16.0, 19.0, 25.0] and made.integrated_lufs == -17.0
