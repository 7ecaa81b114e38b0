"""POST /jobs/{id}/cancel in-process (the inline backend stands for a worker that never ends)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from framecast.api.app import create_app
from framecast.backends.base import RunRecord
from framecast.backends.inline import InlineBackend
from framecast.config import Settings

KEY = "test-key-0123456789"


async def never_ends(job: dict[str, Any], record: RunRecord) -> dict[str, Any]:
    await asyncio.sleep(3600)
    raise AssertionError("the job was not cancelled")


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(api_keys=(KEY,), data_dir=tmp_path / "data")
    app = create_app(settings, InlineBackend(never_ends))
    with TestClient(app, headers={"X-API-Key": KEY}) as client:
        yield client


def submit(client: TestClient, count: int) -> str:
    images = [
        {"id": f"img-{i}", "image_url": f"https://images.test/{i}.jpg", "duracao": 1}
        for i in range(count)
    ]
    accepted = client.post(
        "/video/img2vid", json={"images": images}, headers={"Prefer": "respond-async"}
    )
    assert accepted.status_code == 202, accepted.text
    return str(accepted.json()["job_id"])


def test_the_cancel_answer_s_status_and_code_agree(client: TestClient) -> None:
    response = client.post(f"/jobs/{submit(client, 2)}/cancel")
    assert (response.status_code, response.json()["code"]) == (200, 200)
    assert response.json()["status"] == "cancelled"
    assert response.json()["message"] == "the job was cancelled: 0 of 2 videos done (kept)"


def test_cancelling_an_ended_job_is_a_409_error(client: TestClient) -> None:
    job_id = submit(client, 1)
    client.post(f"/jobs/{job_id}/cancel")
    again = client.post(f"/jobs/{job_id}/cancel")
    assert (again.status_code, again.json()["error"]) == (409, "conflict")
