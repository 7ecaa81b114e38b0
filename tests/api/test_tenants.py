"""Tenants: a client sees only its own jobs, idempotency keys and uploads; an admin sees all."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from framecast.api.tenants import Role, Tenant, load_tenants
from framecast.config import Settings
from framecast.errors import ConfigError
from framecast.jobs.store import JobStore
from tests.support.service import API_KEY, ServiceProcess
from tests.support.tenants import (
    KEYS,
    job_id,
    key_of,
    keys_file,
    service_with,
    sha256,
    submit,
    tenant_settings,
)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return tenant_settings(tmp_path)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with service_with(settings) as client:
        yield client


def listed(client: TestClient, tenant: str) -> set[str]:
    response = client.get("/jobs", headers=key_of(tenant))
    assert response.status_code == 200, response.text
    return {job["job_id"] for job in response.json()["jobs"]}


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/jobs/{}"), ("POST", "/jobs/{}/cancel"), ("POST", "/jobs/{}/webhook")],
)
def test_another_clients_job_is_404_as_if_it_did_not_exist(
    client: TestClient, method: str, path: str
) -> None:
    alphas = job_id(submit(client, "alpha"))
    response = client.request(method, path.format(alphas), headers=key_of("beta"))
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "message": f"job_id: no job {alphas!r}"}
    assert client.get(f"/jobs/{alphas}", headers=key_of("alpha")).json()["status"] == "queued"


def test_a_client_lists_only_its_own_jobs(client: TestClient) -> None:
    alphas = {job_id(submit(client, "alpha")) for _ in range(2)}
    betas = {job_id(submit(client, "beta"))}
    assert (listed(client, "alpha"), listed(client, "beta")) == (alphas, betas)


def test_an_admin_sees_lists_and_cancels_every_tenants_jobs(client: TestClient) -> None:
    alphas, betas = job_id(submit(client, "alpha")), job_id(submit(client, "beta"))
    assert listed(client, "boss") == {alphas, betas}
    assert client.get(f"/jobs/{betas}", headers=key_of("boss")).status_code == 200
    cancelled = client.post(f"/jobs/{alphas}/cancel", headers=key_of("boss"))
    assert cancelled.json()["status"] == "cancelled"


def test_the_same_idempotency_key_from_two_tenants_makes_two_jobs(client: TestClient) -> None:
    alphas = job_id(submit(client, "alpha", key="order-42"))
    betas = job_id(submit(client, "beta", key="order-42"))
    assert alphas != betas
    assert job_id(submit(client, "alpha", key="order-42")) == alphas  # its own, as before
    assert listed(client, "beta") == {betas}


def test_a_base64_upload_is_its_tenants_job(client: TestClient) -> None:
    body = {"id": "clip-1", "video_base64": base64.b64encode(b"\0\0\0 ftypisom").decode()}
    stored = client.post("/upload/video", json=body, headers=key_of("alpha"))
    assert stored.status_code == 200, stored.text
    uploads = client.get("/jobs", headers=key_of("alpha")).json()["jobs"]
    assert [job["operation"] for job in uploads] == ["upload"]
    assert listed(client, "beta") == set()


def test_each_job_records_its_tenant(client: TestClient, settings: Settings) -> None:
    alphas = job_id(submit(client, "alpha"))
    store = JobStore(settings.database_path)
    try:
        job = store.get(alphas)
    finally:
        store.close()
    assert job is not None and job.tenant == "alpha"


def test_metrics_need_an_admins_key(client: TestClient) -> None:
    assert client.get("/metrics", headers=key_of("alpha")).status_code == 403
    assert client.get("/metrics", headers=key_of("boss")).status_code == 200


def test_x_api_key_alone_is_one_admin_tenant_named_default(tmp_path: Path) -> None:
    settings = Settings(api_keys=("one-key-0123456789", "two-key-0123456789"), data_dir=tmp_path)
    tenants = load_tenants(settings)
    first, second = (tenants.tenant_for_key(k) for k in settings.api_keys)
    assert first == second == Tenant("default", Role.ADMIN)
    assert tenants.tenant_for_key("three-key-0123456789") is None


def test_x_api_key_and_a_keys_file_work_together(tmp_path: Path) -> None:
    settings = tenant_settings(tmp_path).with_changes(api_keys=("one-key-0123456789",))
    tenants = load_tenants(settings)
    assert tenants.tenant_for_key("one-key-0123456789") == Tenant("default", Role.ADMIN)
    alpha = tenants.tenant_for_key(KEYS["alpha"])
    assert alpha is not None and (alpha.name, alpha.role) == ("alpha", Role.CLIENT)


def test_a_json_keys_file_with_limits_and_two_keys(tmp_path: Path) -> None:
    path = tmp_path / "tenants.json"
    entry = {"name": "acme", "key_sha256": [sha256("old-key-0123"), sha256("new-key-0123")]}
    path.write_text(json.dumps({"tenants": [{**entry, "requests_per_minute": 60}]}))
    tenants = load_tenants(Settings(data_dir=tmp_path, tenants_file=path))
    old, new = tenants.tenant_for_key("old-key-0123"), tenants.tenant_for_key("new-key-0123")
    assert old is new is not None and old.limits.requests_per_minute == 60


@pytest.mark.parametrize(
    ("entry", "refusal"),
    [
        ('key = "alpha-key-0123456789"', "store the key's SHA-256 as key_sha256"),
        ('key_sha256 = "abc"', "key_sha256: the SHA-256 of the key as 64 lowercase hex"),
        (f'key_sha256 = "{sha256("k")}"\nrole = "root"', "role: admin or client"),
        (f'key_sha256 = "{sha256("k")}"\nmax_concurent_jobs = 2', "unknown field"),
        (f'key_sha256 = "{sha256("k")}"\nmax_queued_items = 0', "max_queued_items: a whole"),
    ],
)
def test_a_bad_keys_file_entry_is_refused_naming_it(
    tmp_path: Path, entry: str, refusal: str
) -> None:
    path = tmp_path / "tenants.toml"
    path.write_text(f'[[tenants]]\nname = "acme"\n{entry}\n')
    with pytest.raises(ConfigError, match=r"TENANTS_FILE: tenants\[0\]") as refused:
        load_tenants(Settings(data_dir=tmp_path, tenants_file=path))
    assert refusal in refused.value.message


def test_one_key_for_two_tenants_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tenants.toml"
    same = f'key_sha256 = "{sha256("shared-key-0123")}"'
    path.write_text(f'[[tenants]]\nname = "a"\n{same}\n[[tenants]]\nname = "b"\n{same}\n')
    with pytest.raises(ConfigError, match="one key belongs to two tenants"):
        load_tenants(Settings(data_dir=tmp_path, tenants_file=path))


def test_tenants_from_the_file_are_kept_apart_by_a_real_service(
    start_service: Callable[..., ServiceProcess], tmp_path: Path
) -> None:
    path = keys_file(tmp_path / "tenants.toml")
    service = start_service(TENANTS_FILE=str(path), X_API_KEY="", SYNC_WAIT_SECONDS="0")
    with httpx.Client(base_url=service.base_url, timeout=30) as client:
        alphas = job_id(submit(client, "alpha"))
        assert client.get(f"/jobs/{alphas}", headers=key_of("beta")).status_code == 404
        assert client.get(f"/jobs/{alphas}", headers=key_of("boss")).status_code == 200
        assert client.get("/jobs", headers={"X-API-Key": API_KEY}).status_code == 401
    assert not (service.data_dir / "api_key").exists()  # the file's keys are the only ones
