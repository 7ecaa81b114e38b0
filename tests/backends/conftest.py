"""Fixtures for the RunPod backend: the emulated cloud, SDK worker processes, the API service."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.backends.runpod_emulator import RunPodEmulator
from tests.backends.workers import WorkerProcess
from tests.support.service import ServiceProcess


@pytest.fixture
def cloud() -> Iterator[RunPodEmulator]:
    with RunPodEmulator() as emulator:
        yield emulator


@pytest.fixture
def start_workers(
    cloud: RunPodEmulator, tmp_path: Path
) -> Iterator[Callable[..., list[WorkerProcess]]]:
    """Start ``count`` ``framecast worker`` processes (the real SDK loop) against the emulator."""
    started: list[WorkerProcess] = []

    def start(count: int = 1, **env: str) -> list[WorkerProcess]:
        workers = [
            WorkerProcess(cloud, f"pod-{len(started) + i}", tmp_path, env) for i in range(count)
        ]
        for worker in workers:
            worker.start()
        started.extend(workers)
        return workers

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def start_runpod_service(
    cloud: RunPodEmulator, tmp_path: Path
) -> Iterator[Callable[..., ServiceProcess]]:
    """The API with FRAMECAST_BACKEND=runpod; ``fast`` polls every 0.1 s instead of 2 s."""
    started: list[ServiceProcess] = []

    def start(fast: bool = True, **env: str) -> ServiceProcess:
        module = "tests.backends.fast_service" if fast else "framecast.cli serve"
        service = ServiceProcess(tmp_path / f"api{len(started)}", runpod_env(cloud, env), module)
        service.env["PUBLIC_BASE_URL"] = service.base_url  # where the workers upload
        started.append(service)
        return service.start()

    yield start
    for service in started:
        service.stop()


def runpod_env(cloud: RunPodEmulator, extra: dict[str, str]) -> dict[str, str]:
    return {
        "FRAMECAST_BACKEND": "runpod",
        "RUNPOD_BASE_URL": cloud.api_url,
        "RUNPOD_API_KEY": cloud.api_key,
        "RUNPOD_ENDPOINT_ID": cloud.endpoint_id,
        **extra,
    }
