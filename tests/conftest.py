"""Shared fixtures: a media server and real framecast services on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.http_server import MediaServer
from tests.support.service import ServiceProcess


@pytest.fixture
def media_server() -> Iterator[MediaServer]:
    with MediaServer() as server:
        yield server


@pytest.fixture
def start_service(tmp_path: Path) -> Iterator[Callable[..., ServiceProcess]]:
    """Start ``framecast serve`` with extra environment; every one started is stopped after."""
    started: list[ServiceProcess] = []

    def start(data_dir: Path | None = None, **env: str) -> ServiceProcess:
        service = ServiceProcess(data_dir or tmp_path / f"data{len(started)}", env)
        started.append(service)
        return service.start()

    yield start
    for service in started:
        service.stop()


@pytest.fixture
def service(start_service: Callable[..., ServiceProcess]) -> ServiceProcess:
    return start_service()
