"""The import flow is the same for every kind: an importer registered under a kind is all it needs."""

from __future__ import annotations

import pytest

from cloudbroker.core.errors import FieldError
from cloudbroker.core.imports import Column, ImportSpec, RowAction, registry
from cloudbroker.core.imports.registry import Importer, importer_for, importers, register
from cloudbroker.core.permissions import Perm, StaffRole
from cloudbroker.core.testing import drain_jobs, flush_jobs
from cloudbroker.imports import services
from cloudbroker.imports.choices import ImportKind, ImportStatus
from cloudbroker.organizations.imports import OrganizationImporter

pytestmark = [pytest.mark.django_db, pytest.mark.jobs]


class NoteImporter(Importer):
    """A kind the product does not have: notes, each one line, written to a list."""

    kind = "test_notes"
    spec = ImportSpec("Notes", [Column("text", "Text", required=True, example="Replace me")], example_keys=("text",))
    permission = Perm.ORGANIZATION_CREATE
    noun = "notes"
    duplicate_keys = ("text",)
    written: list[str] = []

    def clean_rows(self, rows):
        outcomes = []
        for raw in rows:
            text = raw.values.get("text", "")
            errors = (
                [] if len(text) <= 10 else [FieldError("text", "Use at most 10 characters.", "max_length", raw.number)]
            )
            if self.spec.is_example(raw.values):
                errors = [FieldError("text", "The example row.", "example_row", raw.number)]
            outcomes.append(self.outcome(raw.number, {}, {"text": text}, errors))
        return outcomes

    def new_context(self, actor, *, accepted=(), final=False):
        return set(self.written)

    def classify(self, ctx, outcomes, duplicates, *, match=None):
        for outcome, found in zip(outcomes, duplicates, strict=True):
            outcome.errors += found
            if outcome.errors:
                outcome.action = RowAction.ERROR
            elif outcome.cleaned["text"] in ctx:
                outcome.action = RowAction.UNCHANGED
            else:
                outcome.action = RowAction.NEW
        return outcomes

    def write(self, actor, outcomes, staging):
        new = [o.cleaned["text"] for o in outcomes if o.action == RowAction.NEW]
        self.written.extend(new)
        return {
            "created": len(new),
            "updated": 0,
            "skipped": sum(o.action == RowAction.UNCHANGED for o in outcomes),
            "failed": sum(o.action == RowAction.ERROR for o in outcomes),
        }


@pytest.fixture
def notes():
    importer = register(NoteImporter())
    importer.written.clear()
    flush_jobs()
    yield importer
    flush_jobs()
    registry._IMPORTERS.pop(importer.kind)


def test_the_organization_importer_registers_itself():
    assert isinstance(importer_for(ImportKind.ORGANIZATIONS), OrganizationImporter)
    assert set(ImportKind.values) <= set(importers())


def test_a_registered_importer_goes_through_the_whole_flow(
    notes, as_actor, make_staff, django_capture_on_commit_callbacks
):
    actor = as_actor(make_staff(StaffRole.GLOBAL_ADMIN))
    content = b"Text\nReplace me\nfirst\nsecond\nfirst\nmuch too long\n"
    run = services.start_import(actor=actor, content=content, filename="notes.csv", kind=notes.kind)
    assert (run.status, run.total_rows, run.new_rows, run.error_rows) == (ImportStatus.PREVIEWED, 5, 2, 3)
    assert {(i.row, i.column) for i in run.issues.all()} == {(2, "Text"), (5, "Text"), (6, "Text")}
    with django_capture_on_commit_callbacks(execute=True):
        services.confirm_import(actor=actor, run=run)
    drain_jobs()
    run.refresh_from_db()
    assert (run.status, run.created, run.failed) == (ImportStatus.COMPLETED, 2, 3)
    assert notes.written == ["first", "second"]
    again = services.start_import(actor=actor, content=content, filename="notes.csv", kind=notes.kind)
    assert (again.new_rows, again.unchanged_rows) == (0, 2)


def test_an_unknown_kind_is_refused():
    with pytest.raises(LookupError, match="No importer"):
        importer_for("nothing")
