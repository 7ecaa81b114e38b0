"""The RunPod backend end to end: the API service, the emulated cloud, real SDK worker loops."""

from __future__ import annotations

from pathlib import Path

import av

from tests.api.test_jobs import poll_until_final
from tests.backends.runpod_emulator import RunPodEmulator
from tests.support.media import serve_images as images
from tests.support.service import ServiceProcess

SMALL = {"width": 64, "height": 36}


def frame_count(service: ServiceProcess, url: str, dest: Path) -> tuple[int, int, int]:
    with service.client() as client:
        response = client.get(url)
    assert response.status_code == 200
    dest.write_bytes(response.content)
    with av.open(str(dest)) as container:
        frames = list(container.decode(video=0))
    return len(frames), frames[0].width, frames[0].height


def test_a_batch_renders_end_to_end_through_runpod(
    start_runpod_service, start_workers, cloud: RunPodEmulator, media_server, tmp_path
) -> None:
    start_workers(1)
    service = start_runpod_service(fast=False)  # the real `framecast serve`, 2 s polls
    body = {"images": images(media_server, 3), **SMALL, "fps": 24}
    with service.client() as client:
        response = client.post("/video/img2vid", json=body)
        health = client.get("/runpod/health")
    assert response.status_code == 200, response.text
    result = response.json()
    assert [v["id"] for v in result["videos"]] == ["img-0", "img-1", "img-2"]
    for i, video in enumerate(result["videos"]):
        assert frame_count(service, video["video_url"], tmp_path / f"{i}.mp4") == (12, 64, 36)
    (run,) = cloud.runs
    assert run.status == "COMPLETED" and run.worker_id == "pod-0"
    assert 0 < run.policy["executionTimeout"] <= 3_600_000 + 60_000
    assert run.policy["ttl"] > run.policy["executionTimeout"]
    assert health.status_code == 200
    assert health.json()["jobs"]["completed"] == 1
    assert health.json()["workers"]["idle"] + health.json()["workers"]["running"] == 1


def submit(service: ServiceProcess, body: dict) -> str:
    with service.client() as client:
        response = client.post("/video/img2vid", json=body, headers={"Prefer": "respond-async"})
    assert response.status_code == 202, response.text
    return str(response.json()["job_id"])


def test_a_batch_fans_out_over_chunks_and_workers_in_request_order(
    start_runpod_service, start_workers, cloud: RunPodEmulator, media_server
) -> None:
    start_workers(2)
    cloud.wait_for(lambda: len(cloud.workers_seen()) == 2)
    service = start_runpod_service(RUNPOD_CHUNK_SIZE="2", RUNPOD_MAX_PARALLEL="4")
    cloud.delay_next("run", 0.5)  # the first chunk's /run is slow to answer
    batch = images(media_server, 7, seconds=1.0)
    batch[3]["image_url"] = media_server.url("/missing.jpg")
    job = poll_until_final(service, submit(service, {"images": batch, **SMALL}))
    assert job["status"] == "partial"
    assert [v["id"] for v in job["videos"]] == [f"img-{i}" for i in (0, 1, 2, 4, 5, 6)]
    assert [f["id"] for f in job["failed"]] == ["img-3"]
    assert "HTTP 404" in job["failed"][0]["error"]
    # chunks reach RunPod's queue in request order, so the first clips are the first done
    assert [[item["index"] for item in run.input["items"]] for run in cloud.runs] == [
        [0, 1],
        [2, 3],
        [4, 5],
        [6],
    ]
    assert cloud.statuses() == ["COMPLETED"] * 4
    assert {run.worker_id for run in cloud.runs} == {"pod-0", "pod-1"}


def test_a_chunk_whose_every_item_failed_keeps_each_items_error_and_is_not_resubmitted(
    start_runpod_service, start_workers, cloud: RunPodEmulator, media_server
) -> None:
    start_workers(1)
    service = start_runpod_service()
    batch = [
        {"id": f"gone-{i}", "image_url": media_server.url(f"/gone{i}.jpg"), "duracao": 0.5}
        for i in range(2)
    ]
    job = poll_until_final(service, submit(service, {"images": batch, **SMALL}))
    assert job["status"] == "failed"
    assert [f["id"] for f in job["failed"]] == ["gone-0", "gone-1"]
    assert all(f"/gone{i}.jpg" in f["error"] for i, f in enumerate(job["failed"]))
    (run,) = cloud.runs
    assert run.status == "FAILED" and "every item failed (2)" in (run.error or "")
