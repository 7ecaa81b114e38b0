"""API memory after rejected unauthenticated bodies: the API's resident memory (VmRSS) idle,
then after 40 requests with a wrong key, each an 8 MB JSON body, all measured in one run;
then, for comparison, after the same bodies sent with the right key (parsed, then refused 400).

    python -m bench.bench_api_memory [--bodies 40] [--mb 8.0] [--at-once 40]

Target (issue 15): at most +50 MB over the idle API after the wrong-key bodies.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from tests.support.memory import img2vid_body, proc_status_mb, settled_rss
from tests.support.service import API_KEY, ServiceProcess

TARGET_MB = 50.0
WRONG_KEY = "wrong-key-0123456789"


def post_many(base_url: str, body: bytes, key: str, count: int, at_once: int) -> list[int]:
    """POST ``body`` to /video/img2vid ``count`` times with ``key``; the statuses (0: dropped)."""

    def one(_: int) -> int:
        headers = {"X-API-Key": key, "Content-Type": "application/json"}
        try:
            return httpx.post(
                f"{base_url}/video/img2vid", content=body, headers=headers, timeout=120
            ).status_code
        except httpx.HTTPError:
            return 0

    with ThreadPoolExecutor(at_once) as pool:
        return list(pool.map(one, range(count)))


def after_burst(pid: int) -> float:
    time.sleep(1.5)  # the API gives freed heap back a second after large bodies
    return settled_rss(pid)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bodies", type=int, default=40)
    parser.add_argument("--mb", type=float, default=8.0, help="each body's size in MB (1e6)")
    parser.add_argument("--at-once", type=int, default=40, help="requests in flight together")
    args = parser.parse_args()
    body = img2vid_body(int(args.mb * 1e6))
    with tempfile.TemporaryDirectory() as data:
        # Every wrong key gets its 401 (not the 429 of an address over its wrong keys), and the
        # right-key pass is not made to wait for them.
        service = ServiceProcess(Path(data), {"WRONG_KEY_LIMIT": "100000"}).start()
        assert service.process is not None
        pid = service.process.pid
        try:
            idle = settled_rss(pid)
            started = time.monotonic()
            wrong = post_many(service.base_url, body, WRONG_KEY, args.bodies, args.at_once)
            took = time.monotonic() - started
            unauthenticated, unauthenticated_peak = after_burst(pid), proc_status_mb(pid, "VmHWM")
            right = post_many(service.base_url, body, API_KEY, args.bodies, args.at_once)
            authenticated, peak = after_burst(pid), proc_status_mb(pid, "VmHWM")
        finally:
            service.stop()
    growth = unauthenticated - idle
    print(f"{args.bodies} bodies of {len(body) / 1e6:.1f} MB each, {args.at_once} at once")
    print(f"wrong key: statuses {sorted(set(wrong))}, {took:.1f} s")
    print(
        f"  API RSS idle {idle:.0f} MB, after {unauthenticated:.0f} MB: {growth:+.0f} MB"
        f" (peak {unauthenticated_peak:.0f} MB); target <= +{TARGET_MB:.0f} MB:"
        f" {'met' if growth <= TARGET_MB else 'NOT met'}"
    )
    print(f"right key: statuses {sorted(set(right))}")
    print(
        f"  API RSS after {authenticated:.0f} MB: {authenticated - idle:+.0f} MB over idle"
        f" (peak {peak:.0f} MB)"
    )


if __name__ == "__main__":
    main()
