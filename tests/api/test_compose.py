"""POST /video/compose end to end: a real service, media served over HTTP, the finished video,
its sidecars and its timeline read back; the dry run; refusals naming the scene and field."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from framecast.render.probe import probe, probe_media
from tests.support.clips import lavfi_audio
from tests.support.http_server import MediaServer
from tests.support.service import ServiceProcess


def png(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.full((360, 240, 3), colour, np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def sources(media_server: MediaServer, tmp_path: Path) -> dict[str, str]:
    media_server.add("/a.png", png((200, 30, 30)), content_type="image/png")
    media_server.add("/b.png", png((30, 30, 200)), content_type="image/png")
    voice = lavfi_audio(tmp_path / "voice.mp3", 1.2, 440)
    music = lavfi_audio(tmp_path / "music.wav", 2.0, 220)
    return {
        "a": media_server.url("/a.png"),
        "b": media_server.url("/b.png"),
        "voice": media_server.serve_file(voice, "audio/mpeg"),
        "music": media_server.serve_file(music, "audio/wav"),
        "png_as_audio": media_server.url("/a.png"),
    }


def body(sources: dict[str, str], **changes: object) -> dict[str, object]:
    words = [{"word": "Hello", "start": 0.1, "end": 0.5}, {"word": "there", "start": 0.6, "end": 1}]
    scenes = [
        {"image_url": sources["a"], "narration_url": sources["voice"], "words": words},
        {
            "image_url": sources["b"],
            "duration": 1.5,
            "transition": {"type": "fade", "duration": 0.5},
        },
    ]
    request: dict[str, object] = {
        "id": "video-42",
        "width": 240,
        "height": 426,
        "fps": 24,
        "scenes": scenes,
        "pad": 0.2,
        "tail": 0.5,
        "captions": {"style": {"preset": "karaoke", "font": "Anton"}},
        "music": {"url": sources["music"], "volume_db": -18, "duck": {"depth_db": 10}},
        "loudness": "youtube",
    }
    return request | changes


def test_a_finished_video_comes_back_with_its_timeline_and_sidecars(
    service: ServiceProcess, sources: dict[str, str], tmp_path: Path
) -> None:
    with service.client() as client:
        response = client.post("/video/compose", json=body(sources))
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["encode_passes"] == 1 and result["segments"] == 1
    timeline = result["timeline"]
    # 1.2 s narration + 0.2 pad, then 1.5 s overlapping by 0.5, then 0.5 s of tail.
    assert timeline["frames"] == round((1.4 + 1.5 - 0.5 + 0.5) * 24)
    assert timeline["starts"] == [0.0, round(round(0.9 * 24) / 24, 3)]
    entry = result["videos"][0]
    full = json.loads(service.download(entry["files"]["timeline.json"], tmp_path / "t").read_text())
    assert full["scenes"][0]["narration_seconds"] == pytest.approx(1.2, abs=0.03)
    assert full["scenes"][1]["start_frame"] == round(0.9 * 24)
    assert full["scenes"][1]["transition"] == "fade"
    assert result["loudness"]["integrated_lufs"] == pytest.approx(-14, abs=1)
    assert result["font"]["family"] == "Anton" and result["words"] == 2
    assert entry["id"] == "video-42"
    out = service.download(entry["video_url"], tmp_path / "out.mp4")
    assert probe(out).frames == timeline["frames"]
    info = probe_media(out)
    assert info.video is not None and info.audio is not None
    assert (info.video.width, info.video.height) == (240, 426)
    spoken = json.loads(service.download(entry["files"]["words.json"], tmp_path / "w").read_text())
    assert [w["word"] for w in spoken] == ["Hello", "there"]


def test_a_dry_run_answers_the_timeline_and_renders_nothing(
    service: ServiceProcess, sources: dict[str, str]
) -> None:
    with service.client() as client:
        response = client.post("/video/compose", json=body(sources, dry_run=True))
        jobs = client.get("/jobs").json()["jobs"]
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["dry_run"] is True and "videos" not in answer
    assert answer["timeline"]["frames"] == round((1.4 + 1.5 - 0.5 + 0.5) * 24)
    assert answer["pages"] >= 1 and answer["words"] == 2
    assert jobs == []  # no job was made


def test_a_narration_that_is_not_audio_fails_naming_the_scene_and_field(
    service: ServiceProcess, sources: dict[str, str]
) -> None:
    request = body(sources)
    request["scenes"][0]["narration_url"] = sources["png_as_audio"]  # type: ignore[index]
    with service.client() as client:
        response = client.post("/video/compose", json=request)
        dry = client.post("/video/compose", json=request | {"dry_run": True})
    assert response.status_code == 422, response.text
    (failed,) = response.json()["failed"]
    assert failed["error"].startswith("scenes[0].narration_url: ")
    assert dry.status_code == 400 and "scenes[0].narration_url" in dry.json()["message"]


def test_a_narration_longer_than_its_scene_fails_the_video_naming_the_field(
    service: ServiceProcess, sources: dict[str, str]
) -> None:
    # Only the decoded narration shows it: the worker's refusal, not an internal error.
    request = body(sources)
    request["scenes"][0]["duration"] = 0.5  # type: ignore[index]
    with service.client() as client:
        response = client.post("/video/compose", json=request)
    assert response.status_code == 422, response.text
    (failed,) = response.json()["failed"]
    assert failed["error"].startswith("scenes[0].duration: 0.5 s is shorter than the transition")


@pytest.mark.parametrize(
    ("scene", "message"),
    [
        ({"image_url": "https://example.com/a.png"}, "scenes[1]: give duration (seconds) or"),
        (
            {"image_url": "https://example.com/a.png", "duration": 1, "transition": {"type": "x"}},
            "scenes[1].transition.type: ",
        ),
        ({"video_url": "https://example.com/v.mp4", "motion": "zoom_in"}, "scenes[1].motion: "),
    ],
)
def test_bad_scenes_are_refused_naming_the_scene_and_field(
    service: ServiceProcess, scene: dict[str, object], message: str
) -> None:
    request = {"scenes": [{"image_url": "https://example.com/a.png", "duration": 1}, scene]}
    with service.client() as client:
        response = client.post("/video/compose", json=request)
    assert response.status_code == 400, response.text
    assert message in response.json()["message"]


def test_progress_counts_scenes_while_it_renders(
    service: ServiceProcess, media_server: MediaServer
) -> None:
    rng = np.random.default_rng(1)
    buffer = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (600, 800, 3), np.uint8)).save(buffer, "PNG")
    media_server.add("/noise.png", buffer.getvalue(), content_type="image/png")
    scenes = [{"image_url": media_server.url("/noise.png"), "duration": 1.5}] * 8
    request = {"width": 720, "height": 1280, "fps": 30, "scenes": scenes, "segments": 2}
    seen: list[tuple[int, int]] = []
    with service.client() as client:
        accepted = client.post("/video/compose", json=request, headers={"Prefer": "respond-async"})
        assert accepted.status_code == 202, accepted.text
        job_id = accepted.json()["job_id"]
        while True:
            job = client.get(f"/jobs/{job_id}").json()
            if job["progress"].get("scenes"):
                seen.append((job["progress"]["scenes"]["done"], job["progress"]["scenes"]["total"]))
            if job["status"] not in ("queued", "running"):
                break
            time.sleep(0.1)
    assert job["status"] == "succeeded", job
    assert job["progress"]["scenes"] is None  # only while it runs
    assert seen and {total for _, total in seen} == {8}
    done = [d for d, _ in seen]
    assert done == sorted(done) and any(0 < d < 8 for d in done)
