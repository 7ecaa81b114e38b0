"""make_soundtrack: tracks mixed on a timeline with no picture, measured on the result decoded
by ffmpeg (which drops AAC's priming and padding as the MP4 says) and by ffmpeg's own EBU R128
meter. Audio is made here: tones and noise from ffmpeg's lavfi sources."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from framecast.config import EncoderConfig
from framecast.errors import RenderError
from framecast.render.audio_spec import AudioTrack, Duck, LoudnessTarget
from framecast.render.ffmpeg import ffmpeg_binary
from framecast.render.soundtrack import make_soundtrack, measure_parts
from tests.support.clips import lavfi_audio

CONFIG = EncoderConfig(encoder="x264", x264_preset="ultrafast")
RATE = 48_000
MUSIC_HZ = 3000.0  # far from the narration's tones: each can be measured under the other


def ffmpeg(*arguments: str) -> str:
    command = [ffmpeg_binary(CONFIG), "-hide_banner", "-nostdin", "-nostats", *arguments]
    return subprocess.run(command, check=True, capture_output=True, text=True).stderr


def decoded(path: Path) -> np.ndarray:
    """The left channel as ffmpeg plays it: priming and padding dropped, float samples."""
    arguments = ["-loglevel", "error", "-i", str(path), "-map", "0:a:0", "-af", "pan=mono|c0=c0"]
    command = [ffmpeg_binary(CONFIG), "-nostdin", *arguments, "-f", "f32le", "-"]
    raw = subprocess.run(command, check=True, capture_output=True).stdout
    return np.frombuffer(raw, "<f4").astype(float)


def rms_db(samples: np.ndarray, start: float, end: float) -> float:
    window = samples[round(start * RATE) : round(end * RATE)]
    return float(10 * np.log10(np.mean(window**2) + 1e-20))


def tone_level_db(samples: np.ndarray, hz: float, start: float, end: float) -> float:
    """The level of a ``hz`` sine between ``start`` and ``end`` s (dB of its amplitude), by
    projection on the sine and cosine: deaf to anything far from ``hz``."""
    x = samples[round(start * RATE) : round(end * RATE)]
    t = np.arange(len(x)) / RATE
    window = np.hanning(len(x))
    re_ = np.sum(x * window * np.cos(2 * np.pi * hz * t))
    im = np.sum(x * window * np.sin(2 * np.pi * hz * t))
    return float(20 * np.log10(2 * np.hypot(re_, im) / np.sum(window) + 1e-12))


def integrated_lufs(path: Path) -> float:
    """ffmpeg's ebur128 filter's integrated loudness of the whole file."""
    summary = ffmpeg("-i", str(path), "-map", "0:a:0", "-af", "ebur128", "-f", "null", "-")
    found = re.findall(r"I:\s+(-?[\d.]+) LUFS", summary)
    return float(found[-1])


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("soundtrack")
    lavfi_audio(folder / "music2.wav", 2.0, MUSIC_HZ, volume=0.3)
    lavfi_audio(folder / "voice2.wav", 2.0, 500.0, volume=0.5)
    lavfi_audio(folder / "beep1.wav", 1.0, 1000.0, volume=0.5)
    return folder


def music(media: Path, **options: Any) -> AudioTrack:
    """The 2 s 3 kHz tone, looped."""
    return AudioTrack("music", [media / "music2.wav"], loop=True, **options)


def test_the_soundtrack_is_exactly_as_long_as_its_timeline(media: Path, tmp_path: Path) -> None:
    made = make_soundtrack([music(media)], 7.31, None, tmp_path, CONFIG)
    assert len(decoded(made.path)) == round(7.31 * RATE) == 350_880
    with av.open(str(made.path)) as container:
        audio = container.streams.audio[0].codec_context
        assert (audio.name, audio.sample_rate, audio.layout.nb_channels) == ("aac", RATE, 2)
    assert made.loudness is None and made.warnings == []


def test_only_the_soundtrack_is_left_in_the_work_folder(media: Path, tmp_path: Path) -> None:
    made = make_soundtrack([music(media)], 3.0, LoudnessTarget(), tmp_path, CONFIG)
    assert [p.name for p in tmp_path.iterdir()] == [made.path.name]


def test_a_narration_is_silent_before_its_start_and_heard_after(
    media: Path, tmp_path: Path
) -> None:
    track = AudioTrack("narration", [media / "beep1.wav"], start=2.0)
    heard = decoded(make_soundtrack([track], 4.0, None, tmp_path, CONFIG).path)
    assert rms_db(heard, 0.0, 1.99) < -80  # digital silence, but for AAC's pre-echo
    assert rms_db(heard, 2.01, 2.99) == pytest.approx(rms_db(heard, 2.2, 2.8), abs=0.5)
    assert rms_db(heard, 2.01, 2.99) > -35  # lavfi's sine peaks at 1/8: here −30 dB RMS a channel
    assert rms_db(heard, 3.01, 4.0) < -80


def test_music_ducks_by_its_depth_while_the_narration_speaks(media: Path, tmp_path: Path) -> None:
    voice = AudioTrack("narration", [media / "voice2.wav"], start=1.5)  # 1.5–3.5 s
    bed = music(media, volume_db=-6, duck=Duck(depth_db=10, attack_ms=20, release_ms=300))
    heard = decoded(make_soundtrack([voice, bed], 5.0, None, tmp_path, CONFIG).path)
    full = tone_level_db(heard, MUSIC_HZ, 0.2, 1.2)
    under = [tone_level_db(heard, MUSIC_HZ, s, s + 0.25) for s in (1.6, 2.2, 2.8, 3.2)]
    assert all(full - level == pytest.approx(10, abs=1.5) for level in under), (full, under)
    assert tone_level_db(heard, MUSIC_HZ, 4.0, 4.9) == pytest.approx(full, abs=0.5)  # released


def test_a_looped_bed_fades_out_at_the_timelines_end(media: Path, tmp_path: Path) -> None:
    heard = decoded(make_soundtrack([music(media, fade_out=1.0)], 5.0, None, tmp_path, CONFIG).path)
    before, last = rms_db(heard, 3.0, 4.0), rms_db(heard, 4.0, 5.0)
    # A linear fade's mean square over its length is a third of the full level's: −4.8 dB.
    assert before - last == pytest.approx(4.8, abs=0.5)
    assert rms_db(heard, 4.98, 5.0) < before - 30  # ends at nothing


def test_a_loudness_target_is_met_by_ffmpegs_meter(media: Path, tmp_path: Path) -> None:
    noise = media / "noise3.wav"
    ffmpeg("-f", "lavfi", "-i", "anoisesrc=d=3:c=pink:a=0.05:r=48000", "-y", str(noise))
    voice = AudioTrack("narration", [noise], start=1.0)
    target = LoudnessTarget(-14.0, -1.5)
    made = make_soundtrack(
        [voice, music(media, volume_db=-12, duck=Duck())], 5.0, target, tmp_path, CONFIG
    )
    assert integrated_lufs(made.path) == pytest.approx(-14.0, abs=1.0)
    assert made.loudness is not None
    assert made.loudness["integrated_lufs"] == pytest.approx(integrated_lufs(made.path), abs=0.3)


def test_narration_cut_by_the_timelines_end_says_so(media: Path, tmp_path: Path) -> None:
    track = AudioTrack("narration", [media / "voice2.wav"], start=1.0)  # ends at 3.0 s
    made = make_soundtrack([track], 2.5, None, tmp_path, CONFIG)
    assert made.warnings == ["the narration ends 0.50 s after the timeline's end and was cut"]


def test_parts_measure_their_decoded_samples_joined(media: Path) -> None:
    lavfi_audio(media / "part44k.wav", 0.5)  # 48 kHz by lavfi_audio; resampled below
    ffmpeg("-i", str(media / "part44k.wav"), "-ar", "44100", "-y", str(media / "part44k-r.wav"))
    parts = [media / "beep1.wav", media / "part44k-r.wav"]
    assert measure_parts("scenes[0].narration_url", parts) == pytest.approx(1.5, abs=1 / RATE)


def test_a_picture_for_narration_is_refused_naming_the_field(media: Path, tmp_path: Path) -> None:
    png = media / "still.png"
    ffmpeg("-f", "lavfi", "-i", "color=c=red:s=16x16", "-frames:v", "1", "-y", str(png))
    with pytest.raises(RenderError, match=r"^scenes\[1\]\.narration_url\[1\]: still\.png is not"):
        measure_parts("scenes[1].narration_url", [media / "beep1.wav", png])
    with pytest.raises(RenderError, match=r"^music\.url: still\.png is not audio"):
        measure_parts("music.url", [png])
    with pytest.raises(RenderError, match=r"^tracks\[0\]\.url: still\.png is not audio"):
        make_soundtrack([AudioTrack("narration", [png])], 2.0, None, tmp_path, CONFIG)


@pytest.mark.parametrize("seconds", [0.0, -1.0, float("nan")])
def test_a_timeline_of_no_length_is_refused(media: Path, tmp_path: Path, seconds: float) -> None:
    with pytest.raises(RenderError, match=r"^seconds: "):
        make_soundtrack([music(media)], seconds, None, tmp_path, CONFIG)
