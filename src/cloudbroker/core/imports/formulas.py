"""Formula-like text in CSV: the apostrophe an export puts before it, and the reader takes off.

A spreadsheet treats a cell starting with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage
return) as a formula, so an export prefixes such a text with an apostrophe (OWASP's advice on CSV
injection). The CSV reader of the importer takes exactly that apostrophe off again, so that an
export imported again gives every value back as it was: ``'+46 8 123 456`` is read as the phone
number ``+46 8 123 456``. :func:`restore` is the exact inverse of :func:`neutralise`: a
formula-like text behind apostrophes already (``'=x``) gets one more (``''=x``) and reads back as
``'=x``.
"""

from __future__ import annotations

import re

__all__ = ["needs_neutralising", "neutralise", "restore"]

_RISKY_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def needs_neutralising(text: str) -> bool:
    """Whether a spreadsheet could read this text as a formula (plain numbers are not at risk)."""
    return text.startswith(_RISKY_START) and _NUMBER.fullmatch(text) is None


def _quoted(text: str) -> bool:
    """Whether ``text`` is formula-like once its leading apostrophes (none or more) are taken off."""
    return needs_neutralising(text.lstrip("'"))


def neutralise(text: str) -> str:
    """Prefix a formula-like text with an apostrophe (OWASP CSV injection); leave others alone.

    A formula-like text behind apostrophes gets one more, so that :func:`restore` is its exact inverse."""
    return "'" + text if _quoted(text) else text


def restore(text: str) -> str:
    """The text :func:`neutralise` was given: the one apostrophe it added taken off again.

    ``restore(neutralise(t)) == t`` for every text; a text ``neutralise`` cannot have written
    (``=x`` without an apostrophe, ``'abc``) comes back as it is."""
    return text[1:] if text.startswith("'") and _quoted(text[1:]) else text
