"""The process's C heap: give back what a render freed, so the next step's peak does not stack
on it (glibc's ``malloc_trim``; on other C libraries nothing is done).

Mesa's software renderer, LLVM's shader compiler and VTK free much of what the 3D render
needed once the picture is read back; glibc keeps freed memory in the heap for reuse, where
the small allocations of the 2D steps (the text layer, the leaders) pin it, and the resident
set stays at the 3D render's level while the 2D steps add their own on top.

Examples
--------
>>> give_back_freed_memory()  # harmless at any time
"""

from __future__ import annotations

from typing import Any

__all__ = ["give_back_freed_memory"]

_TRIM: Any = None


def give_back_freed_memory() -> None:
    """Return the heap's free memory to the system (glibc's ``malloc_trim(0)``; elsewhere nothing)."""
    global _TRIM
    if _TRIM is None:
        import ctypes
        import ctypes.util

        name = ctypes.util.find_library("c")
        try:
            _TRIM = ctypes.CDLL(name).malloc_trim if name else False
        except (OSError, AttributeError):
            _TRIM = False
    if _TRIM:
        _TRIM(0)
