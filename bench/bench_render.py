"""Cost of a 5 s 1080p24 clip: ours against the zoompan chain and against the encoder floor.

Run: .venv/bin/python bench/bench_render.py [--runs N]

(1) CPU seconds to produce the frames, output discarded (`-f null -`): our warp (this process's
CPU) plus the ffmpeg that reads them, against ffmpeg's own scale+zoompan chain. Start-up and
once-per-clip costs (decode, scale-once, process start) are excluded the same way for both:
the cost of a 1-frame run is subtracted from the cost of the 120-frame run.
(2) Wall seconds end to end with the same libx264 settings: ours (from the JPEG, and from the
decoded RGB), the encoder floor (the same frames pre-rendered to a raw file and encoded by the
same command) and the zoompan chain, in rounds of all four back to back; the targets are judged
on the median of each round's ratio to that round's floor.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from framecast.config import EncoderConfig
from framecast.render.clip import (
    RenderSpec,
    encode_frames,
    render_array,
    render_clip,
    render_frames,
)
from framecast.render.encode import FfmpegPipe, encode_command, encoder_args, ffmpeg_binary
from framecast.render.frames import load_image
from framecast.render.motion import frame_count

DURATION, FPS, WIDTH, HEIGHT = 5.0, 24.0, 1920, 1080
ZOOMPAN = (
    "scale=6720:3840,zoompan=z='min(zoom+0.0015,1.5)':x='iw/2-(iw/zoom/2)':"
    "y='ih/2-(ih/zoom/2)':d={frames}:s=1920x1080:fps=24"
)


def photo_like(width: int, height: int, seed: int = 0) -> np.ndarray:
    """A synthetic 'photo': smooth gradients, soft shapes and fine texture (not pure noise)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack(
        [
            128 + 90 * np.sin(xx / 370 + 1) * np.cos(yy / 290),
            128 + 80 * np.cos(xx / 510 - yy / 430),
            128 + 70 * np.sin((xx + yy) / 650),
        ],
        axis=-1,
    )
    texture = cv2.GaussianBlur(rng.normal(0, 14, (height, width, 3)).astype(np.float32), (0, 0), 2)
    return np.clip(base + texture, 0, 255).astype(np.uint8)


def cpu_seconds(work: Callable[[], object]) -> tuple[float, float]:
    """(CPU seconds of this process + its children, wall seconds) spent in ``work``."""
    before = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    start = time.perf_counter()
    work()
    wall = time.perf_counter() - start
    after = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    cpu = sum(
        a.ru_utime + a.ru_stime - b.ru_utime - b.ru_stime
        for a, b in zip(after, before, strict=True)
    )
    return cpu, wall


def ours_null(rgb: np.ndarray, spec: RenderSpec, frames: int, config: EncoderConfig) -> None:
    """Our frames piped to an ffmpeg that reads and discards them (no encode)."""
    binary = ffmpeg_binary(config)
    command = [binary, "-hide_banner", "-nostdin", "-loglevel", "error", "-f", "rawvideo"]
    command += ["-pix_fmt", "yuv420p", "-s", f"{spec.width}x{spec.height}"]
    command += ["-framerate", str(spec.fps), "-i", "pipe:0", "-f", "null", "-"]
    with FfmpegPipe(command, None) as pipe:
        encode_frames(rgb, spec, frames, pipe)


def zoompan_command(
    binary: str, image: Path, frames: int, codec: list[str], out: Path | None
) -> list[str]:
    """The original chain: loop the image, scale it up, zoompan, ``frames`` frames."""
    command = [binary, "-hide_banner", "-nostdin", "-loglevel", "error", "-loop", "1"]
    command += ["-i", str(image), "-vf", ZOOMPAN.format(frames=frames), "-frames:v", str(frames)]
    command += codec
    return [*command, "-f", "null", "-"] if out is None else [*command, "-y", str(out)]


def run(command: list[str]) -> None:
    subprocess.run(command, check=True)


def best(measure: Callable[[], tuple[float, float]], runs: int) -> tuple[float, float]:
    """The lowest CPU and the lowest wall time over ``runs`` runs (least disturbed by noise)."""
    results = [measure() for _ in range(runs)]
    return min(r[0] for r in results), min(r[1] for r in results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--source", default="3840x2160", help="source image size WxH")
    args = parser.parse_args()
    src_w, src_h = (int(v) for v in args.source.split("x"))
    config = EncoderConfig(encoder="x264")
    binary = ffmpeg_binary(config)
    spec = RenderSpec(WIDTH, HEIGHT, FPS)
    frames = frame_count(DURATION, FPS)
    x264 = [*encoder_args("libx264", config), "-pix_fmt", "yuv420p"]

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        image = work / "source.jpg"
        cv2.imwrite(str(image), cv2.cvtColor(photo_like(src_w, src_h), cv2.COLOR_RGB2BGR))
        rgb = load_image(image, 10**9)
        print(f"source {src_w}x{src_h} JPEG, clip {frames} frames {WIDTH}x{HEIGHT} @ {FPS:g} fps")
        print(f"cv2 threads {cv2.getNumThreads()} (1 while rendering), x264: {' '.join(x264)}\n")

        # (1) CPU cost of producing the frames, output discarded.
        ours_n = best(lambda: cpu_seconds(lambda: ours_null(rgb, spec, frames, config)), args.runs)
        ours_1 = best(lambda: cpu_seconds(lambda: ours_null(rgb, spec, 1, config)), args.runs)
        theirs_n = best(
            lambda: cpu_seconds(lambda: run(zoompan_command(binary, image, frames, [], None))),
            args.runs,
        )
        theirs_1 = best(
            lambda: cpu_seconds(lambda: run(zoompan_command(binary, image, 1, [], None))),
            args.runs,
        )
        ours_cpu, theirs_cpu = ours_n[0] - ours_1[0], theirs_n[0] - theirs_1[0]
        print("(1) frame production, null output: CPU seconds")
        print(f"{'':28}{'120 frames':>12}{'1 frame':>10}{'marginal':>10}")
        print(f"{'ours (warp + pipe)':28}{ours_n[0]:12.2f}{ours_1[0]:10.2f}{ours_cpu:10.2f}")
        print(f"{'zoompan chain':28}{theirs_n[0]:12.2f}{theirs_1[0]:10.2f}{theirs_cpu:10.2f}")
        print(
            f"ratio ours / zoompan: marginal {ours_cpu / theirs_cpu:.3f}, "
            f"whole {ours_n[0] / theirs_n[0]:.3f}   (target ≤ 0.333)\n"
        )

        # (2) End to end with libx264, wall time.
        raw = work / "frames.yuv"
        with raw.open("wb") as f:
            for frame in render_frames(rgb, spec, frames):
                f.write(frame)
        floor_cmd = encode_command(
            config, "libx264", WIDTH, HEIGHT, FPS, work / "floor.mp4", source=str(raw)
        )
        chain_cmd = zoompan_command(binary, image, frames, x264, work / "zoompan.mp4")
        contenders: dict[str, Callable[[], object]] = {
            "encoder floor (raw file)": lambda: run(floor_cmd),
            "ours, from the JPEG": lambda: render_clip(
                image, work / "ours.mp4", DURATION, spec, config, 10**9
            ),
            "ours, from decoded RGB": lambda: render_array(
                rgb, work / "ours.mp4", DURATION, spec, config
            ),
            "zoompan chain": lambda: run(chain_cmd),
        }
        # Rounds of all four back to back: a ratio within one round compares runs seconds
        # apart, which the load of a shared machine disturbs less than it does runs minutes apart.
        rounds = [
            {name: cpu_seconds(work_) for name, work_ in contenders.items()}
            for _ in range(args.runs)
        ]
        floor_name = next(iter(contenders))
        print(f"(2) end to end, libx264 to MP4: seconds ({args.runs} rounds)")
        print(f"{'':28}{'best wall':>10}{'CPU':>8}{'best / best':>13}{'median ratio':>14}")
        floor_wall = min(r[floor_name][1] for r in rounds)
        medians = {}
        for name in contenders:
            wall = min(r[name][1] for r in rounds)
            cpu = min(r[name][0] for r in rounds)
            medians[name] = statistics.median(r[name][1] / r[floor_name][1] for r in rounds)
            print(f"{name:28}{wall:10.2f}{cpu:8.2f}{wall / floor_wall:13.3f}{medians[name]:14.3f}")
        print(
            "\ntargets (median ratio): ours/floor ≤ 1.15 "
            f"(from RGB {medians['ours, from decoded RGB']:.3f}, "
            f"from JPEG {medians['ours, from the JPEG']:.3f}); ours/zoompan < 1 "
            f"({medians['ours, from the JPEG'] / medians['zoompan chain']:.3f})"
        )


if __name__ == "__main__":
    sys.exit(main())
