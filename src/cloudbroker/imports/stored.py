"""The rows a preview cleaned, kept beside the upload for the import job.

The job does not read and clean the file again: it reads these rows, in file order, and only
matches them against the data as it is then. Each row is stored as a short list — number, the
cells its importer keeps (``Importer.kept_values``), cleaned values, cleaning errors, in-file
duplicate errors — and the preview's verdict is appended. They are pickled in chunks: written by
the preview, never by a user.
"""

from __future__ import annotations

import pickle
import posixpath
from collections.abc import Iterator
from typing import IO, Any

from django.core.files.base import File

from cloudbroker.core.errors import FieldError
from cloudbroker.core.imports.registry import Importer, RowOutcome
from cloudbroker.imports.models import ImportRun

__all__ = ["PreparedRowsDamaged", "forget", "outcome_of", "prepared_name", "record_of", "rows", "save", "write_chunk"]


class PreparedRowsDamaged(RuntimeError):
    """The preview's stored rows cannot be read to the end; they are made again on the next run."""


def prepared_name(run: ImportRun) -> str:
    return posixpath.join(posixpath.dirname(run.file.name), "prepared-rows.pickle")


def record_of(importer: Importer, outcome: RowOutcome, duplicates: list[FieldError]) -> list:
    """What the import job needs of a row the preview cleaned: taken before matching (which the job
    does again, and which may change the cleaned values); the preview's verdict is appended after."""
    values = outcome.values
    return [
        outcome.number,
        {k: values[k] for k in importer.kept_values if values.get(k)},
        dict(outcome.cleaned),
        [(e.field, e.message, e.code) for e in outcome.errors],
        [(e.field, e.message, e.code) for e in duplicates],
    ]


def outcome_of(importer: Importer, record: list) -> tuple[RowOutcome, list[FieldError]]:
    number, kept, cleaned, errors, duplicates, _ = record
    outcome = importer.outcome(number, dict(kept), dict(cleaned), [FieldError(f, m, c, number) for f, m, c in errors])
    return outcome, [FieldError(f, m, c, number) for f, m, c in duplicates]


def write_chunk(sink: IO[bytes], records: list[list[Any]]) -> None:
    pickle.dump(records, sink, protocol=5)


def save(run: ImportRun, sink: IO[bytes]) -> None:
    """Keep the rows written to ``sink`` beside the run's upload (replacing any kept before)."""
    sink.seek(0)
    storage, name = run.file.storage, prepared_name(run)
    if storage.exists(name):
        storage.delete(name)
    storage.save(name, File(sink, name="prepared-rows.pickle"))


def exists(run: ImportRun) -> bool:
    return run.file.storage.exists(prepared_name(run))


def rows(run: ImportRun) -> Iterator[list]:
    """The preview's stored cleaned rows, in file order."""
    storage, name = run.file.storage, prepared_name(run)
    with storage.open(name, "rb") as handle:
        while True:
            try:
                records = pickle.load(handle)  # written by write_chunk, never by a user
            except EOFError:
                return
            except (pickle.UnpicklingError, ValueError, TypeError, AttributeError, IndexError) as exc:
                raise PreparedRowsDamaged(f"The import's prepared rows cannot be read: {exc}") from exc
            yield from records


def forget(run: ImportRun) -> None:
    storage, name = run.file.storage, prepared_name(run)
    if storage.exists(name):
        storage.delete(name)
