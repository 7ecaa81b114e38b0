"""GET /jobs/{id}: status, progress, the videos so far; async submission and the sync limit."""

from __future__ import annotations

import time

from tests.support.http_server import MediaServer
from tests.support.media import solid_jpeg
from tests.support.service import ServiceProcess


def poll_until_final(service: ServiceProcess, job_id: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    with service.client() as client:
        while time.monotonic() < deadline:
            job = client.get(f"/jobs/{job_id}").json()
            if job["status"] not in ("queued", "running"):
                return dict(job)
            time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not end in {timeout} s")


def test_respond_async_answers_202_then_the_job_reports_its_result(
    service: ServiceProcess, media_server: MediaServer
) -> None:
    media_server.add("/a.jpg", solid_jpeg(64, 36, (10, 10, 10)))
    images = [
        {"id": "a", "image_url": media_server.url("/a.jpg"), "duracao": 0.25},
        {"id": "b", "image_url": media_server.url("/nope.jpg"), "duracao": 0.25},
    ]
    with service.client() as client:
        accepted = client.post(
            "/video/img2vid",
            json={"images": images, "width": 64, "height": 36},
            headers={"Prefer": "respond-async"},
        )
    assert accepted.status_code == 202
    assert accepted.json()["status_url"] == f"/jobs/{accepted.json()['job_id']}"
    job = poll_until_final(service, accepted.json()["job_id"])
    assert job["status"] == "partial"
    assert job["progress"] == {"done": 1, "failed": 1, "total": 2, "scenes": None}
    assert [v["id"] for v in job["videos"]] == ["a"]
    assert job["failed"][0]["id"] == "b"
    assert job["execution"]["durationSeconds"] > 0


def test_past_the_sync_wait_the_answer_is_202_and_the_job_goes_on(
    start_service, media_server: MediaServer
) -> None:
    service = start_service(SYNC_WAIT_SECONDS="0.5")
    media_server.add_slow("/slow.jpg", solid_jpeg(64, 36, (0, 0, 0)), delay=2.0)
    images = [{"id": "a", "image_url": media_server.url("/slow.jpg"), "duracao": 0.25}]
    with service.client() as client:
        response = client.post("/video/img2vid", json={"images": images, "width": 64, "height": 36})
    assert response.status_code == 202
    assert poll_until_final(service, response.json()["job_id"])["status"] == "succeeded"


def test_a_job_past_its_deadline_ends_failed_with_a_clear_error(
    start_service, media_server: MediaServer
) -> None:
    service = start_service(JOB_TIMEOUT_SECONDS="1")
    media_server.add_slow("/slow.jpg", solid_jpeg(64, 36, (0, 0, 0)), delay=4.0)
    images = [{"id": "a", "image_url": media_server.url("/slow.jpg"), "duracao": 0.25}]
    with service.client() as client:
        response = client.post("/video/img2vid", json={"images": images, "width": 64, "height": 36})
    assert response.status_code == 422
    assert "deadline" in response.json()["failed"][0]["error"]


def test_unknown_job_is_404(service: ServiceProcess) -> None:
    with service.client() as client:
        response = client.get("/jobs/does-not-exist")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
