"""Limits: 429 with Retry-After over a tenant's jobs, items or rate, and after wrong keys."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from framecast.api import limits
from framecast.api.limits import RequestRates, WrongKeys
from framecast.api.tenants import Limits, Tenant
from framecast.errors import TooManyRequests
from tests.jobs.conftest import Clock
from tests.support.service import API_KEY, ServiceProcess
from tests.support.tenants import job_id, key_of, service_with, submit, tenant_settings


def retry_after(response: httpx.Response) -> int:
    assert response.status_code == 429, response.text
    assert response.json()["error"] == "too_many_requests"
    return int(response.headers["Retry-After"])


def test_over_the_concurrent_jobs_limit_is_429_with_retry_after(tmp_path: Path) -> None:
    settings = tenant_settings(tmp_path, {"alpha": {"max_concurrent_jobs": 2}})
    with service_with(settings) as client:
        first, _ = job_id(submit(client, "alpha")), job_id(submit(client, "alpha"))
        refused = submit(client, "alpha")
        assert retry_after(refused) == limits.BUSY_RETRY_SECONDS
        assert "2 jobs queued or running" in refused.json()["message"]
        job_id(submit(client, "beta"))  # another tenant's limit is its own
        client.post(f"/jobs/{first}/cancel", headers=key_of("alpha"))
        job_id(submit(client, "alpha"))  # a slot is free again


def test_a_retry_with_its_idempotency_key_gets_its_job_at_the_limit(tmp_path: Path) -> None:
    settings = tenant_settings(tmp_path, {"alpha": {"max_concurrent_jobs": 1}})
    with service_with(settings) as client:
        first = job_id(submit(client, "alpha", key="order-1"))
        assert job_id(submit(client, "alpha", key="order-1")) == first


def test_over_the_queued_items_limit_is_429(tmp_path: Path) -> None:
    settings = tenant_settings(tmp_path, {"alpha": {"max_queued_items": 5}})
    with service_with(settings) as client:
        job_id(submit(client, "alpha", count=3))
        refused = submit(client, "alpha", count=3)
        assert retry_after(refused) == limits.BUSY_RETRY_SECONDS
        job_id(submit(client, "alpha", count=2))


def test_a_job_larger_than_the_queued_items_limit_is_400(tmp_path: Path) -> None:
    settings = tenant_settings(tmp_path, {"alpha": {"max_queued_items": 5}})
    with service_with(settings) as client:
        refused = submit(client, "alpha", count=6)
    assert refused.status_code == 400
    assert "limit of 5 queued items" in refused.json()["message"]


def test_over_the_requests_per_minute_limit_is_429_with_retry_after(tmp_path: Path) -> None:
    settings = tenant_settings(tmp_path, {"alpha": {"requests_per_minute": 3}})
    with service_with(settings) as client:
        answers = [client.get("/jobs", headers=key_of("alpha")) for _ in range(4)]
        assert [a.status_code for a in answers[:3]] == [200, 200, 200]
        assert 1 <= retry_after(answers[3]) <= 20  # a request comes back every 20 s
        assert client.get("/jobs", headers=key_of("beta")).status_code == 200


def test_a_submission_counts_as_one_request(tmp_path: Path) -> None:
    settings = tenant_settings(tmp_path, {"alpha": {"requests_per_minute": 2}})
    with service_with(settings) as client:
        assert [submit(client, "alpha").status_code for _ in range(3)] == [202, 202, 429]


def test_repeated_wrong_keys_from_one_address_are_slowed(
    start_service: Callable[..., ServiceProcess],
) -> None:
    service = start_service(WRONG_KEY_LIMIT="3", WRONG_KEY_WINDOW_SECONDS="60")
    with httpx.Client(base_url=service.base_url, timeout=30) as client:
        wrong = [client.get("/jobs", headers={"X-API-Key": f"guess-{i}-0123"}) for i in range(3)]
        assert [response.status_code for response in wrong] == [401, 401, 401]
        slowed = client.get("/jobs", headers={"X-API-Key": "guess-4-0123"})
        assert 55 <= retry_after(slowed) <= 60
        # Not even the right key is tried now: a 200 would tell a guesser it had found one.
        assert client.get("/jobs", headers={"X-API-Key": API_KEY}).status_code == 429
        assert client.get("/health").status_code == 200


def test_a_missing_key_is_not_counted_as_a_wrong_one(tmp_path: Path) -> None:
    settings = tenant_settings(tmp_path).with_changes(wrong_key_limit=1)
    with service_with(settings) as client:
        assert [client.get("/jobs").status_code for _ in range(3)] == [401, 401, 401]


def test_only_the_address_that_sent_wrong_keys_is_slowed() -> None:
    wrong_keys = WrongKeys(limit=1, window=60.0, clock=Clock())
    wrong_keys.check("10.0.0.1")  # nothing recorded: no refusal
    wrong_keys.record("10.0.0.1")
    with pytest.raises(TooManyRequests):
        wrong_keys.check("10.0.0.1")
    wrong_keys.check("10.0.0.2")  # another address is not slowed


def test_wrong_keys_older_than_the_window_are_forgotten() -> None:
    clock = Clock()
    wrong_keys = WrongKeys(limit=2, window=60.0, clock=clock)
    wrong_keys.record("10.0.0.1")
    clock.advance(30)
    wrong_keys.record("10.0.0.1")
    with pytest.raises(TooManyRequests) as slowed:
        wrong_keys.check("10.0.0.1")
    assert slowed.value.retry_after == 30  # until the first of the two leaves the window
    clock.advance(30)
    wrong_keys.check("10.0.0.1")


def test_wrong_keys_are_kept_for_a_bounded_number_of_addresses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(limits, "MAX_ADDRESSES", 2)
    wrong_keys = WrongKeys(limit=1, window=60.0, clock=Clock())
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        wrong_keys.record(address)
    wrong_keys.check("10.0.0.1")  # the oldest was forgotten
    with pytest.raises(TooManyRequests):
        wrong_keys.check("10.0.0.3")


def test_the_request_rate_refills_steadily() -> None:
    clock = Clock()
    rates = RequestRates(clock)
    tenant = Tenant("alpha", limits=Limits(requests_per_minute=60))
    for _ in range(60):
        rates.take(tenant)
    with pytest.raises(TooManyRequests) as refused:
        rates.take(tenant)
    assert refused.value.retry_after == 1
    clock.advance(1.0)
    rates.take(tenant)
