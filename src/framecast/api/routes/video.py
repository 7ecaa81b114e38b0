"""``POST /video/img2vid``: a batch of images in, clip URLs out (synchronous by default)."""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from framecast.api.deps import ApiKeyDep, Services, ServicesDep
from framecast.api.schemas import (
    MOTION_FIELDS,
    Img2VidCreate,
    Img2VidPublic,
    JobAccepted,
    result_of,
)
from framecast.errors import InputError
from framecast.jobs.model import Job
from framecast.jobs.service import NewItem, Submission
from framecast.public_http import is_public_address, literal_address
from framecast.storage.s3 import normalise_prefix
from framecast.worker.schema import MAX_PIXELS, RenderBlock
from framecast.worker.urls import normalize_url

router = APIRouter(tags=["video"])

METADATA_MAX_BYTES = 16 * 1024


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
    idempotency_key: Annotated[str | None, Header(max_length=256)] = None,
    x_api_key: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """Render one Ken Burns clip per image; answers with only URLs, in request order.

    Synchronous up to SYNC_WAIT_SECONDS; with `webhook_url`, `Prefer: respond-async`, or past
    that wait, the answer is 202 and the job goes on (poll `status_url`).
    """
    submission = Submission(
        operation="img2vid",
        items=checked_items(body, services),
        render=body.render_block(),
        webhook_url=checked_webhook_url(body.webhook_url, services.settings.fetch.allow_private),
        metadata=checked_metadata(body.metadata),
        idempotency=idempotency(idempotency_key, x_api_key, body),
        key_prefix=checked_path(body.path, services),
    )
    job = services.jobs.submit(submission)
    is_async = bool(body.webhook_url) or bool(prefer and "respond-async" in prefer.lower())
    wait = 0.0 if is_async else services.settings.sync_wait_seconds
    finished = await services.jobs.wait(job.id, wait)
    if finished is None:
        return accepted(services.jobs.get(job.id))  # its state now, not at submission
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
    block = checked_render(body)
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
        block.motion_for(image, i)  # raises naming images[i].<field> (or the request's field)
        options = image.model_dump(include=MOTION_FIELDS, exclude_none=True)
        items.append(NewItem(image.id, {"image_url": url, "duration": image.duracao, **options}))
    return items


def checked_render(body: Img2VidCreate) -> RenderBlock:
    """The request's render block, after the rules that span fields."""
    if body.aspect is not None and (body.width is not None or body.height is not None):
        given = " and ".join(f for f in ("width", "height") if getattr(body, f) is not None)
        raise InputError(f"aspect: give either aspect or width and height, not both; got {given}")
    width, height = body.output_size()
    if width * height > MAX_PIXELS:
        raise InputError(
            f"width, height: at most {MAX_PIXELS} pixels (3840x2160 either way up);"
            f" got {width}x{height}"
        )
    return RenderBlock.model_validate(body.render_block())


def checked_webhook_url(url: str | None, allow_private: bool) -> str | None:
    """The normalised URL; one whose host is a non-public address literal is refused now
    (a name is judged at each delivery, as DNS may change)."""
    if not url:
        return None
    try:
        normalized = normalize_url(url)
    except InputError as exc:
        raise InputError(f"webhook_url: {exc.message.replace('image URL', 'the URL')}") from exc
    address = literal_address(urlsplit(normalized).hostname or "")
    if not allow_private and address is not None and not is_public_address(address):
        raise InputError(
            f"webhook_url: {address} is not a public address; set FETCH_ALLOW_PRIVATE=true"
            " to allow private and local addresses"
        )
    return normalized


def checked_path(path: str | None, services: Services) -> str | None:
    if not path:
        return None
    if services.storage.name != "s3":
        raise InputError(
            "path: a folder of your own needs STORAGE=s3 (local clips are at /output/)"
        )
    return normalise_prefix(path, "path").rstrip("/") or None


def checked_metadata(metadata: dict[str, Any] | None) -> dict[str, Any] | None:
    if metadata is not None and len(json.dumps(metadata, ensure_ascii=False).encode()) > (
        METADATA_MAX_BYTES
    ):
        raise InputError(f"metadata: at most {METADATA_MAX_BYTES} bytes of JSON")
    return metadata


def idempotency(key: str | None, api_key: str | None, body: BaseModel) -> tuple[str, str] | None:
    """(scope key, body hash): keys are scoped to the API key that sent them."""
    if not key:
        return None
    scope = hashlib.sha256(f"{api_key}\0img2vid\0{key}".encode()).hexdigest()
    return scope, hashlib.sha256(body.model_dump_json().encode()).hexdigest()


def accepted(job: Job) -> JSONResponse:
    body = JobAccepted(
        job_id=job.id,
        status=job.status.value,
        status_url=f"/jobs/{job.id}",
        message="the job goes on; poll status_url for its progress and result",
    )
    return JSONResponse(body.model_dump(), status_code=202)
