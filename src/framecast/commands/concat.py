"""``framecast concat``: local videos joined into one, no server; the same engine and rules."""

from __future__ import annotations

import argparse
from pathlib import Path

from framecast.commands.local_files import local_file
from framecast.config import Settings


def add(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the command to the command line."""
    concat = commands.add_parser("concat", help="join videos into one locally, no server")
    concat.add_argument("videos", nargs="+", type=Path, metavar="VIDEO")
    concat.add_argument("--out", type=Path, required=True, help="the joined MP4")
    concat.add_argument(
        "--transition", type=_transition, help="between every two videos, e.g. fade:0.5"
    )
    concat.add_argument("--width", type=int, help="output width (default: the first video's)")
    concat.add_argument("--height", type=int, help="output height (default: the first video's)")
    concat.add_argument("--aspect", help="instead of --width/--height: 16:9, 9:16, 1:1 or 4:5")
    concat.add_argument("--fps", type=float, help="frame rate (default: the first video's)")
    concat.add_argument("--fit", default="cover", help="cover (default), contain or blur")
    concat.add_argument("--audio", default="keep", help="keep (default) or mute")
    concat.add_argument("--mode", default="auto", help="auto (default), copy or reencode")
    concat.set_defaults(run=run)


def _transition(text: str) -> dict[str, object]:
    """``type:seconds`` (or just ``type``, 0.5 s) → a transition (validated with the rest)."""
    kind, _, seconds = text.partition(":")
    try:
        return {"type": kind, "duration": float(seconds or 0.5)}
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected TYPE:SECONDS, got {text!r}") from None


def run(args: argparse.Namespace, settings: Settings) -> int:
    from framecast.contracts.concatenate import (
        ConcatenateCreate,
        ConcatVideo,
        concat_inputs,
        concat_options,
    )
    from framecast.render.concat import concatenate
    from framecast.worker.ops.concatenate import engine_inputs, engine_spec

    names = ("transition", "width", "height", "aspect", "fps", "fit", "audio", "mode")
    options = {k: getattr(args, k) for k in names if getattr(args, k) is not None}
    videos = [{"video_url": str(path)} for path in args.videos]
    # Refusals (InputError, pydantic's ValidationError) are printed by the command line.
    body = ConcatenateCreate.model_validate({"videos": videos, **options})
    checked = concat_inputs(body, local_file)
    inputs = [ConcatVideo.model_validate(video) for video in checked]
    paths = [Path(video.video_url) for video in inputs]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    joined = concatenate(
        engine_inputs(inputs, paths), engine_spec(concat_options(body)), args.out, settings.encoding
    )
    cuts = ", ".join(f"{cut:.3f}" for cut in joined.cuts)
    print(
        f"{args.out}: {joined.duration:.3f} s, {joined.width}x{joined.height} at {joined.fps:g}"
        f" fps, {joined.mode}; cuts at {cuts}"
    )
    return 0
