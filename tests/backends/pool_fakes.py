"""Stand-ins for the worker code the local pool runs, picklable by name (spawned processes).

An item's ``image_url`` says what its "worker" does:

- ``ok``: takes a render slot, notes ``<job>:<index>`` in ``options.render_log``, renders nothing;
- ``slow``: the same, holding the slot ``SLOW_RENDER_SECONDS`` (a render that takes time);
- ``kill``: SIGKILLs its own process, as the kernel's OOM killer or an operator would;
- ``stall:<path>``: a download that does not answer until ``<path>`` exists, then ``ok``.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

from framecast.config import Settings
from framecast.worker.render_slots import render_slot

SLOW_RENDER_SECONDS = 0.5
POLL_SECONDS = 0.02


def start(settings: Settings) -> None:
    """No warm-up: these workers render nothing."""


def work(job: dict[str, Any], settings: Settings) -> tuple[dict[str, Any], dict[str, Any]]:
    """A worker job's output, each item as its ``image_url`` says; no measurements."""
    videos = []
    for item in job["items"]:
        action = str(item["image_url"])
        if action == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        if action.startswith("stall:"):
            release = Path(action.removeprefix("stall:"))
            while not release.exists():  # the "download" of a server that does not answer
                time.sleep(POLL_SECONDS)
        with render_slot(settings, job["job_id"], item["index"]):
            log = Path(job["options"]["render_log"])
            with log.open("a") as out:
                out.write(f"{job['job_id']}:{item['index']}\n")
            if action == "slow":
                time.sleep(SLOW_RENDER_SECONDS)
        videos.append({"index": item["index"], "id": item["id"], "video_url": "/x.mp4"})
    return {"videos": videos, "failed": []}, {}
