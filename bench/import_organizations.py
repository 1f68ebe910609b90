"""Benchmark: import 100,000 organizations from CSV and XLSX.

For the same file, in the same run, it measures:

* **ours** — the whole product path: ``start_import`` (read the file, clean and classify every row:
  the preview) then the ``imports.apply`` job (read again, classify again against the database,
  write in chunks of 1,000 with COPY on PostgreSQL, memberships, one audit event per organization,
  checkpoints);
* **floor** — reading the file with the same parser, cleaning every row with the same
  ``clean_organization``, and writing the cleaned rows with COPY (PostgreSQL) or executemany
  (SQLite) into a scratch table: the least any importer that validates must do;
* **django-import-export** 4.4.3 — a ModelResource for Organization importing the same file.

    .venv/bin/python bench/import_organizations.py --rows 100000
    .venv/bin/python bench/import_organizations.py --rows 100000 --postgres postgres://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/import_organizations.py --memory            # 25k/50k/100k, each in its own process
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

HEADER = [
    "Name",
    "Primary domain",
    "Registration number",
    "Notification email",
    "Approval process",
    "Approval process limit",
    "Billing start date",
    "Customer number",
    "Street address",
    "Postal code",
    "City",
    "State",
    "Country",
    "Contact name",
    "Contact phone",
    "Contact email",
    "Contact cell phone",
]
COUNTRIES = ["SE", "NO", "DK", "FI", "GB", "IE", "NL", "DE"]
CITIES = ["Stockholm", "Oslo", "København", "Helsinki", "London", "Dublin", "Amsterdam", "Berlin"]


def row(i: int) -> list[str]:
    r = random.Random(i)
    c = r.randrange(len(COUNTRIES))
    return [
        f"Customer {i:06d} {r.choice(['AB', 'Ltd', 'Oy', 'GmbH', 'BV'])}",
        f"customer{i}.example.com",
        f"{r.randrange(10**9):09d}",
        f"it@customer{i}.example.com",
        r.choice(["TRUE", "FALSE"]),
        str(r.randrange(1000, 100000)),
        f"{r.randrange(1, 28):02d}/{r.randrange(1, 13):02d}/2026",
        f"C{i:07d}",
        f"Storgatan {r.randrange(1, 200)}",
        f"{r.randrange(10000, 99999)}",
        CITIES[c],
        "",
        COUNTRIES[c],
        f"Contact Person {i}",
        f"+46 8 {r.randrange(100000, 999999)}",
        f"contact{i}@customer{i}.example.com",
        f"+46 70 {r.randrange(1000000, 9999999)}",
    ]


def write_files(rows: int, folder: Path, formats: list[str]) -> dict[str, Path]:
    files = {}
    if "csv" in formats:
        path = folder / "organizations.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADER)
            for i in range(rows):
                writer.writerow(row(i))
        files["csv"] = path
    if "xlsx" in formats:
        import xlsxwriter

        path = folder / "organizations.xlsx"
        book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
        sheet = book.add_worksheet("Organizations")
        sheet.write_row(0, 0, HEADER)
        for i in range(rows):
            for col, value in enumerate(row(i)):
                sheet.write_string(i + 1, col, value)
        book.close()
        files["xlsx"] = path
    return files


def setup_database(postgres: str | None, settings_module: str) -> None:
    os.environ["CLOUDBROKER_DATA_DIR"] = tempfile.mkdtemp(prefix="cb-import-bench-")
    os.environ.pop("REDIS_URL", None)
    if postgres:
        import psycopg

        base = postgres.rsplit("/", 1)[0]
        with psycopg.connect(postgres, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS cloudbroker_bench_import")
            conn.execute("CREATE DATABASE cloudbroker_bench_import")
        os.environ["DATABASE_URL"] = f"{base}/cloudbroker_bench_import"
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def fresh_broker(slug: str):
    from cloudbroker.brokers.models import Broker

    return Broker.objects.create(name=slug, slug=slug, notification_email="a@b.test", support_email="s@b.test")


def run_ours(path: Path, slug: str) -> dict[str, float]:
    from cloudbroker.core.actors import Actor
    from cloudbroker.core.jobs import run_job
    from cloudbroker.imports import services
    from cloudbroker.organizations.models import Organization

    broker = fresh_broker(slug)
    actor = Actor.system(broker)
    t0 = time.perf_counter()
    with path.open("rb") as handle:  # as the portal passes an upload spooled to disk
        run = services.start_import(actor=actor, content=handle, filename=path.name, inline=True)
    t1 = time.perf_counter()
    job = services.confirm_import(actor=actor, run=run)
    if tracemalloc.is_tracing():
        tracemalloc.reset_peak()
    run_job(job.pk)
    t2 = time.perf_counter()
    run.refresh_from_db()
    assert run.created == Organization.objects.filter(broker=broker).count() == run.total_rows, run.created
    return {"preview": t1 - t0, "import": t2 - t1, "total": t2 - t0, "rows": run.total_rows}


def run_floor(path: Path) -> float:
    """Parse + clean every row + COPY (or executemany) into a scratch table."""
    from django.db import connection, transaction

    from cloudbroker.core.imports import read_rows
    from cloudbroker.imports.services import import_limits
    from cloudbroker.organizations.imports import ORGANIZATION_SPEC
    from cloudbroker.organizations.validation import ORGANIZATION_FIELDS, clean_organization

    columns = ", ".join(ORGANIZATION_FIELDS)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS floor_organizations")
        cursor.execute(f"CREATE TABLE floor_organizations ({', '.join(f + ' text' for f in ORGANIZATION_FIELDS)})")
    t0 = time.perf_counter()
    with read_rows(path.read_bytes(), path.name, ORGANIZATION_SPEC, import_limits()) as parsed, transaction.atomic():
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY floor_organizations ({columns}) FROM STDIN") as copy:
                    for raw in parsed.rows:
                        cleaned, _ = clean_organization(raw.values, row=raw.number)
                        copy.write_row(
                            [None if cleaned.get(f) is None else str(cleaned.get(f)) for f in ORGANIZATION_FIELDS]
                        )
            else:
                batch = []
                marks = ", ".join("%s" for _ in ORGANIZATION_FIELDS)
                sql = f"INSERT INTO floor_organizations ({columns}) VALUES ({marks})"
                for raw in parsed.rows:
                    cleaned, _ = clean_organization(raw.values, row=raw.number)
                    batch.append([None if cleaned.get(f) is None else str(cleaned.get(f)) for f in ORGANIZATION_FIELDS])
                    if len(batch) == 5000:
                        cursor.executemany(sql, batch)
                        batch = []
                if batch:
                    cursor.executemany(sql, batch)
    return time.perf_counter() - t0


def run_import_export(path: Path, slug: str, limit: int | None) -> tuple[float, int]:
    """django-import-export on the same file (optionally its first ``limit`` rows)."""
    import tablib
    from import_export import fields, resources, widgets

    from cloudbroker.organizations.models import Organization

    broker = fresh_broker(slug)

    class OrganizationResource(resources.ModelResource):
        name = fields.Field(attribute="name", column_name="Name")
        primary_domain = fields.Field(attribute="primary_domain", column_name="Primary domain")
        registration_number = fields.Field(attribute="registration_number", column_name="Registration number")
        notification_email = fields.Field(attribute="notification_email", column_name="Notification email")
        approval_required = fields.Field(
            attribute="approval_required", column_name="Approval process", widget=widgets.BooleanWidget()
        )
        approval_limit = fields.Field(
            attribute="approval_limit", column_name="Approval process limit", widget=widgets.DecimalWidget()
        )
        billing_start_date = fields.Field(
            attribute="billing_start_date", column_name="Billing start date", widget=widgets.DateWidget("%d/%m/%Y")
        )
        customer_number = fields.Field(attribute="customer_number", column_name="Customer number")
        street_address = fields.Field(attribute="street_address", column_name="Street address")
        postal_code = fields.Field(attribute="postal_code", column_name="Postal code")
        city = fields.Field(attribute="city", column_name="City")
        country = fields.Field(attribute="country", column_name="Country")
        contact_name = fields.Field(attribute="contact_name", column_name="Contact name")
        contact_phone = fields.Field(attribute="contact_phone", column_name="Contact phone")
        contact_email = fields.Field(attribute="contact_email", column_name="Contact email")
        contact_cell_phone = fields.Field(attribute="contact_cell_phone", column_name="Contact cell phone")

        class Meta:
            model = Organization
            import_id_fields = ["customer_number"]
            fields = (
                "name",
                "primary_domain",
                "registration_number",
                "notification_email",
                "approval_required",
                "approval_limit",
                "billing_start_date",
                "customer_number",
                "street_address",
                "postal_code",
                "city",
                "country",
                "contact_name",
                "contact_phone",
                "contact_email",
                "contact_cell_phone",
            )
            skip_unchanged = True
            use_bulk = False

        def get_queryset(self):
            return Organization.objects.filter(broker=broker)

        def before_save_instance(self, instance, row, **kwargs):
            instance.broker = broker

    if path.suffix == ".csv":
        text = path.read_text(encoding="utf-8")
        if limit:
            text = "".join(text.splitlines(keepends=True)[: limit + 1])
        dataset = tablib.Dataset().load(text, format="csv")
    else:
        dataset = tablib.Dataset().load(path.read_bytes(), format="xlsx")
        if limit:
            dataset = dataset[:limit] if False else tablib.Dataset(*dataset[:limit], headers=dataset.headers)
    t0 = time.perf_counter()
    result = OrganizationResource().import_data(dataset, dry_run=False, use_transactions=True, raise_errors=True)
    elapsed = time.perf_counter() - t0
    assert not result.has_errors(), result.row_errors()[:3]
    assert not result.has_validation_errors(), [(r.number, r.error_dict) for r in result.invalid_rows[:3]]
    return elapsed, Organization.objects.filter(broker=broker).count()


def memory_child(rows: int, postgres: str | None) -> None:
    """One size of the memory series, in its own process: peak RSS and Python heap of our import."""
    folder = Path(tempfile.mkdtemp(prefix="cb-import-mem-"))
    path = write_files(rows, folder, ["csv"])["csv"]
    setup_database(postgres, "cloudbroker.settings")
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    result = run_ours(path, f"mem-{rows}")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "rows": rows,
                "python_peak_mb": peak / 2**20,
                "rss_growth_mb": (rss - base_rss) / 1024,
                "seconds": result["total"],
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--postgres")
    parser.add_argument("--formats", default="csv,xlsx")
    parser.add_argument(
        "--import-export-rows",
        type=int,
        default=10_000,
        help="rows for django-import-export (0 = all); its time is scaled to --rows",
    )
    parser.add_argument("--skip-import-export", action="store_true")
    parser.add_argument("--memory", action="store_true")
    parser.add_argument("--memory-child", type=int)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child, args.postgres)
        return
    if args.memory:
        print("| rows | Python heap peak MB | RSS growth MB | seconds |\n|---|---|---|---|")
        for rows in (25_000, 50_000, 100_000):
            cmd = [sys.executable, __file__, "--memory-child", str(rows)]
            if args.postgres:
                cmd += ["--postgres", args.postgres]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
            m = json.loads(out)
            print(f"| {rows:,} | {m['python_peak_mb']:.1f} | {m['rss_growth_mb']:.1f} | {m['seconds']:.1f} |")
        return
    formats = args.formats.split(",")
    folder = Path(tempfile.mkdtemp(prefix="cb-import-bench-"))
    files = write_files(args.rows, folder, formats)
    setup_database(args.postgres, "bench._settings")
    from django.db import connection

    print(f"\n{args.rows:,} organizations, {connection.vendor}, {dt.datetime.now(dt.UTC).date().isoformat()}\n")
    print(
        "| file | ours: preview s | ours: import job s | ours: total s | rows/s | floor s | ours ÷ floor "
        "| django-import-export s | import-export ÷ ours |\n|---|---|---|---|---|---|---|---|---|"
    )
    for fmt, path in files.items():
        ours = run_ours(path, f"ours-{fmt}")
        floor = run_floor(path)
        if args.skip_import_export:
            ie_text, ratio_text = "—", "—"
        else:
            limit = args.import_export_rows or None
            ie_seconds, count = run_import_export(path, f"ie-{fmt}", limit)
            scaled = ie_seconds * args.rows / count
            ie_text = f"{scaled:.1f}" + (f" (measured {ie_seconds:.1f} s on {count:,} rows, scaled)" if limit else "")
            ratio_text = f"{scaled / ours['total']:.1f}×"
        print(
            f"| {fmt} | {ours['preview']:.1f} | {ours['import']:.1f} | {ours['total']:.1f} | "
            f"{ours['rows'] / ours['total']:,.0f} | {floor:.1f} | {ours['total'] / floor:.2f}× | {ie_text} | "
            f"{ratio_text} |"
        )


if __name__ == "__main__":
    main()
