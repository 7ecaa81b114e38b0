"""POST /video/audio and /video/addaudio end to end: a real service and ffmpeg, outputs measured."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from framecast.render.probe import probe, probe_media
from tests.support.clips import lavfi_audio, lavfi_clip
from tests.support.http_server import MediaServer
from tests.support.service import ServiceProcess


def test_narration_parts_and_ducked_music_reach_the_loudness_target_over_a_copied_picture(
    service: ServiceProcess, media_server: MediaServer, tmp_path: Path
) -> None:
    video = media_server.serve_file(lavfi_clip(tmp_path / "v.mp4", 4.0), "video/mp4")
    parts = [
        media_server.serve_file(
            lavfi_audio(tmp_path / f"n{i}.mp3", 1.5, 300 + 100 * i), "audio/mpeg"
        )
        for i in range(2)
    ]
    music = media_server.serve_file(lavfi_audio(tmp_path / "m.wav", 1.0, 1000), "audio/wav")
    body = {
        "id": "final",
        "video_url": video,
        "tracks": [
            {"role": "narration", "url": parts, "start": 0.5},
            {"role": "music", "url": music, "volume_db": -12, "loop": True, "duck": {}},
        ],
        "loudness": "youtube",
    }
    with service.client() as client:
        response = client.post("/video/audio", json=body)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["picture"] == "copied"
    assert result["loudness"]["integrated_lufs"] == pytest.approx(-14.0, abs=1.0)
    assert result["loudness"]["true_peak_db"] <= -1.0 + 0.5
    assert abs(result["av_end_diff_ms"]) <= 1000 / 24
    out = service.download(result["videos"][0]["video_url"], tmp_path / "out.mp4")
    media = probe_media(out)
    assert media.audio is not None
    assert (media.audio.codec, media.audio.sample_rate, media.audio.channels) == ("aac", 48000, 2)
    assert probe(out).frames == 96  # 4 s at 24 fps: the picture kept its length


def test_addaudio_takes_the_older_shape_and_freezes_the_picture_under_longer_audio(
    service: ServiceProcess, media_server: MediaServer, tmp_path: Path
) -> None:
    video = media_server.serve_file(lavfi_clip(tmp_path / "v.mp4", 1.0), "video/mp4")
    audio = media_server.serve_file(lavfi_audio(tmp_path / "a.mp3", 2.0), "audio/mpeg")
    with service.client() as client:
        response = client.post("/video/addaudio", json={"url_video": video, "url_audio": audio})
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["picture"] == "reencoded"
    assert result["videos"][0]["duration"] == pytest.approx(2.0, abs=0.1)
    out = service.download(result["videos"][0]["video_url"], tmp_path / "out.mp4")
    assert probe(out).duration == pytest.approx(2.0, abs=0.1)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"tracks": [{"role": "music", "url": "http://x/m.mp3", "duck": {}}]},
            "tracks[0].duck.under: no narration track to duck under",
        ),
        (
            {"tracks": [{"role": "music", "url": "http://x/m.mp3"}], "original_audio": "duck"},
            "original_audio: duck needs a narration track",
        ),
        (
            {
                "tracks": [{"role": "music", "url": "http://x/m.mp3"}],
                "fit": {"length": "narration"},
            },
            "fit.length: narration needs a narration track",
        ),
        (
            {"tracks": [{"role": "narration", "url": "http://x/n.mp3"}], "loudness": "loud"},
            'loudness: must be one of youtube, podcast, broadcast; got "loud"',
        ),
        (
            {"tracks": [{"role": "narration", "url": ["http://x/1.mp3", "ftp://x/2.mp3"]}]},
            "tracks[0].url[1]: the URL scheme 'ftp' is not supported",
        ),
        ({"tracks": [], "original_audio": "mute"}, "tracks: nothing to mix"),
        ({"tracks": []}, "tracks: give at least one track"),
        (
            {"tracks": [{"role": "voice", "url": "http://x/n.mp3"}]},
            "tracks[0].role: must be one of",
        ),
    ],
)
def test_bad_requests_are_400_naming_the_field(
    service: ServiceProcess, body: dict[str, Any], message: str
) -> None:
    with service.client() as client:
        response = client.post("/video/audio", json={"video_url": "http://x/v.mp4", **body})
    assert response.status_code == 400, response.text
    assert message in response.json()["message"]


def test_an_audio_url_serving_an_image_fails_the_job_naming_it(
    service: ServiceProcess, media_server: MediaServer, tmp_path: Path
) -> None:
    video = media_server.serve_file(lavfi_clip(tmp_path / "v.mp4", 0.5), "video/mp4")
    media_server.add("/n.mp3", b"\x89PNG\r\n\x1a\n" + bytes(64), content_type="audio/mpeg")
    body = {
        "video_url": video,
        "tracks": [{"role": "narration", "url": media_server.url("/n.mp3")}],
    }
    with service.client() as client:
        response = client.post("/video/audio", json=body)
    assert response.status_code == 422, response.text
    (failed,) = response.json()["failed"]
    assert failed["error"].startswith("tracks[0].url: audio download failed")
    assert "is not audio" in failed["error"]
