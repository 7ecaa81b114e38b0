"""Each job keeps its tenant; a tenant's listing and unfinished work are its own."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from framecast.backends.base import RunRecord
from framecast.jobs.service import JobService
from tests.jobs.conftest import img2vid, job_service, upload, within


async def first_item_only(
    service: JobService, job: dict[str, Any], record: RunRecord
) -> dict[str, Any]:
    """Uploads item 0 of a job, then never ends (so the job stays unfinished)."""
    await upload(service, job["job_id"], 0)
    await asyncio.sleep(3600)
    return {}


def test_a_submitted_job_keeps_its_tenant(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with job_service(tmp_path, first_item_only) as service:
            job = service.submit(img2vid(1, tenant="alpha"))
            assert job.tenant == "alpha"
            stored = service.store.get(job.id)
            assert stored is not None and stored.tenant == "alpha"

    asyncio.run(scenario())


def test_a_tenants_listing_is_its_own(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with job_service(tmp_path, first_item_only) as service:
            alphas = {service.submit(img2vid(1, tenant="alpha")).id for _ in range(2)}
            betas = {service.submit(img2vid(1, tenant="beta")).id}
            store = service.store
            assert {job.id for job in store.page(None, 10, None, tenant="alpha")} == alphas
            assert {job.id for job in store.page(None, 10, None, tenant="beta")} == betas
            assert {job.id for job in store.page(None, 10, None)} == alphas | betas

    asyncio.run(scenario())


def test_usage_counts_unfinished_jobs_and_their_pending_items(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with job_service(tmp_path, first_item_only) as service:
            service.submit(img2vid(3, tenant="alpha"))
            cancelled = service.submit(img2vid(5, tenant="alpha"))
            service.submit(img2vid(4, tenant="beta"))
            await service.cancel(cancelled.id)

            def pending() -> tuple[int, int]:
                return service.store.usage("alpha").items, service.store.usage("beta").items

            async def first_items_done() -> None:
                while pending() != (2, 3):  # the cancelled job's 5 items count for nothing
                    await asyncio.sleep(0.01)

            await within(first_items_done())
            assert (service.store.usage("alpha").jobs, service.store.usage("beta").jobs) == (1, 1)

    asyncio.run(scenario())
