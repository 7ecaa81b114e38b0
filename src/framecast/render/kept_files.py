"""Files the renderer keeps between processes: written whole or not at all, where no other user
can put their own in their place (the warp kernels' machine code, the encoder probe's answer)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

__all__ = ["keep", "private_folder"]


def private_folder() -> Path | None:
    """This user's folder in the temp dir (made on first use); None when it is not safely ours.

    Per machine and per boot: what is kept here about the machine is asked again after a reboot.
    """
    folder = Path(tempfile.gettempdir()) / f"framecast-{os.getuid()}"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        about = folder.stat()
    except OSError:
        return None
    # Another user may have made it first, to have us read files of theirs.
    return folder if about.st_uid == os.getuid() and not about.st_mode & 0o022 else None


def keep(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` whole or not at all; False when its folder is not writable."""
    try:
        path.parent.mkdir(exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".", delete=False) as file:
            file.write(data)
    except OSError:
        return False
    try:
        os.chmod(file.name, 0o644)  # readable by all, as a .pyc beside it is
        os.replace(file.name, path)  # readers see the old file or the new one, never a part
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(file.name)
        return False
    return True
