"""POST /video/caption end to end: a real service, ffmpeg and libass; outputs and sidecars read."""

from __future__ import annotations

import json
from pathlib import Path

import fontpkg_anton
import pytest

from framecast.render.probe import probe, probe_media
from tests.support.clips import lavfi_clip
from tests.support.http_server import MediaServer
from tests.support.service import ServiceProcess

SRT = (
    "1\r\n00:00:00,200 --> 00:00:01,000\r\nHello {there}\r\n\r\n"
    "2\r\n00:00:01,100 --> 00:00:01,900\r\nsecond cue\r\n"
)


def test_words_are_burned_in_one_encode_and_the_sidecars_come_back(
    service: ServiceProcess, media_server: MediaServer, tmp_path: Path
) -> None:
    video = media_server.serve_file(
        lavfi_clip(tmp_path / "v.mp4", 2.0, 320, 568, tone_hz=440), "video/mp4"
    )
    words = [
        {"word": "Era", "start": 0.0, "end": 0.35},
        {"word": "uma", "start": 0.4, "end": 0.7},
        {"word": "vez", "start": 0.9, "end": 1.3},
    ]
    body = {
        "id": "final",
        "video_url": video,
        "captions": {"words": words},
        "style": {"preset": "karaoke", "font": "Anton", "safe_area": "tiktok"},
    }
    with service.client() as client:
        response = client.post("/video/caption", json=body)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["encode_passes"] == 1 and result["audio"] == "copied"
    assert result["font"]["family"] == "Anton" and result["words"] == 3
    entry = result["videos"][0]
    out = service.download(entry["video_url"], tmp_path / "out.mp4")
    assert probe(out).frames == 48 and probe_media(out).audio is not None
    files = entry["files"]
    assert set(files) == {"captions.srt", "captions.vtt", "captions.ass", "words.json"}
    spoken = json.loads(service.download(files["words.json"], tmp_path / "w.json").read_text())
    vtt = service.download(files["captions.vtt"], tmp_path / "c.vtt").read_text()
    ass = service.download(files["captions.ass"], tmp_path / "c.ass").read_text()
    assert [w["word"] for w in spoken] == ["Era", "uma", "vez"]
    assert vtt.startswith("WEBVTT") and "Era" in vtt
    assert "PlayResX: 320" in ass and "PlayResY: 568" in ass


def test_an_srt_by_url_and_a_font_file_by_url(
    service: ServiceProcess, media_server: MediaServer, tmp_path: Path
) -> None:
    video = media_server.serve_file(lavfi_clip(tmp_path / "v.mp4", 2.0, 320, 180), "video/mp4")
    media_server.add("/subs.srt", SRT.encode(), content_type="application/x-subrip")
    font = Path(fontpkg_anton.ROOT) / "files" / "Anton-Regular.ttf"
    media_server.add("/mine.ttf", font.read_bytes(), content_type="font/ttf")
    body = {
        "video_url": video,
        "captions": {"srt": media_server.url("/subs.srt")},
        "style": {"font_url": media_server.url("/mine.ttf")},
        "sidecars": False,
    }
    with service.client() as client:
        response = client.post("/video/caption", json=body)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["pages"] == 2 and result["font"]["family"] == "Anton"
    assert "files" not in result["videos"][0]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"style": {"font": "Arial"}}, "style.font: no bundled family 'Arial'; available: Anton"),
        ({"captions": {"srt": "x", "vtt": "y"}}, "give exactly one of srt, vtt, ass"),
        ({"style": {"color": "white"}}, 'must be a colour "#RRGGBB" or "#RRGGBBAA"'),
        ({"style": {"preset": "fancy"}}, "must be one of classic, boxed, karaoke"),
        ({"style": {"size": "90%"}}, "percentage 0.5%–50%"),
        ({"exclude": [{"start": 2, "end": 1}]}, "must be after start"),
    ],
)
def test_bad_requests_are_refused_naming_the_field(
    service: ServiceProcess, change: dict[str, object], message: str
) -> None:
    body = {"video_url": "https://example.com/v.mp4", "captions": {"srt": SRT}, **change}
    with service.client() as client:
        response = client.post("/video/caption", json=body)
    assert response.status_code == 400, response.text
    assert message in response.json()["message"]
