"""``framecast worker``: the RunPod Serverless worker around the same ``handle()`` as every backend.

The SDK's contract, on purpose: a returned ``{"error": …}`` marks the RunPod job FAILED. A job that
cannot run at all (invalid input, nowhere to upload) returns ``handle()``'s error as it is. A job
whose every item failed is FAILED too, and its error is JSON in the shape of the SDK's own errors
(``error_type``, ``error_message``) plus ``failed``: the per-item errors, which the RunPod backend
reads back so that each item reports its own error. A job with some clips done is COMPLETED, its
output listing the failed items.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from framecast.config import Settings
from framecast.worker.handler import handle, warm_up

log = logging.getLogger("framecast.worker")

ERRORS_IN_MESSAGE = 3

Handler = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


def sdk_result(output: dict[str, Any]) -> dict[str, Any]:
    """``handle()``'s output as the SDK expects it: an all-failed job becomes an error."""
    if "error" in output:
        return {"error": str(output["error"])}
    failed = list(output.get("failed", []))
    if failed and not output.get("videos"):
        shown = "; ".join(
            f"item {f.get('index')} ({f.get('id')}): {f.get('error')}"
            for f in failed[:ERRORS_IN_MESSAGE]
        )
        more = f"; and {len(failed) - ERRORS_IN_MESSAGE} more" if len(failed) > 3 else ""
        report = {
            "error_type": "AllItemsFailed",
            "error_message": f"every item failed ({len(failed)}): {shown}{more}",
            "failed": failed,
        }
        return {"error": json.dumps(report)}
    return output


def make_handler(settings: Settings, report_progress: bool = True) -> Handler:
    """The SDK handler: an async function, so the SDK's loop (stop signals) keeps running."""
    from runpod.serverless import progress_update

    async def handler(job: dict[str, Any]) -> dict[str, Any]:
        job_input = job.get("input")
        if not isinstance(job_input, dict):
            return {"error": "invalid job input: expected a JSON object under 'input'"}
        items = job_input.get("items")
        if report_progress and isinstance(items, list):
            progress_update(job, {"state": "rendering", "items": len(items)})
        output = await asyncio.to_thread(handle, job_input, settings)
        return sdk_result(output)

    return handler


def run_worker(settings: Settings) -> int:
    """Probe the encoder once, then hand over to the SDK (worker loop or one-shot test run)."""
    import runpod
    from runpod.serverless.modules.worker_state import IS_LOCAL_TEST

    warm_up(settings)
    log.info("runpod worker starting sdk=%s one_shot=%s", runpod.__version__, IS_LOCAL_TEST)
    # Progress goes to the job-done URL, which only exists in the real worker loop.
    runpod.serverless.start({"handler": make_handler(settings, report_progress=not IS_LOCAL_TEST)})
    return 0
