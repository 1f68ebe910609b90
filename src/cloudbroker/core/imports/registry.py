"""The importers, one per kind of record, and what the import flow asks of each.

The flow of an import (upload → preview → confirm → a job writing chunk by chunk, resumable) is the
``imports`` app's and the same for every kind. What differs — the columns, how a row is cleaned and
matched, what it may change and how it is written — is an :class:`Importer`. Each app that imports
rows declares one in its ``imports.py`` and registers it under its kind::

    class PriceListImporter(Importer):
        kind = "price_lists"
        spec = PRICE_LIST_SPEC
        permission = Perm.PRICE_LIST_CHANGE
        ...

    register(PriceListImporter())

The ``imports`` app finds the ``imports.py`` module of every installed app when it starts, and
looks an importer up by the kind stored on the import run (:func:`importer_for`). The registry is
here, at the bottom of the layers, so that an app below ``imports`` can register without knowing it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from cloudbroker.core.errors import FieldError

from .parsers import RawRow
from .rows import RowAction
from .spec import ImportSpec

__all__ = ["Importer", "RowOutcome", "SeenKeys", "importer_for", "importers", "register"]


@dataclass
class RowOutcome:
    """One row of a file: its cells, its cleaned values and errors, and what importing it does.

    ``values`` holds the cells the importer reads beyond cleaning (such as group names); ``target``
    is the existing record the row matches; ``conflict`` describes a match the person must accept.
    An importer may subclass it for what its rows carry more.
    """

    number: int
    action: str
    values: dict[str, str]
    cleaned: dict[str, Any] = field(default_factory=dict)
    errors: list[FieldError] = field(default_factory=list)
    target: Any = None
    conflict: dict[str, Any] | None = None


class SeenKeys:
    """The first row of each key (customer number, domain...) met so far in a file: the "also on
    row N" check. This one keeps them in memory; the import keeps them in a temporary database
    file instead, so that its memory does not grow with the file (``cloudbroker.imports.seen``)."""

    def __init__(self, labels: Iterable[str]) -> None:
        self._first: dict[str, dict[str, int]] = {label: {} for label in labels}

    def claim(self, label: str, first_rows: dict[str, int]) -> dict[str, int]:
        """Record each key of ``first_rows`` with its row unless it was met before; return the keys
        met before, each with the row it was first met on."""
        first = self._first[label]
        earlier = {}
        for key, row in first_rows.items():
            if key in first:
                earlier[key] = first[key]
            else:
                first[key] = row
        return earlier


class Importer:
    """What the import flow needs of one kind of record. Subclasses set the class attributes and
    implement the methods that raise ``NotImplementedError``."""

    kind: ClassVar[str]
    spec: ClassVar[ImportSpec]
    permission: ClassVar[Any]  # the Perm needed to upload, confirm and run the import again
    view_permission: ClassVar[Any] = None  # the Perm to see an import's pages (None: ``permission``)
    noun: ClassVar[str]  # the records, plural, as the pages name them ("organizations")
    list_url: ClassVar[str | None] = None  # the portal page listing the records (a URL name)
    upload_url: ClassVar[str | None] = None  # the portal page a file of this kind is uploaded on
    duplicate_keys: ClassVar[tuple[str, ...]] = ()  # cleaned values that must be unique in a file
    kept_values: ClassVar[tuple[str, ...]] = ()  # cells the import job needs besides the cleaned values
    #: Whether a file of this kind may be one organization's (an import run then carries it): a
    #: customer's price list, say. None is the broker-wide file.
    for_organization: ClassVar[bool] = False
    #: What the preview says about this kind's conflicts, above the rows to accept.
    conflict_help: ClassVar[str] = ""

    # --- who may import --------------------------------------------------------------------
    def authorize(self, actor: Any, *, organization: Any = None) -> Any:
        """Refuse an actor who may not import this kind of file (for ``organization``, or the
        broker-wide one): checked on upload, confirm and run again. Returns the organization as
        the actor sees it (an importer ``for_organization`` looks it up through ``visible_to``,
        so one outside the actor's scope is a 404) or None."""
        actor.require(self.permission)
        return None

    # --- reading (no database) -------------------------------------------------------------
    def clean_rows(self, rows: Iterable[RawRow]) -> list[RowOutcome]:
        raise NotImplementedError

    def find_duplicates(self, seen: SeenKeys, outcomes: Sequence[RowOutcome]) -> list[list[FieldError]]:
        """Per outcome (in file order), the "also on row N" errors against every earlier row of the
        file: the rows of this chunk, and those ``seen`` remembers. ``seen`` then has this chunk's keys."""
        found: list[list[FieldError]] = [[] for _ in outcomes]
        labels = {c.key: c.label for c in self.spec.columns}
        for key_name in self.duplicate_keys:
            keys = [o.cleaned.get(key_name) for o in outcomes]
            first: dict[str, int] = {}
            for outcome, key in zip(outcomes, keys, strict=True):
                if key and key not in first:
                    first[key] = outcome.number
            if not first:
                continue
            first.update(seen.claim(key_name, first))
            label = labels.get(key_name, key_name)
            for index, key in enumerate(keys):
                if key and first[key] != outcomes[index].number:
                    found[index].append(
                        FieldError(
                            key_name,
                            f"{label} {key} is also on row {first[key]}.",
                            "duplicate_in_file",
                            outcomes[index].number,
                        )
                    )
        return found

    # --- matching (reads) -----------------------------------------------------------------
    def run_context(self, actor: Any, *, organization: Any = None, accepted: Iterable[int] = (), final: bool = False):
        """The context of one import run: ``new_context``, for the run's organization (importers
        ``for_organization`` override this; the others have none)."""
        return self.new_context(actor, accepted=accepted, final=final)

    def new_context(self, actor: Any, *, accepted: Iterable[int] = (), final: bool = False) -> Any:
        """What classifying needs, loaded once per import. ``accepted``: the rows whose conflict the
        person accepted; ``final``: the import itself (a conflict not accepted is an error)."""
        raise NotImplementedError

    def classify(
        self,
        ctx: Any,
        outcomes: list[RowOutcome],
        duplicates: Sequence[list[FieldError]],
        *,
        match: Sequence[RowOutcome] | None = None,
    ) -> list[RowOutcome]:
        """Match cleaned rows against the data and set each one's action (and errors)."""
        raise NotImplementedError

    def describe_changes(self, outcome: RowOutcome) -> list[dict[str, str]]:
        """Each change an update makes, field by field: ``field`` (label), ``before``, ``after``."""
        return []

    def signature(self, outcome: RowOutcome) -> tuple:
        """What a row would do, to compare it under two people's rights (the same: it imports the same)."""
        return outcome.action, sorted(change["field"] for change in self.describe_changes(outcome))

    # --- the stored rows ------------------------------------------------------------------
    def outcome(self, number: int, values: dict[str, str], cleaned: dict[str, Any], errors: list[FieldError]):
        """A row made again from what the preview stored of it."""
        return RowOutcome(number, RowAction.NEW, values, cleaned, errors)

    # --- writing --------------------------------------------------------------------------
    def staging(self) -> contextlib.AbstractContextManager[Any]:
        """Per writer connection, what its chunks write through (a temporary table, say)."""
        return contextlib.nullcontext()

    def write(self, actor: Any, outcomes: list[RowOutcome], staging: Any) -> dict[str, int]:
        """Write one chunk's classified rows, inside the caller's transaction, with an audit event
        per change; return the counts ``created``, ``updated``, ``skipped`` and ``failed``."""
        raise NotImplementedError


_IMPORTERS: dict[str, Importer] = {}


def register(importer: Importer) -> Importer:
    """Make ``importer`` the one for its kind (registering the same kind again replaces it)."""
    _IMPORTERS[str(importer.kind)] = importer
    return importer


def importer_for(kind: str) -> Importer:
    try:
        return _IMPORTERS[str(kind)]
    except KeyError:
        raise LookupError(f"No importer is registered for {kind!r}.") from None


def importers() -> dict[str, Importer]:
    return dict(_IMPORTERS)
