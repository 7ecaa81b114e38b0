"""The operations' routes: ``POST /video/<operation>``, one job envelope for all of them.

Synchronous by default; with ``webhook_url``, ``Prefer: respond-async``, or past
SYNC_WAIT_SECONDS the answer is 202 and the job goes on.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse

from framecast.api.deps import ApiKeyDep, Services, ServicesDep
from framecast.api.limits import check_job_limits
from framecast.api.openapi_responses import OPERATION
from framecast.api.routes.inputs import resolve_dry_run, resolve_inputs
from framecast.api.schemas import result_of
from framecast.api.tenants import Tenant
from framecast.contracts.audio import AddAudioCreate, AudioCreate, AudioPublic
from framecast.contracts.caption import CaptionCreate, CaptionPublic
from framecast.contracts.compose import ComposeCreate, ComposeDryRun, ComposePublic
from framecast.contracts.concatenate import ConcatenateCreate, ConcatenatePublic
from framecast.contracts.envelope import JobAccepted, JobEnvelope, JobResult
from framecast.contracts.img2vid import Img2VidCreate
from framecast.errors import InputError
from framecast.jobs.model import Job
from framecast.jobs.service import Submission
from framecast.operations import AUDIO, CAPTION, COMPOSE, CONCATENATE, IMG2VID, Operation
from framecast.public_http import is_public_address, literal_address
from framecast.storage.s3 import normalise_prefix
from framecast.worker.urls import normalize_url

router = APIRouter(tags=["video"])

METADATA_MAX_BYTES = 16 * 1024
_DRY_RUNS = asyncio.Semaphore(2)  # compose dry runs measured at once in the API process


@dataclass(frozen=True)
class JobHeaders:
    """What every operation reads besides its body: async preference, idempotency, the key's
    tenant."""

    prefer: str | None
    idempotency_key: str | None
    tenant: Tenant
    base_url: str  # the address the client reached the API at (its input URLs may use it)


def job_headers(
    request: Request,
    tenant: ApiKeyDep,  # the same check as the route's own (FastAPI runs it once a request)
    prefer: Annotated[str | None, Header()] = None,
    idempotency_key: Annotated[str | None, Header(max_length=256)] = None,
) -> JobHeaders:
    return JobHeaders(prefer, idempotency_key, tenant, str(request.base_url))


JobHeadersDep = Annotated[JobHeaders, Depends(job_headers)]


@router.post(
    IMG2VID.route,
    response_model=JobResult,
    responses=OPERATION,
)
async def img2vid(
    body: Img2VidCreate,
    services: ServicesDep,
    _: ApiKeyDep,
    headers: JobHeadersDep,
) -> JSONResponse:
    """Render one Ken Burns clip per image; answers with only URLs, in request order.

    Synchronous up to SYNC_WAIT_SECONDS; with `webhook_url`, `Prefer: respond-async`, or past
    that wait, the answer is 202 and the job goes on (poll `status_url`).
    """
    return await run_operation(IMG2VID, body, services, headers)


@router.post(
    CONCATENATE.route,
    response_model=ConcatenatePublic,
    responses=OPERATION,
)
async def concatenate(
    body: ConcatenateCreate,
    services: ServicesDep,
    _: ApiKeyDep,
    headers: JobHeadersDep,
) -> JSONResponse:
    """Join 2–500 videos into one: stream copy when they allow it, else one normalised
    re-encode (size, fps, fit, transitions, audio crossfades). `cuts` says where each input
    starts in the result.
    """
    return await run_operation(CONCATENATE, body, services, headers)


@router.post(
    AUDIO.route,
    response_model=AudioPublic,
    responses=OPERATION,
)
async def audio(
    body: AudioCreate,
    services: ServicesDep,
    _: ApiKeyDep,
    headers: JobHeadersDep,
) -> JSONResponse:
    """Put narration (one file or parts joined sample-exact), music (ducked under narration,
    looped, faded) and a loudness target under a video. The picture is copied bit for bit
    unless `fit` changes its length.
    """
    return await run_operation(AUDIO, body, services, headers)


@router.post(
    "/video/addaudio",
    response_model=AudioPublic,
    responses=OPERATION,
)
async def addaudio(
    body: AddAudioCreate,
    services: ServicesDep,
    _: ApiKeyDep,
    headers: JobHeadersDep,
) -> JSONResponse:
    """The older shape, `{"url_video", "url_audio"}`: the audio replaces the video's sound; a
    longer audio freezes the last frame (never a speed change). Runs as `/video/audio`.
    """
    request = body.as_audio()
    return await run_operation(AUDIO, request, services, headers)


@router.post(
    CAPTION.route,
    response_model=CaptionPublic,
    responses=OPERATION,
)
async def caption(
    body: CaptionCreate,
    services: ServicesDep,
    _: ApiKeyDep,
    headers: JobHeadersDep,
) -> JSONResponse:
    """Burn styled, word-accurate captions into a video in one encode (the sound is copied).

    Captions come as SRT/VTT/ASS (a URL or the text), words with times, or a TTS provider's
    character alignment; the style names a preset (classic, boxed, karaoke, karaoke_fill,
    highlight, pill, underline, word_by_word, pop) and overrides any of its values. The SRT,
    VTT and ASS that were burned and the words JSON are uploaded beside the video (`files`).
    """
    return await run_operation(CAPTION, body, services, headers)


@router.post(
    COMPOSE.route,
    response_model=ComposePublic | ComposeDryRun,
    responses=OPERATION,
)
async def compose(
    body: ComposeCreate,
    services: ServicesDep,
    _: ApiKeyDep,
    headers: JobHeadersDep,
) -> JSONResponse:
    """Render a finished video from scenes (images with their motion, video clips), each
    scene's narration, a music bed (looped, ducked, faded), a loudness target and captions,
    in one encode. A scene lasts its `duration`, or the transition into it + its narration +
    `pad`; `transition`s overlap neighbouring scenes. The answer's `timeline` says where each
    scene starts; `dry_run: true` answers it at once (fetching only the narrations, the videos
    without a duration and the caption files) and renders nothing.
    """
    if body.dry_run:
        body = resolve_dry_run(body, services, headers.tenant, headers.base_url)
        # The renderer's libraries (audio decoding, font metrics) load for a dry run only, and
        # a few dry runs at a time share the API's threads with its file work.
        from framecast.compose.dry_run import dry_run

        async with _DRY_RUNS:
            answer = await asyncio.to_thread(dry_run, body, services.settings)
        return JSONResponse(ComposeDryRun.model_validate(answer).model_dump(exclude_none=True))
    return await run_operation(COMPOSE, body, services, headers)


async def run_operation(
    operation: Operation,
    body: JobEnvelope,
    services: Services,
    headers: JobHeaders,
) -> JSONResponse:
    """Plan, persist and start a job; answer with its result, or 202 if it goes on."""
    tenant = headers.tenant
    plan = operation.plan(body, services.settings)
    # Every operation's media URLs are in its plan: input URLs (POST /inputs) become there
    # what the worker fetches, checked against the tenant and the job's deadline.
    # A retry of a job already made is answered with that job, even once its inputs are gone.
    keyed = idempotency(operation.name, headers.idempotency_key, tenant.name, body)
    if keyed is None or services.jobs.store.idempotent_job(keyed[0]) is None:
        body_fields = body.model_dump(exclude={"metadata", "webhook_url"})
        plan = resolve_inputs(plan, body_fields, services, tenant, headers.base_url)
    submission = Submission(
        operation=operation.name,
        plan=plan,
        webhook_url=checked_webhook_url(body.webhook_url, services.settings.fetch.allow_private),
        metadata=checked_metadata(body.metadata),
        idempotency=keyed,
        key_prefix=checked_path(body.path, services),
        tenant=tenant.name,
    )
    # Checked and submitted with no await between: two requests cannot both take the last slot.
    check_job_limits(tenant, services.jobs.store, submission)
    job = services.jobs.submit(submission)
    prefer = (headers.prefer or "").lower()
    is_async = bool(body.webhook_url) or "respond-async" in prefer
    wait = 0.0 if is_async else services.settings.sync_wait_seconds
    finished = await services.jobs.wait(job.id, wait)
    if finished is None:
        return accepted(services.jobs.get(job.id))  # its state now, not at submission
    result = result_of(finished)
    return JSONResponse(result.model_dump(), status_code=200 if result.code in (200, 207) else 422)


def checked_webhook_url(url: str | None, allow_private: bool) -> str | None:
    """The normalised URL; one whose host is a non-public address literal is refused now
    (a name is judged at each delivery, as DNS may change)."""
    if not url:
        return None
    try:
        normalized = normalize_url(url)
    except InputError as exc:
        raise InputError(f"webhook_url: {exc.message}") from exc
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


def idempotency(
    operation: str, key: str | None, tenant: str, body: JobEnvelope
) -> tuple[str, str] | None:
    """(scope key, body hash): keys are scoped to the tenant and the operation."""
    if not key:
        return None
    scope = hashlib.sha256(f"{tenant}\0{operation}\0{key}".encode()).hexdigest()
    return scope, hashlib.sha256(body.model_dump_json().encode()).hexdigest()


def accepted(job: Job) -> JSONResponse:
    body = JobAccepted(
        job_id=job.id,
        status=job.status.value,
        status_url=f"/jobs/{job.id}",
        message="the job goes on; poll status_url for its progress and result",
    )
    return JSONResponse(body.model_dump(), status_code=202)
