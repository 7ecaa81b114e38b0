"""Retrying a download: how long to wait between attempts, and the loop of attempts, each held
to its limits by the fetch's guard, that stops as soon as the job no longer wants the download."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass

from framecast.config import FetchConfig
from framecast.errors import FetchError
from framecast.worker.fetch_checks import Retryable
from framecast.worker.fetch_guard import FetchGuard

log = logging.getLogger("framecast.worker")

# Read and connect timeouts apply per operation; a server trickling one byte at a time would
# never trip them, so each attempt also has an overall deadline of this many timeouts (and
# a floor under its speed: fetch_guard.MIN_BYTES_PER_SECOND over each timeout).
ATTEMPT_DEADLINE_FACTOR = 4


@dataclass(frozen=True)
class Backoff:
    """How long to wait before retry number ``attempt`` (1-based)."""

    first_seconds: float = 0.5
    max_retry_after_seconds: float = 5.0  # a Retry-After of an hour must not stall a batch

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_retry_after_seconds)
        # Jitter keeps a batch of clients that failed together from retrying together.
        return self.first_seconds * 2 ** (attempt - 1) * random.uniform(1.0, 1.25)


DEFAULT_BACKOFF = Backoff()  # frozen, so one shared default is safe


class Cancelled(Exception):
    """The job was cancelled (or passed its deadline) while an attempt was under way."""


Fetched = tuple[int, str | None, str]  # size, sniffed type, Content-Type
STOPPED = "the job was cancelled or passed its deadline"


def with_retries(
    one_attempt: Callable[[], Fetched],
    shown: str,
    config: FetchConfig,
    backoff: Backoff,
    guard: FetchGuard,
    keep_going: Callable[[], bool] | None,
) -> tuple[Fetched, int]:
    """``one_attempt`` until it succeeds, fails for good or the job stops; (its result, the
    number of attempts made)."""
    for attempt in range(1, max(1, config.attempts) + 1):
        try:
            limits = config.timeout_seconds * ATTEMPT_DEADLINE_FACTOR, config.timeout_seconds
            with guard.attempt(*limits):
                return one_attempt(), attempt
        except Cancelled as exc:
            raise FetchError(f"stopped during attempt {attempt}: {STOPPED}") from exc
        except Retryable as exc:
            # A failure is not logged here: it fails its item, and the item's one line
            # ("item failed … error=…") carries this message.
            if attempt >= config.attempts:
                raise FetchError(f"{exc.message} (after {attempt} attempts)") from exc
            delay = backoff.delay(attempt, exc.retry_after)
            log.info(
                "fetch retry url=%s attempt=%d status=%s delay=%.2f",
                shown,
                attempt + 1,
                exc.status or "-",
                delay,
            )
            if not guard.pause(delay) or (keep_going is not None and not keep_going()):
                raise FetchError(f"stopped after {attempt} attempts: {STOPPED}") from exc
    raise AssertionError("unreachable: the last attempt returns or raises")
