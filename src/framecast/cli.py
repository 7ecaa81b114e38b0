"""The command line: ``framecast serve``, ``framecast worker``, and local work with no server:
``framecast render``, ``framecast concat`` and ``framecast audio``."""

from __future__ import annotations

import argparse
import logging
import sys

from pydantic import ValidationError

from framecast.commands import audio, concat, render
from framecast.config import Settings
from framecast.errors import FramecastError, describe_validation_errors
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
    for command in (render, concat, audio):
        command.add(commands)
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
    except ValidationError as exc:  # a local command's options, checked by the API's models
        print(f"framecast: {describe_validation_errors(exc.errors())}", file=sys.stderr)
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


if __name__ == "__main__":
    sys.exit(main())
