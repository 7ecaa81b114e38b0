"""``framecast submit``: images (local files are uploaded first) to a running service's
``POST /video/img2vid``; with ``--wait`` a progress bar until the job ends, with ``--out`` its
videos downloaded."""

from __future__ import annotations

import argparse
import sys
import uuid
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from framecast.commands.connection import add_connection_flags, connect
from framecast.commands.local_files import local_file
from framecast.commands.render_flags import add_render_flags, render_fields
from framecast.config import Settings

if TYPE_CHECKING:  # the client (httpx) loads when a command runs, not for --help
    from framecast.client import Client, Event

ROUTE = "/video/img2vid"


def add(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the command to the command line."""
    submit = commands.add_parser(
        "submit", help="make clips on a running service (local files are uploaded first)"
    )
    submit.add_argument(
        "images", nargs="+", metavar="IMAGE", help="local image files, or http(s) URLs"
    )
    submit.add_argument("--duration", type=float, required=True, help="seconds per clip")
    add_render_flags(submit)
    submit.add_argument(
        "--wait", action="store_true", help="show the job's progress until it ends, then its result"
    )
    submit.add_argument(
        "--out", type=Path, help="download each video (and its files) here; implies --wait"
    )
    add_connection_flags(submit)
    submit.set_defaults(run=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from framecast.contracts.img2vid import Img2VidCreate

    sources = [image if "://" in image else local_file(image, "IMAGE") for image in args.images]
    ids = _ids(sources)
    # The request's own checks first (the contracts are light): a bad flag uploads nothing.
    # Refusals are printed by the command line, naming the field.
    placeholders = [{"id": i, "image_url": "https://example.com/image"} for i in ids]
    Img2VidCreate.model_validate(
        {"duracao": args.duration, **render_fields(args), "images": placeholders}
    ).output_size(None)
    with connect(args) as client:
        images = [
            {"id": item_id, "image_url": _image_url(client, source)}
            for item_id, source in zip(ids, sources, strict=True)
        ]
        body = {"duracao": args.duration, **render_fields(args), "images": images}
        # One key for every attempt: a submission retried after a lost answer is the same job.
        answer = client.submit(ROUTE, body, str(uuid.uuid4()), respond_async=True)
        job_id = answer["job_id"]
        if not (args.wait or args.out):
            print(job_id)
            print(client.url(answer.get("status_url") or f"/jobs/{job_id}"))
            return 0
        try:
            job = _follow(client, job_id, len(images))
        except KeyboardInterrupt:
            print(f"\nframecast: the job goes on: framecast jobs show {job_id}", file=sys.stderr)
            return 130
        _report(client, job)
        if args.out:
            _download(client, job, args.out)
    return 0 if job["status"] == "succeeded" else 1


def _image_url(client: Client, source: str) -> str:
    """A URL as given; a local file uploaded (``POST /inputs``), as its ``input_url``."""
    if "://" in source:
        return source
    stored = client.upload_input(source)
    print(f"uploaded {source} ({stored['bytes']} bytes)", file=sys.stderr)
    url: str = stored["input_url"]
    return url


def _ids(sources: list[str]) -> list[str]:
    """Each image's id: its file name without extension, made unique by ``-2``, ``-3``…"""
    ids: list[str] = []
    for source in sources:
        path = urlsplit(source).path if "://" in source else source
        stem = PurePosixPath(unquote(path)).stem or "image"
        item_id, n = stem, 1
        while item_id in ids:
            n += 1
            item_id = f"{stem}-{n}"
        ids.append(item_id)
    return ids


def _follow(client: Client, job_id: str, total: int) -> dict[str, Any]:
    """The job once ended, with a bar of its clips made meanwhile (failures said as they come)."""
    from tqdm import tqdm

    with tqdm(total=total, unit="clip", desc=job_id[:8]) as bar:

        def progress(event: Event) -> None:
            if event.name == "progress":
                bar.total = event.data["total"]
                bar.n = event.data["done"]  # the bar counts clips made, never failures
                if event.data["failed"]:
                    bar.set_postfix(failed=event.data["failed"], refresh=False)
                bar.refresh()
            elif event.name == "failed":
                tqdm.write(f"{event.data['id']}: {event.data['error']}", file=sys.stderr)

        return client.wait(job_id, progress)


def _report(client: Client, job: dict[str, Any]) -> None:
    """The job's message and each video's URL; its errors on stderr."""
    print(f"job {job['job_id']} {job['status']}: {job['message']}")
    for video in job["videos"]:
        print(f"{video['id']}  {client.url(video['video_url'])}")
    if job.get("error"):
        print(f"framecast: {job['error']}", file=sys.stderr)


def _download(client: Client, job: dict[str, Any], out: Path) -> None:
    """Each video and its files into ``out``, under the names the service gave them."""
    out.mkdir(parents=True, exist_ok=True)
    for video in job["videos"]:
        urls = [video["video_url"], *(video.get("files") or {}).values()]
        for url in urls:
            name = PurePosixPath(unquote(urlsplit(url).path)).name
            written = client.download(url, out / (name or f"{video['id']}.mp4"))
            print(f"wrote {written}")
