"""GET /jobs/{job_id}/events end to end: a real service, real renders, SSE read as it streams."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from tests.support.http_server import MediaServer
from tests.support.media import solid_jpeg
from tests.support.service import ServiceProcess
from tests.support.tenants import KEYS, key_of, keys_file

SMALL = {"width": 64, "height": 36}
ASYNC = {"Prefer": "respond-async"}


@dataclass(frozen=True)
class Event:
    name: str
    id: str | None
    data: dict[str, Any]


@dataclass
class Stream:
    """What a client read from one events stream."""

    events: list[Event]
    retry: int | None = None
    closed: bool = False  # the service ended the stream

    def named(self, name: str) -> list[Event]:
        return [event for event in self.events if event.name == name]


def sse(response: httpx.Response, stream: Stream) -> Iterator[Event]:
    """Each event of an SSE response as it arrives (recorded into ``stream``); comments and
    ``retry:`` are recorded only."""
    fields: dict[str, str] = {}
    for line in response.iter_lines():
        if line:
            name, _, value = line.partition(":")
            if name == "retry":
                stream.retry = int(value.strip())
            elif name:
                fields[name] = value.removeprefix(" ")
            continue
        if "event" in fields:
            event = Event(fields["event"], fields.get("id"), json.loads(fields["data"]))
            stream.events.append(event)
            yield event
        fields = {}
    stream.closed = True


def read_all(client: httpx.Client, job_id: str, last_event_id: str | None = None) -> Stream:
    """Every event of the job's stream, until the service closes it."""
    headers = {"Last-Event-ID": last_event_id} if last_event_id is not None else {}
    stream = Stream([])
    with client.stream("GET", f"/jobs/{job_id}/events", headers=headers) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        for _ in sse(response, stream):
            pass
    return stream


def submit(client: httpx.Client, images: list[dict[str, Any]], **headers: str) -> str:
    response = client.post("/video/img2vid", json={"images": images, **SMALL}, headers=headers)
    assert response.status_code in (200, 202), response.text
    return str(response.json()["job_id"])


def three_images(media_server: MediaServer, held: bool = False) -> list[dict[str, Any]]:
    """Three small images; with ``held``, the third is served only once the server releases."""
    for i in range(2):
        media_server.add(f"/img{i}.jpg", solid_jpeg(64, 36, (i * 90, 80, 160)))
    third = solid_jpeg(64, 36, (200, 200, 40))
    if held:
        media_server.add_held("/img2.jpg", third)
    else:
        media_server.add("/img2.jpg", third)
    return [
        {"id": f"img-{i}", "image_url": media_server.url(f"/img{i}.jpg"), "duracao": 0.25}
        for i in range(3)
    ]


def wait_for(condition: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_a_job_followed_from_its_start_streams_each_video_as_it_is_uploaded(
    service: ServiceProcess, media_server: MediaServer
) -> None:
    images = three_images(media_server, held=True)
    stream = Stream([])
    with service.client(timeout=60) as client:
        job_id = submit(client, images, **ASYNC)
        with client.stream("GET", f"/jobs/{job_id}/events") as response:
            events = sse(response, stream)
            while len(stream.named("video")) < 2:
                next(events)
            # Two videos are out while the third image is still held back: the job runs.
            assert client.get(f"/jobs/{job_id}").json()["status"] == "running"
            assert not stream.named("end")
            media_server.release()
            for _ in events:
                pass
        job = client.get(f"/jobs/{job_id}").json()

    assert stream.closed and stream.retry is not None
    names = [event.name for event in stream.events]
    assert names[0] == "progress" and names[-1] == "end" and names.count("end") == 1
    # In the order they were uploaded, each as the job lists it.
    videos = sorted((event.data for event in stream.named("video")), key=lambda v: v["id"])
    assert videos == job["videos"] and len(videos) == 3
    done = [event.data["done"] for event in stream.named("progress")]
    assert done == sorted(done) and (done[0], done[-1]) == (0, 3)
    assert stream.named("progress")[-1].data == {"done": 3, "failed": 0, "total": 3}
    assert stream.named("end")[0].data == job
    assert stream.events[0].id == "none"
    assert stream.named("video")[-1].id == "0-2" and stream.named("end")[0].id == "end"


def test_an_ended_job_replays_its_events_then_ends_and_closes(
    service: ServiceProcess, media_server: MediaServer
) -> None:
    with service.client(timeout=60) as client:
        job_id = submit(client, three_images(media_server))  # synchronous: it has ended
        stream = read_all(client, job_id)
        job = client.get(f"/jobs/{job_id}").json()

    assert stream.closed
    assert [(event.name, event.id) for event in stream.events] == [
        ("video", "0"),
        ("video", "0-1"),
        ("video", "0-2"),
        ("progress", "0-2"),
        ("end", "end"),
    ]
    assert [event.data for event in stream.named("video")] == job["videos"]
    assert stream.named("end")[0].data == job


def test_last_event_id_resumes_after_that_event_without_repeats(
    service: ServiceProcess, media_server: MediaServer
) -> None:
    with service.client(timeout=60) as client:
        job_id = submit(client, three_images(media_server))
        everything = read_all(client, job_id).events
        after_first = read_all(client, job_id, last_event_id="0").events
        after_last_video = read_all(client, job_id, last_event_id="0-2").events

    assert after_first == everything[1:]
    assert [event.name for event in after_last_video] == ["progress", "end"]


def test_the_id_of_the_end_is_answered_204_so_a_client_stops_reconnecting(
    service: ServiceProcess, media_server: MediaServer
) -> None:
    with service.client(timeout=60) as client:
        job_id = submit(client, three_images(media_server))
        response = client.get(f"/jobs/{job_id}/events", headers={"Last-Event-ID": "end"})

    assert (response.status_code, response.content) == (204, b"")


def test_a_last_event_id_this_job_never_gave_is_400(
    service: ServiceProcess, media_server: MediaServer
) -> None:
    with service.client(timeout=60) as client:
        job_id = submit(client, three_images(media_server))
        wrong = [
            client.get(f"/jobs/{job_id}/events", headers={"Last-Event-ID": value})
            for value in ("0-3", "7", "x", "2-1", "0,,1")
        ]

    assert [response.status_code for response in wrong] == [400] * len(wrong)
    assert all("Last-Event-ID" in response.json()["message"] for response in wrong)


def test_a_stream_resumes_with_the_same_ids_after_the_service_restarts(
    start_service: Callable[..., ServiceProcess], media_server: MediaServer
) -> None:
    service = start_service()
    images = three_images(media_server, held=True)
    before = Stream([])
    with service.client(timeout=60) as client:
        job_id = submit(client, images, **ASYNC)
        with client.stream("GET", f"/jobs/{job_id}/events") as response:
            events = sse(response, before)
            while len(before.named("video")) < 2:
                next(events)
            assert service.process is not None
            service.process.send_signal(signal.SIGTERM)  # with this stream open
            started = time.monotonic()
            for _ in events:  # the service ends the stream as it begins to stop
                pass
            ended_in = time.monotonic() - started
    service.process.wait(timeout=15)
    assert before.closed and ended_in < 1, ended_in
    last_id = before.events[-1].id
    assert last_id == "0-1"

    media_server.release()
    service.start()  # the same data dir: the job resumes
    with service.client(timeout=60) as client:
        after = read_all(client, job_id, last_event_id=last_id)
        replay = read_all(client, job_id)

    # Progress comes as the job goes (it may still be rendering the third clip): the rest once.
    resumed = [(event.name, event.id) for event in after.events if event.name != "progress"]
    assert resumed == [("video", "0-2"), ("end", "end")]
    videos = [event.data["id"] for event in before.named("video") + after.named("video")]
    assert sorted(videos) == ["img-0", "img-1", "img-2"]  # each once
    # Starting over, a client is told the results in request order, each id naming all it has.
    told = [(event.data["id"], event.id) for event in replay.named("video")]
    assert told == [("img-0", "0"), ("img-1", "0-1"), ("img-2", "0-2")]


def test_another_tenants_job_and_an_unknown_job_are_404_not_streams(
    start_service: Callable[..., ServiceProcess], tmp_path: Any
) -> None:
    path = keys_file(tmp_path / "tenants.toml")
    service = start_service(TENANTS_FILE=str(path), X_API_KEY="", SYNC_WAIT_SECONDS="0")
    images = [{"id": "a", "image_url": "https://images.test/a.jpg", "duracao": 1}]
    with httpx.Client(base_url=service.base_url, timeout=30) as client:
        created = client.post(
            "/video/img2vid", json={"images": images}, headers={**key_of("alpha"), **ASYNC}
        )
        job_id = created.json()["job_id"]
        theirs = client.get(f"/jobs/{job_id}/events", headers=key_of("beta"))
        unknown = client.get("/jobs/no-such-job/events", headers=key_of("alpha"))
        as_status = client.get(f"/jobs/{job_id}", headers=key_of("beta"))

    assert KEYS["alpha"] != KEYS["beta"]
    for response in (theirs, unknown):
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/json"
        assert response.json()["error"] == "not_found"
    assert theirs.json() == as_status.json()


def test_a_client_that_leaves_mid_stream_frees_its_stream(
    service: ServiceProcess, media_server: MediaServer
) -> None:
    images = three_images(media_server, held=True)  # the job waits on its third image
    with service.client(timeout=60) as client:
        job_id = submit(client, images, **ASYNC)
        with client.stream("GET", f"/jobs/{job_id}/events") as response:
            next(sse(response, Stream([])))
        # The connection is closed: the service notices at once, not at the job's end.
        closed = f"events stream closed job_id={job_id} reason=client left"
        wait_for(lambda: closed in service.log())
        started = time.monotonic()
        assert client.get("/health").status_code == 200
        assert time.monotonic() - started < 1
        assert client.get(f"/jobs/{job_id}").json()["status"] in ("queued", "running")


def test_a_quiet_stream_outlives_the_header_and_body_timeouts(
    start_service: Callable[..., ServiceProcess], media_server: MediaServer
) -> None:
    service = start_service(HEADER_TIMEOUT_SECONDS="0.5", BODY_TIMEOUT_SECONDS="0.5")
    images = three_images(media_server, held=True)
    stream = Stream([])
    with service.client(timeout=60) as client:
        job_id = submit(client, images, **ASYNC)
        with client.stream("GET", f"/jobs/{job_id}/events") as response:
            events = sse(response, stream)
            while len(stream.named("video")) < 2:
                next(events)
            time.sleep(2)  # nothing happens: four times either timeout
            media_server.release()
            for _ in events:
                pass

    assert stream.closed and stream.events[-1].name == "end"
