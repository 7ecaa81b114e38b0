"""GET /metrics and the service's log, from a real service (JSON logs) after a real job: one clip
rendered, one image missing, a webhook that fails."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from framecast.api.app import create_app
from framecast.backends.inline import InlineBackend
from framecast.config import Settings
from tests.api.test_jobs import poll_until_final
from tests.support.http_server import MediaServer
from tests.support.media import solid_jpeg
from tests.support.service import API_KEY, ServiceProcess


@dataclass
class Ran:
    service: ServiceProcess
    job: dict[str, Any]


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ran]:
    """One service for the module, after one job: it is slow to start and to render."""
    with MediaServer() as media:
        media.add("/a.jpg", solid_jpeg(320, 180, (200, 40, 40)))
        env = {"LOG_FORMAT": "json", "WEBHOOK_ATTEMPTS": "1"}
        service = ServiceProcess(tmp_path_factory.mktemp("metrics") / "data", env).start()
        try:
            body = {
                "images": [
                    {"id": "a", "image_url": media.url("/a.jpg"), "duracao": 0.5},
                    {"id": "gone", "image_url": media.url("/gone.jpg"), "duracao": 0.5},
                ],
                "width": 320,
                "height": 180,
                "webhook_url": media.url("/hook"),  # this server answers no POST: it fails
            }
            with service.client() as client:
                job_id = client.post("/video/img2vid", json=body).json()["job_id"]
            yield Ran(service, poll_until_final(service, job_id))
        finally:
            service.stop()


def scrape(service: ServiceProcess) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of GET /metrics by (name, sorted labels)."""
    with service.client() as client:
        response = client.get("/metrics")
    assert response.status_code == 200, response.text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples[name, tuple(sorted(labels.items()))]


def test_metrics_count_the_job_its_items_and_its_bytes(ran: Ran, tmp_path: Path) -> None:
    samples = scrape(ran.service)
    assert ran.job["status"] == "partial"
    assert value(samples, "framecast_jobs_submitted_total", operation="img2vid") == 1
    assert value(samples, "framecast_jobs_ended_total", operation="img2vid", state="partial") == 1
    assert value(samples, "framecast_items_ended_total", operation="img2vid", state="done") == 1
    assert value(samples, "framecast_items_ended_total", operation="img2vid", state="failed") == 1
    [video] = ran.job["videos"]
    clip = ran.service.download(video["video_url"], tmp_path / "a.mp4")
    assert (
        value(samples, "framecast_upload_bytes_total", operation="img2vid") == clip.stat().st_size
    )


def test_metrics_time_the_workers_renders_and_downloads(ran: Ran) -> None:
    samples = scrape(ran.service)
    assert value(samples, "framecast_render_seconds_count", operation="img2vid") == 1
    assert value(samples, "framecast_render_seconds_sum", operation="img2vid") > 0
    assert value(samples, "framecast_fetch_seconds_count", kind="image") == 1  # the one found
    assert value(samples, "framecast_encoder_info", encoder="libx264") == 1


def test_metrics_show_nothing_in_flight_once_the_job_ended(ran: Ran) -> None:
    samples = scrape(ran.service)
    for state in ("queued", "running"):
        assert value(samples, "framecast_jobs_in_flight", operation="img2vid", state=state) == 0
    assert value(samples, "framecast_queue_depth", operation="img2vid") == 0


def test_metrics_count_webhook_outcomes(ran: Ran) -> None:
    deadline = time.monotonic() + 20
    while value(scrape(ran.service), "framecast_webhook_attempts_total", outcome="failed") < 1:
        assert time.monotonic() < deadline, "the webhook attempt was not counted"
        time.sleep(0.2)


def test_every_log_line_is_json_workers_included(ran: Ran) -> None:
    lines = [json.loads(line) for line in ran.service.log().splitlines() if line.strip()]
    events = [line["event"] for line in lines]
    assert "clip rendering" in events  # a worker process's line
    assert events.count("framecast started") == 1


def test_the_workers_upload_calls_stay_out_of_the_access_log(ran: Ran) -> None:
    lines = [json.loads(line) for line in ran.service.log().splitlines() if line.strip()]
    paths = [line["path"] for line in lines if line["event"] == "request"]
    assert "/video/img2vid" in paths
    assert not [path for path in paths if path.startswith("/upload/")]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(api_keys=(API_KEY,), data_dir=tmp_path / "data")


async def no_work(job: dict[str, Any], record: object) -> dict[str, Any]:
    return {"videos": [], "failed": []}


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"X-API-Key": API_KEY}, 200),
        ({"Authorization": f"Bearer {API_KEY}"}, 200),  # Prometheus's own way to send it
        ({"Authorization": "Bearer wrong-key-123"}, 401),
    ],
)
def test_metrics_need_the_api_key(settings: Settings, headers: dict[str, str], status: int) -> None:
    with TestClient(create_app(settings, InlineBackend(no_work))) as client:
        assert client.get("/metrics", headers=headers).status_code == status


def test_metrics_can_be_public(settings: Settings) -> None:
    public = settings.with_changes(metrics_public=True)
    with TestClient(create_app(public, InlineBackend(no_work))) as client:
        response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
