"""Webhooks: a job's final state POSTed to the client, signed, retried with backoff (but not
to a host on a refused address: no retry can change that).

Every attempt is persisted, so deliveries survive restarts and their history shows on the job.
Each pending delivery is a task of its own, waiting for its due time and then for a slot
(framecast.jobs.webhook_slots), so a receiver that never answers delays only its own deliveries.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
from collections.abc import Callable
from typing import Any

import httpx

from framecast.config import Settings
from framecast.contracts.webhook import EVENT_HEADER, JOB_HEADER, SIGNATURE_HEADER, signature
from framecast.errors import AddressRefused, FetchError
from framecast.jobs.model import Job, WebhookState
from framecast.jobs.store import JobStore
from framecast.jobs.webhook_slots import ReceiverSlots
from framecast.public_http import PublicAsyncTransport

log = logging.getLogger("framecast.webhooks")

CONCURRENCY = 100  # attempts in flight at once, all receivers together
PER_RECEIVER = 4  # of those, to one receiver: 25 receivers can hang before anyone else waits
# Every pending delivery is looked for this often, so one whose task crashed (a locked database)
# is taken up again.
SWEEP_SECONDS = 60.0


class WebhookSender:
    """Delivers due webhooks in the background; ``wake(job_id)`` after a job ends or a re-send."""

    def __init__(
        self,
        store: JobStore,
        settings: Settings,
        secret: bytes,
        body_of: Callable[[Job], dict[str, Any]],
        clock: Callable[[], float],
        on_attempt: Callable[[WebhookState], None] = lambda state: None,
        concurrency: int = CONCURRENCY,
        per_receiver: int = PER_RECEIVER,
    ) -> None:
        self.store = store
        self.settings = settings
        self.secret = secret
        self.body_of = body_of
        self.clock = clock
        self.on_attempt = on_attempt  # each attempt's outcome (the service's metrics)
        self.slots = ReceiverSlots(concurrency, per_receiver)
        self._wake = asyncio.Event()
        self._woken: set[str] = set()  # job ids to look at on the loop's next turn
        self._scan = True  # look at every pending delivery on the next turn (at start: resume)
        # job id → the event that tells its delivery task to read the store again
        self._owned: dict[str, asyncio.Event] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        # Receivers are user-given URLs: only public addresses, checked as each connection is
        # made (framecast.public_http), unless FETCH_ALLOW_PRIVATE says otherwise.
        limits = httpx.Limits(max_connections=concurrency)
        self._client = httpx.AsyncClient(
            timeout=settings.webhook_timeout_seconds,
            limits=limits,
            transport=None if settings.fetch.allow_private else PublicAsyncTransport(limits),
            follow_redirects=False,
            trust_env=False,
        )

    def wake(self, job_id: str | None = None) -> None:
        """Look at ``job_id``'s delivery now (every pending one if None)."""
        if job_id is None:
            self._scan = True
        else:
            self._woken.add(job_id)
        self._wake.set()

    async def close(self) -> None:
        await self._client.aclose()

    async def _post(self, url: httpx.URL, body: bytes, headers: dict[str, str]) -> int:
        # Only the status matters: the receiver's body is never read (it could be huge).
        async with self._client.stream("POST", url, content=body, headers=headers) as response:
            return response.status_code

    def _body(self, job: Job, attempt: int) -> dict[str, Any]:
        """The job as it is sent: its webhook block tells the receiver of this very attempt."""
        body = self.body_of(job)
        # Stored, the webhook is still "pending" (due) while this attempt is being made.
        hook = body.get("webhook") or {}
        body["webhook"] = {
            **hook,
            "state": "delivering",
            "attempt": attempt,
            "next_attempt_at": None,
        }
        return body

    def retry_delay(self, attempt: int) -> float:
        """Seconds after failed attempt ``attempt`` (1-based): base, ×3 each time."""
        return float(self.settings.webhook_retry_seconds * 3 ** (attempt - 1))

    async def run_forever(self) -> None:
        """Give each pending delivery a task of its own, as it becomes due; until cancelled."""
        try:
            while True:
                self._wake.clear()
                wait = SWEEP_SECONDS
                try:
                    # Woken jobs (an end, a resend) are looked at alone: reading every pending
                    # one for each job that ends would cost the most during an outage.
                    woken, self._woken = self._woken, set()
                    for job_id in woken:
                        self._own(job_id, nudge=True)
                    if self._scan:
                        self._scan = False
                        # All, not only the due: retries set before a restart keep their time.
                        for job in self.store.webhooks_due(math.inf):
                            self._own(job.id, nudge=False)
                except Exception:  # the loop must outlive a locked database or a bug
                    log.exception("webhook loop failed; retrying in 5 s")
                    self._scan, wait = True, 5.0
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=wait)
                except TimeoutError:
                    self._scan = True
        finally:
            for task in list(self._tasks):
                task.cancel()
            # An attempt cut short here is not recorded: still pending, it is resumed at start.
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _own(self, job_id: str, nudge: bool) -> None:
        """Start ``job_id``'s delivery task; or, with ``nudge``, have its task read it again."""
        if job_id in self._owned:
            if nudge:  # a resend during a backoff: due now, not at the retry's time
                self._owned[job_id].set()
            return
        event = self._owned[job_id] = asyncio.Event()
        task = asyncio.get_running_loop().create_task(self._deliver_until_settled(job_id, event))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver_until_settled(self, job_id: str, nudge: asyncio.Event) -> None:
        """Attempt at each due time, in a slot, until the webhook is delivered or has failed."""
        try:
            while (job := self._pending(job_id)) is not None:
                assert job.webhook is not None
                wait = (job.webhook.next_at or 0.0) - self.clock()
                if wait > 0:
                    nudge.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(nudge.wait(), timeout=wait)
                    continue
                async with self.slots.slot(job.webhook.url):
                    # Read again: the wait for a slot can be long, and the body is the job now.
                    if (job := self._pending(job_id)) is not None:
                        await self.deliver(job)
        except Exception:  # e.g. a locked database; the next sweep takes it up again
            log.exception("webhook delivery task failed job_id=%s", job_id)
        finally:
            del self._owned[job_id]

    def _pending(self, job_id: str) -> Job | None:
        """The job, if its webhook is still to be delivered."""
        job = self.store.get(job_id)
        if job is None or job.webhook is None or job.webhook.state is not WebhookState.PENDING:
            return None
        return job

    async def deliver(self, job: Job) -> bool:
        """One attempt; persisted with its outcome and the next retry (if any)."""
        assert job.webhook is not None
        attempt = job.webhook.attempts + 1
        status_code: int | None = None
        error: str | None = None
        permanent = False  # no later attempt could succeed
        try:
            # Built inside the try: a job whose body cannot be made is one failed attempt, not
            # a loop stuck on it while every other webhook waits.
            body = json.dumps(self._body(job, attempt), separators=(",", ":")).encode()
            headers = {
                "Content-Type": "application/json",
                SIGNATURE_HEADER: signature(self.secret, body),
                EVENT_HEADER: f"job.{job.status.value}",
                JOB_HEADER: job.id,
                "User-Agent": "framecast-webhooks",
            }
            url = httpx.URL(job.webhook.url)
            status_code = await asyncio.wait_for(
                self._post(url, body, headers), timeout=2 * self.settings.webhook_timeout_seconds
            )
            if not 200 <= status_code < 300:
                error = f"HTTP {status_code}"
        except AddressRefused as exc:
            error, permanent = exc.message, True
        except FetchError as exc:
            error = exc.message
        except TimeoutError:
            error = f"no answer within {2 * self.settings.webhook_timeout_seconds:g} s"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        except Exception as exc:  # counted as a failed attempt, so it moves towards "failed"
            log.exception("webhook attempt crashed job_id=%s", job.id)
            error = f"internal error ({type(exc).__name__})"
        now = self.clock()
        if error is None:
            state, next_at = WebhookState.DELIVERED, None
        elif not permanent and attempt < self.settings.webhook_attempts:
            state, next_at = WebhookState.PENDING, now + self.retry_delay(attempt)
        else:
            state, next_at = WebhookState.FAILED, None
        self.store.record_webhook_attempt(job.id, now, status_code, error, state, next_at)
        self.on_attempt(state)
        if error is None:
            log.info(
                "webhook delivered job_id=%s event=%s attempt=%d",
                job.id,
                f"job.{job.status.value}",
                attempt,
            )
        elif state is WebhookState.FAILED:
            log.error(
                "webhook failed for good job_id=%s attempts=%d error=%s (POST /jobs/%s/webhook"
                " sends it again)",
                job.id,
                attempt,
                error,
                job.id,
            )
        else:
            log.warning(
                "webhook retry job_id=%s attempt=%d error=%s next_in=%.1fs",
                job.id,
                attempt,
                error,
                next_at - now if next_at else 0,
            )
        return error is None
