"""``GET /jobs/{job_id}`` and ``GET /jobs``: a job's state, progress and the clips done so far."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from framecast.api.deps import ApiKeyDep, ServicesDep
from framecast.api.schemas import JobPublic, job_public

router = APIRouter(tags=["jobs"])


@router.get("/jobs/{job_id}", response_model=JobPublic)
async def get_job(job_id: str, services: ServicesDep, _: ApiKeyDep) -> JobPublic:
    """A job's status, progress, finished videos (in request order) and item errors."""
    return job_public(services.jobs.get(job_id))


@router.get("/jobs", response_model=list[JobPublic])
async def list_jobs(
    services: ServicesDep, _: ApiKeyDep, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> list[JobPublic]:
    """The most recent jobs, newest first."""
    return [job_public(job) for job in services.jobs.store.recent(limit)]
