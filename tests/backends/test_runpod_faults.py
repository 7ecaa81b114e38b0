"""The RunPod backend under faults: failed and lost chunks, kills, cancel, restarts, HTTP errors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.api.test_jobs import poll_until_final
from tests.backends.runpod_emulator import FINAL, RunPodEmulator
from tests.backends.test_runpod_e2e import SMALL, images, submit
from tests.support.media import solid_jpeg
from tests.support.service import API_KEY


def test_a_failed_chunk_is_resubmitted_once_and_succeeds(
    start_runpod_service, start_workers, cloud: RunPodEmulator, media_server
) -> None:
    start_workers(1)
    service = start_runpod_service(RUNPOD_CHUNK_SIZE="2")
    cloud.fail_next_taken(1)
    job = poll_until_final(service, submit(service, {"images": images(media_server, 4), **SMALL}))
    assert job["status"] == "succeeded"
    assert [v["id"] for v in job["videos"]] == [f"img-{i}" for i in range(4)]
    assert sorted(cloud.statuses()) == ["COMPLETED", "COMPLETED", "FAILED"]
    failed = next(run for run in cloud.runs if run.status == "FAILED")
    again = [run for run in cloud.runs if run.input["items"] == failed.input["items"]]
    assert [run.status for run in again] == ["FAILED", "COMPLETED"]
    assert "runpod resubmit" in service.log()


def test_a_chunk_that_fails_twice_reports_the_error_on_each_item(
    start_runpod_service, start_workers, cloud: RunPodEmulator, media_server
) -> None:
    start_workers(1)
    service = start_runpod_service()
    cloud.fail_next_taken(2, error="injected: out of GPU memory")
    job = poll_until_final(service, submit(service, {"images": images(media_server, 2), **SMALL}))
    assert job["status"] == "failed"
    assert cloud.statuses() == ["FAILED", "FAILED"]
    assert [f["id"] for f in job["failed"]] == ["img-0", "img-1"]
    assert all("injected: out of GPU memory" in f["error"] for f in job["failed"])


def test_a_runpod_job_that_vanished_is_resubmitted(
    start_runpod_service, start_workers, cloud: RunPodEmulator, media_server
) -> None:
    service = start_runpod_service()
    job_id = submit(service, {"images": images(media_server, 2), **SMALL})
    cloud.wait_for(lambda: cloud.runs)
    purged = httpx.post(
        f"{cloud.api_url}/{cloud.endpoint_id}/purge-queue",
        headers={"Authorization": f"Bearer {cloud.api_key}"},
    )
    assert purged.json()["removed"] == 1  # its /status is now 404
    cloud.wait_for(lambda: len(cloud.runs) == 2)
    start_workers(1)
    assert poll_until_final(service, job_id)["status"] == "succeeded"
    assert "RunPod lost job" in service.log()


def test_a_worker_killed_mid_chunk_loses_the_chunk_to_another_worker(
    start_runpod_service, start_workers, cloud: RunPodEmulator, media_server
) -> None:
    (first,) = start_workers(1)
    service = start_runpod_service()
    job_id = submit(service, {"images": images(media_server, 2, slow=1.5), **SMALL})
    cloud.wait_for(lambda: cloud.runs and cloud.runs[0].status == "IN_PROGRESS")
    start_workers(1)
    first.kill()
    job = poll_until_final(service, job_id)
    assert job["status"] == "succeeded"
    assert [v["id"] for v in job["videos"]] == ["img-0", "img-1"]
    assert cloud.statuses() == ["FAILED", "COMPLETED"]
    assert "worker lost: pod-0" in (cloud.runs[0].error or "")
    assert cloud.runs[1].worker_id == "pod-1"


def test_cancel_cancels_the_runpod_jobs(
    start_runpod_service, start_workers, cloud: RunPodEmulator, media_server
) -> None:
    (worker,) = start_workers(1)
    service = start_runpod_service(RUNPOD_CHUNK_SIZE="2")
    job_id = submit(service, {"images": images(media_server, 4, slow=6.0), **SMALL})
    cloud.wait_for(lambda: "IN_PROGRESS" in cloud.statuses() and len(cloud.runs) == 2)
    with service.client() as client:
        cancelled = client.post(f"/jobs/{job_id}/cancel").json()
    assert cancelled["status"] == "cancelled"
    assert cancelled["progress"] == {"done": 0, "failed": 4, "total": 4, "scenes": None}
    # recorded at once; the RunPod jobs are cancelled right after, in the background
    cloud.wait_for(lambda: cloud.statuses() == ["CANCELLED", "CANCELLED"], 30)
    running = next(run for run in cloud.runs if run.worker_id == "pod-0")
    cloud.wait_for(lambda: running.id in cloud.stops_delivered["pod-0"], 30)
    # RunPod's stop reaches the SDK; our worker itself stops before rendering anything more
    # (the SDK cannot interrupt a clip in progress: that check is ours).
    cloud.wait_for(lambda: f"job stopped job_id={job_id} reason=cancelled" in worker.log(), 30)
    assert "clip uploaded" not in worker.log()


def test_the_api_restarted_while_runpod_jobs_run_resumes_polling_them(
    start_runpod_service, start_workers, cloud: RunPodEmulator, media_server
) -> None:
    start_workers(1)
    service = start_runpod_service(RUNPOD_CHUNK_SIZE="2")
    body = {"images": images(media_server, 4), **SMALL}
    for i in range(4):  # nothing is rendered (or uploaded) until the API is back
        media_server.add_held(f"/img{i}.jpg", solid_jpeg(64, 36, (90, 80, 160)))
    job_id = submit(service, body)
    cloud.wait_for(lambda: service.log().count("runpod submitted") == 2)  # ids saved
    service.stop(signal.SIGKILL)
    service.start()
    media_server.release()
    job = poll_until_final(service, job_id)
    assert job["status"] == "succeeded"
    assert [v["id"] for v in job["videos"]] == [f"img-{i}" for i in range(4)]
    assert len(cloud.runs) == 2  # polled again, not resubmitted
    assert f"job resumed job_id={job_id}" in service.log()
    assert "runpod polling" in service.log()


def test_429s_and_5xx_from_runpod_are_retried(
    start_runpod_service, start_workers, cloud: RunPodEmulator, media_server
) -> None:
    start_workers(1)
    service = start_runpod_service()
    cloud.inject("run", 429, times=2)
    cloud.inject("status", 503, times=2)
    cloud.inject("status", 500, times=1)
    job = poll_until_final(service, submit(service, {"images": images(media_server, 2), **SMALL}))
    assert job["status"] == "succeeded"
    assert cloud.faults_left() == 0
    assert len(cloud.runs) == 1
    assert "runpod retry call=run problem=HTTP 429" in service.log()


def test_a_job_past_its_deadline_fails_and_its_runpod_job_is_cancelled(
    start_runpod_service, cloud: RunPodEmulator, media_server
) -> None:
    service = start_runpod_service(JOB_TIMEOUT_SECONDS="4")  # no worker: it stays queued
    job = poll_until_final(service, submit(service, {"images": images(media_server, 1), **SMALL}))
    assert job["status"] == "failed"
    assert "deadline" in job["error"]
    (run,) = cloud.runs
    assert run.status == "CANCELLED"
    assert 2000 <= run.policy["executionTimeout"] <= 4100


def test_a_worker_without_upload_configuration_fails_the_job_clearly(
    start_workers, cloud: RunPodEmulator
) -> None:
    start_workers(1)
    job = {
        "operation": "img2vid",
        "job_id": "no-upload",
        "items": [{"index": 0, "id": "a", "image_url": "http://127.0.0.1:9/a.jpg", "duration": 1}],
    }
    response = httpx.post(
        f"{cloud.api_url}/{cloud.endpoint_id}/run",
        json={"input": job},
        headers={"Authorization": f"Bearer {cloud.api_key}"},
    )
    run = cloud.job(response.json()["id"])
    cloud.wait_for(lambda: run.status in FINAL)
    assert run.status == "FAILED"
    assert "VPS_UPLOAD_URL / VPS_API_KEY" in (run.error or "")


def test_one_shot_mode_runs_test_input_and_uploads_with_the_vps_fallback(
    service, media_server, tmp_path: Path
) -> None:
    job = json.loads(Path("test_input.json").read_text())
    job["input"]["items"] = [
        {
            "index": 0,
            "id": "one",
            "image_url": images(media_server, 1)[0]["image_url"],
            "duration": 1,
        }
    ]
    job["input"]["options"] = SMALL
    env = {
        "VPS_UPLOAD_URL": f"{service.base_url}/upload/video",
        "VPS_API_KEY": API_KEY,
        "FETCH_ALLOW_PRIVATE": "true",
        "FRAMECAST_ENCODER": "x264",
        "RUNPOD_LOG_LEVEL": "INFO",
    }
    done = subprocess.run(
        [sys.executable, "-m", "framecast.cli", "worker", "--test_input", json.dumps(job)],
        env={k: v for k, v in os.environ.items() if not k.startswith("RUNPOD_")} | env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "completed successfully" in done.stdout + done.stderr
    with service.client() as client:
        (listed,) = client.get("/jobs").json()["jobs"]
    assert listed["operation"] == "upload" and listed["status"] == "succeeded"


def test_item_errors_are_live_and_survive_an_api_restart(
    start_runpod_service, start_workers, cloud: RunPodEmulator, media_server
) -> None:
    start_workers(1)
    service = start_runpod_service(RUNPOD_CHUNK_SIZE="2")
    body = {"images": images(media_server, 4), **SMALL}
    body["images"][1]["image_url"] = media_server.url("/missing.jpg")  # chunk 1 fails one item
    for i in (2, 3):  # chunk 2 is still running when the API is killed, and until it is back
        media_server.add_held(f"/img{i}.jpg", solid_jpeg(64, 36, (90, 80, 160)))
    job_id = submit(service, body)
    with service.client() as client:
        running = cloud.wait_for(
            lambda: (j := client.get(f"/jobs/{job_id}").json())["progress"]["failed"] == 1 and j
        )
    assert running["status"] == "running"  # the error shows before the job ends
    service.stop(signal.SIGKILL)
    service.start()
    media_server.release()
    job = poll_until_final(service, job_id)
    assert job["status"] == "partial"
    assert [v["id"] for v in job["videos"]] == ["img-0", "img-2", "img-3"]
    (failure,) = job["failed"]
    assert failure["id"] == "img-1" and "404" in failure["error"]
