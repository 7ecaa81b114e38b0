"""The RunPod backend through the emulator: a 60-image batch on 1 vs 3 worker processes.

Run from the repository root: .venv/bin/python bench/bench_runpod.py [--images 60] [--workers 3]

Everything is real except RunPod's cloud: ``framecast serve`` with FRAMECAST_BACKEND=runpod and its
production polling (2 s growing to 5 s), the emulator from tests/backends, and ``framecast worker``
processes running the unmodified SDK loop (BATCH_SIZE=1: one process stands for one GPU worker).
Printed per run: wall time, status calls, and the API's overhead per job: its CPU time (submit,
polls, merge, and receiving the uploads) and the latency it adds (from submission to the first
/run, plus from the last chunk's end at RunPod to the job's end at the API: the polling delay).
Ratios are against the 1-worker run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.backends.conftest import runpod_env
from tests.backends.runpod_emulator import RunPodEmulator
from tests.backends.workers import WorkerProcess
from tests.support.http_server import MediaServer
from tests.support.media import solid_jpeg
from tests.support.service import ServiceProcess


def one_run(count: int, workers: int, tmp: Path) -> dict[str, float]:
    with RunPodEmulator() as cloud, MediaServer() as media:
        for i in range(count):
            media.add(f"/img{i}.jpg", solid_jpeg(320, 180, (i * 4 % 255, 90, 160)))
        pods = [WorkerProcess(cloud, f"pod-{i}", tmp).start() for i in range(workers)]
        service = ServiceProcess(tmp / f"api-{workers}", runpod_env(cloud, {}))
        service.env["PUBLIC_BASE_URL"] = service.base_url
        service.start()
        try:
            cloud.wait_for(lambda: len(cloud.workers_seen()) == workers, timeout=60)
            body = {
                "images": [
                    {"id": f"i{i}", "image_url": media.url(f"/img{i}.jpg"), "duracao": 1.0}
                    for i in range(count)
                ],
                "width": 160,
                "height": 90,
            }
            api = psutil.Process(service.process.pid)  # type: ignore[union-attr]
            cpu_before = sum(api.cpu_times()[:2])
            started = time.monotonic()
            with service.client(timeout=600) as client:
                result = client.post("/video/img2vid", json=body).json()
            wall = time.monotonic() - started
            cpu = sum(api.cpu_times()[:2]) - cpu_before
            assert len(result["videos"]) == count, result
            first_run = min(run.submitted_at for run in cloud.runs)
            last_end = max(run.ended_at or 0.0 for run in cloud.runs)
            return {
                "wall": wall,
                "chunks": len(cloud.runs),
                "status_calls": cloud.calls["status"],
                "api_cpu": cpu,
                "submit_latency": first_run - started,
                "poll_latency": started + wall - last_end,
            }
        finally:
            service.stop()
            for pod in pods:
                pod.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=60)
    parser.add_argument("--workers", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        runs = {n: one_run(args.images, n, Path(tmp)) for n in (1, args.workers)}
    base = runs[1]["wall"]
    print(f"{args.images} images, 1 s clips at 160x90, chunks of 10, up to 4 in flight")
    for n, r in runs.items():
        print(
            f"{n} worker(s): {r['wall']:6.2f} s  ×{base / r['wall']:.2f} vs 1 worker  "
            f"chunks={r['chunks']:.0f}  status calls={r['status_calls']:.0f}  "
            f"API CPU={r['api_cpu'] * 1000:.0f} ms  submit latency={r['submit_latency'] * 1000:.0f}"
            f" ms  poll latency={r['poll_latency'] * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()
