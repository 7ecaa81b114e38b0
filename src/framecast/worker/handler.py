"""The worker's entry: validate a job, then delegate to its operation. Same under every backend."""

from __future__ import annotations

import logging
import re
import shutil
import signal
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from framecast.config import Settings
from framecast.errors import InputError
from framecast.logs import LOG_FORMAT
from framecast.operations import operation_of, parse_worker_job
from framecast.public_http import public_addresses, trusting
from framecast.render.encode import choose_encoder
from framecast.render.warp import compile_kernels
from framecast.worker.fetch import make_client
from framecast.worker.upload import uploader_for

log = logging.getLogger("framecast.worker")

UPLOAD_TIMEOUT = httpx.Timeout(120.0, connect=10.0)
# A job's work folder gains and loses files with every clip (no clip takes hours to render);
# one untouched this long was left by a worker that was killed (SIGKILL, a lost machine) and
# is removed at the next start. Only names img2vid makes: framecast-<job id>-<random>.
STALE_WORK_SECONDS = 6 * 3600.0
_WORK_FOLDER = re.compile(r"framecast-[0-9a-f]{32}-[a-z0-9_]{8}")


def warm_up(settings: Settings) -> None:
    """Once per worker process: logging, SIGTERM handling, the encoder probe, the warp's
    compiled kernels."""
    # SIGTERM (the service stopping) must unwind the stack, so temp dirs are removed.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    choose_encoder(settings.encoding)
    compile_kernels()
    remove_stale_work(settings.work_dir)


def remove_stale_work(work_dir: Path | None, older_than: float = STALE_WORK_SECONDS) -> None:
    """Delete ``framecast-*`` job folders (img2vid's temp dirs) nothing has touched lately."""
    cutoff = time.time() - older_than
    for folder in Path(work_dir or tempfile.gettempdir()).glob("framecast-*"):
        if not _WORK_FOLDER.fullmatch(folder.name):
            continue
        try:
            if folder.is_dir() and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder)
                log.info("stale work folder removed path=%s", folder)
        except OSError:
            pass  # another worker removed it first, or it is not ours to remove


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def handle(job_input: dict[str, Any], settings: Settings | None = None) -> dict[str, Any]:
    """Run one worker job; a job that cannot run at all returns ``{"error": …}`` on purpose."""
    settings = settings if settings is not None else Settings.from_env()
    try:
        job = parse_worker_job(job_input)
    except InputError as exc:
        return {"error": exc.message}
    # The API that sent the job serves the results of earlier jobs: inputs may come from it.
    resolve = public_addresses if job.upload is None else trusting(job.upload.url)
    fetching = make_client(settings.fetch, resolve)
    with fetching as fetch_client, httpx.Client(timeout=UPLOAD_TIMEOUT) as up:
        try:
            uploader = uploader_for(job, settings, up)
        except InputError as exc:
            return {"error": exc.message}
        log.info(
            "job started job_id=%s operation=%s items=%d", job.job_id, job.operation, len(job.items)
        )
        run = operation_of(job.operation).worker_function()
        output = run(job, settings, uploader, fetch_client)
    log.info(
        "job finished job_id=%s videos=%d failed=%d",
        job.job_id,
        len(output["videos"]),
        len(output["failed"]),
    )
    return output
