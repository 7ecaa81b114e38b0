"""Work folders: each one locked by the process working in it, so that a worker starting later
removes those of workers that were killed (SIGKILL, the OOM killer, the API they belonged to
killed) at once, and never one a live worker is using, whatever its age.

The lock is an ``flock`` on ``.owner`` in the folder: the kernel drops it when its process dies,
however it dies, so no pid is trusted (pids are reused, and mean nothing across containers).
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger("framecast.worker")

PREFIX = "framecast-"
OWNER = ".owner"
# Folders of an older release carry no lock: one untouched this long was left by a killed
# worker (no clip takes hours). Only names the worker makes: framecast-<job id>-<random>.
STALE_WORK_SECONDS = 6 * 3600.0
_WORK_FOLDER = re.compile(r"framecast-[0-9a-f]{32}-[a-z0-9_]{8}")


@contextmanager
def work_folder(work_dir: Path | None, job_id: str) -> Iterator[Path]:
    """A new folder for ``job_id``'s work, owned by this process until it is removed."""
    folder = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{job_id}-", dir=work_dir))
    try:
        lock = _own(folder)
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    try:
        yield folder
    finally:
        # Removed while still locked: no starting worker can take it for an orphan meanwhile.
        shutil.rmtree(folder, ignore_errors=True)
        os.close(lock)


def _own(folder: Path) -> int:
    # Locked under another name, then renamed: ``.owner`` is never seen unlocked by a live owner.
    claim = folder / f"{OWNER}.new"
    lock = os.open(claim, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    fcntl.flock(lock, fcntl.LOCK_EX)
    os.rename(claim, folder / OWNER)
    return lock


def remove_stale_work(work_dir: Path | None, older_than: float = STALE_WORK_SECONDS) -> None:
    """Delete the work folders no live process owns (at a worker's start)."""
    cutoff = time.time() - older_than
    for folder in Path(work_dir or tempfile.gettempdir()).glob(f"{PREFIX}*"):
        try:
            if (folder / OWNER).exists():
                removed = _remove_if_orphaned(folder)
            elif _WORK_FOLDER.fullmatch(folder.name):
                # An older release's, or one being made right now (and so young).
                removed = folder.is_dir() and folder.stat().st_mtime < cutoff
                if removed:
                    shutil.rmtree(folder)
            else:
                continue  # not a work folder (a font cache, another program's)
        except OSError:
            continue  # another worker removed it first, or it is not ours to remove
        if removed:
            log.info("stale work folder removed path=%s", folder)


def _remove_if_orphaned(folder: Path) -> bool:
    lock = os.open(folder / OWNER, os.O_RDONLY)
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False  # its owner is alive
        shutil.rmtree(folder, ignore_errors=True)
        return True
    finally:
        os.close(lock)
