"""The command line: ``framecast serve``, ``framecast worker``, local work with no server:
``framecast render``, ``framecast concat``, ``framecast audio``, ``framecast caption`` and
``framecast compose``, and a client of a running service: ``framecast submit``,
``framecast jobs``."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from framecast.commands import audio, caption, compose, concat, jobs, render, submit
from framecast.config import Settings
from framecast.errors import FramecastError, describe_validation_errors
from framecast.logs import LOG_FORMAT


def main(argv: list[str] | None = None) -> int:
    # numpy's OpenBLAS starts a thread per core as it loads, for matrix maths framecast never
    # does: ~40 ms of CPU at every start of a render or a worker (and of the pool's workers,
    # which inherit this). One is enough, unless the environment says otherwise.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    parser = argparse.ArgumentParser(prog="framecast", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the API service (settings from the environment)")
    serve.set_defaults(run=_serve)
    worker = commands.add_parser(
        "worker", help="run the RunPod Serverless worker (SDK options such as --test_input pass on)"
    )
    worker.set_defaults(run=_worker)
    for command in (render, concat, audio, caption, compose, submit, jobs):
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
    except Exception as exc:
        # pydantic loads with the API's models, which check a local command's options: it
        # costs --help and serve --help nothing until then.
        from pydantic import ValidationError

        if not isinstance(exc, ValidationError):
            raise
        print(f"framecast: {describe_validation_errors(exc.errors())}", file=sys.stderr)
        return 2


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from framecast.api.app import create_app
    from framecast.api.http_protocol import RequestLimits, limited_protocol
    from framecast.logs import configure_logging

    configure_logging(settings.log_format)
    app = create_app(settings)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,  # uvicorn's lines go through the handler configure_logging installed
        log_level="info",
        # uvicorn caps no request head and times out no slow head or body: this protocol does.
        http=limited_protocol(RequestLimits.of(settings)),
        ws="none",  # the API has no WebSocket route (its events are SSE)
    )
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
