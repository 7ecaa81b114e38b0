"""Karaoke captions burned into a 60 s 720x1280 video: the caption path against the encoder floor
for the same frames, and against real time.

Run: .venv/bin/python bench/bench_caption.py [--runs N] [--seconds 60]

The video is lavfi testsrc2 at 720x1280, 30 fps, with a tone for its sound, encoded with
libx264 ultrafast. The captions are words of 3–9 letters, one every 0.25–0.6 s with a pause
of 0.8 s every 12 words (about 150 words a minute: a brisk narrator), preset karaoke, Montserrat
800, safe area tiktok. Timed, wall seconds, in rounds of both back to back:
- caption: ``caption_video`` as the worker runs it (build the pages, write the ASS, one ffmpeg:
  decode, libass, encode with the configured encoder settings, the sound copied, the font log
  checked);
- encoder floor: one ffmpeg decoding the same video and encoding its frames with the same
  settings, the sound copied: what any tool re-encoding this video pays.
Targets (issue 12): caption ≤ 1.3x the floor; ≥ 2x faster than real time. Judged on the median
over rounds of each round's ratio.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_audio import reencode_command

from framecast.captions.model import Captions, Word
from framecast.config import Settings
from framecast.contracts.caption import CaptionOptions, CaptionStyle
from framecast.render.encode import choose_encoder, ffmpeg_binary
from framecast.worker.ops.caption import caption_video

FPS, WIDTH, HEIGHT = 30, 720, 1280


def make_video(binary: str, path: Path, seconds: float) -> None:
    video = f"testsrc2=s={WIDTH}x{HEIGHT}:r={FPS}:d={seconds}"
    sound = f"sine=f=220:sample_rate=48000:d={seconds}"
    command = [binary, "-hide_banner", "-nostdin", "-loglevel", "error"]
    command += ["-f", "lavfi", "-i", video, "-f", "lavfi", "-i", sound]
    command += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    subprocess.run([*command, "-c:a", "aac", "-y", str(path)], check=True)


def spoken_words(seconds: float, seed: int = 7) -> list[Word]:
    """Words at a narrator's pace, with a pause every 12 words."""
    rng = random.Random(seed)
    words, t = [], 0.2
    while t < seconds - 1.0:
        length = rng.uniform(0.25, 0.6)
        text = "".join(rng.choice("abcdefghijklmnoprstuvwy") for _ in range(rng.randint(3, 9)))
        words.append(Word(text, round(t, 3), round(t + length * 0.85, 3)))
        t += length + (0.8 if len(words) % 12 == 0 else 0.0)
    return words


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    settings = Settings.from_env()
    print(f"encoder: {choose_encoder(settings.encoding)}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        video = work / "video.mp4"
        make_video(ffmpeg_binary(settings.encoding), video, args.seconds)
        captions = Captions(words=spoken_words(args.seconds))
        style = CaptionStyle(preset="karaoke", font="Montserrat", weight=800, safe_area="tiktok")
        options = CaptionOptions(style=style)
        # Warm: the static font instance is made once per family and weight, then cached.
        caption_video(
            video, captions, options, None, _folder(work, "warm"), work / "w.mp4", settings
        )
        ratios, speeds = [], []
        for run in range(args.runs):
            started = time.perf_counter()
            folder = _folder(work, f"run{run}")
            built, _ = caption_video(
                video, captions, options, None, folder, work / "c.mp4", settings
            )
            caption = time.perf_counter() - started
            started = time.perf_counter()
            subprocess.run(reencode_command(settings.encoding, video, work / "f.mp4"), check=True)
            floor = time.perf_counter() - started
            ratios.append(caption / floor)
            speeds.append(args.seconds / caption)
            print(
                f"round {run + 1}: caption {caption:.2f} s, floor {floor:.2f} s,"
                f" ratio {caption / floor:.3f}, {args.seconds / caption:.2f}x real time"
                f" ({built.pages} pages, {len(built.words)} words)"
            )
        ratio, speed = statistics.median(ratios), statistics.median(speeds)
        print(f"median: caption/floor {ratio:.3f} (target <= 1.3)")
        print(f"median: {speed:.2f}x faster than real time (target >= 2)")
        sys.exit(0 if ratio <= 1.3 and speed >= 2 else 1)


def _folder(work: Path, name: str) -> Path:
    folder = work / name
    folder.mkdir()
    return folder


if __name__ == "__main__":
    main()
