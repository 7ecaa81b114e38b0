"""Jobs: state, progress and the clips done so far; listing, cancel, webhook re-send."""

from __future__ import annotations

import base64
import binascii
import math
from typing import Annotated

from fastapi import APIRouter, Query

from framecast.api.deps import ApiKeyDep, Services, ServicesDep
from framecast.api.openapi_responses import KEYED, errors
from framecast.api.schemas import job_public
from framecast.contracts.envelope import JobPage, JobPublic
from framecast.errors import InputError
from framecast.jobs.model import Job, JobStatus

router = APIRouter(tags=["jobs"])


def public(services: Services, job: Job) -> JobPublic:
    attempts = services.jobs.store.webhook_attempts(job.id) if job.webhook else None
    return job_public(job, attempts, services.jobs.intake.rendering.get(job.id))


@router.get("/jobs/{job_id}", response_model=JobPublic, responses={**errors(404), **KEYED})
async def get_job(job_id: str, services: ServicesDep, tenant: ApiKeyDep) -> JobPublic:
    """A job's status, progress, finished videos (in request order), errors and webhook."""
    return public(services, services.job_of(tenant, job_id))


@router.get("/jobs", response_model=JobPage, responses={**errors(400), **KEYED})
async def list_jobs(
    services: ServicesDep,
    tenant: ApiKeyDep,
    status: JobStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> JobPage:
    """Jobs newest first (a client key's own; an admin's, every one); pass `next_cursor` back
    as `cursor` for the next page."""
    store = services.jobs.store
    jobs = store.page(status.value if status else None, limit, decode(cursor), tenant.lists)
    next_cursor = encode(jobs[-1]) if len(jobs) == limit else None
    return JobPage(jobs=[public(services, job) for job in jobs], next_cursor=next_cursor)


@router.post(
    "/jobs/{job_id}/cancel", response_model=JobPublic, responses={**errors(404, 409), **KEYED}
)
async def cancel_job(job_id: str, services: ServicesDep, tenant: ApiKeyDep) -> JobPublic:
    """Stop pending work; clips already uploaded are kept. 409 if the job has ended."""
    services.job_of(tenant, job_id)
    job = public(services, await services.jobs.cancel(job_id))
    # The answer is to the cancel, which succeeded: its code is the HTTP status (200), not the
    # cancelled job's (422 with nothing done), which GET /jobs/{id} goes on reporting.
    done, total = job.progress.done, job.progress.total
    message = f"the job was cancelled: {done} of {total} video{'s' * (total != 1)} done (kept)"
    return job.model_copy(update={"code": 200, "message": message})


@router.post(
    "/jobs/{job_id}/webhook", response_model=JobPublic, responses={**errors(404, 409), **KEYED}
)
async def resend_webhook(job_id: str, services: ServicesDep, tenant: ApiKeyDep) -> JobPublic:
    """Send an ended job's webhook again (after its retries gave up, or to replay it)."""
    services.job_of(tenant, job_id)
    return public(services, services.jobs.resend_webhook(job_id))


def encode(job: Job) -> str:
    return base64.urlsafe_b64encode(f"{job.created_at!r}|{job.id}".encode()).decode()


def decode(cursor: str | None) -> tuple[float, str] | None:
    if not cursor:
        return None
    try:
        created, _, job_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        at = float(created)
        if not math.isfinite(at) or not job_id:
            raise ValueError("not a time and a job id")
        return at, job_id
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InputError("cursor: not a cursor this service gave out (use next_cursor)") from exc
