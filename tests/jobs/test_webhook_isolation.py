"""Webhook deliveries are concurrent and per receiver: one receiver's outage costs no one else.

Receivers are real servers on 127.0.0.1. A hanging one reads each POST and never answers, so
every attempt to it lasts the whole webhook timeout (``HANG_TIMEOUT``); a healthy one answers in
milliseconds. Times are the ones the store records (the job's end, each attempt).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from framecast.api.schemas import webhook_body
from framecast.jobs.model import Job, WebhookState
from framecast.jobs.service import JobService
from framecast.jobs.webhooks import WebhookSender
from tests.jobs.conftest import WAIT, WEBHOOK_SECRET, img2vid, job_service, settings_for, upload
from tests.support.http_server import MediaServer
from tests.support.receivers import HangingReceiver, hanging_receivers

HOOK = "/hook"
HANG_TIMEOUT = 1.0  # seconds each attempt to a hanging receiver lasts
PROMPT = 0.5  # a healthy delivery's delay must stay under this: far below one hung attempt


@asynccontextmanager
async def running_sender(service: JobService, **limits: int) -> AsyncIterator[WebhookSender]:
    """A sender with its own limits, running its loop beside an unstarted service."""
    store = service.store
    sender = WebhookSender(
        store,
        service.settings,
        WEBHOOK_SECRET,
        lambda job: webhook_body(job, store.webhook_attempts(job.id)),
        time.time,
        **limits,
    )
    loop = asyncio.get_running_loop().create_task(sender.run_forever())
    try:
        yield sender
    finally:
        loop.cancel()
        with suppress(asyncio.CancelledError):
            await loop
        await sender.close()


async def render_one(service: JobService, job: dict[str, Any], record: Any) -> dict[str, Any]:
    for item in job["items"]:
        await upload(service, job["job_id"], item["index"])
    return {"videos": [], "failed": []}


async def end_job(service: JobService, webhook_url: str) -> Job:
    """A job that has ended (its webhook to ``webhook_url`` now due)."""
    job = service.submit(img2vid(1, webhook_url=webhook_url))
    ended = await asyncio.wait_for(service.wait(job.id, WAIT), WAIT)
    assert ended is not None and ended.ended_at is not None
    return ended


async def until(check: Callable[[], bool], what: str) -> None:
    """Return once ``check()`` holds; fail naming ``what`` after ``WAIT`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while not check():
        if loop.time() > deadline:
            raise AssertionError(f"{what}: not within {WAIT:g} s")
        await asyncio.sleep(0.01)


def attempt_times(service: JobService, job_id: str) -> list[float]:
    return [attempt["at"] for attempt in service.store.webhook_attempts(job_id)]


def delivered(service: JobService, job_id: str) -> Callable[[], bool]:
    def check() -> bool:
        hook = service.get(job_id).webhook
        return hook is not None and hook.state is WebhookState.DELIVERED

    return check


def delay(service: JobService, job: Job) -> float:
    """Seconds from the job's end to the end of its first (delivered) attempt."""
    [at] = attempt_times(service, job.id)
    assert job.ended_at is not None
    return at - job.ended_at


def test_a_healthy_receiver_is_not_delayed_by_receivers_that_hang(
    tmp_path: Path, media_server: MediaServer
) -> None:
    media_server.add(HOOK, b"ok", "text/plain")
    settings = settings_for(tmp_path, webhook_timeout_seconds=HANG_TIMEOUT)

    async def scenario() -> None:
        async with (
            hanging_receivers(8) as hung,
            job_service(tmp_path, render_one, settings) as service,
        ):
            await service.start()
            for receiver in hung:
                await end_job(service, receiver.url)
            await until(lambda: any(r.requests for r in hung), "an attempt to a hanging receiver")
            healthy = await end_job(service, media_server.url(HOOK))
            await until(delivered(service, healthy.id), "the healthy receiver's delivery")
            assert delay(service, healthy) < PROMPT

    asyncio.run(scenario())


def test_one_receiver_s_backlog_leaves_slots_for_the_others(
    tmp_path: Path, media_server: MediaServer
) -> None:
    # Two slots in all: a hanging receiver with four deliveries due may hold only one of them.
    media_server.add(HOOK, b"ok", "text/plain")
    settings = settings_for(tmp_path, webhook_timeout_seconds=HANG_TIMEOUT)

    async def scenario() -> None:
        async with (
            HangingReceiver() as hung,
            job_service(tmp_path, render_one, settings) as service,
            running_sender(service, concurrency=2, per_receiver=1) as sender,
        ):
            for _ in range(4):
                await end_job(service, hung.url)
            sender.wake()
            await until(lambda: hung.requests > 0, "an attempt to the hanging receiver")
            healthy = await end_job(service, media_server.url(HOOK))
            sender.wake()
            await until(delivered(service, healthy.id), "the healthy receiver's delivery")
            assert delay(service, healthy) < PROMPT

    asyncio.run(scenario())


def test_a_receiver_gets_no_more_connections_than_its_share(
    tmp_path: Path, media_server: MediaServer
) -> None:
    media_server.add(HOOK, b"ok", "text/plain")
    settings = settings_for(tmp_path, webhook_timeout_seconds=HANG_TIMEOUT)

    async def scenario() -> None:
        async with (
            HangingReceiver() as hung,
            job_service(tmp_path, render_one, settings) as service,
            running_sender(service, concurrency=8, per_receiver=2) as sender,
        ):
            for _ in range(5):
                await end_job(service, hung.url)
            sender.wake()
            await until(lambda: hung.requests >= 2, "two attempts to the hanging receiver")
            # A delivery made after them: the sender has had every chance to open more.
            healthy = await end_job(service, media_server.url(HOOK))
            sender.wake()
            await until(delivered(service, healthy.id), "the healthy receiver's delivery")
            assert hung.most_open == 2

    asyncio.run(scenario())


def test_retries_keep_their_spacing_while_other_receivers_hang(
    tmp_path: Path, media_server: MediaServer
) -> None:
    media_server.add_flaky(HOOK, b"ok", failures=2, status=500, content_type="text/plain")
    settings = settings_for(
        tmp_path, webhook_timeout_seconds=HANG_TIMEOUT, webhook_retry_seconds=0.3
    )

    async def scenario() -> None:
        async with (
            hanging_receivers(8) as hung,
            job_service(tmp_path, render_one, settings) as service,
        ):
            await service.start()
            for receiver in hung:
                await end_job(service, receiver.url)
            await until(lambda: any(r.requests for r in hung), "an attempt to a hanging receiver")
            flaky = await end_job(service, media_server.url(HOOK))
            await until(delivered(service, flaky.id), "the third attempt's delivery")
            gaps = [b - a for a, b in pairwise(attempt_times(service, flaky.id))]
            assert gaps == pytest.approx([0.3, 0.9], abs=0.15)

    asyncio.run(scenario())


def test_a_resend_during_a_backoff_is_sent_at_once(
    tmp_path: Path, media_server: MediaServer
) -> None:
    media_server.add_flaky(HOOK, b"ok", failures=1, status=500, content_type="text/plain")
    settings = settings_for(tmp_path, webhook_retry_seconds=60.0)

    async def scenario() -> None:
        async with job_service(tmp_path, render_one, settings) as service:
            await service.start()
            job = await end_job(service, media_server.url(HOOK))
            await until(lambda: len(attempt_times(service, job.id)) == 1, "the first attempt")
            service.resend_webhook(job.id)  # not a minute later, when the retry was due
            await until(delivered(service, job.id), "the resent delivery")

    asyncio.run(scenario())


def test_a_retry_scheduled_before_a_restart_is_made_on_time_after_it(
    tmp_path: Path, media_server: MediaServer
) -> None:
    media_server.add_flaky(HOOK, b"ok", failures=1, status=500, content_type="text/plain")
    settings = settings_for(tmp_path, webhook_retry_seconds=0.5)

    async def scenario() -> None:
        async with job_service(tmp_path, render_one, settings) as service:
            await service.start()
            job = await end_job(service, media_server.url(HOOK))
            await until(lambda: len(attempt_times(service, job.id)) == 1, "the first attempt")
        async with job_service(tmp_path, render_one, settings) as restarted:
            await restarted.start()
            await until(delivered(restarted, job.id), "the retry after the restart")
            first, second = attempt_times(restarted, job.id)
            assert second - first == pytest.approx(0.5, abs=0.15)

    asyncio.run(scenario())


def test_a_delivery_cut_short_by_a_shutdown_is_made_after_the_restart(
    tmp_path: Path, media_server: MediaServer
) -> None:
    media_server.add_held(HOOK, b"ok", "text/plain")

    async def scenario() -> None:
        async with job_service(tmp_path, render_one) as service:
            await service.start()
            job = await end_job(service, media_server.url(HOOK))
            await until(lambda: media_server.hits[HOOK] == 1, "the first POST")
        media_server.release()
        async with job_service(tmp_path, render_one) as restarted:
            await restarted.start()
            await until(delivered(restarted, job.id), "the delivery after the restart")
            attempts = restarted.store.webhook_attempts(job.id)
            assert [(a["attempt"], a["status_code"]) for a in attempts] == [(1, 200)]

    asyncio.run(scenario())
