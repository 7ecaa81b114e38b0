"""``framecast render``: clips from local images, no server; the renderer and rules of the API."""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import TYPE_CHECKING

from framecast.commands.render_flags import add_render_flags, render_fields
from framecast.config import Settings
from framecast.errors import FramecastError

if TYPE_CHECKING:  # the renderer loads only when a clip is rendered
    from framecast.render.clip import ClipInfo


def add(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the command to the command line."""
    render = commands.add_parser("render", help="render clips locally, no server")
    # Kept as typed: Path would fold the "//" of a URL given by mistake ("https:/host/a.jpg").
    render.add_argument("images", nargs="+", metavar="IMAGE", help="local image files")
    render.add_argument("--duration", type=float, required=True, help="seconds per clip")
    render.add_argument("--out", type=Path, default=Path("."), help="output folder (default .)")
    add_render_flags(render)
    render.set_defaults(run=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from tqdm import tqdm

    from framecast.contracts.render import RenderBlock
    from framecast.contracts.vocab import ASPECTS
    from framecast.render.clip import render_clip
    from framecast.worker.ops.img2vid_spec import render_spec

    if args.aspect and (args.width or args.height or args.aspect not in ASPECTS):
        shapes = ", ".join(ASPECTS)
        print(f"framecast: --aspect is one of {shapes}, without --width/--height", file=sys.stderr)
        return 2
    options = render_fields(args)
    aspect = options.pop("aspect", None)
    if aspect:
        options["width"], options["height"] = ASPECTS[aspect]
    # Refusals (InputError, pydantic's ValidationError) are printed by the command line.
    block = RenderBlock.model_validate(options)
    specs = [render_spec(block, None, i) for i in range(len(args.images))]
    if args.duration <= 0:
        print("framecast: --duration must be above 0 seconds", file=sys.stderr)
        return 2
    refusal = _refusal(args.images, args.out)
    if refusal:
        print(f"framecast: {refusal}", file=sys.stderr)
        return 2
    images = [Path(image) for image in args.images]
    args.out.mkdir(parents=True, exist_ok=True)
    failures = 0
    written: dict[Path, ClipInfo] = {}
    with (
        ThreadPoolExecutor(settings.render_batch_size) as pool,
        tqdm(total=len(images), unit="clip") as bar,
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
            for image, spec in zip(images, specs, strict=True)
        }
        for future in as_completed(futures):
            try:
                written[futures[future]] = future.result()
            except FramecastError as exc:
                failures += 1
                bar.set_postfix(failed=failures)  # the bar counts clips made, never failures
                tqdm.write(f"{futures[future]}: {exc.message}", file=sys.stderr)
                continue
            bar.update()
    for image in (image for image in images if image in written):
        _report(image, args.out / f"{image.stem}.mp4", written[image])
    return 1 if failures else 0


def _refusal(images: list[str], out: Path) -> str | None:
    """Why the images cannot be rendered as given: a URL, a missing file, two clips in one file."""
    clips: dict[Path, str] = {}
    for image in images:
        if "://" in image:
            return (
                f"{image}: pass a local file; framecast render reads local images (for URLs,"
                " a running service: framecast submit, or POST /video/img2vid)"
            )
        if not Path(image).is_file():
            return f"{image}: " + ("not a file" if Path(image).exists() else "no such file")
        clip = out / f"{Path(image).stem}.mp4"
        if clip in clips:
            return f"{clips[clip]} and {image}: both would be written to {clip}"
        clips[clip] = image
    return None


def _report(image: Path, clip: Path, info: ClipInfo) -> None:
    """The file written and how (random's pick); the image's warnings on stderr."""
    move = info.framing.move if info.framing else None
    size = f"{info.width}x{info.height}, {info.frames} frames"
    print(f"wrote {clip} ({size}, {move or 'start/end'})")
    for warning in info.framing.warnings() if info.framing else []:
        print(f"{image}: warning: {warning}", file=sys.stderr)
