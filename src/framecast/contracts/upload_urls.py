"""Where workers send results: the one place that spells the upload routes and their URLs."""

from __future__ import annotations

# The API's routes (FastAPI path templates).
JOB_ROUTE = "/upload/{job_id}"  # GET: is the job still wanted?
CLIP_ROUTE = "/upload/{job_id}/{item}"  # PUT: a result's bytes
COMPLETE_ROUTE = "/upload/{job_id}/{item}/complete"  # POST: a result PUT into the bucket
BASE64_ROUTE = "/upload/video"  # POST: the original base64 contract
RESULT_HEADER = "X-Framecast-Result"  # JSON of an item's operation-specific result fields
RESULT_HEADER_MAX_BYTES = 8192


def job_url(base_url: str, job_id: str) -> str:
    """The job's upload URL, as carried in the worker job's ``upload.url``."""
    return base_url.rstrip("/") + JOB_ROUTE.format(job_id=job_id)


def clip_url(job_upload_url: str, index: int) -> str:
    """Where a worker PUTs item ``index``'s result."""
    return f"{job_upload_url.rstrip('/')}/{index}"


def complete_url(job_upload_url: str, index: int) -> str:
    """Where a worker says it PUT item ``index``'s result straight into the bucket."""
    return f"{clip_url(job_upload_url, index)}/complete"


def is_upload_body(method: str, path: str) -> bool:
    """Whether a request carries a result's bytes (bodies far above the JSON request limit)."""
    return (method == "PUT" and path.startswith("/upload/")) or path == BASE64_ROUTE
