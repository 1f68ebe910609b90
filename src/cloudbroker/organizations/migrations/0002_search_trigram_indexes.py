"""On PostgreSQL, trigram indexes make the organization search (a substring match on name, primary
domain and customer number, as Django's icontains writes it) use an index at 100,000 rows.
SQLite has no such index; the search there scans, which its benchmark shows is fast enough."""

from django.db import migrations

FIELDS = ("name", "primary_domain", "customer_number")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for field in FIELDS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS org_{field}_trgm ON organizations_organization "
            f"USING gin (UPPER({field}::text) gin_trgm_ops)"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for field in FIELDS:
        schema_editor.execute(f"DROP INDEX IF EXISTS org_{field}_trgm")


class Migration(migrations.Migration):
    dependencies = [("organizations", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
