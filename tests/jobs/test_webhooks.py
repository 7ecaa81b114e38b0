"""The webhook sender in-process, POSTing to a real receiver on 127.0.0.1.

Single attempts are driven with ``deliver`` and an injected clock (no waiting for backoffs); the
sender's own loop is run with real time and 10 ms backoffs, awaited attempt by attempt.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from framecast.config import FetchConfig
from framecast.contracts.webhook import EVENT_HEADER, JOB_HEADER, SIGNATURE_HEADER, verify
from framecast.errors import Conflict
from framecast.jobs.model import Job, JobStatus, WebhookState
from framecast.jobs.service import JobService
from framecast.jobs.store import JobStore
from framecast.jobs.webhooks import WebhookSender
from tests.jobs.conftest import (
    WEBHOOK_SECRET,
    Clock,
    img2vid,
    job_service,
    settings_for,
    upload,
    within,
)
from tests.support.http_server import MediaServer, RecordedRequest

HOOK = "/hook"


class WatchedStore(JobStore):
    """A JobStore that lets a test await each webhook attempt as the sender records it."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.attempts: asyncio.Queue[WebhookState] = asyncio.Queue()

    def record_webhook_attempt(
        self,
        job_id: str,
        at: float,
        status_code: int | None,
        error: str | None,
        state: WebhookState,
        next_at: float | None,
    ) -> int:
        attempt = super().record_webhook_attempt(job_id, at, status_code, error, state, next_at)
        self.attempts.put_nowait(state)
        return attempt


async def render_one(service: JobService, job: dict[str, Any], record: Any) -> dict[str, Any]:
    for item in job["items"]:
        await upload(service, job["job_id"], item["index"])
    return {"videos": [], "failed": []}


async def ended_job(service: JobService, server: MediaServer) -> Job:
    """A job that succeeded and whose webhook to ``server`` is now due."""
    job = service.submit(img2vid(1, webhook_url=server.url(HOOK)))
    ended = await within(service.wait(job.id, 5.0))
    assert ended is not None and ended.webhook is not None
    assert ended.webhook.state is WebhookState.PENDING
    return ended


def posts(server: MediaServer) -> list[RecordedRequest]:
    return [r for r in server.requests if r.method == "POST" and r.path == HOOK]


def attempts(service: JobService, job_id: str) -> list[tuple[int, int | None, str | None]]:
    return [
        (a["attempt"], a["status_code"], a["error"]) for a in service.store.webhook_attempts(job_id)
    ]


# -- one attempt at a time, on an injected clock ------------------------------------------------


def test_a_delivered_webhook_is_signed_and_names_its_event(
    tmp_path: Path, media_server: MediaServer
) -> None:
    media_server.add(HOOK, b"ok", "text/plain")
    clock = Clock()

    async def scenario() -> None:
        async with job_service(tmp_path, render_one, clock=clock) as service:
            job = await ended_job(service, media_server)
            assert await service.webhooks.deliver(job)
            [post] = posts(media_server)
            headers = {name.lower(): value for name, value in post.headers.items()}
            assert verify(WEBHOOK_SECRET, post.body, headers[SIGNATURE_HEADER.lower()])
            assert headers[EVENT_HEADER.lower()] == "job.succeeded"
            assert headers[JOB_HEADER.lower()] == job.id
            body = json.loads(post.body)
            assert (body["event"], body["job_id"], body["status"]) == (
                "job.succeeded",
                job.id,
                "succeeded",
            )
            hook = service.get(job.id).webhook
            assert hook is not None
            assert (hook.state, hook.delivered_at) == (WebhookState.DELIVERED, clock.now)

    asyncio.run(scenario())


def test_a_failed_attempt_is_retried_after_its_backoff_and_recorded(
    tmp_path: Path, media_server: MediaServer
) -> None:
    media_server.add_flaky(HOOK, b"ok", failures=1, status=500, content_type="text/plain")
    clock = Clock()
    settings = settings_for(tmp_path, webhook_retry_seconds=10.0)

    async def scenario() -> None:
        async with job_service(tmp_path, render_one, settings, clock) as service:
            job = await ended_job(service, media_server)
            assert not await service.webhooks.deliver(job)
            hook = service.get(job.id).webhook
            assert hook is not None
            assert (hook.state, hook.next_at) == (WebhookState.PENDING, clock.now + 10.0)
            assert service.store.webhooks_due(clock.now + 9.9) == []
            clock.advance(10.0)
            [due] = service.store.webhooks_due(clock.now)
            assert await service.webhooks.deliver(due)
            assert attempts(service, job.id) == [(1, 500, "HTTP 500"), (2, 200, None)]
            hook = service.get(job.id).webhook
            assert hook is not None and hook.state is WebhookState.DELIVERED

    asyncio.run(scenario())


def test_a_receiver_that_always_fails_ends_failed_after_webhook_attempts(
    tmp_path: Path, media_server: MediaServer
) -> None:
    media_server.add(HOOK, b"no", "text/plain", status=500)
    clock = Clock()
    settings = settings_for(tmp_path, webhook_attempts=3, webhook_retry_seconds=10.0)

    async def scenario() -> None:
        async with job_service(tmp_path, render_one, settings, clock) as service:
            job = await ended_job(service, media_server)
            for attempt in (1, 2, 3):
                [due] = service.store.webhooks_due(clock.now)
                assert not await service.webhooks.deliver(due)
                clock.advance(service.webhooks.retry_delay(attempt))
            hook = service.get(job.id).webhook
            assert hook is not None
            assert (hook.state, hook.next_at, hook.last_error) == (
                WebhookState.FAILED,
                None,
                "HTTP 500",
            )
            assert service.store.webhooks_due(clock.now + 86_400) == []
            assert attempts(service, job.id) == [(n, 500, "HTTP 500") for n in (1, 2, 3)]
            assert len(posts(media_server)) == 3

    asyncio.run(scenario())


def test_a_body_that_cannot_be_built_is_a_failed_attempt(
    tmp_path: Path, media_server: MediaServer
) -> None:
    # E.g. a worker result with an "id" field: webhook_body's VideoPublic(id=..., **result)
    # raises TypeError. Uncounted, the loop would retry that job first, forever, before any other.
    media_server.add(HOOK, b"ok", "text/plain")
    clock = Clock()

    def unbuildable(job: Job) -> dict[str, Any]:
        raise TypeError("VideoPublic() got multiple values for keyword argument 'id'")

    async def scenario() -> None:
        async with job_service(tmp_path, render_one, clock=clock) as service:
            job = await ended_job(service, media_server)
            sender = WebhookSender(
                service.store, service.settings, WEBHOOK_SECRET, unbuildable, clock
            )
            try:
                delivered = await sender.deliver(job)
            finally:
                await sender.close()
            assert not delivered
            [(attempt, status_code, error)] = attempts(service, job.id)
            assert (attempt, status_code) == (1, None)
            assert error == "internal error (TypeError)"
            assert posts(media_server) == []

    asyncio.run(scenario())


def test_the_body_s_webhook_block_says_delivering_and_the_attempt_being_made(
    tmp_path: Path, media_server: MediaServer
) -> None:
    media_server.add_flaky(HOOK, b"ok", failures=1, status=500, content_type="text/plain")
    clock = Clock()

    async def scenario() -> None:
        async with job_service(tmp_path, render_one, clock=clock) as service:
            job = await ended_job(service, media_server)
            assert not await service.webhooks.deliver(job)
            clock.advance(service.webhooks.retry_delay(1))
            [due] = service.store.webhooks_due(clock.now)
            assert await service.webhooks.deliver(due)
            blocks = [json.loads(post.body)["webhook"] for post in posts(media_server)]
            assert [(b["state"], b["attempt"], len(b["attempts"])) for b in blocks] == [
                ("delivering", 1, 0),
                ("delivering", 2, 1),
            ]
            assert blocks[1]["next_attempt_at"] is None

    asyncio.run(scenario())


def test_a_receiver_on_a_refused_address_fails_at_once_with_the_reason(
    tmp_path: Path, media_server: MediaServer
) -> None:
    # "localhost" resolves to a loopback address, which only FETCH_ALLOW_PRIVATE allows: no
    # retry can change that, so there is no point waiting 20 minutes of backoffs to say so.
    media_server.add(HOOK, b"ok", "text/plain")
    settings = settings_for(tmp_path, fetch=FetchConfig(allow_private=False))
    url = media_server.url(HOOK).replace("127.0.0.1", "localhost")

    async def scenario() -> None:
        async with job_service(tmp_path, render_one, settings, Clock()) as service:
            job = service.submit(img2vid(1, webhook_url=url))
            ended = await within(service.wait(job.id, 5.0))
            assert ended is not None
            assert not await service.webhooks.deliver(ended)
            hook = service.get(job.id).webhook
            assert hook is not None
            assert (hook.state, hook.attempts, hook.next_at) == (WebhookState.FAILED, 1, None)
            assert "which is not a public address" in (hook.last_error or "")
            assert "FETCH_ALLOW_PRIVATE" in (hook.last_error or "")
            assert posts(media_server) == []

    asyncio.run(scenario())


# -- the sender's own loop, on real time --------------------------------------------------------


def test_the_sender_loop_delivers_a_job_end_and_retries_on_its_own(
    tmp_path: Path, media_server: MediaServer
) -> None:
    media_server.add_flaky(HOOK, b"ok", failures=1, status=500, content_type="text/plain")
    settings = settings_for(tmp_path, webhook_retry_seconds=0.01)

    async def scenario() -> None:
        store = WatchedStore(settings.database_path)
        try:
            async with job_service(tmp_path, render_one, settings, store=store) as service:
                await service.start()
                job = await ended_job(service, media_server)  # ending it wakes the sender
                assert await within(store.attempts.get()) is WebhookState.PENDING
                assert await within(store.attempts.get()) is WebhookState.DELIVERED
                assert attempts(service, job.id) == [(1, 500, "HTTP 500"), (2, 200, None)]
        finally:
            store.close()

    asyncio.run(scenario())


def test_a_resend_after_failure_delivers_again(tmp_path: Path, media_server: MediaServer) -> None:
    media_server.add(HOOK, b"no", "text/plain", status=500)
    settings = settings_for(tmp_path, webhook_attempts=2, webhook_retry_seconds=0.01)

    async def scenario() -> None:
        store = WatchedStore(settings.database_path)
        try:
            async with job_service(tmp_path, render_one, settings, store=store) as service:
                await service.start()
                job = await ended_job(service, media_server)
                assert await within(store.attempts.get()) is WebhookState.PENDING
                assert await within(store.attempts.get()) is WebhookState.FAILED
                media_server.add(HOOK, b"ok", "text/plain")
                resent = service.resend_webhook(job.id)
                assert resent.webhook is not None and resent.webhook.state is WebhookState.PENDING
                assert await within(store.attempts.get()) is WebhookState.DELIVERED
                assert [a[1] for a in attempts(service, job.id)] == [500, 500, 200]
                last = posts(media_server)[-1]
                signature = {k.lower(): v for k, v in last.headers.items()}[
                    SIGNATURE_HEADER.lower()
                ]
                assert verify(WEBHOOK_SECRET, last.body, signature)
        finally:
            store.close()

    asyncio.run(scenario())


def test_a_resend_before_the_job_ends_is_a_conflict(
    tmp_path: Path, media_server: MediaServer
) -> None:
    async def stuck(service: JobService, job: dict[str, Any], record: Any) -> dict[str, Any]:
        await asyncio.Event().wait()
        raise AssertionError("never finishes")

    async def scenario() -> None:
        async with job_service(tmp_path, stuck) as service:
            job = service.submit(img2vid(1, webhook_url=media_server.url(HOOK)))
            with pytest.raises(Conflict, match="has not ended yet"):
                service.resend_webhook(job.id)
            assert service.get(job.id).status is JobStatus.QUEUED

    asyncio.run(scenario())
