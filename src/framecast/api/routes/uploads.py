"""Uploads: ``PUT /upload/{job_id}/{item}`` (and its files) for workers, ``POST /upload/video``
(the original)."""

from __future__ import annotations

import asyncio
import base64
import json
import re
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from pydantic import BaseModel, Field, ValidationError
from starlette.requests import ClientDisconnect

from framecast.api.deps import ApiKeyDep, Services, ServicesDep
from framecast.api.openapi_responses import (
    BASE64_BODY,
    KEYED,
    RAW_BODY,
    WORKER_RESULT,
    WORKER_WRITE,
    errors,
)
from framecast.contracts.envelope import Base64UploadCreate, FileUploadPublic, UploadPublic
from framecast.contracts.upload_urls import (
    BASE64_ROUTE,
    CLIP_ROUTE,
    COMPLETE_ROUTE,
    FILE_MAX_BYTES,
    FILE_ROUTE,
    JOB_ROUTE,
    PROGRESS_RULE,
    RESULT_HEADER,
    RESULT_HEADER_MAX_BYTES,
    check_file_name,
)
from framecast.errors import AuthError, InputError, PayloadTooLarge, describe_validation_errors
from framecast.jobs.model import Item

router = APIRouter(tags=["uploads"])

_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
DECODE_SLICE = 4 * 1024 * 1024  # base64 characters per decoded piece: a multiple of 4


@router.get(JOB_ROUTE, responses=errors(401, 404))
async def job_state_for_worker(
    job_id: str,
    services: ServicesDep,
    authorization: Annotated[str | None, Header()] = None,
    x_framecast_progress: Annotated[str | None, Header()] = None,
) -> dict[str, str]:
    """For workers: is this job still wanted? (They stop once it is cancelled or ended.) A
    worker may say how far it is (`X-Framecast-Progress: scenes=3/10`)."""
    check_upload_token(services, job_id, authorization)
    told = PROGRESS_RULE.fullmatch(x_framecast_progress or "")
    scenes = (int(told[1]), int(told[2])) if told and int(told[1]) <= int(told[2]) else None
    return {"status": services.jobs.intake.worker_checked_in(job_id, scenes).status.value}


@router.put(
    CLIP_ROUTE,
    response_model=UploadPublic,
    response_model_exclude_none=True,
    responses=WORKER_WRITE,
    openapi_extra=RAW_BODY,
)
async def put_clip(
    job_id: str,
    item: int,
    request: Request,
    services: ServicesDep,
    authorization: Annotated[str | None, Header()] = None,
    x_content_sha256: Annotated[str | None, Header()] = None,
    x_framecast_result: Annotated[str | None, Header()] = None,
) -> UploadPublic:
    """Store one rendered result of a job (raw MP4 body), authorised by the job's upload token;
    `X-Framecast-Result` may carry the operation's result fields as a JSON object."""
    check_upload_token(services, job_id, authorization)
    _check_length(request, services.settings.upload_max_bytes)
    result = _result_fields(x_framecast_result)
    intake = services.jobs.intake
    stored = await intake.store_clip(job_id, item, _body(request), x_content_sha256, result)
    return _public(stored)


@router.put(
    FILE_ROUTE, response_model=FileUploadPublic, responses=WORKER_WRITE, openapi_extra=RAW_BODY
)
async def put_file(
    job_id: str,
    item: int,
    name: str,
    request: Request,
    services: ServicesDep,
    authorization: Annotated[str | None, Header()] = None,
    x_content_sha256: Annotated[str | None, Header()] = None,
) -> FileUploadPublic:
    """Store one of a result's files (`captions.srt`, `words.json`, …) while its item is
    pending: files go up before the clip, whose upload makes the item done. A retry replaces."""
    check_upload_token(services, job_id, authorization)
    check_file_name(name)
    _check_length(request, FILE_MAX_BYTES)
    intake = services.jobs.intake
    file = await intake.store_file(job_id, item, name, _body(request), x_content_sha256)
    return FileUploadPublic(name=file.name, url=file.url, bytes=file.bytes, sha256=file.sha256)


class StoredNotice(BaseModel):
    bytes: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class ClipNotice(StoredNotice):
    result: dict[str, Any] | None = None  # the operation's result fields
    files: dict[str, StoredNotice] | None = None  # the clip's files, PUT into the bucket too


@router.post(
    COMPLETE_ROUTE,
    response_model=UploadPublic,
    response_model_exclude_none=True,
    responses=WORKER_RESULT,
)
async def clip_stored(
    job_id: str,
    item: int,
    notice: ClipNotice,
    services: ServicesDep,
    authorization: Annotated[str | None, Header()] = None,
) -> UploadPublic:
    """A worker PUT a clip straight into the bucket: the API checks it and records it."""
    check_upload_token(services, job_id, authorization)
    if notice.result is not None:
        _result_fields(json.dumps(notice.result))  # the same limit as the header's
    files = {
        check_file_name(name, "files"): (file.bytes, file.sha256)
        for name, file in (notice.files or {}).items()
    }
    intake = services.jobs.intake
    return _public(
        await intake.confirm_clip(job_id, item, notice.bytes, notice.sha256, notice.result, files)
    )


@router.post(
    BASE64_ROUTE,
    response_model=UploadPublic,
    response_model_exclude_none=True,
    responses={**errors(400, 413, 507), **KEYED},
    openapi_extra=BASE64_BODY,
)
async def post_base64(request: Request, services: ServicesDep, tenant: ApiKeyDep) -> UploadPublic:
    """The original contract: JSON ``{"id", "video_base64"}``; kept for old workers."""
    limit = services.settings.base64_upload_max_bytes * 4 // 3 + 4096
    _check_length(request, limit)
    raw = bytearray()
    async for chunk in _body(request):
        raw += chunk
        if len(raw) > limit:
            raise PayloadTooLarge(f"body: larger than the limit of {limit} bytes")
    # Parsing and checking hundreds of MB takes seconds: off the event loop. Memory peaks at
    # about 3x the body while it is parsed (the body, the text and the parser's copy); the clip
    # is then decoded a slice at a time as it is stored, never whole.
    body = await asyncio.to_thread(_parse, raw)
    del raw
    stored = await services.jobs.intake.store_direct(
        body.id, _decoded(body.video_base64), tenant.name
    )
    return _public(stored)


def _parse(raw: bytearray) -> Base64UploadCreate:
    try:
        body = Base64UploadCreate.model_validate_json(raw)
    except ValidationError as exc:
        errors = list(exc.errors())
        if any(e.get("type") == "json_invalid" for e in errors):
            raise InputError('body: not valid JSON (expected {"id", "video_base64"})') from exc
        raise InputError(describe_validation_errors(errors)) from exc
    text = body.video_base64
    if len(text) % 4 or not _BASE64.fullmatch(text):
        raise InputError(
            "video_base64: not valid base64 (A-Z, a-z, 0-9, + and / only, '=' padding at the"
            " end, a length that is a multiple of 4; no line breaks)"
        )
    return body


async def _body(request: Request) -> AsyncIterator[bytes]:
    """The body as it arrives; a client gone before its end is an error of the request, not a
    crash of the API (it left, or stalled past BODY_TIMEOUT_SECONDS and was cut off)."""
    try:
        async for chunk in request.stream():
            yield chunk
    except ClientDisconnect as exc:
        raise InputError("body: the connection ended before the whole body arrived") from exc


async def _decoded(text: str) -> AsyncIterator[bytes]:
    """The clip, decoded a slice at a time (the text was checked: no slice can fail)."""
    for start in range(0, len(text), DECODE_SLICE):
        yield base64.b64decode(text[start : start + DECODE_SLICE])


def check_upload_token(services: Services, job_id: str, authorization: str | None) -> None:
    """AuthError unless ``authorization`` carries an upload token of job ``job_id``."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise AuthError("Authorization: expected 'Bearer <upload token>'")
    services.jobs.tokens.verify(token, job_id, services.jobs.clock())


def _result_fields(header: str | None) -> dict[str, Any] | None:
    """The JSON object a worker sent with a result, within its size limit."""
    if header is None:
        return None
    if len(header.encode()) > RESULT_HEADER_MAX_BYTES:
        raise InputError(f"{RESULT_HEADER}: at most {RESULT_HEADER_MAX_BYTES} bytes")
    try:
        fields = json.loads(header)
    except ValueError as exc:
        raise InputError(f"{RESULT_HEADER}: not valid JSON") from exc
    if not isinstance(fields, dict):
        raise InputError(f"{RESULT_HEADER}: expected a JSON object")
    return fields


def _check_length(request: Request, limit: int) -> None:
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > limit:
        raise PayloadTooLarge(f"body: {length} bytes is over the limit of {limit} bytes")


def _public(item: Item) -> UploadPublic:
    return UploadPublic(
        id=item.client_id,
        video_url=item.video_url or "",
        bytes=item.bytes or 0,
        sha256=item.sha256 or "",
        files={name: file.url for name, file in item.files.items()} or None,
    )
