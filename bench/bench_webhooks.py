"""A healthy receiver's webhook delay while 20 receivers hang, against its solo delay.

Run: .venv/bin/python bench/bench_webhooks.py [--hanging 20] [--timeout 10] [--repeat 3]

In process: the job service and its webhook sender wired as the API wires them (inline backend,
SQLite in a temporary directory, the sender's default limits); receivers are real servers on
127.0.0.1. A hanging receiver reads each POST and never answers, so every attempt to it lasts
``--timeout`` (WEBHOOK_TIMEOUT_SECONDS, 10 s by default). A delay runs from the job's end to the
end of its delivered attempt, both as the store records them. The healthy receiver's own round
trip is its solo delay, measured first in the same run. Target: its delay while the others hang
≤ its solo delay + 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from framecast.jobs.model import WebhookState
from framecast.jobs.service import JobService
from tests.jobs.conftest import img2vid, job_service, settings_for, upload
from tests.support.http_server import MediaServer
from tests.support.receivers import HangingReceiver, hanging_receivers

HOOK = "/hook"


async def render_nothing(service: JobService, job: dict[str, Any], record: Any) -> dict[str, Any]:
    for item in job["items"]:
        await upload(service, job["job_id"], item["index"])
    return {"videos": [], "failed": []}


async def delivery_delay(service: JobService, url: str, give_up: float) -> float:
    """Seconds from a new job's end to its webhook's delivery to ``url`` (inf: never came)."""
    job = service.submit(img2vid(1, webhook_url=url))
    ended = await service.wait(job.id, 10.0)
    assert ended is not None and ended.ended_at is not None
    deadline = time.monotonic() + give_up
    while time.monotonic() < deadline:
        hook = service.get(job.id).webhook
        if hook is not None and hook.state is WebhookState.DELIVERED:
            assert hook.delivered_at is not None
            return hook.delivered_at - ended.ended_at
        await asyncio.sleep(0.005)
    return float("inf")


async def busy(hung: list[HangingReceiver], wait: float) -> int:
    """How many hanging receivers hold an attempt, once all do or ``wait`` seconds passed."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline and not all(r.requests for r in hung):
        await asyncio.sleep(0.01)
    return sum(1 for r in hung if r.requests)


async def bench(args: argparse.Namespace, data: Path, healthy: MediaServer) -> None:
    settings = settings_for(
        data,
        webhook_timeout_seconds=args.timeout,
        webhook_retry_seconds=10.0,
        webhook_attempts=6,
    )
    url = healthy.url(HOOK)
    give_up = (args.hanging + 2) * 2 * args.timeout
    async with (
        hanging_receivers(args.hanging) as hung,
        job_service(data, render_nothing, settings) as service,
    ):
        await service.start()
        solo = [await delivery_delay(service, url, give_up) for _ in range(args.repeat)]
        for receiver in hung:
            service.submit(img2vid(1, webhook_url=receiver.url))
        holding = await busy(hung, args.timeout)
        loaded = [await delivery_delay(service, url, give_up) for _ in range(args.repeat)]
    trip = statistics.median(solo)  # its own round trip, through the same sender
    worst = max(loaded)
    print(
        f"{args.hanging} hanging receivers (each attempt {args.timeout:g} s), one healthy;"
        f" {args.repeat} deliveries each way"
    )
    print(f"  solo delay:   {', '.join(f'{d * 1000:.1f}' for d in solo)} ms")
    print(f"  hanging receivers holding an attempt when measured: {holding}/{args.hanging}")
    print(f"  loaded delay: {', '.join(f'{d * 1000:.1f}' for d in loaded)} ms")
    print(
        f"  worst loaded delay − median solo delay: {worst - trip:.3f} s (target ≤ 1 s:"
        f" {'met' if worst - trip <= 1.0 else 'MISSED'}); loaded / solo (medians):"
        f" {statistics.median(loaded) / trip:.1f}×"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hanging", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    logging.getLogger("framecast").setLevel(logging.ERROR)  # hanging receivers' retries: expected
    with MediaServer() as healthy, tempfile.TemporaryDirectory() as tmp:
        healthy.add(HOOK, b"ok", "text/plain")
        asyncio.run(bench(args, Path(tmp), healthy))


if __name__ == "__main__":
    main()
