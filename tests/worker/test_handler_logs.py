"""What a worker logs: one line for a job it stopped (saying why), one line for a failed download,
and the measurements it reports to the API."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from framecast.config import Settings
from framecast.worker import upload_http
from framecast.worker.handler import handle, worker_report
from tests.support.http_server import MediaServer
from tests.support.media import solid_jpeg

STATUS = "/upload/job-1"  # the API's "is this job still wanted?" for the job's workers


def settings(tmp_path: Path) -> Settings:
    base = Settings.from_env({"FETCH_ALLOW_PRIVATE": "true", "FRAMECAST_ENCODER": "x264"})
    return base.with_changes(work_dir=tmp_path)


def answer(server: MediaServer, status: str | None) -> None:
    """The job's status as the API gives it to workers; None: the upload token has expired."""
    body = json.dumps({"status": status or "failed"}).encode()
    server.add(STATUS, body, "application/json", status=401 if status is None else 200)


def img2vid(server: MediaServer, paths: list[str]) -> dict[str, Any]:
    return {
        "operation": "img2vid",
        "job_id": "job-1",
        "items": [
            {"index": i, "id": f"img-{i}", "image_url": server.url(path), "duration": 0.5}
            for i, path in enumerate(paths)
        ],
        "options": {"width": 64, "height": 36, "fps": 12},
        "upload": {"type": "api", "url": server.url(STATUS), "token": "t"},
    }


def concatenate(server: MediaServer) -> dict[str, Any]:
    videos = [{"video_url": server.url(f"/{name}.mp4")} for name in ("a", "b")]
    return {
        "operation": "concatenate",
        "job_id": "job-1",
        "items": [{"index": 0, "id": "joined", "videos": videos}],
        "upload": {"type": "api", "url": server.url(STATUS), "token": "t"},
    }


def lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name.startswith("framecast")]


@pytest.mark.parametrize(("status", "reason"), [("cancelled", "cancelled"), (None, "deadline")])
def test_a_stopped_img2vid_job_is_one_line_saying_why(
    tmp_path: Path,
    media_server: MediaServer,
    caplog: pytest.LogCaptureFixture,
    status: str | None,
    reason: str,
) -> None:
    answer(media_server, status)
    with caplog.at_level(logging.INFO):
        output = handle(img2vid(media_server, [f"/{i}.jpg" for i in range(8)]), settings(tmp_path))
    assert len(output["failed"]) == 8
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    [stopped] = [line for line in lines(caplog) if line.startswith("job stopped")]
    assert f"job_id=job-1 reason={reason} " in stopped and "not_done=8" in stopped


def test_a_stopped_one_result_job_is_one_line_too(
    tmp_path: Path, media_server: MediaServer, caplog: pytest.LogCaptureFixture
) -> None:
    answer(media_server, "cancelled")
    with caplog.at_level(logging.INFO):
        output = handle(concatenate(media_server), settings(tmp_path))
    assert len(output["failed"]) == 1
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [line for line in lines(caplog) if line.startswith("job stopped")] != []


def test_a_failed_download_is_logged_once(
    tmp_path: Path, media_server: MediaServer, caplog: pytest.LogCaptureFixture
) -> None:
    answer(media_server, "running")
    with caplog.at_level(logging.INFO):
        output = handle(img2vid(media_server, ["/missing.jpg"]), settings(tmp_path))
    assert "404" in output["failed"][0]["error"]
    about = [line for line in lines(caplog) if "/missing.jpg" in line]
    assert len(about) == 1 and about[0].startswith("item failed"), about


def test_the_worker_reports_its_downloads_renders_and_encoder(
    tmp_path: Path, media_server: MediaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(upload_http, "BACKOFF_SECONDS", 0.01)
    answer(media_server, "running")  # the upload itself fails: this server takes no PUT
    media_server.add("/a.jpg", solid_jpeg(64, 36, (30, 60, 90)))
    handle(img2vid(media_server, ["/a.jpg"]), settings(tmp_path))
    report = worker_report(settings(tmp_path))
    assert report["encoder"] == "libx264"
    assert [kind for kind, _ in report["fetch"]] == ["image"]
    assert [operation for operation, _ in report["render"]] == ["img2vid"]
    assert worker_report(settings(tmp_path))["fetch"] == []  # each report is of one job
