"""A full output volume (issue 15, defect 7): 507 "no space left on the output volume", one
ERROR line, no traceback; a worker's clip that cannot be stored fails its item, not retried.

How the disk is made full: the service runs with OUTPUT_DIR on a 4 KiB tmpfs of its own
(``tests.support.full_volume``: a user and mount namespace, so no root or sudo), and the kernel
itself answers ENOSPC, at whichever call runs out (write, close, rename), as on a real disk.
Chosen over the alternatives: RLIMIT_FSIZE gives EFBIG (another errno, another message), a
real disk would have to be filled, and a fault hook in LocalStorage would test the hook. A
machine that forbids unprivileged user namespaces (some CI containers) skips these tests;
tests/worker/test_upload_retries.py still pins the worker's side there.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.http_server import MediaServer
from tests.support.media import gradient_jpeg
from tests.support.service import ServiceProcess

VOLUME_BYTES = 4096  # one page: smaller than any clip
FULL = "no space left on the output volume"


@pytest.fixture(scope="module")
def full_volume_allowed() -> None:
    check = subprocess.run(
        [sys.executable, "-m", "tests.support.full_volume", "--check"],
        capture_output=True,
        text=True,
    )
    if check.returncode != 0:
        pytest.skip(f"no tiny tmpfs without root here: {check.stderr.strip()}")


@pytest.fixture
def start_on_full_volume(
    tmp_path: Path, full_volume_allowed: None
) -> Iterator[Callable[..., ServiceProcess]]:
    """Start ``framecast serve`` with OUTPUT_DIR on a tmpfs of VOLUME_BYTES."""
    started: list[ServiceProcess] = []

    def start(**env: str) -> ServiceProcess:
        output = tmp_path / "output"
        output.mkdir()
        module = f"tests.support.full_volume {output} {VOLUME_BYTES} framecast.cli serve"
        service = ServiceProcess(tmp_path / "data", {"OUTPUT_DIR": str(output), **env}, module)
        started.append(service)
        return service.start()

    yield start
    for service in started:
        service.stop()


def error_lines(log: str) -> list[str]:
    return [line for line in log.splitlines() if " ERROR " in line]


def test_a_full_output_volume_is_507_with_one_error_line(start_on_full_volume) -> None:
    service = start_on_full_volume()
    body = {"id": "clip", "video_base64": base64.b64encode(os.urandom(64 * 1024)).decode()}
    with service.client() as client:
        answers = [client.post("/upload/video", json=body) for _ in range(2)]

    for answer in answers:
        assert answer.status_code == 507, answer.text
        assert answer.json()["error"] == "insufficient_storage"
        assert FULL in answer.json()["message"]
    log = service.log()
    assert "Traceback" not in log
    assert len(error_lines(log)) == 1, error_lines(log)
    assert FULL in error_lines(log)[0]


def test_a_clip_the_volume_cannot_hold_fails_its_item_without_retries(
    start_on_full_volume, media_server: MediaServer
) -> None:
    service = start_on_full_volume()
    media_server.add("/a.jpg", gradient_jpeg(640, 360))
    body = {
        "images": [{"id": "a", "image_url": media_server.url("/a.jpg"), "duracao": 1.0}],
        "width": 320,
        "height": 180,
    }
    with service.client() as client:
        answer = client.post("/video/img2vid", json=body)

    assert answer.json()["videos"] == [], answer.text
    [failed] = answer.json()["failed"]
    assert FULL in failed["error"]
    log = service.log()
    assert "upload retry" not in log
    assert "Traceback" not in log
    assert len(error_lines(log)) == 1, error_lines(log)
