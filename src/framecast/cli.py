"""The command line: ``framecast serve``, ``framecast worker``, and local work with no server:
``framecast render`` and ``framecast concat``."""

from __future__ import annotations

import argparse
import logging
import sys
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from framecast.config import Settings
from framecast.errors import FramecastError
from framecast.logs import LOG_FORMAT


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="framecast", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the API service (settings from the environment)")
    serve.set_defaults(run=_serve)
    worker = commands.add_parser(
        "worker", help="run the RunPod Serverless worker (SDK options such as --test_input pass on)"
    )
    worker.set_defaults(run=_worker)
    render = commands.add_parser("render", help="render clips locally, no server")
    render.add_argument("images", nargs="+", type=Path, metavar="IMAGE")
    render.add_argument("--duration", type=float, required=True, help="seconds per clip")
    render.add_argument("--out", type=Path, default=Path("."), help="output folder (default .)")
    render.add_argument("--width", type=int, help="output width (default 1920)")
    render.add_argument("--height", type=int, help="output height (default 1080)")
    render.add_argument("--aspect", help="instead of --width/--height: 16:9, 9:16, 1:1 or 4:5")
    render.add_argument("--fps", type=float, default=24.0)
    render.add_argument(
        "--motion", help="zoom_in (default), zoom_out, pan_left/right/up/down, static or random"
    )
    render.add_argument("--motions", help="what random picks from, comma-separated")
    render.add_argument("--seed", type=int, default=0, help="random's picks (default 0)")
    render.add_argument("--zoom", type=float, help="zoom amount, 1.0-4.0 (default 1.25)")
    render.add_argument("--easing", help="linear (default) or ease_in_out")
    render.add_argument("--start", type=_region, help="first framing x,y,w,h (fractions)")
    render.add_argument("--end", type=_region, help="last framing x,y,w,h (fractions)")
    render.add_argument("--fit", help="cover (default), contain or blur")
    render.add_argument("--background", help='bar colour of --fit contain (default "#000000")')
    render.set_defaults(run=_render)
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
    concat.set_defaults(run=_concat)
    args, unknown = parser.parse_known_args(argv)
    if unknown and args.command != "worker":
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    args.sdk_args = unknown
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        settings = Settings.from_env()
        result: int = args.run(args, settings)
        return result
    except FramecastError as exc:
        print(f"framecast: {exc.message}", file=sys.stderr)
        return 2


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from framecast.api.app import create_app

    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")
    return 0


def _worker(args: argparse.Namespace, settings: Settings) -> int:
    from framecast.worker.runpod_entry import run_worker

    sys.argv = [sys.argv[0], *args.sdk_args]  # the SDK parses its own options from sys.argv
    try:
        return run_worker(settings)
    except ModuleNotFoundError as exc:
        if exc.name != "runpod":
            raise
        print(
            "framecast: the worker needs the RunPod SDK: pip install 'framecast[worker]'",
            file=sys.stderr,
        )
        return 2


def _region(text: str) -> dict[str, float]:
    """``x,y,w,h`` → a framing rectangle (validated with the rest of the options)."""
    try:
        x, y, w, h = (float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected x,y,w,h fractions, got {text!r}") from None
    return {"x": x, "y": y, "w": w, "h": h}


def _transition(text: str) -> dict[str, object]:
    """``type:seconds`` (or just ``type``, 0.5 s) → a transition (validated with the rest)."""
    kind, _, seconds = text.partition(":")
    try:
        return {"type": kind, "duration": float(seconds or 0.5)}
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected TYPE:SECONDS, got {text!r}") from None


def _concat(args: argparse.Namespace, settings: Settings) -> int:
    from pydantic import ValidationError

    from framecast.contracts.concatenate import ConcatenateCreate, concat_inputs
    from framecast.errors import InputError, describe_validation_errors
    from framecast.render.concat import ConcatInput, ConcatSpec, Transition, concatenate

    names = ("transition", "width", "height", "aspect", "fps", "fit", "audio", "mode")
    options = {k: getattr(args, k) for k in names if getattr(args, k) is not None}
    videos = [{"video_url": str(path)} for path in args.videos]
    try:
        body = ConcatenateCreate.model_validate({"videos": videos, **options})
        size = body.output_size(None)
        inputs = concat_inputs(body, _local_file)
    except ValidationError as exc:
        print(f"framecast: {describe_validation_errors(exc.errors())}", file=sys.stderr)
        return 2
    except InputError as exc:
        print(f"framecast: {exc.message}", file=sys.stderr)
        return 2
    spec = ConcatSpec(
        width=size[0] if size else None,
        height=size[1] if size else None,
        fps=body.fps,
        fit=body.fit,
        audio=body.audio,
        mode=body.mode,
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    joined = concatenate(
        [
            ConcatInput(
                Path(video["video_url"]),
                transition=Transition(**video["transition"]) if "transition" in video else None,
            )
            for video in inputs
        ],
        spec,
        args.out,
        settings.encoding,
    )
    cuts = ", ".join(f"{cut:.3f}" for cut in joined.cuts)
    print(
        f"{args.out}: {joined.duration:.3f} s, {joined.width}x{joined.height} at {joined.fps:g}"
        f" fps, {joined.mode}; cuts at {cuts}"
    )
    return 0


def _local_file(path: str, field: str) -> str:
    from framecast.errors import InputError

    if not Path(path).is_file():
        raise InputError(f"{field}: no such file {path!r}")
    return path


def _render(args: argparse.Namespace, settings: Settings) -> int:
    from pydantic import ValidationError
    from tqdm import tqdm

    from framecast.contracts.render import RenderBlock
    from framecast.contracts.vocab import ASPECTS
    from framecast.errors import describe_validation_errors
    from framecast.render.clip import render_clip
    from framecast.worker.ops.img2vid import render_spec

    if args.aspect and (args.width or args.height or args.aspect not in ASPECTS):
        shapes = ", ".join(ASPECTS)
        print(f"framecast: --aspect is one of {shapes}, without --width/--height", file=sys.stderr)
        return 2
    names = ("width", "height", "fps", "seed", "motion", "zoom", "easing", "start", "end", "fit")
    options = {k: getattr(args, k) for k in (*names, "background")}
    if args.aspect:
        options["width"], options["height"] = ASPECTS[args.aspect]
    if args.motions:
        options["motions"] = args.motions.split(",")
    try:
        block = RenderBlock.model_validate({k: v for k, v in options.items() if v is not None})
        specs = [render_spec(block, None, i) for i in range(len(args.images))]
    except ValidationError as exc:
        print(f"framecast: {describe_validation_errors(exc.errors())}", file=sys.stderr)
        return 2
    if args.duration <= 0:
        print("framecast: --duration must be above 0 seconds", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    failures = 0
    with (
        ThreadPoolExecutor(settings.render_batch_size) as pool,
        tqdm(total=len(args.images), unit="clip") as bar,
    ):
        futures = {
            pool.submit(
                render_clip,
                image,
                args.out / f"{image.stem}.mp4",
                args.duration,
                spec,
                settings.encoding,
                settings.fetch.max_pixels,
            ): image
            for image, spec in zip(args.images, specs, strict=True)
        }
        for future in as_completed(futures):
            try:
                future.result()
            except FramecastError as exc:
                failures += 1
                tqdm.write(f"{futures[future]}: {exc.message}", file=sys.stderr)
            bar.update()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
