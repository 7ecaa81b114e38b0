"""The local backend's worker pool does not outlive the service."""

from __future__ import annotations

import os
import signal
import subprocess
import time

from tests.support.service import ServiceProcess


def children(pid: int) -> list[int]:
    listed = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True
    )
    return [int(line) for line in listed.stdout.split()]


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
