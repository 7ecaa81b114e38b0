"""The warp's row kernels as machine code: built by numba once per machine, loaded without it.

Readying numba costs ~0.2 s of imports and 0.15–0.3 s more before even a cached function can
run, and ~0.2 s again as the process exits: most of what a short render's start-up was. The
kernels (:mod:`.row_kernels`) are self-contained C functions, so their machine code is kept as
one object file, keyed by everything that shaped it (their source, numba's and llvmlite's
versions, this CPU and its features), and a later process links it with llvmlite alone in
~30 ms. numba is imported only to build it, when no build fits.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import json
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import llvmlite
import llvmlite.binding as llvm

from framecast.render.kept_files import keep, private_folder

__all__ = ["RowKernels", "row_kernels"]

log = logging.getLogger("framecast.render")

_SOURCE = Path(__file__).with_name("row_kernels.py")
_P, _N = ctypes.c_void_p, ctypes.c_ssize_t
_SIGNATURES = {
    "blend_rows_u8_to_u16": ctypes.CFUNCTYPE(None, _P, _N, _P, _P, _P, _P, _N, _N),
    "blend_rows_u16_to_u8": ctypes.CFUNCTYPE(None, _P, _N, _P, _P, _P, _P, _N, _N),
    "taps": ctypes.CFUNCTYPE(None, ctypes.c_double, ctypes.c_double, _N, _P, _P, _P, _N),
}
_LOCK = threading.Lock()


@dataclass(frozen=True)
class RowKernels:
    """The kernels, called with raw addresses; ctypes releases the GIL for each call."""

    blend_rows_u8_to_u16: Callable[..., None]
    blend_rows_u16_to_u8: Callable[..., None]
    taps: Callable[..., None]
    engine: llvm.ExecutionEngine  # owns the machine code: it lives as long as the kernels


def row_kernels() -> RowKernels:
    """The kernels, loaded once per process (built first when no cached build fits)."""
    with _LOCK:  # two clips starting at once must not both build them
        return _load()


@functools.cache
def _load() -> RowKernels:
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    machine = _target_machine()
    name = f"row_kernels.{_key()}.o"
    for folder in _folders():
        built = _read(folder / name)
        if built is not None:
            return _link(machine, *built)
    log.info("building the warp kernels with numba (once per machine)")
    built = _build(machine)
    if not any(_write(folder / name, *built) for folder in _folders()):
        log.warning("the warp kernels' build could not be kept: every process will build them")
    return _link(machine, *built)


def _target_machine() -> llvm.TargetMachine:
    # What numba's own JIT uses: this CPU's model and features, and the relocation model a
    # JIT needs on this architecture.
    arch = llvm.Target.from_default_triple().name
    reloc = "static" if arch.startswith("x86") else "pic" if arch.startswith("ppc") else "default"
    return llvm.Target.from_triple(llvm.get_process_triple()).create_target_machine(
        cpu=llvm.get_host_cpu_name(),
        features=llvm.get_host_cpu_features().flatten(),
        opt=3,
        reloc=reloc,
        codemodel="jitdefault",
        jit=True,
    )


def _key() -> str:
    shaped_by = [
        _SOURCE.read_bytes(),
        metadata.version("numba").encode(),
        llvmlite.__version__.encode(),
        llvm.get_process_triple().encode(),
        llvm.get_host_cpu_name().encode(),
        llvm.get_host_cpu_features().flatten().encode(),
    ]
    return hashlib.sha256(b"\0".join(shaped_by)).hexdigest()[:24]


def _folders() -> Iterator[Path]:
    # Beside the code first, as Python's and numba's own caches are (whoever may write there
    # may change the code too); for a read-only install, this user's private folder.
    yield _SOURCE.with_name("__pycache__")
    private = private_folder()
    if private is not None:
        yield private


def _build(machine: llvm.TargetMachine) -> tuple[bytes, dict[str, str]]:
    from framecast.render.row_kernels import KERNELS

    module = llvm.parse_assembly("")
    for kernel in KERNELS.values():
        module.link_in(llvm.parse_assembly(kernel.inspect_llvm()))
    # Linked on its own, the code may call nothing but LLVM's intrinsics.
    outside = [
        f.name for f in module.functions if f.is_declaration and not f.name.startswith("llvm.")
    ]
    if outside:
        raise RuntimeError(f"the warp kernels call functions outside themselves: {outside}")
    return machine.emit_object(module), {name: k.native_name for name, k in KERNELS.items()}


def _read(path: Path) -> tuple[bytes, dict[str, str]] | None:
    """A build written by :func:`_write`, or None when there is none or it is not intact."""
    try:
        header, _, code = path.read_bytes().partition(b"\n")
        about = json.loads(header)
    except (OSError, ValueError):
        return None
    intact = isinstance(about, dict) and about.get("sha256") == hashlib.sha256(code).hexdigest()
    symbols = about.get("symbols") if intact else None
    if not isinstance(symbols, dict) or set(symbols) != set(_SIGNATURES):
        return None
    return code, symbols


def _write(path: Path, code: bytes, symbols: dict[str, str]) -> bool:
    header = json.dumps({"sha256": hashlib.sha256(code).hexdigest(), "symbols": symbols})
    return keep(path, header.encode() + b"\n" + code)


def _link(machine: llvm.TargetMachine, code: bytes, symbols: dict[str, str]) -> RowKernels:
    engine = llvm.create_mcjit_compiler(llvm.parse_assembly(""), machine)
    engine.add_object_file(llvm.ObjectFileRef.from_data(code))
    engine.finalize_object()
    addresses = {name: engine.get_function_address(symbols[name]) for name in _SIGNATURES}
    if not all(addresses.values()):  # calling address 0 would crash the process
        raise RuntimeError(f"the warp kernels' build lacks some of {sorted(symbols.values())}")
    functions = {name: _SIGNATURES[name](address) for name, address in addresses.items()}
    return RowKernels(**functions, engine=engine)
