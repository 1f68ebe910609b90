"""What an import file looks like: its columns and how their headers are recognised.

An :class:`ImportSpec` is declared once per importable entity (organizations, users, ...) and
drives everything in this package: the header matching of the parsers, the downloadable
templates and the XML element names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = ["Column", "ColumnKind", "HeaderMatch", "ImportSpec", "normalise_header"]


class ColumnKind(StrEnum):
    """The type a column's value will be validated as later; here it only shapes templates."""

    TEXT = "text"
    EMAIL = "email"
    DATE = "date"
    BOOL = "bool"
    DECIMAL = "decimal"
    INT = "int"


_SPACES = re.compile(r"\s+")
_REQUIRED_MARK = re.compile(r"(\s*\*)+$|\s*\((required|mandatory)\)$", re.IGNORECASE)


def normalise_header(text: str) -> str:
    """Fold a header cell to the form used for matching.

    Case-insensitive; leading, trailing and repeated whitespace ignored; underscores count as
    spaces (so the snake_case key ``primary_domain`` matches the label "Primary domain"); a
    trailing mandatory marker (``*`` or ``(required)``) as written in our own templates is dropped.
    """
    folded = _SPACES.sub(" ", text.replace("_", " ").replace("\ufeff", "")).strip()
    folded = _REQUIRED_MARK.sub("", folded).strip()
    return folded.casefold()


@dataclass(frozen=True)
class Column:
    """One column of an import file.

    ``key`` is the snake_case name rows are keyed by (and the XML element name); ``label`` is the
    header text written in templates. ``aliases`` are further header spellings accepted on input.
    """

    key: str
    label: str
    required: bool = False
    help: str = ""
    example: str = ""
    kind: ColumnKind = ColumnKind.TEXT
    aliases: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", self.key):
            raise ValueError(f"Column key {self.key!r} must be snake_case (it is also an XML element name).")
        object.__setattr__(self, "kind", ColumnKind(self.kind))
        object.__setattr__(self, "aliases", tuple(self.aliases))

    @property
    def spellings(self) -> tuple[str, ...]:
        """Every accepted header text, normalised."""
        names = (self.label, self.key, *self.aliases)
        return tuple(dict.fromkeys(normalise_header(n) for n in names))


@dataclass(frozen=True)
class HeaderMatch:
    """The outcome of matching a header row against a spec.

    ``positions`` maps a column key to its 0-based cell index in the row; ``headers`` maps the key
    to the header text as found in the file. ``unknown`` lists non-empty headers that match no
    column (ignored, reported as a warning). ``missing_required`` lists labels of mandatory
    columns that are absent; ``duplicates`` lists labels that appear more than once.
    """

    positions: dict[str, int]
    headers: dict[str, str]
    unknown: list[str]
    missing_required: list[str]
    duplicates: list[str]

    @property
    def score(self) -> int:
        return len(self.positions)


@dataclass(frozen=True)
class ImportSpec:
    """The columns of one importable entity, plus names used by the XML and XLSX formats."""

    name: str
    columns: Sequence[Column]
    xml_root: str = "rows"
    xml_row: str = "row"
    sheet_name: str | None = None
    #: The columns whose example values mark a row as the template's example row (never imported).
    example_keys: tuple[str, ...] = ()
    #: General notes for the person filling in the template (its instructions and the import page).
    notes: tuple[str, ...] = ()
    _lookup: dict[str, Column] = field(init=False, repr=False, compare=False)
    _examples: tuple[tuple[str, str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "columns", tuple(self.columns))
        object.__setattr__(self, "example_keys", tuple(self.example_keys))
        object.__setattr__(self, "notes", tuple(self.notes))
        lookup: dict[str, Column] = {}
        keys: set[str] = set()
        for column in self.columns:
            if column.key in keys:
                raise ValueError(f"Duplicate column key {column.key!r} in import spec {self.name!r}.")
            keys.add(column.key)
            for spelling in column.spellings:
                other = lookup.get(spelling)
                if other is not None and other.key != column.key:
                    raise ValueError(
                        f"Header {spelling!r} would match both {other.key!r} and {column.key!r} in {self.name!r}."
                    )
                lookup[spelling] = column
        object.__setattr__(self, "_lookup", lookup)
        examples = tuple((key, self.column(key).example.strip().casefold()) for key in self.example_keys)
        object.__setattr__(self, "_examples", () if any(not e for _, e in examples) else examples)

    def is_example(self, values: dict[str, str]) -> bool:
        """Whether a row is the template's example row: every one of ``example_keys`` holds its
        column's example value (compared without case and surrounding spaces)."""
        examples = self._examples
        if not examples:
            return False
        for key, example in examples:
            value = values.get(key)
            if not value or value.strip().casefold() != example:
                return False
        return True

    @property
    def required_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.columns)

    def column(self, key: str) -> Column:
        for column in self.columns:
            if column.key == key:
                return column
        raise KeyError(key)

    def find(self, header: str) -> Column | None:
        """The column a header cell (or XML element name) designates, or ``None``."""
        return self._lookup.get(normalise_header(header))

    def match_headers(self, cells: Iterable[str]) -> HeaderMatch:
        """Map a header row to the spec's columns."""
        positions: dict[str, int] = {}
        headers: dict[str, str] = {}
        unknown: list[str] = []
        duplicates: list[str] = []
        for index, raw in enumerate(cells):
            text = _SPACES.sub(" ", (raw or "").replace("\ufeff", "")).strip()
            if not text:
                continue
            column = self.find(text)
            if column is None:
                unknown.append(text)
            elif column.key in positions:
                if column.label not in duplicates:
                    duplicates.append(column.label)
            else:
                positions[column.key] = index
                headers[column.key] = text
        missing = [c.label for c in self.required_columns if c.key not in positions]
        return HeaderMatch(positions, headers, unknown, missing, duplicates)

    @property
    def filename_stem(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.name.casefold()).strip("-") or "import"
