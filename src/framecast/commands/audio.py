"""``framecast audio``: narration and music under a local video, no server; the same engine."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from framecast.commands.local_files import local_file
from framecast.config import Settings


def add(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the command to the command line."""
    audio = commands.add_parser("audio", help="put narration and music under a video, no server")
    audio.add_argument("video", type=Path, metavar="VIDEO")
    audio.add_argument("--out", type=Path, required=True, help="the resulting MP4")
    audio.add_argument("--narration", type=Path, nargs="+", help="narration, or its parts in order")
    audio.add_argument("--music", type=Path, help="a music bed, looped under the whole video")
    audio.add_argument("--music-volume", type=float, default=-18.0, help="dB (default -18)")
    audio.add_argument("--duck", type=float, help="duck the music this many dB under narration")
    audio.add_argument(
        "--loudness", help="target LUFS (e.g. -14) or youtube, podcast, broadcast (default: none)"
    )
    audio.add_argument("--original", default="keep", help="the video's sound: keep, mute or duck")
    audio.add_argument("--length", default="video", help="video, narration, shortest or longest")
    audio.add_argument("--tail", type=float, default=0.5, help="seconds after the narration")
    audio.add_argument(
        "--picture", default="freeze", help="freeze, loop, retime, trim or error (length change)"
    )
    audio.set_defaults(run=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from framecast.contracts.audio import AudioCreate, audio_options, checked_tracks
    from framecast.render.audio_mix import add_audio
    from framecast.worker.ops.audio import engine_spec

    if args.duck is not None and not args.music:
        print("framecast: --duck needs --music (the track to duck)", file=sys.stderr)
        return 2
    tracks: list[dict[str, object]] = []
    if args.narration:
        tracks.append({"role": "narration", "url": [str(p) for p in args.narration]})
    if args.music:
        music: dict[str, object] = {"role": "music", "url": str(args.music), "loop": True}
        music["volume_db"] = args.music_volume
        if args.duck is not None:
            music["duck"] = {"depth_db": args.duck}
        tracks.append(music)
    loudness: object = args.loudness
    if args.loudness is not None and args.loudness.lstrip("-").replace(".", "", 1).isdigit():
        loudness = {"target_lufs": float(args.loudness)}
    body = {
        "video_url": str(args.video),
        "tracks": tracks,
        "original_audio": args.original,
        "fit": {"length": args.length, "tail": args.tail, "picture": args.picture},
        "loudness": loudness,
    }
    request = AudioCreate.model_validate(body)  # refusals are printed by the command line
    local_file(str(args.video), "video_url")
    checked = checked_tracks(request, local_file)
    parts = [[Path(url) for url in track.urls()] for track in checked]
    spec = engine_spec(checked, parts, audio_options(request))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    mixed = add_audio(args.video, spec, args.out, settings.encoding)
    measured = mixed.loudness or {}
    figures = ", ".join(f"{k} {v:g}" for k, v in measured.items())
    print(
        f"{args.out}: {mixed.duration:.3f} s, picture {mixed.picture}"
        + (f"; {figures}" if figures else "")
        + f"; audio ends {mixed.av_end_diff_ms:+.1f} ms from the picture"
    )
    for warning in mixed.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0
