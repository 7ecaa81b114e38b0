"""``framecast caption``: styled captions burned into a local video, no server; the same
builder and burn as the API's caption operation, and the sidecars written beside the output."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from framecast.commands.local_files import local_file
from framecast.config import Settings

SOURCES = ("srt", "vtt", "ass", "words", "alignment")


def add(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the command to the command line."""
    caption = commands.add_parser("caption", help="burn styled captions into a video, no server")
    caption.add_argument("video", type=Path, metavar="VIDEO")
    caption.add_argument("--out", type=Path, required=True, help="the resulting MP4")
    given = caption.add_mutually_exclusive_group(required=True)
    given.add_argument("--srt", type=Path, help="an SRT file")
    given.add_argument("--vtt", type=Path, help="a WebVTT file")
    given.add_argument("--ass", type=Path, help="an ASS file, burned as written")
    given.add_argument("--words", type=Path, help='JSON: [{"word", "start", "end"}, …]')
    given.add_argument("--alignment", type=Path, help="JSON: a TTS provider's alignment")
    caption.add_argument("--style", default="classic", help="the preset (default classic)")
    caption.add_argument("--font", help="a bundled family, e.g. Montserrat, Anton, Inter")
    caption.add_argument("--font-file", type=Path, help="a TTF/OTF to draw with")
    caption.add_argument("--weight", type=int, help="100–900")
    caption.add_argument("--size", help='"6%%" of the height, or pixels')
    caption.add_argument("--position", help="bottom_center, top_center, middle_center, …")
    caption.add_argument("--safe-area", help="tiktok, reels, shorts or youtube")
    caption.add_argument("--color", help="#RRGGBB or #RRGGBBAA")
    caption.add_argument("--active-color", help="the word being said")
    caption.add_argument("--offset", type=float, default=0.0, help="seconds added to every time")
    caption.add_argument(
        "--no-sidecars", action="store_true", help="don't write .srt/.vtt/.ass/.words.json"
    )
    caption.set_defaults(run=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from framecast.captions.sources import read_captions
    from framecast.contracts.caption import CaptionCreate, caption_options
    from framecast.worker.ops.caption import caption_result, caption_video, write_sidecars

    kind = next(name for name in SOURCES if getattr(args, name) is not None)
    path: Path = getattr(args, kind)
    local_file(str(path), f"--{kind}")
    local_file(str(args.video), "VIDEO")
    text = path.read_text(encoding="utf-8-sig")
    value: Any = json.loads(text) if kind in ("words", "alignment") else text
    style = {
        "preset": args.style,
        "font": args.font,
        "font_url": str(args.font_file) if args.font_file else None,
        "weight": args.weight,
        "size": int(args.size) if args.size and args.size.isdigit() else args.size,
        "position": args.position,
        "safe_area": args.safe_area,
        "color": args.color,
        "active_color": args.active_color,
    }
    body = {
        "video_url": str(args.video),
        "captions": {kind: value},
        "offset": args.offset,
        "style": {k: v for k, v in style.items() if v is not None},
        "sidecars": not args.no_sidecars,
    }
    request = CaptionCreate.model_validate(body)  # refusals are printed by the command line
    if args.font_file:
        local_file(str(args.font_file), "--font-file")
    captions = read_captions(kind, getattr(request.captions, kind))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="framecast-caption-", dir=settings.work_dir) as tmp:
        work = Path(tmp)
        built, burned = caption_video(
            args.video, captions, caption_options(request), args.font_file, work, args.out, settings
        )
        written = [args.out]
        if request.sidecars:
            for name, file in write_sidecars(built, work).items():
                target = args.out.with_name(f"{args.out.stem}.{name}")
                shutil.copyfile(file, target)
                written.append(target)
    result = caption_result(built, burned)
    font = result["font"]
    print(
        f"{args.out}: {burned.duration:.3f} s {burned.width}x{burned.height},"
        f" {result['pages']} pages, {result['words']} words, font {font['family']}"
        f" {font['weight']}, audio {burned.audio}, 1 encode"
    )
    for file in written[1:]:
        print(f"wrote {file}")
    for warning in built.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0
