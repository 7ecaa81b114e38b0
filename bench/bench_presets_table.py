"""Render cost of every motion and fit, 16:9 and 9:16, against the encoder floor; big sources.

Run: .venv/bin/python bench/bench_presets_table.py [--seconds S] [--runs N]

(1) Per motion and output shape: the CPU milliseconds per frame of our frame production (the
warp; the once-per-clip preparation is reported apart) against the encoder floor, the CPU of
libx264 with the renderer's own command encoding the very same frames from a raw file.
(2) The same for each fit mode, a 4:3 photo in 9:16 output (the usual portrait-video case).
(3) A 4000×3000 JPEG against a 1920×1080 one: decode, preparation (crop and pre-scale), per-frame
warp and a whole clip end to end. Pre-scaling makes the per-frame cost independent of the source.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from pathlib import Path

import cv2
import numpy as np
from bench_render import cpu_seconds, photo_like

from framecast.config import EncoderConfig
from framecast.render.clip import RenderSpec, render_array, render_frames
from framecast.render.encode import encode_command
from framecast.render.frames import load_image
from framecast.render.motion import MOVES, Motion, frame_count

FPS = 24.0
SHAPES = {"16:9": (1920, 1080), "9:16": (1080, 1920)}


def best(work, runs: int) -> tuple[float, float]:
    results = [cpu_seconds(work) for _ in range(runs)]
    return min(r[0] for r in results), min(r[1] for r in results)


def produce(rgb: np.ndarray, spec: RenderSpec, frames: int, raw: Path | None = None) -> None:
    """Render the frames; keep them in ``raw`` if given (for the encoder floor)."""
    if raw is None:
        for _ in render_frames(rgb, spec, frames):
            pass
        return
    with raw.open("wb") as sink:
        for frame in render_frames(rgb, spec, frames):
            sink.write(frame)


def measure(
    rgb: np.ndarray, spec: RenderSpec, frames: int, runs: int, work: Path, config: EncoderConfig
) -> tuple[float, float, float]:
    """(preparation ms, warp ms per frame, encode ms per frame), CPU."""
    whole = best(lambda: produce(rgb, spec, frames), runs)[0]
    one = best(lambda: produce(rgb, spec, 1), runs)[0]
    raw = work / "frames.yuv"
    produce(rgb, spec, frames, raw)
    command = encode_command(
        config, "libx264", spec.width, spec.height, spec.fps, work / "c.mp4", source=str(raw)
    )
    encode = best(lambda: subprocess.run(command, check=True), runs)[0]
    return one * 1e3, (whole - one) / (frames - 1) * 1e3, encode / frames * 1e3


def row(label: str, prep: float, warp: float, encode: float) -> str:
    return f"{label:24}{prep:9.1f}{warp:9.2f}{encode:10.2f}{warp / encode:9.3f}"


HEADER = f"{'':24}{'prep ms':>9}{'warp ms':>9}{'encode ms':>10}{'ratio':>9}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="clip length")
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    frames = frame_count(args.seconds, FPS)
    config = EncoderConfig(encoder="x264")
    photo = photo_like(4000, 3000)
    x264 = f"libx264 {config.x264_preset} CRF {config.x264_crf}"
    print(f"{frames} frames @ {FPS:g} fps; {x264}; cv2 threads {cv2.getNumThreads()}")
    print("warp and encode per frame; ratio = warp / encode (the encoder floor is 1.0)\n")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        print(f"(1) motions, 4000x3000 photo, fit cover, zoom 1.25\n{HEADER}")
        for shape, (width, height) in SHAPES.items():
            for move in MOVES:
                spec = RenderSpec(width, height, FPS, Motion(move, 1.25))
                print(
                    row(f"{move} {shape}", *measure(photo, spec, frames, args.runs, work, config))
                )
        print(f"\n(2) fits, 4000x3000 photo into 9:16, zoom_in 1.25\n{HEADER}")
        for fit in ("cover", "contain", "blur"):
            spec = RenderSpec(1080, 1920, FPS, Motion("zoom_in", 1.25), fit)
            print(row(f"{fit} 9:16", *measure(photo, spec, frames, args.runs, work, config)))

        print("\n(3) source size, 1080p zoom_in 1.25, JPEG q90 from disk")
        print(f"{'':12}{'decode ms':>10}{'prep ms':>9}{'warp ms':>9}{'clip wall s':>12}")
        spec = RenderSpec(1920, 1080, FPS, Motion("zoom_in", 1.25))
        for width, height in ((1920, 1080), (4000, 3000)):
            path = work / f"{width}.jpg"
            image = cv2.cvtColor(photo_like(width, height, seed=1), cv2.COLOR_RGB2BGR)
            cv2.imwrite(str(path), image, [cv2.IMWRITE_JPEG_QUALITY, 90])
            decode = best(lambda p=path: load_image(p, 10**9), args.runs)[0]
            rgb = load_image(path, 10**9)
            prep, warp, _ = measure(rgb, spec, frames, args.runs, work, config)
            clip = best(
                lambda r=rgb: render_array(r, work / "e.mp4", args.seconds, spec, config), args.runs
            )[1]
            print(f"{width}x{height:<7}{decode * 1e3:10.1f}{prep:9.1f}{warp:9.2f}{clip:12.2f}")


if __name__ == "__main__":
    main()
