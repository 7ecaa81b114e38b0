"""Limits: a tenant's requests per minute and work at once; wrong keys from one address.

Each answers 429 with the seconds to wait (``TooManyRequests.retry_after``). The counts of
requests and wrong keys live in this process's memory: a restart forgets them.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable

from framecast.api.tenants import Tenant
from framecast.errors import InputError, TooManyRequests
from framecast.jobs.service import Submission
from framecast.jobs.store import JobStore

# A job limit frees when one of the tenant's jobs ends, which nothing predicts: ask again soon.
BUSY_RETRY_SECONDS = 5.0
# Wrong keys are remembered for at most this many addresses (the oldest forgotten first), so a
# scan from many addresses cannot grow the table without bound.
MAX_ADDRESSES = 10_000


class RequestRates:
    """Each tenant's requests per minute: a bucket of a minute's requests, refilled steadily."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # tenant → (requests left, when)

    def take(self, tenant: Tenant) -> None:
        """Count one request of ``tenant``; TooManyRequests if its bucket is empty."""
        per_minute = tenant.limits.requests_per_minute
        if per_minute is None:
            return
        now = self._clock()
        left, at = self._buckets.get(tenant.name, (float(per_minute), now))
        left = min(float(per_minute), left + (now - at) * per_minute / 60.0)
        if left < 1.0:
            self._buckets[tenant.name] = (left, now)
            raise TooManyRequests(
                f"over this key's limit of {per_minute} requests a minute",
                (1.0 - left) * 60.0 / per_minute,
            )
        self._buckets[tenant.name] = (left - 1.0, now)


class WrongKeys:
    """Wrong keys by address: after ``limit`` of them within ``window`` seconds, it waits."""

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()

    def check(self, address: str) -> None:
        """TooManyRequests while ``address`` has used up its wrong keys; its key is not tried."""
        times = self._seen.get(address)
        if times is None or len(times) < self.limit:
            return
        wait = times[0] + self.window - self._clock()
        if wait > 0:
            raise TooManyRequests(
                f"X-API-Key: {self.limit} wrong keys from this address within"
                f" {self.window:g} s; wait before trying again",
                wait,
            )

    def record(self, address: str) -> None:
        """Count a wrong key from ``address``."""
        now = self._clock()
        times = self._seen.pop(address, None) or deque(maxlen=self.limit)
        while times and times[0] <= now - self.window:
            times.popleft()
        times.append(now)
        self._seen[address] = times  # to the end: the most recently wrong
        while len(self._seen) > MAX_ADDRESSES:
            self._seen.popitem(last=False)


def check_job_limits(tenant: Tenant, store: JobStore, submission: Submission) -> None:
    """Refuse a new job over the tenant's jobs or queued items (429); a retry of one it has
    (the same Idempotency-Key) is never refused: it gets that job back."""
    limits = tenant.limits
    if limits.max_concurrent_jobs is None and limits.max_queued_items is None:
        return
    items = len(submission.plan.items)
    if limits.max_queued_items is not None and items > limits.max_queued_items:
        raise InputError(
            f"items: {items} in one job, over this key's limit of {limits.max_queued_items}"
            " queued items"
        )
    if submission.idempotency and store.idempotent_job(submission.idempotency[0]):
        return
    usage = store.usage(tenant.name)
    if limits.max_concurrent_jobs is not None and usage.jobs >= limits.max_concurrent_jobs:
        raise TooManyRequests(
            f"this key has {usage.jobs} jobs queued or running, its limit; submit again when"
            " one has ended",
            BUSY_RETRY_SECONDS,
        )
    if limits.max_queued_items is not None and usage.items + items > limits.max_queued_items:
        raise TooManyRequests(
            f"this key has {usage.items} items waiting; {items} more is over its limit of"
            f" {limits.max_queued_items}; submit again when some are done",
            BUSY_RETRY_SECONDS,
        )
