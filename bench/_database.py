"""A fresh database for a benchmark: SQLite in a temporary folder, or a database of its own on the
PostgreSQL server given (dropped and made again), with jobs on huey's SQLite storage."""

from __future__ import annotations

import os
import tempfile


def use_fresh_database(postgres: str | None, name: str) -> None:
    """Point the settings at a new, empty database (call before Django is set up)."""
    os.environ["CLOUDBROKER_DATA_DIR"] = tempfile.mkdtemp(prefix=f"{name}-")
    os.environ.pop("REDIS_URL", None)
    if postgres:
        import psycopg

        base = postgres.rsplit("/", 1)[0]
        with psycopg.connect(postgres, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name}")
            conn.execute(f"CREATE DATABASE {name}")
        os.environ["DATABASE_URL"] = f"{base}/{name}"
    else:
        os.environ.pop("DATABASE_URL", None)
