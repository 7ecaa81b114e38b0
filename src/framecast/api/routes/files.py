"""``GET /output/{job_id}/{name}``: clips (and their files) in local storage, with Range
support; expired → 410."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse
from starlette.responses import MalformedRangeHeader

from framecast.api.deps import ServicesDep
from framecast.api.openapi_responses import CLIP
from framecast.contracts.upload_urls import media_type_of
from framecast.errors import NotFound
from framecast.storage.local import LocalStorage

router = APIRouter(tags=["files"])


class ClipResponse(FileResponse):
    """A clip; a Range header it can't parse is ignored (the whole clip, 200), as RFC 9110
    asks, instead of Starlette's plain-text 400. (Overrides a private method of Starlette's,
    as of 1.5-1.10; tests/api/test_uploads_and_files.py fails if that stops working.)"""

    @classmethod
    def _parse_range_header(cls, http_range: str, file_size: int) -> list[tuple[int, int]]:
        try:
            return super()._parse_range_header(http_range, file_size)
        except MalformedRangeHeader:
            return []


@router.get("/output/{job_id}/{name}", response_class=FileResponse, responses=CLIP)
@router.head("/output/{job_id}/{name}", include_in_schema=False)
async def get_clip(job_id: str, name: str, services: ServicesDep) -> FileResponse:
    """Download a clip (no key needed: the URL is the capability, as in the original). HEAD
    answers the same headers without the body (players and CDNs ask first)."""
    if not isinstance(services.storage, LocalStorage):
        raise NotFound("clips are served by the S3 bucket (STORAGE=s3), not at /output/")
    services.jobs.expiry.check_servable(job_id)
    if name.startswith("."):
        raise NotFound(f"no file {name!r}")  # temp files of uploads in progress
    path = services.storage.path(f"{job_id}/{name}")
    if not path.is_file():
        raise NotFound(f"no file {job_id}/{name}")
    return ClipResponse(path, media_type=media_type_of(name))
