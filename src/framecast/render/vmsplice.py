"""Frames into a pipe without copying them: Linux ``vmsplice(2)``.

A 1080p frame is 3 MB. ``write`` copies it into the pipe and ffmpeg copies it out again;
``vmsplice`` hands the pipe the frame's memory pages instead, which halves what the writer
spends in the kernel and cuts the reader's too (``bench/bench_render.py``). The price: the
pipe now references the caller's memory until ffmpeg has read it, so a frame must neither
change nor be freed until then: the frame ring of :func:`~framecast.render.clip.encode_frames`
is sized so it never changes one too early, and
:class:`~framecast.render.encode.FfmpegPipe` keeps each one referenced until it is read.
"""

from __future__ import annotations

import ctypes
import errno
import os
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["splice_frame", "splicing_available"]


class _IoVec(ctypes.Structure):
    _fields_ = (("base", ctypes.c_void_p), ("length", ctypes.c_size_t))


def _load() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        function: Any = ctypes.CDLL(None, use_errno=True).vmsplice
    except (OSError, AttributeError):
        return None
    function.argtypes = (ctypes.c_int, ctypes.POINTER(_IoVec), ctypes.c_size_t, ctypes.c_uint)
    function.restype = ctypes.c_ssize_t
    return function


_VMSPLICE = _load()
# What a kernel, container sandbox or seccomp profile without vmsplice answers.
_UNSUPPORTED = {errno.ENOSYS, errno.EINVAL, errno.EPERM, errno.EBADF, errno.EOPNOTSUPP}


def splicing_available() -> bool:
    """Whether this system has vmsplice (it may still refuse it: see :func:`splice_frame`)."""
    return _VMSPLICE is not None


def splice_frame(fd: int, frame: bytes | memoryview) -> bool:
    """Hand all of ``frame`` to the pipe ``fd`` (blocking, as a write would).

    False when vmsplice is not available here: nothing was sent, write the frame instead.
    Raises ``BrokenPipeError`` when the reader has gone.
    """
    if _VMSPLICE is None:
        return False
    data = np.frombuffer(frame, dtype=np.uint8)
    address, size, sent = data.ctypes.data, data.nbytes, 0
    while sent < size:
        vector = _IoVec(address + sent, size - sent)
        count = _VMSPLICE(fd, ctypes.byref(vector), 1, 0)
        if count < 0:
            code = ctypes.get_errno()
            if code == errno.EINTR:
                continue
            if code in _UNSUPPORTED and sent == 0:
                return False
            raise OSError(code, os.strerror(code))  # EPIPE makes a BrokenPipeError
        sent += count
    return True
