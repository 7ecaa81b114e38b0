"""Inputs: ``POST /inputs`` stores a source file, ``GET /inputs/{input_id}`` serves it back.

The answer's ``input_url`` is usable wherever a job takes a media URL: at submission
:func:`resolve_inputs` checks it and gives the worker a URL of its own (signed, or presigned).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any, TypeVar

import httpx
from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response, StreamingResponse
from pydantic import BaseModel
from starlette.requests import ClientDisconnect

from framecast.api.credentials import load_or_create_secret
from framecast.api.deps import (
    ApiKeyDep,
    ApiKeyHeaderDep,
    Services,
    ServicesDep,
    authenticate,
    client_address,
)
from framecast.api.openapi_responses import INPUT_BODY, INPUT_FILE, INPUT_STORED
from framecast.api.schemas import iso
from framecast.api.tenants import Tenant
from framecast.config import Settings
from framecast.contracts.plan import Plan
from framecast.errors import Gone, InputError, NotFound, PayloadTooLarge
from framecast.jobs.inputs.form_file import form_file
from framecast.jobs.inputs.links import (
    ROUTE,
    SECRET_NAME,
    InputLinks,
    input_url,
    is_input_id,
    new_input_id,
)
from framecast.jobs.inputs.receive import receive
from framecast.jobs.inputs.resolve import InputResolver
from framecast.jobs.inputs.store import Input, InputStore
from framecast.jobs.service import UPLOAD_GRACE_SECONDS
from framecast.storage.local import LocalStorage
from framecast.worker.media_kinds import MediaKind

router = APIRouter(tags=["inputs"])

FORM_SLACK_BYTES = 64 * 1024  # a form's boundaries and headers around its file
REDIRECT_SECONDS = 300.0  # how long the presigned GET a key holder is sent to lives
DRY_RUN_SECONDS = 600.0  # how long a compose dry run's URLs of inputs live
Model = TypeVar("Model", bound=BaseModel)
RELAY_TIMEOUT = 30.0  # seconds the bucket may take to start and go on answering
_DOWNLOAD_HEADERS = {
    "Content-Disposition": "attachment",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox",
}


class InputPublic(BaseModel):
    """A stored input: name it by ``input_url`` in any job until ``expires_at``."""

    input_id: str
    input_url: str
    kind: MediaKind
    bytes: int
    sha256: str
    content_type: str
    expires_at: str


@router.post(
    "/inputs",
    status_code=201,
    response_model=InputPublic,
    responses=INPUT_STORED,
    openapi_extra=INPUT_BODY,
)
async def store_input(
    request: Request,
    services: ServicesDep,
    tenant: ApiKeyDep,
    ttl: Annotated[float | None, Query(gt=0, description="seconds to keep it")] = None,
    kind: Annotated[MediaKind | None, Query(description="refuse a file not of this kind")] = None,
) -> InputPublic:
    """Store a source file (an image, a video, audio, subtitles or a font: its kind is sniffed
    from its bytes, and capped as a download of that kind) as the raw body or the form field
    `file`. It is kept `ttl` seconds (INPUT_TTL_SECONDS by default, INPUT_MAX_TTL_SECONDS at
    most), then deleted."""
    settings = services.settings
    lifetime = settings.input_ttl_seconds if ttl is None else ttl
    if lifetime > settings.input_max_ttl_seconds:
        raise InputError(
            f"ttl: at most {settings.input_max_ttl_seconds:g} seconds (INPUT_MAX_TTL_SECONDS)"
        )
    fetch = settings.fetch
    largest = max(fetch.max_bytes_for(k) for k in ([kind] if kind else list(MediaKind)))
    length = _content_length(request)
    content_type = request.headers.get("content-type", "")
    is_form = content_type.lower().startswith("multipart/form-data")
    if length is not None and length > largest + (FORM_SLACK_BYTES if is_form else 0):
        raise PayloadTooLarge(f"body: {length} bytes is over the largest input, {largest} bytes")
    input_id = new_input_id()
    key = services.storage.input_key(tenant.name, input_id)
    if is_form:
        file = await form_file(_body(request), content_type)
        chunks, media_type, length = file.chunks, file.media_type, None
    else:
        chunks, media_type = _body(request), content_type
    received = await receive(chunks, services.storage, key, fetch, kind, media_type, length)
    now = services.jobs.clock()
    record = Input(
        id=input_id,
        tenant=tenant.name,
        kind=received.kind,
        key=key,
        bytes=received.stored.bytes,
        sha256=received.stored.sha256,
        content_type=received.content_type,
        created_at=now,
        expires_at=now + lifetime,
    )
    try:
        with InputStore(settings.database_path) as store:
            store.add(record)
    except BaseException:
        services.storage.delete(key)  # no row, no sweep: the bytes would stay for ever
        raise
    base = settings.public_base_url or str(request.base_url)
    return InputPublic(
        input_id=input_id,
        input_url=input_url(base, input_id),
        kind=record.kind,
        bytes=record.bytes,
        sha256=record.sha256,
        content_type=record.content_type,
        expires_at=iso(record.expires_at) or "",
    )


@router.get(ROUTE, response_class=Response, responses=INPUT_FILE)
async def get_input(
    input_id: str,
    request: Request,
    services: ServicesDep,
    x_api_key: ApiKeyHeaderDep,
    expires: str | None = None,
    sig: str | None = None,
) -> Response:
    """Download an input: with the key of its tenant (or an admin's), or at a URL the API
    signed for a job's worker (`expires`, `sig`). Expired → 410."""
    now = services.jobs.clock()
    tenant: Tenant | None = None
    if expires is not None or sig is not None:
        input_links(services.settings).verify(input_id, expires or "", sig or "", now)
    else:
        tenant = authenticate(services, x_api_key, client_address(request))
    record = None
    if is_input_id(input_id):
        with InputStore(services.settings.database_path) as store:
            record = store.get(input_id)
    if record is None or (tenant is not None and not tenant.sees(record.tenant)):
        raise NotFound(f"no input {input_id} (expired inputs are deleted)")
    if record.is_expired(now):
        raise Gone(f"input {input_id} expired at {iso(record.expires_at)}")
    storage = services.storage
    if not isinstance(storage, LocalStorage):
        url = storage.presign_get(record.key, min(record.expires_at, now + REDIRECT_SECONDS))
        if url is None:
            raise NotFound(f"input {input_id}: this storage serves no files")
        if tenant is None:  # a signed URL (a worker's): nothing of the client's to pass on
            return RedirectResponse(url, status_code=307)
        # Relayed, not redirected: clients resend X-API-Key on a redirect (curl -L -H, httpx),
        # and the key must never reach the bucket's host.
        return await _relayed(url, input_id, record.content_type)
    path = storage.path(record.key)
    if not path.is_file():
        raise NotFound(f"no input {input_id} (its file is gone)")
    # A download, never a page of this origin: an XML "subtitle" must not run as a document.
    return FileResponse(path, media_type=record.content_type, headers=_DOWNLOAD_HEADERS)


async def _relayed(url: str, input_id: str, content_type: str) -> StreamingResponse:
    """The bucket's object at the presigned ``url``, streamed through this service."""
    client = httpx.AsyncClient(timeout=RELAY_TIMEOUT)
    try:
        answer = await client.send(client.build_request("GET", url), stream=True)
    except httpx.HTTPError as exc:
        await client.aclose()
        raise NotFound(f"input {input_id}: the bucket did not answer ({exc})") from exc
    if answer.status_code != 200:
        await answer.aclose()
        await client.aclose()
        raise NotFound(f"input {input_id}: the bucket answered {answer.status_code}")

    async def body() -> AsyncIterator[bytes]:
        try:
            async for chunk in answer.aiter_raw():
                yield chunk
        finally:
            await answer.aclose()
            await client.aclose()

    headers = dict(_DOWNLOAD_HEADERS)
    if "content-length" in answer.headers:
        headers["Content-Length"] = answer.headers["content-length"]
    return StreamingResponse(body(), media_type=content_type, headers=headers)


def input_links(settings: Settings) -> InputLinks:
    """The signer of input URLs, with the secret kept in DATA_DIR."""
    return InputLinks(load_or_create_secret(settings.data_dir, SECRET_NAME))


def resolve_inputs(
    plan: Plan, body: dict[str, Any], services: Services, tenant: Tenant, request_base: str
) -> Plan:
    """``plan`` with the input URLs of ``body`` checked and made fetchable by its worker until
    the job's deadline (see :mod:`framecast.jobs.inputs.resolve`)."""
    now = services.jobs.clock()
    deadline = now + services.settings.job_timeout_seconds + plan.allowance_seconds
    resolver = _resolver(services, tenant, request_base)
    return resolver.resolve(plan, body, now, deadline + UPLOAD_GRACE_SECONDS)


def resolve_dry_run(body: Model, services: Services, tenant: Tenant, request_base: str) -> Model:
    """``body`` with its input URLs made fetchable by the API's own dry run for a while."""
    now = services.jobs.clock()
    resolver = _resolver(services, tenant, request_base)
    media = body.model_dump(exclude={"metadata", "webhook_url"})
    urls = resolver.worker_urls(media, now, now + DRY_RUN_SECONDS)
    return body if not urls else body.model_validate(resolver.rewritten(body.model_dump(), urls))


def _resolver(services: Services, tenant: Tenant, request_base: str) -> InputResolver:
    settings = services.settings
    own = (settings.public_base_url, settings.internal_base_url, request_base)
    return InputResolver(
        database=settings.database_path,
        storage=services.storage,
        links=input_links(settings),
        own_bases=tuple(base for base in own if base),
        worker_base_url=settings.worker_upload_base_url,
        sees=tenant.sees,
    )


def _content_length(request: Request) -> int | None:
    length = request.headers.get("content-length", "")
    return int(length) if length.isdigit() else None


async def _body(request: Request) -> AsyncIterator[bytes]:
    """The body as it arrives; a client gone before its end is an error of the request."""
    try:
        async for chunk in request.stream():
            if chunk:
                yield chunk
    except ClientDisconnect as exc:
        raise InputError("body: the connection ended before the whole body arrived") from exc
