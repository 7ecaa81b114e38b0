"""The local backend's worker pool, in a real service: it does not outlive the service, and a
worker killed under it costs no job queued behind it."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx

from tests.api.test_durable_jobs import SMALL, wait_for
from tests.api.test_jobs import poll_until_final
from tests.support.http_server import MediaServer
from tests.support.media import solid_jpeg
from tests.support.service import ServiceProcess


def children(pid: int) -> list[int]:
    listed = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True
    )
    return [int(line) for line in listed.stdout.split()]


def pool_workers(pid: int) -> list[int]:
    """The service's pool processes (not multiprocessing's resource tracker)."""
    return [c for c in children(pid) if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_pool_workers_exit_when_the_service_is_killed(service: ServiceProcess) -> None:
    assert service.process is not None
    with service.client() as client:  # a job makes the pool start its workers
        client.post(
            "/video/img2vid",
            json={"images": [{"id": "a", "image_url": "http://127.0.0.1:9/a.jpg", "duracao": 1}]},
        )
    workers = children(service.process.pid)
    assert workers
    os.kill(service.process.pid, signal.SIGKILL)  # the service alone, not its process group
    service.process.wait()
    deadline = time.monotonic() + 15
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(alive(pid) for pid in workers)


def test_a_killed_worker_costs_no_job_queued_behind_it(
    service: ServiceProcess, media_server: MediaServer
) -> None:
    assert service.process is not None
    media_server.add_held("/held.jpg", solid_jpeg(64, 36, (200, 10, 10)))
    media_server.add("/a.jpg", solid_jpeg(64, 36, (10, 10, 200)))
    async_ = {"Prefer": "respond-async"}

    def submit(client: httpx.Client, url: str) -> str:
        body = {"images": [{"id": "a", "image_url": url, "duracao": 0.25}], **SMALL}
        return str(client.post("/video/img2vid", json=body, headers=async_).json()["job_id"])

    with service.client() as client:
        running = submit(client, media_server.url("/held.jpg"))
        wait_for(lambda: media_server.hits["/held.jpg"] == 1)  # a worker is on it
        queued = [submit(client, media_server.url("/a.jpg")) for _ in range(5)]
    [worker] = pool_workers(service.process.pid)
    os.kill(worker, signal.SIGKILL)
    wait_for(lambda: "local worker died" in service.log())
    media_server.release()
    ended = {job_id: poll_until_final(service, job_id) for job_id in [running, *queued]}
    assert {job["status"] for job in ended.values()} == {"succeeded"}, ended
