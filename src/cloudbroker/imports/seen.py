"""The "also on row N" check of an import, kept on disk instead of in memory.

Every customer number and domain of a file has to be compared with those of every earlier row.
Keeping them in Python sets made the preview's memory grow with the file. Here each chunk hands its
keys to a table in a private, temporary SQLite file (the standard library's, not the product's
database: no network round trip, nothing left behind, whatever the database). The table keeps the
first row of each key and says which of a chunk's keys it had already. Memory stays that of one
chunk plus SQLite's small page cache, and the row numbers reported are exactly those of the
in-memory check: a key keeps the row it was first met on.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from collections.abc import Iterable
from pathlib import Path

from cloudbroker.core.imports.registry import SeenKeys

__all__ = ["DiskSeenKeys"]

_CACHE_KIB = 2048  # SQLite's page cache, the only memory this uses beyond one chunk


class DiskSeenKeys(SeenKeys):
    """A :class:`SeenKeys` in a temporary SQLite file, removed on exit. Use it as a context manager."""

    def __init__(self, labels: Iterable[str]) -> None:
        self._kinds = {label: index for index, label in enumerate(labels)}
        self._folder: tempfile.TemporaryDirectory | None = None
        self._db: sqlite3.Connection | None = None

    def __enter__(self) -> DiskSeenKeys:
        self._folder = tempfile.TemporaryDirectory(prefix="cloudbroker-import-")
        self._db = sqlite3.connect(Path(self._folder.name) / "seen.sqlite3", isolation_level=None)
        self._db.executescript(
            f"""
            PRAGMA journal_mode = OFF;
            PRAGMA synchronous = OFF;
            PRAGMA cache_size = -{_CACHE_KIB};
            PRAGMA temp_store = FILE;
            CREATE TABLE seen (kind INTEGER NOT NULL, key TEXT NOT NULL, row INTEGER NOT NULL,
                               PRIMARY KEY (kind, key)) WITHOUT ROWID;
            """
        )
        return self

    def __exit__(self, *exc: object) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None

    def claim(self, label: str, first_rows: dict[str, int]) -> dict[str, int]:
        if not first_rows:
            return {}
        assert self._db is not None, "DiskSeenKeys is used as a context manager"
        kind = self._kinds[label]
        earlier = dict(
            self._db.execute(
                "SELECT key, row FROM seen WHERE kind = ? AND key IN (SELECT value FROM json_each(?))",
                (kind, json.dumps(list(first_rows))),
            )
        )
        self._db.execute("BEGIN")
        self._db.executemany(
            "INSERT INTO seen (kind, key, row) VALUES (?, ?, ?)",
            [(kind, key, row) for key, row in first_rows.items() if key not in earlier],
        )
        self._db.execute("COMMIT")
        return earlier
