"""Run a Python module with a tiny tmpfs mounted on a folder, so writes there fail as on a full
disk (ENOSPC, from the kernel itself):

    python -m tests.support.full_volume FOLDER BYTES MODULE [ARGS…]
    python -m tests.support.full_volume --check     exit 0 if this machine allows it, else 77

No root: the process enters a user namespace and a mount namespace of its own (what rootless
containers do), where it may mount a tmpfs that no other process sees. A kernel or container
that forbids unprivileged user namespaces refuses: exit status 77 and a line saying why.
"""

from __future__ import annotations

import ctypes
import os
import runpy
import sys
from pathlib import Path

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
UNAVAILABLE = 77  # the exit status test runners read as "skipped"

_libc = ctypes.CDLL(None, use_errno=True)


def _call(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def enter_namespaces() -> None:
    """Become root of a new user namespace with a mount namespace of its own."""
    uid, gid = os.getuid(), os.getgid()
    _call(_libc.unshare(CLONE_NEWUSER | CLONE_NEWNS), "unshare")
    Path("/proc/self/setgroups").write_text("deny")
    Path("/proc/self/uid_map").write_text(f"0 {uid} 1")
    Path("/proc/self/gid_map").write_text(f"0 {gid} 1")
    # Mounts made here stay here: nothing propagates to the rest of the machine.
    _call(_libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "mount --make-rprivate /")


def mount_tmpfs(folder: Path, size: int) -> None:
    """A tmpfs of ``size`` bytes (whole pages) on ``folder``."""
    options = f"size={size},mode=0755".encode()
    _call(_libc.mount(b"tmpfs", str(folder).encode(), b"tmpfs", 0, options), "mount tmpfs")


def main(argv: list[str]) -> int:
    try:
        enter_namespaces()
        if argv[:1] != ["--check"]:
            mount_tmpfs(Path(argv[0]), int(argv[1]))
    except OSError as exc:
        print(f"full_volume: unavailable here ({exc})", file=sys.stderr)
        return UNAVAILABLE
    if argv[:1] == ["--check"]:
        return 0
    module, *args = argv[2:]
    sys.argv = [module, *args]
    runpy.run_module(module, run_name="__main__", alter_sys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
