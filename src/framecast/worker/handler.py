"""The worker's entry: validate a job, then delegate to its operation. Same under every backend."""

from __future__ import annotations

import logging
import signal
from typing import Any

import httpx

from framecast.config import Settings
from framecast.contracts.upload_target import ApiUpload
from framecast.errors import InputError
from framecast.logs import configure_logging
from framecast.operations import operation_of, parse_worker_job
from framecast.public_http import public_addresses, trusting
from framecast.render.encode import choose_encoder
from framecast.render.warp import compile_kernels
from framecast.worker.fetch import make_client
from framecast.worker.scratch import remove_stale_work
from framecast.worker.timings import RECORDER, TimedUploader
from framecast.worker.upload import STATUS_TIMEOUT, uploader_for

log = logging.getLogger("framecast.worker")

UPLOAD_TIMEOUT = httpx.Timeout(120.0, connect=10.0)


def warm_up(settings: Settings) -> None:
    """Once per worker process: logging, SIGTERM handling, the encoder probe, the warp's
    compiled kernels."""
    # SIGTERM (the service stopping) must unwind the stack, so work folders are removed (those
    # of a killed worker are removed by the next one to start: remove_stale_work).
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    configure_logging(settings.log_format)  # a pool process starts with none; LOG_FORMAT's
    choose_encoder(settings.encoding)
    compile_kernels()
    remove_stale_work(settings.work_dir)


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def handle(
    job_input: dict[str, Any], settings: Settings | None = None, *, alone: bool = True
) -> dict[str, Any]:
    """Run one worker job; a job that cannot run at all returns ``{"error": …}`` on purpose.

    ``alone``: no other job runs in this process meanwhile (not so in the local pool, whose
    reports are drained after each job by ``worker_report``).
    """
    settings = settings if settings is not None else Settings.from_env()
    try:
        job = parse_worker_job(job_input)
    except InputError as exc:
        return {"error": exc.message}
    # The API that sent the job serves the results of earlier jobs: inputs may come from it.
    resolve = public_addresses if job.upload is None else trusting(job.upload.url)
    fetching = make_client(settings.fetch, resolve)
    if alone:
        RECORDER.drain()  # what an earlier job left (one stopped part-way)
    with fetching as fetch_client, httpx.Client(timeout=UPLOAD_TIMEOUT) as up:
        try:
            uploader = uploader_for(job, settings, up)
        except InputError as exc:
            return {"error": exc.message}
        log.info(
            "job started job_id=%s operation=%s items=%d", job.job_id, job.operation, len(job.items)
        )
        run = operation_of(job.operation).worker_function()
        output = run(job, settings, TimedUploader(uploader, job.operation), fetch_client)
        done, failed = len(output["videos"]), len(output["failed"])
        stopped = failed > 0 and not uploader.still_wanted(wait=False)
        # One line for a stopped job, never one per item it did not finish.
        reason, status = _why_stopped(job.upload, up) if stopped else ("", "")
    if stopped:
        log.info(
            "job stopped job_id=%s reason=%s status=%s done=%d not_done=%d",
            job.job_id,
            reason,
            status,
            done,
            failed,
        )
    else:
        log.info("job finished job_id=%s videos=%d failed=%d", job.job_id, done, failed)
    return output


def worker_report(settings: Settings) -> dict[str, Any]:
    """What this process measured during its last job, and its encoder (framecast.metrics)."""
    return {"encoder": choose_encoder(settings.encoding), **RECORDER.drain()}


def _why_stopped(upload: ApiUpload | None, client: httpx.Client) -> tuple[str, str]:
    """("cancelled" | "deadline", the job's status) as the API tells it."""
    if upload is None:
        return "unknown", "-"
    try:
        response = client.get(
            upload.url, headers={"Authorization": f"Bearer {upload.token}"}, timeout=STATUS_TIMEOUT
        )
        status = "expired" if response.status_code == 401 else str(response.json()["status"])
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        return "unknown", "-"
    # The API ends a job a worker is still on when it is cancelled or its deadline passes; a
    # 401 is the upload token expiring, a minute after the deadline.
    return ("cancelled" if status == "cancelled" else "deadline"), status
