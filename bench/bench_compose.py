"""A 10-scene 9:16 video with narration, ducked music and karaoke captions: compose against the
chain of separate operations, against the encoder floor for its frames, and in 2 segments.

Run: .venv/bin/python bench/bench_compose.py [--rounds N] [--small]

The spec: 10 JPEG images of 1600x1200 (colour blobs with fine texture, so every move changes
every pixel), each with a narration of 1.5–3 s (MP3, pink noise in bursts) and its words
(a narrator's pace), fade transitions of 0.4 s, a 20 s MP3 chord looped under the whole video,
ducked 10 dB under the narration, loudness youtube, captions karaoke in Montserrat 800;
1080x1920 (--small: 540x960) at 30 fps, libx264 with the configured settings. Timed, wall
seconds, in rounds of all four back to back, after one warm-up round at 180x320 (numba, the
font instance, the page cache):
- compose: ``compose_video`` in 1 segment, as the worker runs it;
- chain: the same video made by the operations one after another, each reading the file the
  one before wrote, with the functions their workers call: img2vid (``render_clip`` per scene,
  as many at once as the worker's render slots, each as long as compose's timeline made it),
  concatenate (``concatenate``, fade 0.4 s between clips), audio (``add_audio``: each narration
  at its scene's narration start, the music ducked, the loudness target), caption
  (``caption_video``: every scene's words shifted to its narration start);
- encoder floor: compose's frames, made beforehand and held in memory, piped to the encoder
  (``ClipEncoder``, zero-copy writes as compose's segments make them): no image work, no
  captions, no sound, no join;
- 2 segments: ``compose_video`` with segments 2.
Targets (the compose issue): chain ≥ 2x compose; compose ≤ 1.2x the floor. Judged on the median
over rounds of each round's ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from bench_render import cpu_seconds

from framecast.captions.model import Captions, Word
from framecast.compose.picture import picture_frames
from framecast.compose.video import ComposeFiles, ComposeMade, compose_video, measure
from framecast.compose.video import scene_sources as compose_scene_sources
from framecast.config import EncoderConfig, Settings
from framecast.contracts.caption import CaptionOptions, CaptionStyle
from framecast.contracts.compose import (
    ComposeCreate,
    ComposeOptions,
    ComposeSource,
    compose_options,
    compose_source,
)
from framecast.render.audio_mix import PRESETS, AudioSpec, AudioTrack, Duck, add_audio
from framecast.render.clip import RenderSpec, render_clip
from framecast.render.concat import ConcatInput, ConcatSpec, Transition, concatenate
from framecast.render.encode import ClipEncoder, choose_encoder, encoder_args, ffmpeg_binary
from framecast.worker.ops.caption import caption_video, font_cache

FPS, SCENES, TRANSITION, DUCK_DB = 30, 10, 0.4, 10.0
MOVES = ["zoom_in", "pan_left", "zoom_out", "pan_up", "pan_right"]
STYLE = {"preset": "karaoke", "font": "Montserrat", "weight": 800, "safe_area": "tiktok"}
STEPS = ("img2vid", "concatenate", "audio", "caption")


def ffmpeg(config: EncoderConfig, *arguments: str) -> None:
    command = [ffmpeg_binary(config), "-hide_banner", "-nostdin", "-loglevel", "error", "-y"]
    subprocess.run([*command, *arguments], check=True)


def make_media(config: EncoderConfig, folder: Path) -> list[float]:
    """The images, narrations and music bed in ``folder``; each narration's length."""
    rng = np.random.default_rng(11)
    lengths = [round(float(rng.uniform(1.5, 3.0)), 2) for _ in range(SCENES)]
    for i, seconds in enumerate(lengths):
        blobs = cv2.resize(
            rng.uniform(0, 255, (12, 16, 3)), (1600, 1200), interpolation=cv2.INTER_CUBIC
        )
        grain = cv2.GaussianBlur(rng.normal(0, 18, (1200, 1600, 3)), (0, 0), 1.2)
        pixels = np.clip(blobs + grain, 0, 255).astype(np.uint8)
        cv2.imwrite(str(folder / f"{i}.jpg"), pixels, [cv2.IMWRITE_JPEG_QUALITY, 90])
        noise = f"anoisesrc=color=pink:amplitude=0.3:sample_rate=48000:duration={seconds}"
        bursts = "volume='0.15+0.85*lt(mod(t,0.7),0.4)':eval=frame"
        ffmpeg(config, "-f", "lavfi", "-i", noise, "-af", bursts, str(folder / f"n{i}.mp3"))
    chord = "+".join(f"0.1*sin(2*PI*{hz}*t)" for hz in (261.6, 329.6, 392.0))
    ffmpeg(config, "-f", "lavfi", "-i", f"aevalsrc={chord}:s=48000:d=20", str(folder / "m.mp3"))
    return lengths


def scene_words(seconds: float, rng: np.random.Generator) -> list[dict[str, Any]]:
    """Words at a narrator's pace over a narration of ``seconds``, in its own seconds."""
    words, t = [], 0.1
    while t + 0.3 < seconds:
        length = float(rng.uniform(0.22, 0.45))
        text = "".join(rng.choice(list("abcdefghiklmnoprstuwy"), int(rng.integers(3, 9))))
        words.append({"word": text, "start": round(t, 3), "end": round(t + length * 0.85, 3)})
        t += length
    return words


def request(lengths: list[float], size: tuple[int, int], segments: int) -> ComposeCreate:
    rng = np.random.default_rng(5)
    scenes = [
        {
            "image_url": f"{i}.jpg",
            "narration_url": f"n{i}.mp3",
            "motion": MOVES[i % len(MOVES)],
            "words": scene_words(seconds, rng),
        }
        for i, seconds in enumerate(lengths)
    ]
    return ComposeCreate.model_validate(
        {
            "width": size[0],
            "height": size[1],
            "fps": FPS,
            "scenes": scenes,
            "transition": {"type": "fade", "duration": TRANSITION},
            "captions": {"style": STYLE},
            "music": {"url": "m.mp3", "duck": {"depth_db": DUCK_DB}},
            "loudness": "youtube",
            "segments": segments,
        }
    )


class Job:
    """One compose request with its files, ready to run as compose or as the chain."""

    def __init__(self, body: ComposeCreate, media: Path, settings: Settings) -> None:
        self.item = ComposeSource(
            index=0, id="v", **compose_source(body, lambda url, field: str(media / url))
        )
        self.options: ComposeOptions = compose_options(body)
        self.settings = settings
        self.chain_frames = 0  # the chain's video, as its last step measured it
        scenes = self.item.scenes
        self.files = ComposeFiles(
            images={i: Path(s.image_url) for i, s in enumerate(scenes) if s.image_url},
            narrations={i: [Path(p) for p in s.narration_parts()] for i, s in enumerate(scenes)},
            music=Path(self.item.music.url) if self.item.music else None,
        )
        self.timeline = measure(self.item.scenes, self.files, self.options).timeline

    def compose(self, work: Path) -> ComposeMade:
        work.mkdir()
        settings = self.settings
        return compose_video(
            self.item.scenes,
            self.item.music,
            self.options,
            self.files,
            work,
            work / "composed.mp4",
            settings,
            font_cache(settings),
        )

    def chain(self, work: Path) -> dict[str, tuple[float, float]]:
        """The four operations one after another; (CPU, wall) seconds of each."""
        work.mkdir()
        settings, block = self.settings, self.options.render
        config = settings.encoding
        slots = self.timeline.slots
        sources = compose_scene_sources(block, self.item.scenes, self.files)
        clips = [work / f"clip{i}.mp4" for i in range(len(slots))]

        def clip(i: int) -> None:
            source = sources[i]
            spec = RenderSpec(
                block.width, block.height, block.fps, source.motion, source.fit, source.background
            )
            assert source.image is not None and source.motion is not None
            seconds = slots[i].frames / block.fps  # the scene's frames on compose's timeline
            render_clip(source.image, clips[i], seconds, spec, config, settings.fetch.max_pixels)

        def img2vid() -> None:
            with ThreadPoolExecutor(settings.render_batch_size) as pool:
                list(pool.map(clip, range(len(slots))))

        def join() -> None:
            fade = Transition("fade", TRANSITION)
            inputs = [ConcatInput(c, transition=fade if i else None) for i, c in enumerate(clips)]
            concatenate(inputs, ConcatSpec(), work / "joined.mp4", config)

        def audio() -> None:
            music = self.item.music
            assert music is not None and self.files.music is not None
            tracks = [
                AudioTrack("narration", self.files.narrations[i], start=s.narration_start)
                for i, s in enumerate(slots)
            ]
            bed = AudioTrack(
                "music",
                [self.files.music],
                volume_db=music.volume_db,
                fade_out=music.fade_out,
                loop=True,
                duck=Duck(depth_db=DUCK_DB),
            )
            spec = AudioSpec([*tracks, bed], original_audio="mute", loudness=PRESETS["youtube"])
            add_audio(work / "joined.mp4", spec, work / "sound.mp4", config)

        def caption() -> None:
            words = [
                Word(w.word, w.start + s.narration_start, w.end + s.narration_start)
                for scene, s in zip(self.item.scenes, slots, strict=True)
                for w in scene.words or []
            ]
            options = CaptionOptions(style=CaptionStyle.model_validate(STYLE))
            output = work / "captioned.mp4"
            _, burned = caption_video(
                work / "sound.mp4", Captions(words), options, None, work, output, settings
            )
            self.chain_frames = burned.frames

        steps: dict[str, Callable[[], None]] = dict(
            zip(STEPS, (img2vid, join, audio, caption), strict=True)
        )
        return {name: cpu_seconds(step) for name, step in steps.items()}

    def floor(self, work: Path) -> Callable[[], None]:
        """Encoding compose's frames, rendered now and held in memory (the timed part)."""
        timeline = self.timeline
        block, config = self.options.render, self.settings.encoding
        sources = compose_scene_sources(block, self.item.scenes, self.files)
        size = (block.width, block.height)
        every = range(timeline.frames)
        max_pixels = self.settings.fetch.max_pixels
        frames = [
            bytes(f) for f in picture_frames(sources, timeline, size, every, max_pixels, config)
        ]

        def encode() -> None:
            with ClipEncoder(config, work / "floor.mp4", *size, block.fps) as encoder:
                encoder.splice_frames(len(frames[0]))  # the pipe compose's segments use
                for frame in frames:
                    encoder.write(frame)

        return encode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--small", action="store_true", help="540x960 for a quick run")
    args = parser.parse_args()
    size = (540, 960) if args.small else (1080, 1920)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        media = root / "media"
        media.mkdir()
        settings = Settings(work_dir=root, encoding=EncoderConfig(encoder="x264"))
        config = settings.encoding
        lengths = make_media(config, media)
        counter = iter(range(1000))

        def folder(name: str) -> Path:
            return root / f"{name}{next(counter)}"

        warm = Job(request(lengths, (180, 320), 1), media, settings)
        warm.compose(folder("warm"))
        warm.chain(folder("warm-chain"))
        one = Job(request(lengths, size, 1), media, settings)
        two = Job(request(lengths, size, 2), media, settings)
        floor = one.floor(root)
        results: dict[str, ComposeMade] = {}

        def composing(name: str, job: Job) -> Callable[[], None]:
            def run() -> None:
                results[name] = job.compose(folder(name))

            return run

        rounds = []
        for n in range(args.rounds):
            timed = {"compose": cpu_seconds(composing("compose", one))}
            steps = one.chain(folder("chain"))
            timed["chain"] = (sum(c for c, _ in steps.values()), sum(w for _, w in steps.values()))
            timed |= steps
            timed["encoder floor"] = cpu_seconds(floor)
            timed["2 segments"] = cpu_seconds(composing("2 segments", two))
            rounds.append(timed)
            walls = ", ".join(f"{name} {wall:.1f}" for name, (_, wall) in timed.items())
            print(f"round {n + 1}: {walls}", flush=True)

        result = results["compose"].result
        print(
            f"\n{SCENES} scenes, {size[0]}x{size[1]} @ {FPS} fps: {result['frames']} frames,"
            f" {result['duration']:.2f} s, {result['pages']} caption pages,"
            f" {result['words']} words; loudness {result['loudness']}"
        )
        print(f"the chain's video: {one.chain_frames} frames")
        encoder = choose_encoder(config)
        print(f"encoder: {' '.join(encoder_args(encoder, config))}")
        print(
            f"render slots (img2vid clips at once): {settings.render_batch_size};"
            f" CPUs: {os.cpu_count()}\n"
        )
        print(f"median over {args.rounds} rounds; CPU is ours + ffmpeg's")
        print(f"{'':18}{'wall s':>8}{'CPU s':>8}{'fps':>8}")
        for name in rounds[0]:
            wall = statistics.median(r[name][1] for r in rounds)
            cpu = statistics.median(r[name][0] for r in rounds)
            indent = "  " if name in STEPS else ""
            print(f"{indent + name:18}{wall:8.2f}{cpu:8.2f}{result['frames'] / wall:8.1f}")

        def ratio(top: str, bottom: str) -> float:
            return statistics.median(r[top][1] / r[bottom][1] for r in rounds)

        faster, overhead, split = (
            ratio("chain", "compose"),
            ratio("compose", "encoder floor"),
            ratio("compose", "2 segments"),
        )
        print(f"\nchain / compose       {faster:6.2f}x   (target: compose ≥ 2x faster)")
        print(
            f"compose / floor       {overhead:6.3f}x   (target: ≤ 1.2x; compose also mixes the"
            " sound, burns the captions and joins)"
        )
        print(
            f"1 segment / 2         {split:6.2f}x   (no target: on {os.cpu_count()} CPUs libx264"
            " already uses every core)"
        )
        sys.exit(0 if faster >= 2 and overhead <= 1.2 else 1)


if __name__ == "__main__":
    main()
