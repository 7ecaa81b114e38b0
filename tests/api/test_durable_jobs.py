"""Durable async jobs: webhooks, cancel, idempotency, listing, and recovery after SIGKILL."""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import signal
import time
from collections.abc import Callable

import httpx
import pytest

from framecast.backends.local_scheduler import UNIT_ITEMS, items_ahead_per_process
from tests.api.test_jobs import poll_until_final
from tests.support.http_server import MediaServer
from tests.support.media import serve_images, solid_jpeg
from tests.support.service import ServiceProcess

SECRET = "webhook-secret-0123456789"
SMALL = {"width": 64, "height": 36}


images = functools.partial(serve_images, seconds=0.25)


def wait_for(condition, timeout: float = 30.0, every: float = 0.1):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(every)
    raise AssertionError("condition not met in time")


def webhook_settles(client: httpx.Client, job_id: str, state: str) -> dict:
    """The job once its webhook has reached ``state``."""
    return wait_for(
        lambda: (j := client.get(f"/jobs/{job_id}").json())["webhook"]["state"] == state and j
    )


def test_webhook_is_signed_retried_and_recorded(start_service, media_server: MediaServer) -> None:
    service = start_service(WEBHOOK_SECRET=SECRET, WEBHOOK_RETRY_SECONDS="0.2")
    media_server.add_flaky("/hook", b"ok", failures=2, status=500, content_type="text/plain")
    body = {
        "images": images(media_server, 2),
        **SMALL,
        "webhook_url": media_server.url("/hook"),
        "metadata": {"project": "ep-12", "n": 3},
    }
    with service.client() as client:
        response = client.post("/video/img2vid", json=body)
    assert response.status_code == 202  # a webhook_url makes the call asynchronous
    job_id = response.json()["job_id"]

    job = webhook_settles(service.client(), job_id, "delivered")
    deliveries = [r for r in media_server.requests if r.path == "/hook"]
    assert len(deliveries) == 3
    assert [a["status_code"] for a in job["webhook"]["attempts"]] == [500, 500, 200]
    last = deliveries[-1]
    expected = "sha256=" + hmac.new(SECRET.encode(), last.body, hashlib.sha256).hexdigest()
    assert last.headers["X-Framecast-Signature"] == expected
    assert last.headers["X-Framecast-Event"] == "job.succeeded"
    assert last.headers["X-Framecast-Job-Id"] == job_id
    payload = json.loads(last.body)
    assert payload["job_id"] == job_id and payload["status"] == "succeeded"
    assert payload["metadata"] == {"project": "ep-12", "n": 3}
    assert [v["id"] for v in payload["videos"]] == ["img-0", "img-1"]


def test_a_webhook_that_never_succeeds_is_visible_and_can_be_resent(
    start_service, media_server: MediaServer
) -> None:
    service = start_service(
        WEBHOOK_SECRET=SECRET, WEBHOOK_RETRY_SECONDS="0.1", WEBHOOK_ATTEMPTS="3"
    )
    media_server.add("/hook", b"down", status=503, content_type="text/plain")
    body = {"images": images(media_server, 1), **SMALL, "webhook_url": media_server.url("/hook")}
    with service.client() as client:
        job_id = client.post("/video/img2vid", json=body).json()["job_id"]
        job = webhook_settles(client, job_id, "failed")
        assert len(job["webhook"]["attempts"]) == 3
        assert job["webhook"]["last_error"] == "HTTP 503"
        assert f"webhook failed for good job_id={job_id}" in service.log()

        media_server.add("/hook", b"ok", content_type="text/plain")
        assert client.post(f"/jobs/{job_id}/webhook").status_code == 200
        job = webhook_settles(client, job_id, "delivered")
    assert len(job["webhook"]["attempts"]) == 4


def test_webhook_targets_follow_the_fetch_address_rules(
    start_service, media_server: MediaServer
) -> None:
    service = start_service(
        WEBHOOK_SECRET=SECRET, FETCH_ALLOW_PRIVATE="false", WEBHOOK_ATTEMPTS="1"
    )
    media_server.add("/hook", b"ok", content_type="text/plain")
    # A name is judged when the webhook is sent (an address literal is a 400 at submission).
    hook = media_server.url("/hook", host="localhost")
    body = {"images": images(media_server, 1), **SMALL, "webhook_url": hook}
    with service.client() as client:
        job_id = client.post("/video/img2vid", json=body).json()["job_id"]
        job = webhook_settles(client, job_id, "failed")
    assert "not a public address" in job["webhook"]["last_error"]
    assert media_server.hits["/hook"] == 0


def test_cancel_stops_pending_work_and_keeps_what_was_uploaded(
    service: ServiceProcess, media_server: MediaServer
) -> None:
    fast = images(media_server, 1)
    slow = images(media_server, 3, slow=3.0)[1:]
    media_server.add("/img0.jpg", solid_jpeg(64, 36, (200, 0, 0)))
    with service.client() as client:
        job_id = client.post(
            "/video/img2vid",
            json={"images": fast + slow, **SMALL},
            headers={"Prefer": "respond-async"},
        ).json()["job_id"]
        wait_for(lambda: client.get(f"/jobs/{job_id}").json()["progress"]["done"] == 1)
        cancelled = client.post(f"/jobs/{job_id}/cancel")
        assert cancelled.status_code == 200
        job = cancelled.json()
        assert job["status"] == "cancelled"
        assert job["progress"] == {"done": 1, "failed": 2, "total": 3, "scenes": None}
        assert [v["id"] for v in job["videos"]] == ["img-0"]
        assert all("cancelled" in f["error"] for f in job["failed"])
        assert client.get(job["videos"][0]["video_url"]).status_code == 200
        assert client.post(f"/jobs/{job_id}/cancel").status_code == 409
        # the slow downloads finish: the worker must not render or upload them
        stopped = f"job stopped job_id={job_id} reason=cancelled status=cancelled done=1"
        wait_for(lambda: stopped in service.log())
        assert client.get(f"/jobs/{job_id}").json()["progress"]["done"] == 1
    clips = list((service.data_dir / "output" / job_id).glob("*.mp4"))
    assert len(clips) == 1


def test_a_job_waiting_for_a_worker_is_queued_until_one_takes_it(
    start_service: Callable[..., ServiceProcess], media_server: MediaServer
) -> None:
    service = start_service(BATCH_SIZE="1")
    media_server.add_held("/held.jpg", solid_jpeg(64, 36, (10, 200, 10)))
    held = [
        {"id": f"held-{i}", "image_url": media_server.url("/held.jpg"), "duracao": 0.5}
        for i in range(UNIT_ITEMS)
    ]
    async_ = {"Prefer": "respond-async"}
    # Jobs whose downloads never answer, as many as the only worker takes beyond its renders.
    taken = items_ahead_per_process(1)
    with service.client() as client:
        first = [
            client.post("/video/img2vid", json={"images": held, **SMALL}, headers=async_)
            for _ in range(taken // UNIT_ITEMS)
        ]
        wait_for(lambda: media_server.hits["/held.jpg"] == taken)  # the only worker is full
        assert client.get(f"/jobs/{first[0].json()['job_id']}").json()["status"] == "running"
        body = {"images": images(media_server, 1), **SMALL}
        second = client.post("/video/img2vid", json=body, headers=async_).json()
        assert second["status"] == "queued"
        time.sleep(1.0)  # it stays queued while the worker is taken
        waiting = client.get(f"/jobs/{second['job_id']}").json()
        assert (waiting["status"], waiting["started_at"]) == ("queued", None)
        listed = client.get("/jobs", params={"status": "queued"}).json()["jobs"]
        assert [j["job_id"] for j in listed] == [second["job_id"]]
        media_server.release()
    done = poll_until_final(service, second["job_id"])
    assert done["status"] == "succeeded" and done["started_at"] is not None


def test_cancel_stops_a_clip_mid_render(service: ServiceProcess, media_server: MediaServer) -> None:
    media_server.add("/long.jpg", solid_jpeg(640, 360, (0, 90, 200)))
    long_clip = {"id": "long", "image_url": media_server.url("/long.jpg"), "duracao": 60}
    body = {"images": [long_clip], "width": 1280, "height": 720}
    with service.client() as client:
        job_id = client.post(
            "/video/img2vid", json=body, headers={"Prefer": "respond-async"}
        ).json()["job_id"]
        wait_for(lambda: f"clip rendering job_id={job_id}" in service.log())
        cancelled = client.post(f"/jobs/{job_id}/cancel").json()
        assert (cancelled["status"], cancelled["code"]) == ("cancelled", 200)
        assert cancelled["message"] == "the job was cancelled: 0 of 1 video done (kept)"
        job = client.get(f"/jobs/{job_id}").json()
        assert job["message"] == "the job was cancelled before its video was done"
        # The worker's one line for the job: it stopped mid-render, long before the 1440 frames.
        stopped = f"job stopped job_id={job_id} reason=cancelled status=cancelled done=0"
        wait_for(lambda: stopped in service.log(), timeout=15)
    assert f"clip uploaded job_id={job_id}" not in service.log()
    assert not list((service.data_dir / "output" / job_id).glob("*.mp4"))


def test_an_idempotency_key_returns_the_same_job(
    service: ServiceProcess, media_server: MediaServer
) -> None:
    body = {"images": images(media_server, 1), **SMALL}
    headers = {"Idempotency-Key": "order-42", "Prefer": "respond-async"}
    with service.client() as client:
        first = client.post("/video/img2vid", json=body, headers=headers)
        again = client.post("/video/img2vid", json=body, headers=headers)
        assert again.json()["job_id"] == first.json()["job_id"]
        changed = client.post("/video/img2vid", json={**body, "fps": 12}, headers=headers)
        assert changed.status_code == 409
        assert "Idempotency-Key" in changed.json()["message"]
        assert len(client.get("/jobs").json()["jobs"]) == 1
    assert poll_until_final(service, first.json()["job_id"])["status"] == "succeeded"
    assert media_server.hits["/img0.jpg"] == 1  # rendered once


def test_jobs_are_listed_by_status_with_cursors(
    service: ServiceProcess, media_server: MediaServer
) -> None:
    body = {"images": images(media_server, 1), **SMALL}
    with service.client() as client:
        ids = [client.post("/video/img2vid", json=body).json()["job_id"] for _ in range(3)]
        client.post(
            "/video/img2vid",
            json={
                "images": [
                    {
                        **body["images"][0],
                        "image_url":  # type: ignore[index]
                        media_server.url("/missing.jpg"),
                    }
                ],
                **SMALL,
            },
        )
        first = client.get("/jobs", params={"status": "succeeded", "limit": 2}).json()
        second = client.get(
            "/jobs", params={"status": "succeeded", "limit": 2, "cursor": first["next_cursor"]}
        ).json()
        assert client.get("/jobs", params={"cursor": "garbage!"}).status_code == 400
        assert client.get("/jobs", params={"status": "nonsense"}).status_code == 400
    listed = [j["job_id"] for j in first["jobs"] + second["jobs"]]
    assert listed == list(reversed(ids))
    assert second["next_cursor"] is None


def test_a_client_that_disconnects_does_not_cancel_the_job(
    service: ServiceProcess, media_server: MediaServer
) -> None:
    body = {"images": images(media_server, 1, slow=4.0), **SMALL}
    with pytest.raises(httpx.ReadTimeout), service.client(timeout=1.5) as client:
        client.post("/video/img2vid", json=body)
    with service.client() as client:
        job_id = wait_for(lambda: client.get("/jobs").json()["jobs"])[0]["job_id"]
    assert poll_until_final(service, job_id)["status"] == "succeeded"


def test_a_killed_service_resumes_its_job_without_redoing_uploaded_items(
    start_service, media_server: MediaServer
) -> None:
    service = start_service()
    count = 6
    for i in range(count):
        media_server.add(f"/big{i}.jpg", solid_jpeg(640, 360, (i * 40, 100, 100)))
    body = {
        "images": [
            {"id": f"c{i}", "image_url": media_server.url(f"/big{i}.jpg"), "duracao": 2}
            for i in range(count)
        ],
        "width": 640,
        "height": 360,
    }
    with service.client() as client:
        job_id = client.post(
            "/video/img2vid", json=body, headers={"Prefer": "respond-async"}
        ).json()["job_id"]
        before_kill = wait_for(
            lambda: (j := client.get(f"/jobs/{job_id}").json())["progress"]["done"] >= 2 and j,
            every=0.05,
        )
    service.stop(signal.SIGKILL)
    with service.client() as client, pytest.raises(httpx.ConnectError):
        client.get("/health")

    service.start()
    job = poll_until_final(service, job_id, timeout=120)
    assert job["status"] == "succeeded"
    assert [v["id"] for v in job["videos"]] == [f"c{i}" for i in range(count)]
    assert sorted(p.name for p in (service.data_dir / "output" / job_id).iterdir()) == [
        f"{i:04d}-c{i}.mp4" for i in range(count)
    ]
    for video in before_kill["videos"]:  # uploaded before the kill: not fetched or rendered again
        assert media_server.hits[f"/big{video['id'][1:]}.jpg"] == 1
    assert f"job resumed job_id={job_id}" in service.log()
