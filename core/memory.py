"""glibc's allocator in a long-running API process (issue 21's soak): threads each get a malloc
arena of their own (up to 8 per core), and memory freed in an arena stays with the process. A
worker caps its arenas and gives freed heap back after it drops a whole copy of the index.
Where the C library is not glibc, both are no-ops."""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)
#: glibc's mallopt parameter for the number of arenas.
M_ARENA_MAX = -8


def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        lib = ctypes.CDLL(name)
        lib.mallopt  # noqa: B018 (glibc only)
        lib.malloc_trim  # noqa: B018
    except (OSError, AttributeError, TypeError):
        return None
    return lib


def limit_arenas(arenas: int = 2) -> bool:
    """Cap the allocator's arenas (before the process starts its threads)."""
    lib = _libc()
    return bool(lib is not None and lib.mallopt(M_ARENA_MAX, arenas))


def give_back() -> bool:
    """Return the heap's free pages to the system (after a large structure was dropped)."""
    lib = _libc()
    return bool(lib is not None and lib.malloc_trim(0))
