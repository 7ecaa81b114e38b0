"""Narration + ducked music + a loudness target under a 60 s 1080p video: ``add_audio`` against a
re-encode of the same video.

Run: .venv/bin/python bench/bench_audio.py [--runs N] [--seconds 60]

The video is lavfi testsrc2 at 1920x1080, 24 fps, with a quiet tone for its own sound, encoded
with libx264 ultrafast (quick to make; its bit rate is high, which only makes copying it
dearer). The narration is 8 MP3 parts of speech-like noise (band-limited bursts with pauses)
filling the video but its last second; the music a 20 s MP3 chord, looped, 12 dB down and
ducked 10 dB under the narration; the video's own sound ducked too; target: youtube
(-14 LUFS, -1 dBTP). Timed, wall seconds, in rounds of all three back to back:
- mix + loudness: ``add_audio`` as above (picture copied; the mix measured, encoded, measured);
- mix: the same without a loudness target (the mix encoded once);
- re-encode: one ffmpeg re-encoding the video's picture with the configured encoder settings
  (what a tool that always re-encodes pays), its audio copied;
- AAC floor: one ffmpeg encoding the finished mix (decoded to a WAV beforehand) with the same
  AAC options: what any tool putting this much new sound in an MP4 pays.
Targets are judged on the median over rounds of each round's ratio.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np
from bench_render import cpu_seconds

from framecast.config import EncoderConfig
from framecast.render.audio_graph import AAC
from framecast.render.audio_mix import (
    PRESETS,
    AudioResult,
    AudioSpec,
    AudioTrack,
    Duck,
    add_audio,
)
from framecast.render.encode import choose_encoder, encoder_args, ffmpeg_binary

FPS, WIDTH, HEIGHT, RATE = 24, 1920, 1080, 48_000
PARTS = 8


def ffmpeg(config: EncoderConfig, *arguments: str) -> None:
    command = [ffmpeg_binary(config), "-hide_banner", "-nostdin", "-loglevel", "error"]
    subprocess.run([*command, *arguments], check=True)


def make_video(config: EncoderConfig, path: Path, seconds: float) -> None:
    video = f"testsrc2=s={WIDTH}x{HEIGHT}:r={FPS}:d={seconds}"
    sound = f"sine=f=220:sample_rate={RATE}:d={seconds},volume=0.3"
    ffmpeg(
        config,
        *("-f", "lavfi", "-i", video, "-f", "lavfi", "-i", sound),
        *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"),
        *("-c:a", "aac", "-movflags", "+faststart", "-y", str(path)),
    )


def write_mp3(config: EncoderConfig, path: Path, samples: np.ndarray) -> Path:
    wav = path.with_suffix(".wav")
    pcm = np.round(np.clip(samples, -1, 1) * 32767).astype("<i2")
    with wave.open(str(wav), "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(RATE)
        f.writeframes(pcm.tobytes())
    ffmpeg(config, "-i", str(wav), "-c:a", "libmp3lame", "-q:a", "4", "-y", str(path))
    return path


def speech_like(seconds: float, seed: int) -> np.ndarray:
    """Noise band-limited to 200–2000 Hz, in bursts of 400 ms with pauses of 300 ms."""
    n = round(seconds * RATE)
    spectrum = np.fft.rfft(np.random.default_rng(seed).standard_normal(n))
    hz = np.fft.rfftfreq(n, 1 / RATE)
    spectrum[(hz < 200) | (hz > 2000)] = 0
    noise = np.fft.irfft(spectrum, n)
    noise *= 0.1 / np.sqrt(np.mean(noise**2))
    return noise * (np.arange(n) / RATE % 0.7 < 0.4)


def chord(seconds: float) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE
    return np.sum(
        [0.1 * np.sin(2 * np.pi * hz * t) for hz in (261.6, 329.6, 392.0, 3000.0)], axis=0
    )


def reencode_command(config: EncoderConfig, video: Path, output: Path) -> list[str]:
    """The picture re-encoded with the configured encoder settings, the audio copied."""
    command = [ffmpeg_binary(config), "-hide_banner", "-nostdin", "-loglevel", "error"]
    command += ["-i", str(video), *encoder_args(choose_encoder(config), config)]
    command += ["-pix_fmt", "yuv420p", "-c:a", "copy", "-movflags", "+faststart"]
    return [*command, "-y", str(output)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    config = EncoderConfig()
    encoder = choose_encoder(config)

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        video = work / "video.mp4"
        make_video(config, video, args.seconds)
        spoken = (args.seconds - 1.0) / PARTS
        parts = [
            write_mp3(config, work / f"n{i}.mp3", speech_like(spoken, i)) for i in range(PARTS)
        ]
        music = write_mp3(config, work / "music.mp3", chord(20.0))
        tracks = [
            AudioTrack("narration", parts),
            AudioTrack("music", [music], volume_db=-12, loop=True, duck=Duck(depth_db=10)),
        ]
        loud = AudioSpec(tracks, original_audio="duck", loudness=PRESETS["youtube"])
        plain = AudioSpec(tracks, original_audio="duck")
        size = video.stat().st_size / 1e6
        print(f"{args.seconds:g} s {WIDTH}x{HEIGHT} @ {FPS} fps, {size:.0f} MB; {PARTS} MP3 parts")
        print(f"re-encode: {' '.join(encoder_args(encoder, config))}\n")

        results: dict[str, AudioResult] = {}

        def mixing(name: str, spec: AudioSpec) -> Callable[[], object]:
            def run() -> None:
                results[name] = add_audio(video, spec, work / f"{name}.mp4", config)

            return run

        reencode = reencode_command(config, video, work / "reencoded.mp4")
        mixing("loud", loud)()  # warm-up (page cache, imports), and the mix for the AAC floor
        finished = work / "finished.wav"
        ffmpeg(
            config, "-i", str(work / "loud.mp4"), "-map", "0:a", "-c:a", "pcm_f32le", str(finished)
        )
        floor = [ffmpeg_binary(config), "-hide_banner", "-nostdin", "-loglevel", "error"]
        floor += ["-i", str(finished), *AAC, "-y", str(work / "floor.m4a")]
        contenders: dict[str, Callable[[], object]] = {
            "mix + loudness": mixing("loud", loud),
            "mix": mixing("plain", plain),
            "re-encode": lambda: subprocess.run(reencode, check=True),
            "AAC floor": lambda: subprocess.run(floor, check=True),
        }
        rounds = [
            {name: cpu_seconds(work_) for name, work_ in contenders.items()}
            for _ in range(args.runs)
        ]

        print(f"wall seconds ({args.runs} rounds; CPU is ours + ffmpeg's)")
        print(f"{'':16}{'best wall':>10}{'CPU':>8}")
        for name in contenders:
            wall = min(r[name][1] for r in rounds)
            cpu = min(r[name][0] for r in rounds)
            print(f"{name:16}{wall:10.3f}{cpu:8.2f}")
        for name in ("mix + loudness", "mix"):
            ratio = statistics.median(r[name][1] / r["re-encode"][1] for r in rounds)
            print(f"{name:16} / re-encode {ratio:6.3f}×   (target: ≤ 0.1×)")
        beyond = statistics.median(
            (r["mix + loudness"][1] - r["AAC floor"][1]) / r["re-encode"][1] for r in rounds
        )
        print(f"{'beyond the AAC floor':27}{beyond:6.3f}×")
        loud_result = results["loud"]
        print(f"\npicture: {loud_result.picture}; duration {loud_result.duration:.3f} s")
        print(f"narration: {loud_result.narration_seconds:.3f} s decoded, {PARTS} parts")
        print(f"loudness measured on the output: {loud_result.loudness}")
        print(f"audio end − video end: {loud_result.av_end_diff_ms:+.2f} ms")


if __name__ == "__main__":
    sys.exit(main())
