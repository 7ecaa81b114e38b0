"""``framecast jobs``: a running service's jobs as a table; ``jobs show ID``, ``jobs cancel ID``."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import TYPE_CHECKING, Any

from framecast.commands.connection import add_connection_flags, connect
from framecast.config import Settings

if TYPE_CHECKING:  # the client (httpx) loads when a command runs, not for --help
    from framecast.client import Client


def add(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the command to the command line."""
    jobs = commands.add_parser("jobs", help="a running service's jobs; show or cancel one")
    jobs.add_argument("--status", help="only jobs in this state (queued, running, succeeded…)")
    jobs.add_argument("--limit", type=int, default=20, help="how many, newest first (default 20)")
    add_connection_flags(jobs)
    jobs.set_defaults(run=_list)
    actions = jobs.add_subparsers(dest="jobs_action", metavar="{show,cancel}")
    show = actions.add_parser("show", help="a job's status, progress, videos, errors, webhook")
    cancel = actions.add_parser("cancel", help="stop a job's pending work (videos done are kept)")
    for action, run in ((show, _show), (cancel, _cancel)):
        action.add_argument("job_id", metavar="ID")
        add_connection_flags(action)
        action.set_defaults(run=run)


def _list(args: argparse.Namespace, settings: Settings) -> int:
    with connect(args) as client:
        jobs = client.jobs(args.status, args.limit)
    rows = [("ID", "OPERATION", "STATUS", "PROGRESS", "CREATED", "DURATION")]
    rows += [
        (
            job["job_id"],
            job["operation"],
            job["status"],
            _progress(job["progress"]),
            _time(job["created_at"]),
            _seconds(job["execution"]["durationSeconds"]),
        )
        for job in jobs
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    return 0


def _show(args: argparse.Namespace, settings: Settings) -> int:
    with connect(args) as client:
        job = client.job(args.job_id)
        _print_job(client, job)
    return 0


def _cancel(args: argparse.Namespace, settings: Settings) -> int:
    with connect(args) as client:
        job = client.cancel(args.job_id)
    print(f"job {job['job_id']} {job['status']}: {job['message']}")
    return 0


def _print_job(client: Client, job: dict[str, Any]) -> None:
    progress = job["progress"]
    lines = [
        ("job", job["job_id"]),
        ("operation", job["operation"]),
        ("status", f"{job['status']}: {job['message']}"),
        ("progress", f"{_progress(progress)} done, {progress['failed']} failed"),
        ("created", _time(job["created_at"])),
        ("started", _time(job["started_at"])),
        ("ended", _time(job["ended_at"])),
        ("duration", _seconds(job["execution"]["durationSeconds"])),
    ]
    if job.get("expired"):
        lines.append(("expired", "yes: its videos were deleted"))
    for name, value in lines:
        print(f"{name:<10} {value}")
    if job["videos"]:
        print("videos")
        for video in job["videos"]:
            print(f"  {video['id']}  {client.url(video['video_url'])}")
            for name, url in (video.get("files") or {}).items():
                print(f"    {name}  {client.url(url)}")
    if job["failed"]:
        print("failed")
        for failed in job["failed"]:
            print(f"  {failed['id']}  {failed['error']}")
    if job.get("error"):
        print(f"{'error':<10} {job['error']}")
    if job.get("webhook"):
        print(f"{'webhook':<10} {_webhook(job['webhook'])}")


def _webhook(webhook: dict[str, Any]) -> str:
    attempts = len(webhook["attempts"])
    said = f"{webhook['state']} to {webhook['url']} ({attempts} attempt{'s' * (attempts != 1)})"
    if webhook.get("next_attempt_at"):
        said += f", next at {_time(webhook['next_attempt_at'])}"
    if webhook.get("last_error"):
        said += f", last error: {webhook['last_error']}"
    return said


def _progress(progress: dict[str, Any]) -> str:
    return f"{progress['done']}/{progress['total']}"


def _time(iso: str | None) -> str:
    """An ISO 8601 time as local time to the second; ``-`` for none."""
    if not iso:
        return "-"
    return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _seconds(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.1f} s"
