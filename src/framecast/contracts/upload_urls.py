"""Where workers send results: the one place that spells the upload routes and their URLs, and
the rule for the names of the files a result may carry beside its video (sidecars)."""

from __future__ import annotations

import re

from framecast.errors import InputError

# The API's routes (FastAPI path templates).
JOB_ROUTE = "/upload/{job_id}"  # GET: is the job still wanted?
CLIP_ROUTE = "/upload/{job_id}/{item}"  # PUT: a result's bytes
FILE_ROUTE = "/upload/{job_id}/{item}/files/{name}"  # PUT: one of a result's files, before it
COMPLETE_ROUTE = "/upload/{job_id}/{item}/complete"  # POST: a result PUT into the bucket
BASE64_ROUTE = "/upload/video"  # POST: the original base64 contract
INPUTS_ROUTE = "/inputs"  # POST: a client's source file (POST /inputs)
RESULT_HEADER = "X-Framecast-Result"  # JSON of an item's operation-specific result fields
# On the status check: how far a long item is, "scenes=3/10" (compose counts scenes).
PROGRESS_HEADER = "X-Framecast-Progress"
PROGRESS_RULE = re.compile(r"scenes=(\d{1,6})/(\d{1,6})")
# Within MAX_HEADER_BYTES (32 KiB); the result of a compose of 500 scenes fits.
RESULT_HEADER_MAX_BYTES = 16 * 1024

# A result's files: sidecars (subtitles, word timings), small next to any video.
FILE_NAME_RULE = r"^[a-z0-9][a-z0-9_-]{0,40}\.(srt|vtt|ass|json|txt)$"
FILE_MAX_BYTES = 50 * 1024**2
FILES_PER_ITEM = 16
_FILE_NAME = re.compile(FILE_NAME_RULE)
# Text is UTF-8 so a browser opening a URL shows accents right; SRT and ASS have no type of
# their own that browsers display.
_MEDIA_TYPES = {
    "mp4": "video/mp4",
    "srt": "text/plain; charset=utf-8",
    "ass": "text/plain; charset=utf-8",
    "txt": "text/plain; charset=utf-8",
    "vtt": "text/vtt; charset=utf-8",
    "json": "application/json",
}


def job_url(base_url: str, job_id: str) -> str:
    """The job's upload URL, as carried in the worker job's ``upload.url``."""
    return base_url.rstrip("/") + JOB_ROUTE.format(job_id=job_id)


def clip_url(job_upload_url: str, index: int) -> str:
    """Where a worker PUTs item ``index``'s result."""
    return f"{job_upload_url.rstrip('/')}/{index}"


def file_url(job_upload_url: str, index: int, name: str) -> str:
    """Where a worker PUTs item ``index``'s file ``name`` (before the result itself)."""
    return f"{clip_url(job_upload_url, index)}/files/{name}"


def complete_url(job_upload_url: str, index: int) -> str:
    """Where a worker says it PUT item ``index``'s result straight into the bucket."""
    return f"{clip_url(job_upload_url, index)}/complete"


def check_file_name(name: str, field: str = "name") -> str:
    """``name`` if a result's file may be called that, else an InputError stating the rule."""
    if not _FILE_NAME.fullmatch(name):
        raise InputError(
            f"{field}: {name[:80]!r} is not a file name a result may carry; it must match"
            f" {FILE_NAME_RULE} (lower-case letters, digits, '_' and '-', up to 41 of them,"
            " then .srt, .vtt, .ass, .json or .txt)"
        )
    return name


def media_type_of(name: str) -> str:
    """The Content-Type a result or one of its files is stored and served with."""
    return _MEDIA_TYPES.get(name.rpartition(".")[2], "application/octet-stream")


def is_upload_body(method: str, path: str) -> bool:
    """Whether a request carries a result's or an input's bytes (bodies far above the JSON
    request limit: their routes check their own caps)."""
    return (
        (method == "PUT" and path.startswith("/upload/"))
        or path == BASE64_ROUTE
        or (method == "POST" and path == INPUTS_ROUTE)
    )
