"""POST /video/img2vid end to end: a real service, real workers, real ffmpeg, clips decoded."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from framecast.render.probe import probe
from tests.support.http_server import MediaServer
from tests.support.media import solid_jpeg, truncated_jpeg
from tests.support.service import ServiceProcess

# (id, width, height, colour, seconds): different aspects and durations
BATCH = [
    ("img-001", 1600, 1200, (200, 40, 40), 1.0),
    ("img-002", 900, 1600, (40, 200, 40), 0.5),
    ("img-003", 1920, 1080, (40, 40, 200), 1.25),
    ("img-004", 640, 640, (200, 200, 40), 0.75),
    ("img-005", 3000, 1000, (40, 200, 200), 0.3),
]


def first_frame_rgb(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        frame = next(container.decode(video=0))
        return np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.float64)


def test_batch_renders_every_clip_in_request_order_with_exact_frames(
    service: ServiceProcess, media_server: MediaServer, tmp_path: Path
) -> None:
    for image_id, width, height, colour, _ in BATCH:
        media_server.add(f"/{image_id}.jpg", solid_jpeg(width, height, colour))
    body = {
        "images": [
            {"id": image_id, "image_url": media_server.url(f"/{image_id}.jpg"), "duracao": seconds}
            for image_id, _, _, _, seconds in BATCH
        ]
    }
    with service.client() as client:
        response = client.post("/video/img2vid", json=body)

    assert response.status_code == 200, response.text
    result = response.json()
    assert result["code"] == 200
    assert result["failed"] == []
    assert [v["id"] for v in result["videos"]] == [b[0] for b in BATCH]
    assert set(result["execution"]) == {"startTime", "endTime", "durationSeconds"}
    for video, (image_id, _, _, colour, seconds) in zip(result["videos"], BATCH, strict=True):
        clip = service.download(video["video_url"], tmp_path / f"{image_id}.mp4")
        info = probe(clip)
        assert (info.codec, info.profile, info.pix_fmt) == ("h264", "High", "yuv420p")
        assert (info.width, info.height, info.fps) == (1920, 1080, 24.0)
        assert info.frames == round(seconds * 24)
        assert abs(info.duration - info.frames / 24) < 1e-3
        assert info.faststart
        # the clip shows its own image: the right colour, so the order is right too
        assert np.abs(first_frame_rgb(clip).mean(axis=(0, 1)) - colour).max() < 12


def test_failed_items_are_listed_while_the_others_succeed(
    service: ServiceProcess, media_server: MediaServer
) -> None:
    media_server.add("/ok.jpg", solid_jpeg(320, 180, (90, 90, 90)))
    media_server.add("/page.html", b"<html><body>hello</body></html>", content_type="text/html")
    media_server.add("/cut.jpg", truncated_jpeg(640, 480))
    images = [
        {"id": "ok", "image_url": media_server.url("/ok.jpg"), "duracao": 0.5},
        {"id": "missing", "image_url": media_server.url("/missing.jpg"), "duracao": 0.5},
        {"id": "html", "image_url": media_server.url("/page.html"), "duracao": 0.5},
        {"id": "cut", "image_url": media_server.url("/cut.jpg"), "duracao": 0.5},
    ]
    with service.client() as client:
        response = client.post(
            "/video/img2vid", json={"images": images, "width": 320, "height": 180}
        )

    assert response.status_code == 200
    result = response.json()
    assert result["code"] == 207
    assert "1 of 4" in result["message"] and "3 failed" in result["message"]
    assert [v["id"] for v in result["videos"]] == ["ok"]
    errors = {f["id"]: f["error"] for f in result["failed"]}
    assert list(errors) == ["missing", "html", "cut"]
    assert "404" in errors["missing"]
    assert "text/html" in errors["html"]
    assert "not a readable image" in errors["cut"]


def test_every_item_failing_is_an_http_error(
    service: ServiceProcess, media_server: MediaServer
) -> None:
    images = [{"id": "gone", "image_url": media_server.url("/gone.jpg"), "duracao": 1}]
    with service.client() as client:
        response = client.post("/video/img2vid", json={"images": images})
    assert response.status_code == 422
    assert response.json()["code"] == 422
    assert response.json()["failed"][0]["id"] == "gone"


def test_video_urls_are_absolute_with_a_public_base_url(
    start_service, media_server: MediaServer
) -> None:
    service = start_service(PUBLIC_BASE_URL="https://clips.example.com/")
    media_server.add("/a.jpg", solid_jpeg(320, 180, (10, 10, 10)))
    images = [{"id": "a", "image_url": media_server.url("/a.jpg"), "duration": 0.25}]
    with service.client() as client:
        response = client.post("/video/img2vid", json={"images": images, "width": 64, "height": 36})
    url = response.json()["videos"][0]["video_url"]
    assert url.startswith(f"https://clips.example.com/output/{response.json()['job_id']}/")


def test_hostile_ids_never_touch_a_path(service: ServiceProcess, media_server: MediaServer) -> None:
    media_server.add("/a.jpg", solid_jpeg(64, 36, (10, 10, 10)))
    images = [
        {"id": "../../etc/x", "image_url": media_server.url("/a.jpg"), "duracao": 0.25},
        {"id": "/abs/../..", "image_url": media_server.url("/a.jpg"), "duracao": 0.25},
    ]
    with service.client() as client:
        result = client.post(
            "/video/img2vid", json={"images": images, "width": 64, "height": 36}
        ).json()
        assert [v["id"] for v in result["videos"]] == ["../../etc/x", "/abs/../.."]
        for video in result["videos"]:
            assert ".." not in video["video_url"]
            assert client.get(video["video_url"]).status_code == 200
        outside = client.get("/output/..%2F..%2Fapi_key/x")
    assert outside.status_code == 404
    output = service.data_dir / "output"
    files = sorted(p.relative_to(output).as_posix() for p in output.rglob("*.mp4"))
    assert files == [f"{result['job_id']}/0000-etc-x.mp4", f"{result['job_id']}/0001-abs.mp4"]
    assert not (service.data_dir.parent / "etc").exists()
