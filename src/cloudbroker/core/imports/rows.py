"""What an importer says about each row of a file, and the one marker that clears a field.

An empty cell leaves a field of an existing record as it is: a file exported from a list and
imported again, or a file with only the columns someone wants to change, never blanks anything.
Clearing a field is an explicit choice: the cell holds :data:`CLEAR_MARKER` (any case).
"""

from __future__ import annotations

from django.db import models

__all__ = ["CLEAR_MARKER", "RowAction", "is_clear"]

CLEAR_MARKER = "#CLEAR"
_CLEAR = CLEAR_MARKER.casefold()


def is_clear(text: str) -> bool:
    """Whether a cell asks for its field to be cleared (``#CLEAR``, any case, spaces around)."""
    return text[:1] == "#" and text.strip().casefold() == _CLEAR


class RowAction(models.TextChoices):
    """What importing a row would do (the preview) or did (the import)."""

    NEW = "new", "New"
    UPDATE = "update", "Update"
    UNCHANGED = "unchanged", "Unchanged"
    CONFLICT = "conflict", "Conflict"  # matches a record that looks like another one: accepted row by row
    ERROR = "error", "Error"
