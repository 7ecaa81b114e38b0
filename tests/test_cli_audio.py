"""framecast audio: narration and music under a local video, no server, same rules as the API."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from framecast.render.probe import probe_media
from tests.support.clips import lavfi_audio, lavfi_clip
from tests.test_cli import run_cli


def test_audio_mixes_narration_parts_and_music_to_a_loudness_target(tmp_path: Path) -> None:
    video = lavfi_clip(tmp_path / "v.mp4", 2.0)
    parts = [str(lavfi_audio(tmp_path / f"n{i}.mp3", 0.8, 300 + 200 * i)) for i in range(2)]
    music = lavfi_audio(tmp_path / "m.wav", 0.5, 1200)
    out = tmp_path / "out.mp4"
    result = run_cli(
        "audio", str(video), "--narration", *parts, "--music", str(music), "--duck", "10",
        "--loudness", "-16", "--out", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "picture copied" in result.stdout
    measured = re.search(r"integrated_lufs (-?[\d.]+)", result.stdout)
    assert measured is not None and float(measured[1]) == pytest.approx(-16, abs=1.0)
    media = probe_media(out)
    assert media.audio is not None and media.audio.codec == "aac"


def test_audio_refuses_what_the_api_refuses_naming_the_field(tmp_path: Path) -> None:
    video = lavfi_clip(tmp_path / "v.mp4", 0.5)
    missing = run_cli("audio", str(video), "--narration", str(tmp_path / "nope.mp3"), "--out", "o")
    assert missing.returncode == 2
    assert "tracks[0].url: no such file" in missing.stderr
    music = str(lavfi_audio(tmp_path / "m.wav", 0.5))
    no_narration = run_cli("audio", str(video), "--music", music, "--length", "narration",
                           "--out", "o")  # fmt: skip
    assert no_narration.returncode == 2
    assert "fit.length: narration needs a narration track" in no_narration.stderr


def test_duck_without_music_is_refused(tmp_path: Path) -> None:
    video = lavfi_clip(tmp_path / "v.mp4", 0.5)
    narration = str(lavfi_audio(tmp_path / "n.mp3", 0.5))
    result = run_cli("audio", str(video), "--narration", narration, "--duck", "10", "--out", "o")
    assert result.returncode == 2
    assert "--duck needs --music" in result.stderr
