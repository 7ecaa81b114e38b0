"""The inputs' sweep: an expired input's bytes are deleted, then its row."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from framecast.config import Settings
from framecast.jobs.inputs.store import InputStore
from framecast.storage.base import Storage

log = logging.getLogger("framecast.jobs")

SWEEP_SECONDS = 30.0


async def sweep_now(store: InputStore, storage: Storage, now: float) -> int:
    """Delete the inputs expired at ``now``; how many went. An input whose bytes could not be
    deleted keeps its row, so the next sweep tries again (the bucket's lifecycle rules delete
    them where S3_DELETE_EXPIRED=false: only the rows go)."""
    swept = 0
    while expired := store.expired(now):
        if storage.deletes_expired:
            keys = [record.key for record in expired]
            if not await asyncio.to_thread(storage.delete_many, keys):
                log.warning("input expiry incomplete inputs=%d (retried next sweep)", len(keys))
                return swept
        store.delete([record.id for record in expired])
        swept += len(expired)
        for record in expired:
            log.info("input expired input_id=%s tenant=%s", record.id, record.tenant)
    return swept


async def run_forever(
    settings: Settings,
    storage: Storage,
    clock: Callable[[], float] = time.time,
    interval: float = SWEEP_SECONDS,
) -> None:
    """Sweep every ``interval`` seconds until cancelled (with its own database connection)."""
    store = InputStore(settings.database_path)
    try:
        while True:
            try:
                await sweep_now(store, storage, clock())
            except Exception:  # the sweep must outlive a storage hiccup or a locked database
                log.exception("input sweep failed; retrying in %.0f s", interval)
            await asyncio.sleep(interval)
    finally:
        store.close()
