"""Joining 10 × 4 s 1080p24 clips: stream copy against one re-encode, and the re-encode against
the encoder floor.

Run: .venv/bin/python bench/bench_concat.py [--runs N] [--clips 10]

The clips are made as img2vid makes them (libx264 with the configured settings: H.264 High,
same size, rate and encoder set-up), from lavfi testsrc2 with a different hue each. Timed, wall
seconds, in rounds of all three back to back:
- copy: ``concatenate`` in mode auto, which joins these clips by stream copy;
- re-encode: ``concatenate`` in mode reencode, the same output size and rate (cover fit, exact
  frame counts, one encode with the configured encoder);
- encoder floor: one ffmpeg decoding the same clips (concat demuxer) and encoding their frames
  with the same encoder arguments to MP4, no filters: what any re-encode must pay.
Targets are judged on the median over rounds of each round's ratio.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from bench_render import cpu_seconds

from framecast.config import EncoderConfig
from framecast.render.concat import ConcatInput, ConcatSpec, concatenate
from framecast.render.encode import choose_encoder, encoder_args, ffmpeg_binary
from framecast.render.probe import probe

SECONDS, FPS, WIDTH, HEIGHT = 4, 24, 1920, 1080


def make_clips(config: EncoderConfig, folder: Path, count: int) -> list[Path]:
    """``count`` clips of SECONDS at WIDTH×HEIGHT, FPS, with the encoder img2vid uses."""
    binary, encoder = ffmpeg_binary(config), choose_encoder(config)
    clips = []
    for i in range(count):
        source = f"testsrc2=s={WIDTH}x{HEIGHT}:r={FPS}:d={SECONDS},hue=h={i * 360 // count}"
        clip = folder / f"clip{i}.mp4"
        command = [binary, "-hide_banner", "-nostdin", "-loglevel", "error", "-f", "lavfi"]
        command += ["-i", source, *encoder_args(encoder, config), "-pix_fmt", "yuv420p"]
        subprocess.run([*command, "-movflags", "+faststart", "-y", str(clip)], check=True)
        clips.append(clip)
    return clips


def floor_command(config: EncoderConfig, clips: list[Path], folder: Path) -> list[str]:
    """Decode ``clips`` as one stream and encode it as ``concatenate`` would, without filters."""
    listing = folder / "floor.txt"
    listing.write_text("".join(f"file '{clip}'\n" for clip in clips))
    command = [ffmpeg_binary(config), "-hide_banner", "-nostdin", "-loglevel", "error"]
    command += ["-f", "concat", "-safe", "0", "-i", str(listing)]
    command += [*encoder_args(choose_encoder(config), config), "-pix_fmt", "yuv420p"]
    return [*command, "-movflags", "+faststart", "-f", "mp4", "-y", str(folder / "floor.mp4")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--clips", type=int, default=10)
    args = parser.parse_args()
    config = EncoderConfig()
    encoder = choose_encoder(config)

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        clips = make_clips(config, work, args.clips)
        inputs = [ConcatInput(clip) for clip in clips]
        frames = args.clips * SECONDS * FPS
        print(f"{args.clips} clips of {SECONDS} s {WIDTH}x{HEIGHT} @ {FPS} fps ({frames} frames)")
        print(f"encoder: {' '.join(encoder_args(encoder, config))}\n")

        def join(mode: str) -> Callable[[], object]:
            spec = ConcatSpec(mode=mode)
            return lambda: concatenate(inputs, spec, work / f"{mode}.mp4", config)

        modes = [join(mode)() for mode in ("auto", "reencode")]  # warm-up: page cache, encoder
        assert [getattr(m, "mode", None) for m in modes] == ["copy", "reencode"], modes
        floor = floor_command(config, clips, work)
        contenders: dict[str, Callable[[], object]] = {
            "copy": join("auto"),
            "re-encode": join("reencode"),
            "encoder floor": lambda: subprocess.run(floor, check=True),
        }
        rounds = [
            {name: cpu_seconds(work_) for name, work_ in contenders.items()}
            for _ in range(args.runs)
        ]
        for name in ("auto", "reencode"):
            info = probe(work / f"{name}.mp4")
            assert info.frames == frames, f"{name}: {info.frames} frames, not {frames}"

        print(f"wall seconds ({args.runs} rounds; CPU is ours + ffmpeg's)")
        print(f"{'':16}{'best wall':>10}{'CPU':>8}{'fps':>8}")
        for name in contenders:
            wall = min(r[name][1] for r in rounds)
            cpu = min(r[name][0] for r in rounds)
            print(f"{name:16}{wall:10.3f}{cpu:8.2f}{frames / wall:8.0f}")
        speedup = statistics.median(r["re-encode"][1] / r["copy"][1] for r in rounds)
        overhead = statistics.median(r["re-encode"][1] / r["encoder floor"][1] for r in rounds)
        print(f"\nre-encode / copy   {speedup:8.1f}×   (target: copy ≥ 20× faster)")
        print(f"re-encode / floor  {overhead:8.3f}")


if __name__ == "__main__":
    sys.exit(main())
