"""The worker's handle(): validation, upload targets, temp files, the VPS fallback."""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
import pytest

from framecast.config import Settings
from framecast.render.probe import probe
from framecast.worker import upload_http
from framecast.worker.handler import handle
from framecast.worker.scratch import STALE_WORK_SECONDS, remove_stale_work
from tests.support.http_server import MediaServer
from tests.support.media import solid_jpeg
from tests.support.service import API_KEY, ServiceProcess


def worker_settings(work_dir: Path, **changes: object) -> Settings:
    base = Settings.from_env({"FETCH_ALLOW_PRIVATE": "true", "FRAMECAST_ENCODER": "x264"})
    work_dir.mkdir(exist_ok=True)
    return base.with_changes(work_dir=work_dir, **changes)


def job(media_server: MediaServer, **extra: object) -> dict[str, object]:
    media_server.add("/a.jpg", solid_jpeg(64, 36, (30, 60, 90)))
    return {
        "operation": "img2vid",
        "job_id": "job-1",
        "items": [
            {"index": 0, "id": "a", "image_url": media_server.url("/a.jpg"), "duration": 0.5},
            {"index": 1, "id": "b", "image_url": media_server.url("/b.jpg"), "duration": 0.5},
        ],
        "options": {"width": 64, "height": 36, "fps": 12},
        **extra,
    }


def test_invalid_input_is_returned_as_an_error_naming_the_field(tmp_path: Path) -> None:
    output = handle(
        {"operation": "img2vid", "job_id": "j", "items": [{"index": 0}]}, worker_settings(tmp_path)
    )
    assert output["error"].startswith("invalid job input: items[0].id: Field required")


def test_without_any_upload_target_the_job_fails_clearly(
    tmp_path: Path, media_server: MediaServer
) -> None:
    output = handle(job(media_server), worker_settings(tmp_path))
    assert "VPS_UPLOAD_URL" in output["error"]
    assert media_server.hits["/a.jpg"] == 0  # nothing rendered for nothing


def test_vps_fallback_uploads_with_the_original_contract_and_cleans_up(
    tmp_path: Path, media_server: MediaServer, service: ServiceProcess
) -> None:
    work = tmp_path / "work"
    settings = worker_settings(
        work, vps_upload_url=f"{service.base_url}/upload/video", vps_api_key=API_KEY
    )
    output = handle(job(media_server), settings)

    assert [v["id"] for v in output["videos"]] == ["a"]
    assert output["failed"][0]["id"] == "b" and "404" in output["failed"][0]["error"]
    assert list(work.iterdir()) == []  # the worker's temp dir is gone
    clip = tmp_path / "a.mp4"
    clip.write_bytes(httpx.get(f"{service.base_url}{output['videos'][0]['video_url']}").content)
    info = probe(clip)
    assert (info.width, info.height, info.frames) == (64, 36, 6)


def test_an_unreachable_upload_target_fails_items_not_the_worker(
    tmp_path: Path, media_server: MediaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(upload_http, "BACKOFF_SECONDS", 0.01)
    body = job(
        media_server, upload={"type": "api", "url": "http://127.0.0.1:9/upload/job-1", "token": "t"}
    )
    output = handle(body, worker_settings(tmp_path))
    assert output["videos"] == []
    assert "clip upload to the API failed" in output["failed"][0]["error"]
    assert list(tmp_path.iterdir()) == []


def test_work_folders_a_killed_worker_left_are_removed_at_start(tmp_path) -> None:
    old = time.time() - STALE_WORK_SECONDS - 5
    stale = tmp_path / f"framecast-{'d' * 32}-x1y2_3z4"
    (stale / "sub").mkdir(parents=True)
    (stale / "0.src").write_bytes(b"half an image")
    os.utime(stale, (old, old))
    live = tmp_path / f"framecast-{'1' * 32}-a1b2c3d4"
    live.mkdir()
    (live / "1.mp4").write_bytes(b"being rendered")
    theirs = tmp_path / f"framecast-my-notes-{'e' * 32}"  # not a name img2vid makes
    theirs.mkdir()
    os.utime(theirs, (old, old))
    remove_stale_work(tmp_path)
    assert not stale.exists()
    assert live.exists() and theirs.exists()
