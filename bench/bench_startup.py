"""Start-up cost of the command line, process start included, against baselines run alongside.

Run: .venv/bin/python bench/bench_startup.py [--runs N]

Every contender is a separate process timed from spawn to exit, in rounds of all of them back to
back (a shared machine's load then disturbs a round's ratios less than runs minutes apart); the
targets are judged on the median over rounds. One untimed round first warms what a user's second
run finds warm: the page cache, Python's bytecode (written even where PYTHONDONTWRITEBYTECODE is
set here, as an installed package has it), the warp kernels' build and the encoder probe's answer.
CPU seconds (the process and its children) are printed beside: a loaded machine moves them less.

(1) ``framecast --help`` and ``framecast serve --help``, against a bare ``python -c pass``.
(2) ``framecast render`` of a 1-frame clip from a 3840x2160 JPEG.
(3) ``framecast render`` of a 5 s 1080p25 clip from that JPEG, against the original one-line
ffmpeg zoompan chain and against the encoder floor (the same frames pre-rendered to a raw file and
encoded by our own ffmpeg command), all with the encoder and settings ``framecast`` uses here.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import cv2
from bench_render import photo_like

from framecast.config import Settings
from framecast.render.clip import RenderSpec, render_frames
from framecast.render.encode import choose_encoder, encode_command, encoder_args, ffmpeg_binary
from framecast.render.frames import load_image
from framecast.render.motion import frame_count

DURATION, FPS, WIDTH, HEIGHT = 5.0, 25.0, 1920, 1080
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ZOOMPAN = (
    "scale=8000:-1,zoompan=z='min(zoom+0.0015,1.5)':d={frames}:x='iw/2-(iw/zoom/2)':"
    "y='ih/2-(ih/zoom/2)':s=1920x1080:fps=25"
)


def framecast_command() -> list[str]:
    """The installed ``framecast`` script beside this interpreter (else ``-m``)."""
    script = Path(sys.executable).with_name("framecast")
    return [str(script)] if script.exists() else [sys.executable, "-m", "framecast.cli"]


def timed(command: Sequence[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process and its children) of one run to its exit."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu


def contenders(work: Path) -> dict[str, list[str]]:
    """Every command timed, by name: the start-up baselines first, then the 5 s clip's."""
    settings = Settings.from_env()
    config = settings.encoding
    encoder = choose_encoder(config)
    frames = frame_count(DURATION, FPS)
    image = work / "source.jpg"
    cv2.imwrite(str(image), cv2.cvtColor(photo_like(3840, 2160), cv2.COLOR_RGB2BGR))
    raw = work / "frames.yuv"
    rgb = load_image(image, 10**9)
    with raw.open("wb") as f:
        for frame in render_frames(rgb, RenderSpec(WIDTH, HEIGHT, FPS), frames):
            f.write(frame)
    framecast = framecast_command()
    render = [*framecast, "render", str(image), "--fps", f"{FPS:g}", "--out", str(work / "ours")]
    chain = [ffmpeg_binary(config), "-hide_banner", "-nostdin", "-loglevel", "error", "-loop", "1"]
    chain += ["-i", str(image), "-vf", ZOOMPAN.format(frames=frames), "-t", f"{DURATION:g}"]
    chain += [*encoder_args(encoder, config), "-pix_fmt", "yuv420p", "-movflags", "+faststart"]
    chain += ["-y", str(work / "zoompan.mp4")]
    return {
        "python -c pass": [sys.executable, "-c", "pass"],
        "framecast --help": [*framecast, "--help"],
        "framecast serve --help": [*framecast, "serve", "--help"],
        "render, 1 frame": [*render, "--duration", f"{1 / FPS:g}"],
        "encoder floor (raw file)": encode_command(
            config, encoder, WIDTH, HEIGHT, FPS, work / "floor.mp4", source=str(raw)
        ),
        "zoompan chain": chain,
        "render, 5 s 1080p25": [*render, "--duration", f"{DURATION:g}"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        commands = contenders(Path(tmp))
        for command in commands.values():  # the warm-up round
            timed(command)
        rounds = [{name: timed(c) for name, c in commands.items()} for _ in range(args.runs)]
    walls = {name: statistics.median(r[name][0] for r in rounds) for name in commands}
    cpus = {name: statistics.median(r[name][1] for r in rounds) for name in commands}

    def ratio(name: str, base: str) -> float:
        return statistics.median(r[name][0] / r[base][0] for r in rounds)

    print(f"encoder {choose_encoder(Settings.from_env().encoding)}, {args.runs} rounds (medians)")
    print(f"{'':28}{'wall s':>8}{'CPU s':>8}")
    for name in commands:
        print(f"{name:28}{walls[name]:8.3f}{cpus[name]:8.3f}")
    clip, floor, chain = "render, 5 s 1080p25", "encoder floor (raw file)", "zoompan chain"
    checks = [
        ("framecast --help", walls["framecast --help"], 0.15, "s"),
        ("framecast serve --help", walls["framecast serve --help"], 0.15, "s"),
        ("render, 1 frame", walls["render, 1 frame"], 0.4, "s"),
        ("5 s clip / zoompan chain", ratio(clip, chain), 0.95, "x"),
        ("5 s clip / encoder floor", ratio(clip, floor), 1.15, "x"),
    ]
    print("\ntargets")
    for name, value, target, unit in checks:
        verdict = "met" if value <= target else f"missed by {value / target - 1:.0%}"
        print(f"{name:28}{value:8.3f}{unit}  ≤ {target:g}{unit}  {verdict}")


if __name__ == "__main__":
    sys.exit(main())
