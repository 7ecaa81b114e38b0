"""x264 presets for a 5 s 1080p24 Ken Burns clip: encode time, file size and PSNR at CRF 23.

Run: .venv/bin/python bench/bench_presets.py [--runs N] [--crf 23]

The frames are rendered once to a raw file, so only the encode is timed; each preset is timed
with exactly the command the renderer runs (encode_command). Ratios are against veryfast.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from bench_render import DURATION, FPS, HEIGHT, WIDTH, cpu_seconds, photo_like

from framecast.config import EncoderConfig
from framecast.render.clip import RenderSpec, render_frames
from framecast.render.encode import encode_command, ffmpeg_binary
from framecast.render.motion import frame_count

PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium")


def psnr(binary: str, clip: Path, raw: Path) -> float:
    """Average Y/U/V PSNR of ``clip`` against the raw frames it was encoded from."""
    command = [binary, "-hide_banner", "-nostdin", "-i", str(clip), "-f", "rawvideo"]
    command += ["-pix_fmt", "yuv420p", "-s", f"{WIDTH}x{HEIGHT}", "-framerate", str(FPS)]
    command += ["-i", str(raw), "-lavfi", "psnr", "-f", "null", "-"]
    stderr = subprocess.run(command, capture_output=True, text=True, check=True).stderr
    match = re.search(r"average:([\d.]+|inf)", stderr)
    return float(match.group(1)) if match else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--crf", type=int, default=23)
    args = parser.parse_args()
    base = EncoderConfig(encoder="x264", x264_crf=args.crf)
    binary = ffmpeg_binary(base)
    frames = frame_count(DURATION, FPS)
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "frames.yuv"
        with raw.open("wb") as f:
            for frame in render_frames(photo_like(3840, 2160), RenderSpec(), frames):
                f.write(frame)
        rows = []
        for preset in PRESETS:
            out = Path(tmp) / f"{preset}.mp4"
            config = replace(base, x264_preset=preset)
            command = encode_command(config, "libx264", WIDTH, HEIGHT, FPS, out, source=str(raw))
            runs = [
                cpu_seconds(lambda c=command: subprocess.run(c, check=True))
                for _ in range(args.runs)
            ]
            cpu, wall = min(r[0] for r in runs), min(r[1] for r in runs)
            rows.append((preset, wall, cpu, out.stat().st_size, psnr(binary, out, raw)))
            time.sleep(0.1)
    ref = dict((r[0], r) for r in rows)["veryfast"]
    print(
        f"{frames} frames {WIDTH}x{HEIGHT} @ {FPS:g} fps, libx264 CRF {args.crf}, best of "
        f"{args.runs}\n"
    )
    print(
        f"{'preset':11}{'wall s':>8}{'CPU s':>8}{'fps':>7}{'size KiB':>10}{'PSNR dB':>9}"
        f"{'wall/vf':>9}{'size/vf':>9}"
    )
    for preset, wall, cpu, size, quality in rows:
        print(
            f"{preset:11}{wall:8.2f}{cpu:8.2f}{frames / wall:7.1f}{size / 1024:10.0f}"
            f"{quality:9.2f}{wall / ref[1]:9.2f}{size / ref[3]:9.2f}"
        )


if __name__ == "__main__":
    main()
