"""A keys file of three tenants, and an in-process service that reads it."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from framecast.api.app import create_app
from framecast.backends.base import RunRecord
from framecast.backends.inline import InlineBackend
from framecast.config import Settings

KEYS = {
    "alpha": "alpha-key-0123456789",
    "beta": "beta-key-0123456789",
    "boss": "boss-key-0123456789",
}
ROLES = {"alpha": "client", "beta": "client", "boss": "admin"}


def sha256(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def keys_file(path: Path, **limits: dict[str, int]) -> Path:
    """TOML: ``alpha`` and ``beta`` (clients), ``boss`` (an admin), with ``limits`` by name."""
    lines = []
    for name, key in KEYS.items():
        lines += ["[[tenants]]", f'name = "{name}"', f'role = "{ROLES[name]}"']
        lines += [f'key_sha256 = "{sha256(key)}"']
        lines += [f"{field} = {value}" for field, value in limits.get(name, {}).items()]
    path.write_text("\n".join(lines) + "\n")
    return path


async def never_ends(job: dict[str, Any], record: RunRecord) -> dict[str, Any]:
    """A worker that never finishes: every job stays queued (and counts) until cancelled."""
    await asyncio.sleep(3600)
    raise AssertionError("the job was not cancelled")


@contextmanager
def service_with(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings, InlineBackend(never_ends))) as client:
        yield client


def tenant_settings(tmp_path: Path, limits: dict[str, dict[str, int]] | None = None) -> Settings:
    """Settings of a service whose keys are :func:`keys_file`'s (and no X_API_KEY)."""
    path = keys_file(tmp_path / "tenants.toml", **(limits or {}))
    return Settings(data_dir=tmp_path / "data", tenants_file=path)


def key_of(tenant: str) -> dict[str, str]:
    return {"X-API-Key": KEYS[tenant]}


def submit(
    client: TestClient | httpx.Client, tenant: str, count: int = 1, key: str | None = None
) -> httpx.Response:
    """Submit an async img2vid job of ``count`` images as ``tenant`` (Idempotency-Key ``key``)."""
    images = [
        {"id": f"img-{i}", "image_url": f"https://images.test/{i}.jpg", "duracao": 1}
        for i in range(count)
    ]
    headers = {**key_of(tenant), "Prefer": "respond-async"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post("/video/img2vid", json={"images": images}, headers=headers)


def job_id(response: httpx.Response) -> str:
    assert response.status_code == 202, response.text
    return str(response.json()["job_id"])
