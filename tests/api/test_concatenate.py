"""POST /video/concatenate end to end: a real service and workers, real ffmpeg, outputs decoded."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from framecast.render.probe import probe, probe_media
from tests.support.clips import lavfi_clip
from tests.support.http_server import MediaServer
from tests.support.media import serve_images
from tests.support.service import ServiceProcess


def serve_clip(media_server: MediaServer, tmp_path: Path, name: str, **kwargs: Any) -> str:
    path = lavfi_clip(tmp_path / name, **kwargs)
    media_server.add(f"/{name}", path.read_bytes(), content_type="video/mp4")
    return media_server.url(f"/{name}")


def test_img2vid_clips_are_joined_by_stream_copy_with_exact_cuts(
    service: ServiceProcess, media_server: MediaServer, tmp_path: Path
) -> None:
    body = {"images": serve_images(media_server, 3, seconds=0.5), "width": 160, "height": 90}
    with service.client() as client:
        clips = client.post("/video/img2vid", json=body).json()["videos"]
        joined = client.post(
            "/video/concatenate",
            json={
                "id": "final",
                "videos": [{"video_url": service.base_url + c["video_url"]} for c in clips],
            },
        )
    assert joined.status_code == 200, joined.text
    result = joined.json()
    assert result["mode"] == "copy"
    assert result["cuts"] == [0.0, 0.5, 1.0]
    (video,) = result["videos"]
    assert video["id"] == "final"
    assert (video["width"], video["height"], video["fps"]) == (160, 90, 24.0)
    assert video["duration"] == pytest.approx(1.5, abs=1 / 24)
    info = probe(service.download(video["video_url"], tmp_path / "final.mp4"))
    assert (info.codec, info.width, info.height, info.frames) == ("h264", 160, 90, 36)
    # What the job shows later is what the answer said.
    with service.client() as client:
        job = client.get(f"/jobs/{result['job_id']}").json()
    assert (job["operation"], job["mode"], job["cuts"]) == ("concatenate", "copy", [0.0, 0.5, 1.0])
    assert job["videos"] == result["videos"]


def test_mixed_inputs_are_reencoded_to_one_size_with_a_transition(
    service: ServiceProcess, media_server: MediaServer, tmp_path: Path
) -> None:
    a = serve_clip(media_server, tmp_path, "a.mp4", seconds=1.0, width=90, height=160, fps=25)
    b = serve_clip(
        media_server, tmp_path, "b.mp4", seconds=1.0, width=160, height=90, fps=30, tone_hz=440
    )
    body = {
        "videos": [{"video_url": a}, {"video_url": b, "trim_start": 0.25}],
        "transition": {"type": "fade", "duration": 0.25},
        "width": 160,
        "height": 90,
        "fps": 24,
        "fit": "blur",
    }
    with service.client() as client:
        response = client.post("/video/concatenate", json=body)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["mode"] == "reencode"
    # 1.0 + 0.75 - 0.25 seconds; the second input starts where the fade begins.
    assert result["cuts"] == [0.0, 0.75]
    media = probe_media(service.download(result["videos"][0]["video_url"], tmp_path / "out.mp4"))
    video = probe(tmp_path / "out.mp4")
    assert (video.width, video.height, video.frames) == (160, 90, 36)
    assert media.has_audio and media.audio is not None
    assert media.audio.sample_rate == 48000 and media.audio.channels == 2


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"videos": [{"video_url": "http://x/a.mp4"}]}, "videos: 2 to 500 videos; got 1"),
        (
            {"videos": [{"video_url": "http://x/a.mp4"}] * 2, "transition": {"type": "spin"}},
            "transition.type: must be one of none, fade",
        ),
        (
            {"videos": [{"video_url": "http://x/a.mp4", "trim_start": 1}] * 2, "mode": "copy"},
            "videos[0].trim_start: mode copy cannot trim",
        ),
        (
            {
                "videos": [
                    {"video_url": "http://x/a.mp4", "transition": {"type": "fade"}},
                    {"video_url": "http://x/b.mp4"},
                ]
            },
            "videos[0].transition: the first video has no video before it",
        ),
        (
            {"videos": [{"video_url": "http://x/a.mp4", "trim_start": 2, "trim_end": 1}] * 2},
            "videos[0].trim_end: must be after trim_start",
        ),
        (
            {"videos": [{"video_url": "ftp://x/a.mp4"}] * 2},
            "videos[0].video_url: the URL scheme 'ftp' is not supported",
        ),
        (
            {"videos": [{"video_url": "http://x/a.mp4"}] * 2, "aspect": "9:16", "width": 640},
            "aspect: give either aspect or width and height",
        ),
    ],
)
def test_bad_requests_are_400_naming_the_field(
    service: ServiceProcess, body: dict[str, Any], message: str
) -> None:
    with service.client() as client:
        response = client.post("/video/concatenate", json=body)
    assert response.status_code == 400, response.text
    assert message in response.json()["message"]


def test_a_video_url_serving_a_web_page_fails_the_job_naming_it(
    service: ServiceProcess, media_server: MediaServer, tmp_path: Path
) -> None:
    good = serve_clip(media_server, tmp_path, "good.mp4", seconds=0.5)
    media_server.add("/page.mp4", b"<!DOCTYPE html><html><body>Not here</body></html>")
    body = {"videos": [{"video_url": good}, {"video_url": media_server.url("/page.mp4")}]}
    with service.client() as client:
        response = client.post("/video/concatenate", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["message"] == "the video failed"
    (failed,) = response.json()["failed"]
    assert failed["error"].startswith("videos[1].video_url: video download failed")
    assert "not a video" in failed["error"]


def test_results_of_this_service_are_inputs_even_where_private_addresses_are_refused(
    start_service, media_server: MediaServer, tmp_path: Path
) -> None:
    # The default: FETCH_ALLOW_PRIVATE off. The service's own /output/ paths (what a job
    # answers without PUBLIC_BASE_URL) are still inputs; another loopback server is not.
    service = start_service(FETCH_ALLOW_PRIVATE="false")
    paths = []
    with service.client() as client:
        for name in ("a", "b"):
            clip = lavfi_clip(tmp_path / f"{name}.mp4", seconds=0.5)
            body = {"id": name, "video_base64": base64.b64encode(clip.read_bytes()).decode()}
            stored = client.post("/upload/video", json=body)
            assert stored.status_code == 200, stored.text
            paths.append(stored.json()["video_url"])
        assert all(path.startswith("/output/") for path in paths)
        joined = client.post(
            "/video/concatenate", json={"videos": [{"video_url": path} for path in paths]}
        )
        other = serve_clip(media_server, tmp_path, "c.mp4", seconds=0.5)
        refused = client.post(
            "/video/concatenate",
            json={"videos": [{"video_url": paths[0]}, {"video_url": other}]},
        )
    assert joined.status_code == 200, joined.text
    assert (joined.json()["mode"], joined.json()["cuts"]) == ("copy", [0.0, 0.5])
    assert refused.status_code == 422, refused.text
    (failed,) = refused.json()["failed"]
    assert failed["error"].startswith("videos[1].video_url:")
    assert "not a public address" in failed["error"]
