"""Motion and output options through POST /video/img2vid: validated up front, rendered per image."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from PIL import Image

from framecast.render.probe import probe
from tests.support.http_server import MediaServer
from tests.support.media import gradient_rgb
from tests.support.service import ServiceProcess

URL = "http://127.0.0.1:9/a.jpg"  # never fetched: every invalid request is refused first
MOVES = "zoom_in, zoom_out, pan_left, pan_right, pan_up, pan_down, static"


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    service = ServiceProcess(tmp_path_factory.mktemp("motion") / "data").start()
    yield service
    service.stop()


@pytest.fixture(scope="module")
def images() -> Iterator[MediaServer]:
    with MediaServer() as server:
        server.add("/landscape.jpg", jpeg(gradient_rgb(400, 300)))
        yield server


def jpeg(rgb: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def image(i: int, **options: Any) -> dict[str, Any]:
    return {"id": f"img-{i}", "image_url": URL, "duracao": 1, **options}


def refused(api: ServiceProcess, body: dict[str, Any]) -> str:
    with api.client() as client:
        response = client.post("/video/img2vid", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_request"
    return str(response.json()["message"])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"images": [image(0), image(1), image(2, motion="spin")]},
            f'images[2].motion: must be one of {MOVES}, random; got "spin"',
        ),
        ({"images": [image(0, motoin="zoom_in")]}, "images[0].motoin: Extra inputs"),
        ({"images": [image(0)], "easing": "bounce"}, "easing: must be one of linear, ease_in_out"),
        (
            {"images": [image(0, fit="stretch")]},
            "images[0].fit: must be one of cover, contain, blur",
        ),
        ({"images": [image(0)], "aspect": "21:9"}, "aspect: must be one of 16:9, 9:16, 1:1, 4:5"),
        (
            {"images": [image(0)], "aspect": "9:16", "width": 1080},
            "aspect: give either aspect or width and height, not both",
        ),
        ({"images": [image(0)], "width": 3840, "height": 3840}, "width, height: at most 8294400"),
        ({"images": [image(0)], "width": 1921}, "width: Input should be a multiple of 2"),
        ({"images": [image(0)], "fps": 61}, "fps: Input should be less than or equal to 60"),
        (
            {"images": [image(0, zoom=4.5)]},
            "images[0].zoom: Input should be less than or equal to 4",
        ),
        (
            {"images": [image(0)], "motion": "random", "motions": ["zoom_in", "random"]},
            f'motions[1]: must be one of {MOVES}; got "random"',
        ),
        (
            {"images": [image(0, start={"x": 0, "y": 0, "w": 0.5, "h": 0.5})]},
            "images[0].end: start and end go together",
        ),
        (
            {"images": [image(0, end={"x": 0.7, "y": 0, "w": 0.5, "h": 0.5})]},
            "images[0].end: x + w must be at most 1",
        ),
        (
            {
                "images": [image(0)],
                "motion": "zoom_in",
                "start": {"x": 0, "y": 0, "w": 1, "h": 1},
                "end": {"x": 0, "y": 0, "w": 0.5, "h": 0.5},
            },
            "motion: give either motion or start and end, not both",
        ),
        ({"images": [image(0, background="black")]}, "images[0].background: must be a colour"),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 40 else None,
)
def test_bad_options_are_400_naming_the_field_and_what_is_allowed(api, body, message):
    assert message in refused(api, body)


def post(api: ServiceProcess, body: dict[str, Any]) -> dict[str, Any]:
    with api.client() as client:
        response = client.post("/video/img2vid", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    assert result["failed"] == []
    return result


def frames_rgb(api: ServiceProcess, url: str, dest: Path) -> list[np.ndarray]:
    with api.client() as client:
        dest.write_bytes(client.get(url).content)
    with av.open(str(dest)) as container:
        return [f.to_ndarray(format="rgb24").astype(int) for f in container.decode(video=0)]


def test_aspect_preset_and_per_image_options_render_as_asked(api, images, tmp_path):
    url = images.url("/landscape.jpg")
    body = {
        "aspect": "9:16",
        "fit": "blur",
        "motion": "zoom_out",
        "images": [
            {
                "id": "bars",
                "image_url": url,
                "duracao": 0.25,
                "fit": "contain",
                "background": "#FF0000",
                "motion": "static",
            },
            {"id": "blurred", "image_url": url, "duracao": 0.25},
            {
                "id": "framed",
                "image_url": url,
                "duracao": 0.25,
                "fit": "cover",
                "start": {"x": 0, "y": 0, "w": 0.5, "h": 1},
                "end": {"x": 0.5, "y": 0, "w": 0.5, "h": 1},
            },
        ],
    }
    videos = {v["id"]: v["video_url"] for v in post(api, body)["videos"]}
    clips = {name: frames_rgb(api, u, tmp_path / f"{name}.mp4") for name, u in videos.items()}
    for name in videos:
        info = probe(tmp_path / f"{name}.mp4")
        assert (info.width, info.height, info.frames) == (1080, 1920, 6)
    bars = clips["bars"]
    assert np.abs(bars[0][40, 540] - (255, 0, 0)).max() < 20  # the bar above the picture
    assert np.abs(bars[0][960] - bars[-1][960]).max() < 8  # static
    blurred = clips["blurred"]
    assert blurred[0][40, :, 0].std() > 5  # the bar is a blurred image, not a flat colour
    # cover, panned left to right across the gradient (red grows to the right)
    framed = clips["framed"]
    assert framed[-1][960, :, 0].mean() > framed[0][960, :, 0].mean() + 60


def test_the_same_random_request_renders_the_same_clips(api, images, tmp_path):
    url = images.url("/landscape.jpg")
    body = {
        "width": 160,
        "height": 90,
        "motion": "random",
        "seed": 11,
        "images": [{"id": f"r{i}", "image_url": url, "duracao": 0.25} for i in range(3)],
    }
    runs = []
    for run in range(2):
        videos = post(api, body)["videos"]
        runs.append(
            [frames_rgb(api, v["video_url"], tmp_path / f"{run}-{v['id']}.mp4") for v in videos]
        )
    for first, second in zip(*runs, strict=True):
        assert all(np.abs(a - b).max() <= 2 for a, b in zip(first, second, strict=True))
    # items differ: no two neighbours share a move, so their last frames differ
    assert np.abs(runs[0][0][-1] - runs[0][1][-1]).max() > 10


def test_each_video_shows_random_s_pick_and_the_request_s_duration_is_every_image_s(api, images):
    url = images.url("/landscape.jpg")
    body = {
        "width": 160,
        "height": 90,
        "motion": "random",
        "seed": 3,
        "duration": 0.25,
        "images": [{"id": f"r{i}", "image_url": url} for i in range(2)],
    }
    videos = post(api, body)["videos"]
    assert [v["id"] for v in videos] == ["r0", "r1"]
    assert all(v["motion"] in MOVES.split(", ") for v in videos)
    assert all(set(v["framing"]) == {"start", "end"} for v in videos)


def test_a_pan_at_zoom_1_runs_across_a_panorama_and_fails_on_an_image_with_no_room(api):
    with MediaServer() as server:
        server.add("/wide.jpg", jpeg(gradient_rgb(900, 300)))
        server.add("/flat.jpg", jpeg(gradient_rgb(320, 180)))
        body = {
            "width": 160,
            "height": 90,
            "motion": "pan_right",
            "zoom": 1.0,
            "duracao": 0.25,
            "images": [
                {"id": "wide", "image_url": server.url("/wide.jpg")},
                {"id": "flat", "image_url": server.url("/flat.jpg")},
            ],
        }
        with api.client() as client:
            response = client.post("/video/img2vid", json=body)
    assert (response.status_code, response.json()["code"]) == (200, 207), response.text
    assert [v["id"] for v in response.json()["videos"]] == ["wide"]
    [failed] = response.json()["failed"]
    assert failed == {
        "id": "flat",
        "error": "pan_right at zoom 1 has no room to move: the frame already shows the image's"
        " whole width; raise zoom above 1.0",
    }
