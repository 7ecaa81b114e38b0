"""Which service a client command talks to: ``--server``/``--api-key``, else ``FRAMECAST_URL``/
``FRAMECAST_API_KEY`` (a flag wins over the environment)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from framecast.errors import InputError

if TYPE_CHECKING:  # the client (httpx) loads when a command runs, not for --help
    from framecast.client import Client

# Given where a command's own subcommands also take them (``jobs --server X show ID``):
# SUPPRESS keeps a subcommand's unset flag from overwriting the value its parent parsed.
_UNSET = argparse.SUPPRESS


def add_connection_flags(parser: argparse.ArgumentParser) -> None:
    """``--server`` and ``--api-key`` on ``parser``."""
    parser.add_argument(
        "--server", default=_UNSET, help="the service's URL (default: $FRAMECAST_URL)"
    )
    parser.add_argument(
        "--api-key", default=_UNSET, help="its API key (default: $FRAMECAST_API_KEY)"
    )


def connect(args: argparse.Namespace, env: Mapping[str, str] | None = None) -> Client:
    """A client of the service the flags or the environment name; ``InputError`` if either
    the server or the key is given neither way."""
    env = os.environ if env is None else env
    server = getattr(args, "server", None) or env.get("FRAMECAST_URL", "").strip()
    key = getattr(args, "api_key", None) or env.get("FRAMECAST_API_KEY", "").strip()
    if not server:
        raise InputError("no service given: pass --server URL or set FRAMECAST_URL")
    if "://" not in server:
        raise InputError(f"--server: a URL such as http://127.0.0.1:3000; got {server!r}")
    if not key:
        raise InputError("no API key given: pass --api-key KEY or set FRAMECAST_API_KEY")
    from framecast.client import Client

    return Client(server, key)
