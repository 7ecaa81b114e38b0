"""The warp's row kernels, compiled by numba as plain C functions over raw addresses.

Only :mod:`framecast.render.kernels` imports this module, and only to build the kernels when no
cached build fits this machine; every other process runs the cached machine code without numba.
C functions, not ``njit`` ones: their code calls nothing outside itself, so it runs loaded on its
own. That holds only while no operation here can raise (numba's ``min``/``max`` can, and would
pull in its Python error reporting), hence the conditional expressions.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from numba import types

__all__ = ["KERNELS"]

# Bilinear weights in 1/256 of a pixel: positions land within 1/512 px of where they should
# (warpAffine's own tables are 1/32 px), and both passes stay in exact integer arithmetic.
WEIGHT_BITS = 8
ONE = 1 << WEIGHT_BITS

_U8, _U16, _I32, _U32 = (
    types.CPointer(t) for t in (types.uint8, types.uint16, types.int32, types.uint32)
)
_N, _F = types.intp, types.float64


# The two row passes. Each output row blends two whole source rows with one weight: contiguous
# loads and stores that LLVM vectorises, 0.1–0.3 ns a sample, where warpAffine spends ~3 ns
# working out every pixel's own coordinates.
def blend_rows_u8_to_u16(src, stride, top, bottom, weight, out, rows, cols):
    """Row j of ``out`` (uint16, ``cols`` wide) = row top[j]·(256 − w) + row bottom[j]·w of
    ``src`` (uint8, rows ``stride`` apart), kept ×256."""
    for j in range(rows):
        w = np.uint32(weight[j])
        rest = np.uint32(ONE) - w
        a, b, o = top[j] * stride, bottom[j] * stride, j * cols
        for c in range(cols):
            out[o + c] = np.uint16(np.uint32(src[a + c]) * rest + np.uint32(src[b + c]) * w)


def blend_rows_u16_to_u8(src, stride, top, bottom, weight, out, rows, cols):
    """The second pass: blends uint16 rows of the ×256 intermediate and rounds once, to uint8."""
    half = np.uint32(1 << (2 * WEIGHT_BITS - 1))
    for j in range(rows):
        w = np.uint32(weight[j])
        rest = np.uint32(ONE) - w
        a, b, o = top[j] * stride, bottom[j] * stride, j * cols
        for c in range(cols):
            total = np.uint32(src[a + c]) * rest + np.uint32(src[b + c]) * w + half
            out[o + c] = np.uint8(total >> np.uint32(2 * WEIGHT_BITS))


def taps(scale, offset, size, low, high, weight, count):
    """For positions ``scale·i + offset`` in a line of ``size`` samples: the two neighbours and
    the weight of the second, in 1/256. Positions past an end take the end sample (a
    replicated border, as ``warp_direct``'s)."""
    last, end = size - 1, size - 1.0
    pair = size - 2 if size > 2 else 0  # the last pair that starts inside the line
    for i in range(count):
        pos = scale * i + offset
        pos = 0.0 if pos < 0.0 else end if pos > end else pos
        whole = np.int64(pos)
        first = whole if whole < pair else pair
        low[i] = first
        high[i] = last if first + 1 > last else first + 1
        weight[i] = np.uint32(np.rint((pos - first) * ONE))


KERNELS: dict[str, Any] = {  # numba's CFunc: .native_name, .inspect_llvm()
    "blend_rows_u8_to_u16": numba.cfunc(types.void(_U8, _N, _I32, _I32, _U32, _U16, _N, _N))(
        blend_rows_u8_to_u16
    ),
    "blend_rows_u16_to_u8": numba.cfunc(types.void(_U16, _N, _I32, _I32, _U32, _U8, _N, _N))(
        blend_rows_u16_to_u8
    ),
    "taps": numba.cfunc(types.void(_F, _F, _N, _I32, _I32, _U32, _N))(taps),
}
