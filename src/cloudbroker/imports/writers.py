"""Writing an import's chunks: each in its own transaction, on one or two connections at once,
with a checkpoint that says which rows are committed (so a resumed run skips them)."""

from __future__ import annotations

import contextlib
import contextvars
import queue
import threading
from collections.abc import Callable
from typing import Any

from django.db import connection, connections

__all__ = ["TOTALS", "WRITERS", "Writers", "merge_chunk", "writer_count"]

WRITERS = 2  # connections writing an import at once on PostgreSQL
TOTALS = ("created", "updated", "skipped", "failed")


def merge_chunk(checkpoint: dict[str, Any], start: int, end: int, counts: dict[str, int]) -> dict[str, Any]:
    """The checkpoint with the rows ``start`` to ``end`` committed.

    ``next_index`` is where the rows not yet committed begin; chunks committed after it (by the other
    writer, ahead of a chunk still being written) wait in ``committed`` (start → end) until the rows
    before them are committed too. A resumed run skips both."""
    committed = dict(checkpoint.get("committed", {}))
    committed[str(start)] = end
    index = checkpoint.get("next_index", 0)
    while str(index) in committed:
        index = committed.pop(str(index))
    return {
        **checkpoint,
        **{key: checkpoint.get(key, 0) + counts[key] for key in TOTALS},
        "next_index": index,
        "committed": committed,
    }


def writer_count() -> int:
    """Two writers on PostgreSQL when the job runs on its own (as in a worker); one otherwise: within
    an outer transaction, another connection would not see its uncommitted rows."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return 1
    return max(1, WRITERS)


class Writers:
    """Writes the import's chunks, each in its own transaction, with ``count`` connections at once.

    ``staging()`` makes what each connection writes through (the importer's: a temporary table on
    PostgreSQL, say); ``write(staging, item)`` writes one chunk. With ``count`` of 1 the chunks are
    written here, in order. With more, each writer is a thread with its own database connection:
    PostgreSQL then maintains the table's indexes on both cores while this thread reads the next
    chunks. ``submit(..., alone=True)`` waits until no other chunk is being written, and makes the
    next wait for it: chunks that update existing records are written alone, in file order. The
    first failure stops every writer and is raised here; the chunks committed before it stay
    committed, with their checkpoint.
    """

    def __init__(self, count: int, write: Callable[[Any, list], None], staging: Callable[[], Any]) -> None:
        self.count = count
        self.write = write
        self.staging = staging
        self.error: BaseException | None = None
        self.busy = 0
        self.idle = threading.Condition()
        self.queue: queue.Queue = queue.Queue(maxsize=max(count, 1))
        self.threads: list[threading.Thread] = []
        self.inline: contextlib.ExitStack | None = None
        self.inline_staging: Any = None

    def __enter__(self) -> Writers:
        if self.count == 1:
            self.inline = contextlib.ExitStack()
            self.inline_staging = self.inline.enter_context(self.staging())
            return self
        for number in range(self.count):
            context = contextvars.copy_context()  # the request id of the audit events
            thread = threading.Thread(
                target=context.run, args=(self._serve,), name=f"import-writer-{number}", daemon=True
            )
            thread.start()
            self.threads.append(thread)
        return self

    def _fail(self, exc: BaseException) -> None:
        with self.idle:
            self.error = self.error or exc

    def _serve(self) -> None:
        staging: Any = None
        tables = contextlib.ExitStack()
        try:
            try:
                staging = tables.enter_context(self.staging())
            except BaseException as exc:  # nothing is written; the queue is still emptied below
                self._fail(exc)
            while (item := self.queue.get()) is not None:
                try:
                    if self.error is None:
                        self.write(staging, item)
                except BaseException as exc:
                    self._fail(exc)
                finally:
                    with self.idle:
                        self.busy -= 1
                        self.idle.notify_all()
        finally:
            try:
                tables.close()
            finally:
                connections.close_all()  # this thread's own connections

    def _wait_idle(self) -> None:
        with self.idle:
            self.idle.wait_for(lambda: self.busy == 0)

    def _raise_failure(self) -> None:
        if self.error is not None:
            raise self.error

    def submit(self, item: list, *, alone: bool = False) -> None:
        self._raise_failure()
        if self.inline is not None:
            self.write(self.inline_staging, item)
            return
        if alone:
            self._wait_idle()
            self._raise_failure()
        with self.idle:
            self.busy += 1
        self.queue.put(item)
        if alone:
            self._wait_idle()
        self._raise_failure()

    def __exit__(self, *exc: object) -> None:
        if self.inline is not None:
            self.inline.close()
            return
        for _ in self.threads:
            self.queue.put(None)
        for thread in self.threads:
            thread.join()
        if exc[0] is None:
            self._raise_failure()
