"""Memory of the original ``POST /upload/video``: the API's peak RSS growth while it takes one
base64 clip, as a multiple of the request body (read from the service's /proc VmHWM).

    python -m bench.bench_base64_upload [--mib 100]

The body is parsed whole (about 3x it at the peak: the body, the parsed text and the parser's
own copy); the clip is decoded and stored a slice at a time, never whole.
"""

from __future__ import annotations

import argparse
import base64
import os
import tempfile
from pathlib import Path

from tests.support.service import ServiceProcess


def vm_hwm_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc (Linux only)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mib", type=int, default=100, help="decoded clip size")
    args = parser.parse_args()
    clip = os.urandom(args.mib * 1024 * 1024)
    body = b'{"id": "bench", "video_base64": "' + base64.b64encode(clip) + b'"}'
    with tempfile.TemporaryDirectory() as data:
        service = ServiceProcess(Path(data), {}).start()
        try:
            before = vm_hwm_kib(service.process.pid)
            with service.client(timeout=300) as client:
                response = client.post(
                    "/upload/video",
                    content=body,
                    headers={"Content-Type": "application/json"},
                )
            response.raise_for_status()
            growth = (vm_hwm_kib(service.process.pid) - before) * 1024
        finally:
            service.stop()
    print(f"clip {args.mib} MiB, body {len(body) / 2**20:.0f} MiB")
    print(f"peak RSS growth {growth / 2**20:.0f} MiB = {growth / len(body):.2f}x the body")


if __name__ == "__main__":
    main()
