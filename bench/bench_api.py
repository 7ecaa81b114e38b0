"""A 100-image request through the API: response size, and wall time against the encoder floor.

Run: .venv/bin/python bench/bench_api.py [--count 100] [--duration 0.5]

The floor is the CPU time ffmpeg needs to encode the same frames from a raw file with the same
settings, summed over the clips and divided by the cores: what a perfect scheduler could reach.
Efficiency = that floor / the batch's measured wall time (1.0 would be perfect).
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_render import photo_like
from framecast.config import EncoderConfig, cpu_quota
from framecast.render.clip import RenderSpec, render_frames
from framecast.render.encode import encode_command
from framecast.render.motion import frame_count
from tests.support.http_server import MediaServer
from tests.support.service import ServiceProcess


def jpeg(seed: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(photo_like(1600, 1200, seed)).save(buffer, "JPEG", quality=88)
    return buffer.getvalue()


def floor_cpu(seed: int, duration: float, config: EncoderConfig) -> float:
    """Child CPU seconds to encode one clip's frames from a raw file (the encoder floor)."""
    spec = RenderSpec()
    frames = frame_count(duration, spec.fps)
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "frames.yuv"
        with raw.open("wb") as out:
            for frame in render_frames(photo_like(1600, 1200, seed), spec, frames):
                out.write(frame)
        command = encode_command(
            config, "libx264", spec.width, spec.height, spec.fps, Path(tmp) / "o.mp4", str(raw)
        )
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(command, check=True, capture_output=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--duration", type=float, default=0.5)
    args = parser.parse_args()
    config = EncoderConfig(encoder="x264")
    with MediaServer() as media, tempfile.TemporaryDirectory() as data:
        for i in range(args.count):
            media.add(f"/p{i}.jpg", jpeg(i))
        service = ServiceProcess(
            Path(data), {"X264_PRESET": config.x264_preset, "SYNC_WAIT_SECONDS": "3600"}
        ).start()
        try:
            images = [
                {
                    "id": f"scene-{i:03d}",
                    "image_url": media.url(f"/p{i}.jpg"),
                    "duracao": args.duration,
                }
                for i in range(args.count)
            ]
            start = time.perf_counter()
            with service.client(timeout=3600) as client:
                response = client.post("/video/img2vid", json={"images": images})
            wall = time.perf_counter() - start
        finally:
            service.stop()
    result = response.json()
    samples = [floor_cpu(seed, args.duration, config) for seed in range(3)]
    floor = sum(samples) / len(samples) * args.count / cpu_quota()
    print(f"{args.count} images × {args.duration} s at 1920x1080, libx264 {config.x264_preset}")
    print(f"  status {response.status_code}, code {result['code']}, {len(result['videos'])} videos")
    print(
        f"  response body: {len(response.content)} bytes ({len(response.content) / 1024:.1f} KB;"
        " target ≤ 16 KB)"
    )
    print(f"  batch wall time: {wall:.1f} s; encoder floor / {cpu_quota()} cores: {floor:.1f} s")
    print(f"  efficiency (floor / wall): {floor / wall:.2f}")
    print(f"  per clip: {wall / args.count:.2f} s wall; cores: {os.cpu_count()}")


if __name__ == "__main__":
    main()
