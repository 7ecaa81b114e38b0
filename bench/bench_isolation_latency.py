"""Isolation on the local pool: how long a 1-image job takes while a 300-image job is running.

Run: .venv/bin/python bench/bench_isolation_latency.py [--count 300] [--duration 1.0] [--runs 3]

In one service (default settings: one pool process, BATCH_SIZE from the CPU quota), measured in
the same run: the 1-image job's latency alone (submit → final state), then its latency submitted
while the big job renders, and one clip's render time in the big job (the workers' own render
timings, from GET /metrics: the clips rendered meanwhile). Target: behind ≤ solo + one clip.
"""

from __future__ import annotations

import argparse
import io
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_render import photo_like
from framecast.config import cpu_quota
from tests.support.http_server import MediaServer
from tests.support.service import ServiceProcess

_RENDER = re.compile(r'framecast_render_seconds_(sum|count)\{operation="img2vid"\} (\S+)')


def jpeg(seed: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(photo_like(960, 720, seed)).save(buffer, "JPEG", quality=88)
    return buffer.getvalue()


def renders(client: httpx.Client) -> tuple[float, float]:
    """(seconds, clips) the workers have spent rendering img2vid clips so far."""
    found = dict(_RENDER.findall(client.get("/metrics").text))
    return float(found.get("sum", 0)), float(found.get("count", 0))


def one_image(
    client: httpx.Client, media: MediaServer, duration: float, size: dict[str, int]
) -> float:
    """Seconds from submitting a 1-image job to its final state (a synchronous request)."""
    body = {"images": [{"id": "one", "image_url": media.url("/p0.jpg"), "duracao": duration}]}
    started = time.perf_counter()
    response = client.post("/video/img2vid", json={**body, **size})
    latency = time.perf_counter() - started
    assert response.status_code == 200 and response.json()["videos"], response.text
    return latency


def until(condition: Callable[[], bool], timeout: float = 600.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the big job made no progress")
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--duration", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--size", default="1280x720", help="WIDTHxHEIGHT of the clips")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    size = {"width": width, "height": height}
    with MediaServer() as media, tempfile.TemporaryDirectory() as data:
        for i in range(args.count):
            media.add(f"/p{i}.jpg", jpeg(i))
        service = ServiceProcess(Path(data), {"SYNC_WAIT_SECONDS": "600"}).start()
        try:
            with service.client(timeout=600) as client:
                one_image(client, media, args.duration, size)  # the pool starts; kernels load
                solo = [one_image(client, media, args.duration, size) for _ in range(args.runs)]
                images = [
                    {"id": f"p{i}", "image_url": media.url(f"/p{i}.jpg"), "duracao": args.duration}
                    for i in range(args.count)
                ]
                big = client.post(
                    "/video/img2vid",
                    json={"images": images, **size},
                    headers={"Prefer": "respond-async"},
                ).json()["job_id"]

                def big_done() -> int:
                    return int(client.get(f"/jobs/{big}").json()["progress"]["done"])

                until(lambda: big_done() >= 2 * cpu_quota())  # its renders fill every slot
                before = renders(client)
                behind = []
                for _ in range(args.runs):
                    behind.append(one_image(client, media, args.duration, size))
                    time.sleep(1.0)  # let the big job have the slots back before the next one
                after = renders(client)
                progress = big_done()
                client.post(f"/jobs/{big}/cancel")
        finally:
            service.stop()
    clip = (after[0] - before[0]) / max(after[1] - before[1], 1)
    solo_s, behind_s = statistics.median(solo), statistics.median(behind)
    target = solo_s + clip
    print(f"local pool, {cpu_quota()} render slots; clips of {args.duration} s at {args.size}")
    print(f"  1-image job alone:          {solo_s:6.2f} s (median of {args.runs})")
    print(
        f"  behind a {args.count}-image job:   {behind_s:6.2f} s"
        f" (median of {args.runs}; the big job had {progress} clips done)"
    )
    print(f"  one clip's render time:     {clip:6.2f} s (in the big job, meanwhile)")
    print(f"  target (alone + one clip):  {target:6.2f} s")
    print(
        f"  ratio behind / alone: {behind_s / solo_s:.2f}; behind / target: {behind_s / target:.2f}"
    )


if __name__ == "__main__":
    main()
