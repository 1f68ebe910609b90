"""Small tools for code that builds many objects at once."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["gc_paused"]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cycle collector while building thousands of small acyclic objects (rows,
    Decimals, prices): each collection it would start walks every object of the process, which
    costs more than the work itself. Reference counting still frees everything; collection resumes
    afterwards. Process-wide, so only around short, bounded work."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
