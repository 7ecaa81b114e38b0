"""A job's live progress as Server-Sent Events: each result as it is stored, its progress, and
its final state; a client that reconnects with ``Last-Event-ID`` resumes where it left off."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Response
from fastapi.sse import EventSourceResponse, format_sse_event

from framecast.api.deps import ApiKeyDep, Services, ServicesDep
from framecast.api.openapi_responses import EVENTS
from framecast.api.routes.jobs import public
from framecast.api.schemas import result_of
from framecast.contracts.envelope import CountPublic, ProgressPublic
from framecast.jobs.events import SentItems
from framecast.jobs.model import Item, ItemStatus, Job

log = logging.getLogger("framecast.api")

RETRY_MS = 2000  # how long a disconnected EventSource waits before it reconnects
KEEP_ALIVE_SECONDS = 15.0  # proxies close a connection that stays silent much longer
REREAD_SECONDS = 2.0  # the job is read again this often even if no change was announced
KEEP_ALIVE = b": keep-alive\n\n"

router = APIRouter(tags=["events"])


@router.get("/jobs/{job_id}/events", response_class=Response, responses=EVENTS)
async def job_events(
    job_id: str,
    services: ServicesDep,
    tenant: ApiKeyDep,
    last_event_id: Annotated[
        str | None,
        Header(
            alias="Last-Event-ID",
            description="The id of the last event received: the stream resumes after it.",
        ),
    ] = None,
) -> Response:
    """The job's events until it ends: what already happened first, then each change as it
    happens. Send `Last-Event-ID` (an `EventSource` does when it reconnects) to get only what
    came after that event; 204 once the job's `end` has been received."""
    job = services.job_of(tenant, job_id)
    sent = SentItems.parse(last_event_id, job)
    if sent.ended and job.status.is_final:
        return Response(status_code=204)  # tells an EventSource to stop reconnecting
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}  # no proxy buffering
    return EventSourceResponse(_stream(services, job_id, sent), headers=headers)


async def _stream(services: Services, job_id: str, sent: SentItems) -> AsyncIterator[bytes]:
    """Replay from the job's state, then wake at each change the job service announces."""
    hub, loop = services.jobs.events, asyncio.get_running_loop()
    log.info("events stream opened job_id=%s from=%s", job_id, sent)
    reason = "failed"
    try:
        yield format_sse_event(retry=RETRY_MS)
        last_write, progress = loop.time(), None  # type: float, dict[str, Any] | None
        while True:
            changed = hub.watch(job_id)  # before the read: a change after it still wakes us
            job = services.jobs.get(job_id)
            events, sent = _item_events(job, sent)
            scenes = None if job.status.is_final else services.jobs.intake.rendering.get(job_id)
            if (now := _progress(job, scenes)) != progress:
                progress = now
                events.append(_event("progress", str(sent), now))
            if job.status.is_final:
                job_now = public(services, job).model_dump(mode="json")
                events.append(_event("end", str(sent.at_end()), job_now))
            if events:
                yield b"".join(events)
                last_write = loop.time()
            if job.status.is_final or hub.closed:
                reason = "job ended" if job.status.is_final else "service stopping"
                return
            quiet = loop.time() - last_write
            if quiet >= KEEP_ALIVE_SECONDS:
                yield KEEP_ALIVE
                last_write, quiet = loop.time(), 0.0
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    changed.wait(), min(REREAD_SECONDS, KEEP_ALIVE_SECONDS - quiet)
                )
    except (asyncio.CancelledError, GeneratorExit):
        reason = "client left"  # Starlette cancels the stream when the client disconnects
        raise
    finally:
        log.info("events stream closed job_id=%s reason=%s", job_id, reason)


def _item_events(job: Job, sent: SentItems) -> tuple[list[bytes], SentItems]:
    """A ``video`` or ``failed`` event per item that has ended since ``sent``; the new position."""
    unsent = sent.unsent(job)
    videos = _videos(job) if any(i.status is ItemStatus.DONE for i in unsent) else {}
    events = []
    for item in unsent:
        sent = sent.plus(item)
        if item.status is ItemStatus.DONE:
            events.append(_event("video", str(sent), videos[item.index]))
        else:
            failed = {"id": item.client_id, "index": item.index, "error": item.error or ""}
            events.append(_event("failed", str(sent), failed))
    return events, sent


def _videos(job: Job) -> dict[int, dict[str, Any]]:
    """Each done item's video as the job's ``videos`` shows it, by item index."""
    done: list[Item] = [i for i in job.items if i.status is ItemStatus.DONE]
    # result_of lists exactly the done items, in request order.
    videos = result_of(job).videos
    return {i.index: v.model_dump(mode="json") for i, v in zip(done, videos, strict=True)}


def _progress(job: Job, scenes: tuple[int, int] | None) -> dict[str, Any]:
    counted = ProgressPublic(
        done=job.count(ItemStatus.DONE),
        failed=job.count(ItemStatus.FAILED),
        total=len(job.items),
        scenes=None if scenes is None else CountPublic(done=scenes[0], total=scenes[1]),
    )
    return counted.model_dump(exclude_none=True)


def _event(name: str, event_id: str, data: dict[str, Any]) -> bytes:
    return format_sse_event(event=name, id=event_id, data_str=json.dumps(data))
