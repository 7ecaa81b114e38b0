"""``framecast compose spec.json --out video.mp4``: the API's compose spec rendered here, no
server; each scene's image, video and narration, the music and the caption files may be local
files (relative to the spec's folder) or URLs (fetched as a worker fetches them)."""

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
from framecast.errors import InputError

_SCHEMES = ("http://", "https://")


def add(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the command to the command line."""
    compose = commands.add_parser(
        "compose", help="render a finished video from a compose spec (JSON), no server"
    )
    compose.add_argument("spec", type=Path, metavar="SPEC", help="the POST /video/compose body")
    compose.add_argument("--out", type=Path, required=True, help="the resulting MP4")
    compose.add_argument(
        "--dry-run", action="store_true", help="print the timeline; render nothing"
    )
    compose.add_argument(
        "--no-sidecars", action="store_true", help="don't write the caption files beside it"
    )
    compose.set_defaults(run=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from framecast.compose.dry_run import measured_inputs, timeline_of
    from framecast.compose.video import compose_video
    from framecast.contracts.compose import (
        ComposeCreate,
        ComposeSource,
        compose_options,
        compose_source,
    )
    from framecast.worker.ops.caption import font_cache, write_sidecars
    from framecast.worker.ops.compose import compose_inputs

    local_file(str(args.spec), "SPEC")
    try:
        spec = json.loads(args.spec.read_text(encoding="utf-8-sig"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"SPEC: {args.spec} is not JSON ({exc})") from exc
    folder = args.spec.resolve().parent
    body = ComposeCreate.model_validate(spec)  # refusals are printed by the command line

    def located(url: str, field: str) -> str:
        if url.startswith(_SCHEMES):
            return url
        return local_file(str(folder / url), field)

    item = ComposeSource(index=0, id=body.id, **compose_source(body, located))
    options = compose_options(body)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="framecast-compose-", dir=settings.work_dir) as tmp:
        work = Path(tmp)
        wanted, files = compose_inputs(item, options.captions, work)
        if args.dry_run or body.dry_run:
            _fetch_or_link(measured_inputs(item, wanted, files), settings)
            print(json.dumps(timeline_of(item, options, files, settings), indent=2))
            return 0
        _fetch_or_link(wanted, settings)
        made = compose_video(
            item.scenes,
            item.music,
            options,
            files,
            work,
            args.out,
            settings,
            font_cache(settings),
        )
        timeline = args.out.with_name(f"{args.out.stem}.timeline.json")
        shutil.copyfile(made.timeline, timeline)
        written = [timeline]
        if made.captions is not None and not args.no_sidecars:
            for name, file in write_sidecars(made.captions, work).items():
                target = args.out.with_name(f"{args.out.stem}.{name}")
                shutil.copyfile(file, target)
                written.append(target)
    result = made.result
    timeline = result["timeline"]
    count = len(timeline["starts"])
    print(
        f"{args.out}: {result['duration']:.3f} s {result['width']}x{result['height']}"
        f" {result['fps']:g} fps, {result['frames']} frames, {count} scene{_s(count)},"
        f" {result['segments']} segment{_s(result['segments'])}, 1 encode"
    )
    for i, (start, length) in enumerate(zip(timeline["starts"], timeline["lengths"], strict=True)):
        print(f"  scene {i}: starts {start:.3f} s, {length:.3f} s")
    if "loudness" in result:
        loudness = result["loudness"]
        print(
            f"  loudness {loudness['integrated_lufs']:.1f} LUFS,"
            f" true peak {loudness['true_peak_db']:.1f} dBTP"
        )
    for file in written:
        print(f"wrote {file}")
    for warning in result.get("warnings", []):
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def _s(count: int) -> str:
    return "" if count == 1 else "s"


def _fetch_or_link(wanted: list[Any], settings: Settings) -> None:
    """URLs fetched as a worker fetches them; local files linked where the worker's land."""
    from framecast.worker.fetch import make_client
    from framecast.worker.inputs import fetch_inputs

    remote = [entry for entry in wanted if entry.url.startswith(_SCHEMES)]
    for entry in wanted:
        if entry not in remote:
            entry.path.symlink_to(Path(entry.url).resolve())
    if remote:
        with make_client(settings.fetch) as client:
            fetch_inputs(remote, settings, lambda wait=True: True, client)
