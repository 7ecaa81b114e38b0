"""``POST /video/img2vid``: a batch of images in, clip URLs out (synchronous by default)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header
from fastapi.responses import JSONResponse

from framecast.api.deps import ApiKeyDep, Services, ServicesDep
from framecast.api.schemas import Img2VidCreate, Img2VidPublic, JobAccepted, result_of
from framecast.errors import InputError
from framecast.jobs.model import Job
from framecast.jobs.service import NewItem
from framecast.worker.urls import normalize_url

router = APIRouter(tags=["video"])


@router.post(
    "/video/img2vid",
    response_model=Img2VidPublic,
    responses={202: {"model": JobAccepted}, 422: {"model": Img2VidPublic}},
)
async def img2vid(
    body: Img2VidCreate,
    services: ServicesDep,
    _: ApiKeyDep,
    prefer: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """Render one Ken Burns clip per image; answers with only URLs, in request order."""
    items = checked_items(body, services)
    job = services.jobs.submit("img2vid", items, body.render_block())
    wait = (
        0.0 if prefer and "respond-async" in prefer.lower() else services.settings.sync_wait_seconds
    )
    finished = await services.jobs.wait(job.id, wait)
    if finished is None:
        return accepted(job)
    result = result_of(finished)
    return JSONResponse(result.model_dump(), status_code=200 if result.code in (200, 207) else 422)


def checked_items(body: Img2VidCreate, services: Services) -> list[NewItem]:
    """The request's images as job items, after the limits that depend on settings."""
    settings = services.settings
    if not body.images:
        raise InputError("images: at least one image is required")
    if len(body.images) > settings.max_images:
        raise InputError(
            f"images: at most {settings.max_images} images per request (MAX_IMAGES);"
            f" got {len(body.images)}"
        )
    seen: dict[str, int] = {}
    items = []
    for i, image in enumerate(body.images):
        if image.id in seen:
            raise InputError(f"images[{i}].id: {image.id!r} repeats images[{seen[image.id]}].id")
        seen[image.id] = i
        if not 0 < image.duracao <= settings.max_duration_seconds:
            raise InputError(
                f"images[{i}].duracao: must be above 0 and at most"
                f" {settings.max_duration_seconds:g} seconds; got {image.duracao:g}"
            )
        try:
            url = normalize_url(image.image_url)
        except InputError as exc:
            raise InputError(f"images[{i}].image_url: {exc.message}") from exc
        items.append(NewItem(image.id, {"image_url": url, "duration": image.duracao}))
    return items


def accepted(job: Job) -> JSONResponse:
    body = JobAccepted(
        job_id=job.id,
        status=job.status.value,
        status_url=f"/jobs/{job.id}",
        message="the job goes on; poll status_url for its progress and result",
    )
    return JSONResponse(body.model_dump(), status_code=202)
