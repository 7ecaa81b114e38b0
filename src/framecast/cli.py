"""The command line: ``framecast serve`` and ``framecast render``."""

from __future__ import annotations

import argparse
import logging
import sys
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from framecast.config import Settings
from framecast.errors import FramecastError
from framecast.worker.handler import LOG_FORMAT


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="framecast", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the API service (settings from the environment)")
    serve.set_defaults(run=_serve)
    render = commands.add_parser("render", help="render clips locally, no server")
    render.add_argument("images", nargs="+", type=Path, metavar="IMAGE")
    render.add_argument("--duration", type=float, required=True, help="seconds per clip")
    render.add_argument("--out", type=Path, default=Path("."), help="output folder (default .)")
    render.add_argument("--width", type=int, default=1920)
    render.add_argument("--height", type=int, default=1080)
    render.add_argument("--fps", type=float, default=24.0)
    render.add_argument("--zoom", type=float, default=1.25)
    render.set_defaults(run=_render)
    args = parser.parse_args(argv)
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


def _render(args: argparse.Namespace, settings: Settings) -> int:
    from pydantic import ValidationError
    from tqdm import tqdm

    from framecast.errors import describe_validation_errors
    from framecast.render.clip import render_clip
    from framecast.worker.ops.img2vid import render_spec
    from framecast.worker.schema import RenderBlock

    try:
        block = RenderBlock(width=args.width, height=args.height, fps=args.fps, zoom=args.zoom)
    except ValidationError as exc:
        print(f"framecast: {describe_validation_errors(exc.errors())}", file=sys.stderr)
        return 2
    if args.duration <= 0:
        print("framecast: --duration must be above 0 seconds", file=sys.stderr)
        return 2
    spec = render_spec(block)
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
            for image in args.images
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
