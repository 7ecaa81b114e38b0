"""A process's memory as Linux reports it (/proc/PID/status), and a large request body that
makes the API allocate: for the memory tests and bench/bench_api_memory.py."""

from __future__ import annotations

import json
import time
from pathlib import Path


def proc_status_mb(pid: int, field: str) -> float:
    """A memory line of /proc/PID/status (``VmRSS``, ``VmHWM``) in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024 / 1e6
    raise RuntimeError(f"no {field} in /proc (Linux only)")


def settled_rss(pid: int, seconds: float = 2.0) -> float:
    """VmRSS in MB once it has stopped moving (or after ``seconds``)."""
    last, deadline = proc_status_mb(pid, "VmRSS"), time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = proc_status_mb(pid, "VmRSS")
        if abs(now - last) < 0.5:
            return now
        last = now
    return last


def img2vid_body(size: int) -> bytes:
    """An img2vid request of about ``size`` bytes: many small images (too many to run), the
    shape that costs the most memory once parsed."""
    one = {"id": "img-000000", "image_url": "https://example.com/images/a.jpg", "duracao": 2.0}
    count = size // (len(json.dumps(one)) + 2)
    images = [{**one, "id": f"img-{i:06d}"} for i in range(count)]
    return json.dumps({"images": images}).encode()
