"""Benchmark: import 100,000 organizations from CSV and XLSX.

For the same file, in the same run, it measures:

* **ours** — the whole product path: ``start_import`` (read the file, clean every row, check
  in-file duplicates, classify against the database, keep the cleaned rows beside the upload: the
  preview) then the ``imports.apply`` job (read the preview's cleaned rows, match them against the
  data as it is then, write in chunks of 1,000 — on PostgreSQL COPY into a temporary table, then
  one INSERT of the organizations and one of their audit events —, memberships, checkpoints);
* **floor** — reading the file with the same parser, cleaning every row with the same
  ``clean_organization``, and writing the cleaned rows with COPY (PostgreSQL) or executemany
  (SQLite) into a scratch table: the least any importer that validates must do;
* **floor into the table** (PostgreSQL) — the same, with the one COPY going into
  ``organizations_organization`` itself (its indexes, constraints and foreign key);
* **django-import-export** 4.4.3 — a ModelResource for Organization importing the same file.

    .venv/bin/python bench/import_organizations.py --rows 100000
    .venv/bin/python bench/import_organizations.py --rows 100000 --postgres postgres://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/import_organizations.py --memory            # 25k to 200k rows, each in its own process
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import csv
import datetime as dt
import io
import json
import os
import pstats
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


def write_files(rows: int, folder: Path, formats: list[str], stem: str = "organizations") -> dict[str, Path]:
    files = {}
    if "csv" in formats:
        path = folder / f"{stem}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADER)
            for i in range(rows):
                writer.writerow(row(i))
        files["csv"] = path
    if "xlsx" in formats:
        import xlsxwriter

        path = folder / f"{stem}.xlsx"
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


class Probe:
    """Hooks around the two phases of our import: a profiler, or the Python heap's peak."""

    def __init__(self, *, profile: bool = False, heap: bool = False) -> None:
        self.profiles: dict[str, cProfile.Profile] = {}
        self.heap_peaks: dict[str, float] = {}
        self._profile, self._heap = profile, heap

    @contextlib.contextmanager
    def phase(self, name: str):
        if self._heap:
            tracemalloc.reset_peak()
            start = tracemalloc.get_traced_memory()[0]
        profiler = cProfile.Profile() if self._profile else None
        if profiler:
            profiler.enable()
        try:
            yield
        finally:
            if profiler:
                profiler.disable()
                self.profiles[name] = profiler
            if self._heap:
                self.heap_peaks[name] = (tracemalloc.get_traced_memory()[1] - start) / 2**20


def run_ours(path: Path, slug: str, probe: Probe | None = None) -> dict[str, float]:
    """start_import (the preview, inline) then confirm_import and the imports.apply job, in process."""
    from cloudbroker.core.actors import Actor
    from cloudbroker.core.choices import JobStatus
    from cloudbroker.core.jobs import run_job
    from cloudbroker.imports import services
    from cloudbroker.organizations.models import Organization

    probe = probe or Probe()
    broker = fresh_broker(slug)
    actor = Actor.system(broker)
    t0 = time.perf_counter()
    with path.open("rb") as handle, probe.phase("preview"):  # as the portal passes an upload spooled to disk
        run = services.start_import(actor=actor, content=handle, filename=path.name, inline=True)
    t1 = time.perf_counter()
    with probe.phase("job"):
        job = services.confirm_import(actor=actor, run=run)
        job = run_job(job.pk)
    t2 = time.perf_counter()
    assert job.status == JobStatus.SUCCEEDED, job.error
    run.refresh_from_db()
    count = Organization.objects.filter(broker=broker).count()
    assert run.created == count == run.total_rows, (run.created, count, run.total_rows)
    return {"preview": t1 - t0, "import": t2 - t1, "total": t2 - t0, "rows": count}


def run_floor_into_table(path: Path, slug: str) -> float:
    """Parse + clean every row + one COPY into ``organizations_organization`` itself, with its
    indexes and constraints (PostgreSQL): the same rows written where an import must write them,
    with an id and timestamps each. No matching, duplicate checks, audit or checkpoints."""
    import uuid

    from django.db import connection, transaction
    from django.utils import timezone

    from cloudbroker.core.imports import read_rows
    from cloudbroker.imports.services import import_limits
    from cloudbroker.organizations.imports import ORGANIZATION_SPEC
    from cloudbroker.organizations.validation import ORGANIZATION_FIELDS, clean_organization

    broker = fresh_broker(slug)
    columns = ", ".join(["id", "created_at", "updated_at", "broker_id", *ORGANIZATION_FIELDS])
    t0 = time.perf_counter()
    now = timezone.now()
    with path.open("rb") as handle, read_rows(handle, path.name, ORGANIZATION_SPEC, import_limits()) as parsed:
        with transaction.atomic(), connection.cursor() as cursor:
            with cursor.cursor.copy(f"COPY organizations_organization ({columns}) FROM STDIN") as copy:
                for raw in parsed.rows:
                    cleaned, _ = clean_organization(raw.values, row=raw.number)
                    copy.write_row([uuid.uuid4(), now, now, broker.pk, *(cleaned.get(f) for f in ORGANIZATION_FIELDS)])
    return time.perf_counter() - t0


def run_floor(path: Path) -> float:
    """Parse + clean every row + COPY (PostgreSQL) or executemany INSERT (SQLite) into a scratch
    table with the organization's columns and column types. No matching, no duplicate checks, no
    audit, no checkpoints: the least any importer that validates its rows must do."""
    from django.db import connection, transaction

    from cloudbroker.core.imports import read_rows
    from cloudbroker.imports.services import import_limits
    from cloudbroker.organizations.imports import ORGANIZATION_SPEC
    from cloudbroker.organizations.models import Organization
    from cloudbroker.organizations.validation import ORGANIZATION_FIELDS, clean_organization

    meta = Organization._meta
    columns = ", ".join(ORGANIZATION_FIELDS)
    types = ", ".join(f"{f} {meta.get_field(f).db_type(connection)}" for f in ORGANIZATION_FIELDS)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS floor_organizations")
        cursor.execute(f"CREATE TABLE floor_organizations ({types})")
    postgres = connection.vendor == "postgresql"

    def plain(value):
        if postgres or value is None or isinstance(value, str | bool):
            return value
        return value.isoformat() if isinstance(value, dt.date) else str(value)  # Decimal

    t0 = time.perf_counter()
    with path.open("rb") as handle, read_rows(handle, path.name, ORGANIZATION_SPEC, import_limits()) as parsed:
        with transaction.atomic(), connection.cursor() as cursor:
            if postgres:
                with cursor.cursor.copy(f"COPY floor_organizations ({columns}) FROM STDIN") as copy:
                    for raw in parsed.rows:
                        cleaned, _ = clean_organization(raw.values, row=raw.number)
                        copy.write_row([cleaned.get(f) for f in ORGANIZATION_FIELDS])
            else:
                batch = []
                marks = ", ".join("%s" for _ in ORGANIZATION_FIELDS)
                sql = f"INSERT INTO floor_organizations ({columns}) VALUES ({marks})"
                for raw in parsed.rows:
                    cleaned, _ = clean_organization(raw.values, row=raw.number)
                    batch.append([plain(cleaned.get(f)) for f in ORGANIZATION_FIELDS])
                    if len(batch) == 5000:
                        cursor.executemany(sql, batch)
                        batch = []
                if batch:
                    cursor.executemany(sql, batch)
    elapsed = time.perf_counter() - t0
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM floor_organizations")
        (count,) = cursor.fetchone()
        cursor.execute("DROP TABLE floor_organizations")
    assert count > 0
    return elapsed


def run_table_writes(path: Path, slug: str) -> float:
    """What writing the rows costs in the product's tables alone (PostgreSQL): the file's cleaned
    rows, built before the clock starts (the organization rows and their audit rows with their
    JSON), copied 1,000 per transaction into ``organizations_organization`` (its unique and other
    indexes, the broker foreign key) and ``core_auditevent`` (its indexes). No parsing, cleaning,
    matching or Python work per row beyond the driver's COPY: the part of the import job that no
    change to the import's code can remove."""
    import uuid

    from django.db import connection, transaction
    from django.utils import timezone

    from cloudbroker.core.imports import read_rows
    from cloudbroker.imports.services import import_limits
    from cloudbroker.organizations.imports import ORGANIZATION_SPEC
    from cloudbroker.organizations.validation import ORGANIZATION_FIELDS, clean_organization

    broker = fresh_broker(slug)
    now = timezone.now()
    org_columns = ", ".join(["id", "created_at", "updated_at", "broker_id", *ORGANIZATION_FIELDS])
    audit_columns = (
        "occurred_at, broker_id, organization_id, actor_label, action, object_type, object_id, object_repr, "
        "after, request_id"
    )

    def default(value):
        return value.isoformat() if isinstance(value, dt.date) else str(value)

    chunks: list[tuple[list, list]] = []
    with path.open("rb") as handle, read_rows(handle, path.name, ORGANIZATION_SPEC, import_limits()) as parsed:
        orgs, events = [], []
        for raw in parsed.rows:
            cleaned, _ = clean_organization(raw.values, row=raw.number)
            org_id = uuid.uuid4()
            values = [cleaned.get(f) for f in ORGANIZATION_FIELDS]  # every column is filled in the file
            orgs.append([org_id, now, now, broker.pk, *values])
            after = json.dumps({**dict(zip(ORGANIZATION_FIELDS, values, strict=True)), "groups": []}, default=default)
            events.append(
                [
                    now,
                    broker.pk,
                    org_id,
                    "System",
                    "organization.created",
                    "organizations.organization",
                    str(org_id),
                    values[0],
                    after,
                    "",
                ]
            )
            if len(orgs) == 1000:
                chunks.append((orgs, events))
                orgs, events = [], []
        if orgs:
            chunks.append((orgs, events))
    t0 = time.perf_counter()
    for orgs, events in chunks:
        with transaction.atomic(), connection.cursor() as cursor:
            with cursor.cursor.copy(f"COPY organizations_organization ({org_columns}) FROM STDIN") as copy:
                for row in orgs:
                    copy.write_row(row)
            with cursor.cursor.copy(f"COPY core_auditevent ({audit_columns}) FROM STDIN") as copy:
                for row in events:
                    copy.write_row(row)
    return time.perf_counter() - t0


def run_import_export(path: Path, slug: str) -> tuple[float, int]:
    """django-import-export on the same file: tablib loads it (its parser), then ``import_data``."""
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
        state = fields.Field(attribute="state", column_name="State")
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
                "state",
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

    t0 = time.perf_counter()
    if path.suffix == ".csv":
        dataset = tablib.Dataset().load(path.read_text(encoding="utf-8"), format="csv")
    else:
        dataset = tablib.Dataset().load(path.read_bytes(), format="xlsx")
    result = OrganizationResource().import_data(dataset, dry_run=False, use_transactions=True, raise_errors=True)
    elapsed = time.perf_counter() - t0
    assert not result.has_errors(), result.row_errors()[:3]
    assert not result.has_validation_errors(), [(r.number, r.error_dict) for r in result.invalid_rows[:3]]
    count = Organization.objects.filter(broker=broker).count()
    assert count == len(dataset), (count, len(dataset))
    return elapsed, count


def print_profile(probe: Probe, top: int) -> None:
    for name, profiler in probe.profiles.items():
        for order in ("tottime", "cumulative"):
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order)
            stats.print_stats(top)
            text = out.getvalue()
            print(f"\n#### cProfile of {name}, by {order}\n\n```\n{text[text.index('   ncalls') :].rstrip()}\n```")


def memory_child(rows: int, postgres: str | None, mode: str) -> None:
    """One size of the memory series, in its own process (ru_maxrss only ever grows).

    ``rss``: growth of the process's peak RSS over the whole import (no tracing, true speed);
    ``heap``: tracemalloc peak of the Python heap above its level at the start of each phase.
    """
    folder = Path(tempfile.mkdtemp(prefix="cb-import-mem-"))
    path = write_files(rows, folder, ["csv"])["csv"]
    setup_database(postgres, "cloudbroker.settings")
    # As in production: with DEBUG on (development mode) Django keeps the text of the last 9,000
    # SQL statements, which would be counted as the import's memory.
    from django.conf import settings

    settings.DEBUG = False
    fresh_broker("warm-up")  # first queries, caches, lazy imports: not part of the growth
    out: dict[str, float] = {"rows": rows}
    if mode == "rss":
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        result = run_ours(path, f"mem-{rows}")
        out["rss_growth_mb"] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024
        out["seconds"] = result["total"]
    else:
        tracemalloc.start()
        probe = Probe(heap=True)
        run_ours(path, f"mem-{rows}", probe)
        out["preview_peak_mb"] = probe.heap_peaks["preview"]
        out["job_peak_mb"] = probe.heap_peaks["job"]
        tracemalloc.stop()
    print(json.dumps(out))


def memory_series(postgres: str | None) -> None:
    sizes = (25_000, 50_000, 100_000, 200_000)
    results: dict[int, dict[str, float]] = {n: {} for n in sizes}
    for mode in ("rss", "heap"):
        for rows in sizes:
            cmd = [sys.executable, __file__, "--memory-child", str(rows), "--memory-mode", mode]
            if postgres:
                cmd += ["--postgres", postgres]
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if done.returncode:
                sys.exit(done.stderr)
            results[rows].update(json.loads(done.stdout.strip().splitlines()[-1]))
    engine = "postgresql" if postgres else "sqlite"
    print(f"\nMemory of our import, CSV, {engine}, each size in two fresh processes\n")
    print("| rows | peak RSS growth MB | seconds | heap peak, preview MB | heap peak, job MB |\n|---|---|---|---|---|")
    for n in sizes:
        m = results[n]
        print(
            f"| {n:,} | {m['rss_growth_mb']:.1f} | {m['seconds']:.1f} | {m['preview_peak_mb']:.1f} "
            f"| {m['job_peak_mb']:.1f} |"
        )
    small, large = results[sizes[0]], results[sizes[-1]]
    extra = sizes[-1] - sizes[0]
    print(
        f"\nGrowth from {sizes[0]:,} to {sizes[-1]:,} rows: RSS "
        f"{(large['rss_growth_mb'] - small['rss_growth_mb']) * 2**20 / extra:.0f} bytes a row, preview heap "
        f"{(large['preview_peak_mb'] - small['preview_peak_mb']) * 2**20 / extra:.0f} bytes a row, job heap "
        f"{(large['job_peak_mb'] - small['job_peak_mb']) * 2**20 / extra:.0f} bytes a row."
    )


def run_trio(path: Path, label: str, postgres: bool) -> tuple[dict[str, float], float, str]:
    """Ours, the floor and (PostgreSQL) the floor into the table on one file, in turn; the last as
    the table cells it adds."""
    ours = run_ours(path, f"ours-{label}")
    floor = run_floor(path)
    into_table = ""
    if postgres:
        floor_table = run_floor_into_table(path, f"floor-{label}")
        into_table = f"| {floor_table:.1f} | {ours['total'] / floor_table:.2f}× "
    return ours, floor, into_table


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--postgres", help="server URL; a database cloudbroker_bench_import is (re)created there")
    parser.add_argument("--formats", default="csv,xlsx")
    parser.add_argument(
        "--import-export-rows",
        type=int,
        default=0,
        help="run django-import-export (and ours again, for the ratio) on this many rows only and "
        "scale its time linearly to --rows (0 = on all rows)",
    )
    parser.add_argument("--skip-import-export", action="store_true")
    parser.add_argument(
        "--repeat",
        type=int,
        default=0,
        help="then run ours and the floors on the first file this many more times, in turn, and print each ratio",
    )
    parser.add_argument("--profile", action="store_true", help="cProfile our preview and job (slower; separate run)")
    parser.add_argument("--memory", action="store_true", help="the memory series: 25k, 50k, 100k, 200k rows")
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--memory-mode", choices=("rss", "heap"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child, args.postgres, args.memory_mode)
        return
    if args.memory:
        memory_series(args.postgres)
        return
    formats = args.formats.split(",")
    folder = Path(tempfile.mkdtemp(prefix="cb-import-bench-"))
    files = write_files(args.rows, folder, formats)
    ie_rows = args.import_export_rows if 0 < args.import_export_rows < args.rows else 0
    small = write_files(ie_rows, folder, formats, stem="organizations-small") if ie_rows else {}
    setup_database(args.postgres, "bench._settings")
    from django.db import connection

    if args.profile:
        for fmt, path in files.items():
            probe = Probe(profile=True)
            ours = run_ours(path, f"profile-{fmt}", probe)
            print(f"\n### {fmt}, {connection.vendor}: preview {ours['preview']:.1f} s, job {ours['import']:.1f} s")
            print_profile(probe, 25)
        return
    floor_kind = "COPY" if connection.vendor == "postgresql" else "executemany INSERT"
    print(
        f"\n{args.rows:,} organizations, {connection.vendor}, {os.cpu_count()} cores, "
        f"{dt.datetime.now(dt.UTC).date().isoformat()}; floor = parse + clean_organization + {floor_kind}\n"
    )
    postgres = connection.vendor == "postgresql"
    print(
        "| file | ours: preview s | ours: import job s | ours: total s | rows/s | floor s | ours ÷ floor "
        + ("| floor into the table s | ours ÷ that floor " if postgres else "")
        + "| django-import-export s | import-export ÷ ours |\n|---|---|---|---|---|---|---|"
        + ("---|---|" if postgres else "")
        + "---|---|"
    )
    same_n = []
    table_writes = None
    for fmt, path in files.items():
        ours, floor, into_table = run_trio(path, fmt, postgres)
        if table_writes is None and postgres:
            table_writes = run_table_writes(path, f"writes-{fmt}")
        ie_text, ratio_text = "—", "—"
        if not args.skip_import_export:
            if ie_rows:
                ie_seconds, count = run_import_export(small[fmt], f"ie-{fmt}")
                ours_small = run_ours(small[fmt], f"ours-small-{fmt}")
                scaled = ie_seconds * args.rows / count
                ie_text = f"{scaled:.1f} (extrapolated from {count:,} rows)"
                ratio_text = f"{ie_seconds / ours_small['total']:.1f}× (at {count:,} rows)"
                same_n.append((fmt, count, ie_seconds, ours_small["total"]))
            else:
                ie_seconds, count = run_import_export(path, f"ie-{fmt}")
                ie_text, ratio_text = f"{ie_seconds:.1f}", f"{ie_seconds / ours['total']:.1f}×"
        print(
            f"| {fmt} | {ours['preview']:.1f} | {ours['import']:.1f} | {ours['total']:.1f} | "
            f"{ours['rows'] / ours['total']:,.0f} | {floor:.1f} | {ours['total'] / floor:.2f}× "
            f"{into_table}| {ie_text} | {ratio_text} |",
            flush=True,
        )
    if table_writes is not None:
        print(
            f"\nWriting the same {args.rows:,} organizations and their audit events into the product's tables "
            f"(COPY of rows built beforehand, 1,000 per transaction): {table_writes:.1f} s"
        )
    if same_n:
        print("\n| file | rows | django-import-export s | ours s | import-export ÷ ours |\n|---|---|---|---|---|")
        for fmt, count, ie_seconds, ours_seconds in same_n:
            print(f"| {fmt} | {count:,} | {ie_seconds:.1f} | {ours_seconds:.1f} | {ie_seconds / ours_seconds:.1f}× |")
    if args.repeat:
        fmt, path = next(iter(files.items()))
        print(
            f"\n{fmt}, {args.repeat} more run{'s' if args.repeat > 1 else ''} in turn\n\n"
            "| run | ours s | floor s | ours ÷ floor "
            + ("| floor into the table s | ours ÷ that floor " if postgres else "")
            + "|\n|---|---|---|---|"
            + ("---|---|" if postgres else "")
        )
        for number in range(1, args.repeat + 1):
            ours, floor, into_table = run_trio(path, f"repeat-{number}-{fmt}", postgres)
            print(
                f"| {number} | {ours['total']:.1f} | {floor:.1f} | {ours['total'] / floor:.2f}× {into_table}|",
                flush=True,
            )


if __name__ == "__main__":
    main()
