"""framecast.client: the events reader, and Client against a real service."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from framecast.client import ApiError, Client
from framecast.client.events import Event, EventReader
from tests.support.http_server import MediaServer
from tests.support.media import gradient_jpeg
from tests.support.service import API_KEY, ServiceProcess


def test_the_reader_joins_data_lines_and_keeps_the_last_id() -> None:
    lines = [
        "retry: 2000", "", ": keep-alive", "",
        "event: progress", "id: none", 'data: {"done": 0,', 'data: "total": 2}', "",
        "event: video", 'data: {"id": "a"}', "",
    ]  # fmt: skip
    reader = EventReader()
    events = list(reader.read(lines))
    assert events == [
        Event("progress", {"done": 0, "total": 2}, "none"),
        Event("video", {"id": "a"}, "none"),  # an event without an id keeps the last one
    ]
    assert reader.retry_seconds == 2.0


def test_an_event_cut_off_before_its_blank_line_is_not_dispatched() -> None:
    reader = EventReader()
    assert list(reader.read(["event: end", 'data: {"status": "succeeded"}'])) == []


@pytest.fixture
def client(service: ServiceProcess) -> Iterator[Client]:
    with Client(service.base_url, API_KEY) as client:
        yield client


def submitted(client: Client, media_server: MediaServer, count: int) -> str:
    images = []
    for i in range(count):
        media_server.add(f"/{i}.jpg", gradient_jpeg(64, 36))
        images.append({"id": f"img-{i}", "image_url": media_server.url(f"/{i}.jpg")})
    body = {"duracao": 0.5, "fps": 8, "width": 64, "height": 36, "images": images}
    job_id: str = client.submit("/video/img2vid", body, respond_async=True)["job_id"]
    return job_id


def test_wait_follows_the_events_to_the_job_s_end(
    client: Client, media_server: MediaServer
) -> None:
    seen: list[Event] = []
    job = client.wait(submitted(client, media_server, 2), seen.append)
    assert job["status"] == "succeeded"
    assert sorted(e.data["id"] for e in seen if e.name == "video") == ["img-0", "img-1"]
    assert seen[-1].name == "end"


def test_events_resume_after_the_last_event_id(client: Client, media_server: MediaServer) -> None:
    job_id = submitted(client, media_server, 2)
    client.wait(job_id)
    first_video = next(e for e in client.events(job_id) if e.name == "video")
    rest = list(client.events(job_id, last_event_id=first_video.id))
    assert [e.data["id"] for e in rest if e.name == "video"] == ["img-1"]
    assert list(client.events(job_id, last_event_id="end")) == []  # the service's 204


def test_the_same_idempotency_key_gives_the_same_job(
    client: Client, media_server: MediaServer
) -> None:
    media_server.add("/a.jpg", gradient_jpeg(64, 36))
    body = {"duracao": 0.5, "images": [{"id": "a", "image_url": media_server.url("/a.jpg")}]}
    first = client.submit("/video/img2vid", body, "key-1", respond_async=True)
    again = client.submit("/video/img2vid", body, "key-1", respond_async=True)
    assert again["job_id"] == first["job_id"]
    assert len(client.jobs()) == 1


def test_an_error_answer_is_an_api_error_with_the_api_s_code(client: Client) -> None:
    with pytest.raises(ApiError) as caught:
        client.job("no-such-job")
    assert (caught.value.status, caught.value.code) == (404, "not_found")


def test_download_writes_a_clip_whole(
    client: Client, media_server: MediaServer, tmp_path: Path
) -> None:
    job = client.wait(submitted(client, media_server, 1))
    out = tmp_path / "out"
    out.mkdir()
    written = client.download(job["videos"][0]["video_url"], out / "clip.mp4")
    assert written.read_bytes()[4:8] == b"ftyp"
    assert [p.name for p in out.iterdir()] == ["clip.mp4"]  # no part file left behind
