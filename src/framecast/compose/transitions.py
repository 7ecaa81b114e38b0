"""Transitions between two scenes, blended frame by frame on raw yuv420p frames.

A transition turns a frame of the outgoing scene ``a`` and one of the incoming scene ``b`` into
one frame at ``progress`` p (0: all a, 1: all b):

- ``fade``: a linear crossfade, each sample a·(1 − p) + b·p rounded to the nearest code.
- ``fadeblack`` / ``fadewhite``: a fades to black (Y 16, U V 128) / white (Y 235, U V 128)
  over the first half, b fades in from it over the second; at p = 0.5 the frame is flat.
- ``wipe…``: b is revealed in place behind an edge moving the way the name says; neither
  picture moves. wipeleft: the edge goes from the right side to the left, so the right p of the
  frame is b; wiperight: left to right, the left p is b; wipeup: bottom to top, the bottom p is
  b; wipedown: top to bottom, the top p is b (as ffmpeg's xfade does them).
- ``slide…``: both pictures move the way the name says, by p of the frame: slideleft: a leaves
  to the left while b enters from the right; slideright: a leaves to the right, b enters from
  the left; slideup: a leaves at the top, b enters from the bottom; slidedown: the reverse.
- ``none``: a cut at p = 0.5 (a before it, b from it).

Edges and shifts are whole even numbers of luma pixels, so each chroma edge falls exactly on
its luma edge and every blend is one pass of vectorised copies or one ``cv2.addWeighted``.
"""

from __future__ import annotations

import cv2
import numpy as np

from framecast.contracts.vocab import COMPOSE_TRANSITIONS

__all__ = ["COMPOSE_TRANSITIONS", "Blender"]

_BLACK, _WHITE, _NEUTRAL = 16, 235, 128  # BT.709 limited-range codes

# A wipe or slide as pieces of the frame along one axis of length n, split at s (both even):
# (first output line, end line, which frame, its first line), each position a·n + b·s given as
# (a, b); lines are columns ("h") or rows ("v").
_Position = tuple[int, int]
_Layout = tuple[tuple[_Position, _Position, str, _Position], ...]
_ZERO, _S, _N, _N_MINUS_S = (0, 0), (0, 1), (1, 0), (1, -1)
_WIPE_FROM_END: _Layout = ((_ZERO, _N_MINUS_S, "a", _ZERO), (_N_MINUS_S, _N, "b", _N_MINUS_S))
_WIPE_FROM_START: _Layout = ((_ZERO, _S, "b", _ZERO), (_S, _N, "a", _S))
_SLIDE_BACK: _Layout = ((_ZERO, _N_MINUS_S, "a", _S), (_N_MINUS_S, _N, "b", _ZERO))
_SLIDE_ON: _Layout = ((_ZERO, _S, "b", _N_MINUS_S), (_S, _N, "a", _ZERO))
_MOVES: dict[str, tuple[str, _Layout]] = {
    "wipeleft": ("h", _WIPE_FROM_END),
    "wiperight": ("h", _WIPE_FROM_START),
    "wipeup": ("v", _WIPE_FROM_END),
    "wipedown": ("v", _WIPE_FROM_START),
    "slideleft": ("h", _SLIDE_BACK),
    "slideright": ("h", _SLIDE_ON),
    "slideup": ("v", _SLIDE_BACK),
    "slidedown": ("v", _SLIDE_ON),
}

_Planes = tuple[np.ndarray, np.ndarray, np.ndarray]


class Blender:
    """Blends pairs of ``width`` × ``height`` yuv420p frames into a ring of ``buffers`` frames:
    a returned frame stays valid until ``buffers`` more blends have returned.

    Not thread-safe: one blender per thread that blends.
    """

    def __init__(self, width: int, height: int, buffers: int = 3) -> None:
        if width <= 0 or height <= 0 or width % 2 or height % 2:
            raise ValueError(f"yuv420p needs an even, positive frame size, got {width}x{height}")
        if buffers < 1:
            raise ValueError(f"at least one output buffer is needed, got {buffers}")
        self.width, self.height = width, height
        self.frame_bytes = width * height * 3 // 2
        self._ring = [np.zeros(self.frame_bytes, np.uint8) for _ in range(buffers)]
        self._next = 0
        self._flat: dict[int, np.ndarray] = {}  # flat black / white frames, made when needed

    def blend(
        self, kind: str, a: bytes | memoryview | np.ndarray, b: bytes | memoryview | np.ndarray,
        progress: float,
    ) -> memoryview:  # fmt: skip
        """Frame ``a`` becoming ``b`` by transition ``kind`` at ``progress`` (0: a, 1: b)."""
        if kind not in COMPOSE_TRANSITIONS:
            raise ValueError(
                f"unknown transition {kind!r}; expected one of {', '.join(COMPOSE_TRANSITIONS)}"
            )
        if not 0.0 <= progress <= 1.0:
            raise ValueError(f"progress must be within [0, 1], got {progress}")
        first, second = self._frame(a, "a"), self._frame(b, "b")
        out = self._ring[self._next]
        self._next = (self._next + 1) % len(self._ring)
        if kind == "none":
            np.copyto(out, first if progress < 0.5 else second)
        elif kind == "fade":
            self._mix(first, second, progress, out)
        elif kind in ("fadeblack", "fadewhite"):
            flat = self._flat_frame(_BLACK if kind == "fadeblack" else _WHITE)
            if progress < 0.5:
                self._mix(first, flat, 2 * progress, out)
            else:
                self._mix(flat, second, 2 * progress - 1, out)
        else:
            self._move(kind, first, second, progress, out)
        return out.data

    def _frame(self, frame: bytes | memoryview | np.ndarray, name: str) -> np.ndarray:
        flat = np.frombuffer(frame, np.uint8)
        if flat.size != self.frame_bytes:
            raise ValueError(
                f"frame {name} has {flat.size} bytes; a {self.width}x{self.height} yuv420p"
                f" frame has {self.frame_bytes}"
            )
        return flat

    def _mix(self, a: np.ndarray, b: np.ndarray, weight: float, out: np.ndarray) -> None:
        # The planes lie one after another, so the whole frame is one image of 1.5 × height
        # rows: one call blends every plane, rounding each sample to the nearest code.
        shape = (self.height * 3 // 2, self.width)
        cv2.addWeighted(a.reshape(shape), 1.0 - weight, b.reshape(shape), weight, 0.0,
                        dst=out.reshape(shape))  # fmt: skip

    def _move(
        self, kind: str, a: np.ndarray, b: np.ndarray, progress: float, out: np.ndarray
    ) -> None:
        axis, layout = _MOVES[kind]
        n = self.width if axis == "h" else self.height
        s = 2 * round(progress * n / 2)  # even, so chroma splits where luma does
        frames = {"a": self._planes(a), "b": self._planes(b)}
        for index, (plane, factor) in enumerate(zip(self._planes(out), (1, 2, 2), strict=True)):
            size, split = n // factor, s // factor
            for start, end, which, source_start in layout:
                first, last = _at(start, size, split), _at(end, size, split)
                if last <= first:
                    continue
                source = frames[which][index]
                src = _at(source_start, size, split)
                if axis == "h":
                    plane[:, first:last] = source[:, src : src + last - first]
                else:
                    plane[first:last] = source[src : src + last - first]

    def _planes(self, frame: np.ndarray) -> _Planes:
        luma, w, h = self.width * self.height, self.width, self.height
        chroma = luma // 4
        return (
            frame[:luma].reshape(h, w),
            frame[luma : luma + chroma].reshape(h // 2, w // 2),
            frame[luma + chroma :].reshape(h // 2, w // 2),
        )

    def _flat_frame(self, luma: int) -> np.ndarray:
        if luma not in self._flat:
            frame = np.full(self.frame_bytes, _NEUTRAL, np.uint8)
            frame[: self.width * self.height] = luma
            self._flat[luma] = frame
        return self._flat[luma]


def _at(position: _Position, size: int, split: int) -> int:
    return position[0] * size + position[1] * split
