"""Benchmark: the organization list (API and portal page) with 100,000 organizations.

Builds a fresh database (SQLite in a temporary folder, or a `cloudbroker_bench` database on the
PostgreSQL server given with --postgres), fills it with N organizations in 20 groups, then times
requests through Django's full request stack (middleware, auth, scoping, rendering), in process:

    .venv/bin/python bench/org_list.py --organizations 100000
    .venv/bin/python bench/org_list.py --organizations 100000 --postgres postgres://postgres@127.0.0.1:5432/test

Prints the median and 95th percentile in milliseconds per request kind.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))


def prepare_environment(args) -> None:
    from bench._database import use_fresh_database

    use_fresh_database(args.postgres, "cloudbroker_bench")
    os.environ["DJANGO_SETTINGS_MODULE"] = "cloudbroker.settings"


def build(n: int):
    import datetime as dt

    from django.core.management import call_command

    from cloudbroker.accounts.models import User
    from cloudbroker.brokers.models import Broker
    from cloudbroker.core.permissions import StaffRole
    from cloudbroker.organizations.models import Organization, OrganizationGroup

    call_command("migrate", verbosity=0)
    broker = Broker.objects.create(name="Bench", slug="bench", notification_email="a@b.test", support_email="s@b.test")
    admin = User.objects.create_user("admin@bench.test", "x", broker=broker, staff_role=StaffRole.SUPER_ADMIN)
    kam = User.objects.create_user("kam@bench.test", "x", broker=broker, staff_role=StaffRole.KEY_ACCOUNT_MANAGER)
    groups = OrganizationGroup.objects.bulk_create(
        [OrganizationGroup(broker=broker, name=f"Group {i:02d}") for i in range(20)]
    )
    kam.assigned_groups.set(groups[:2])  # a manager with a tenth of the customers
    through = OrganizationGroup.organizations.through
    start = time.perf_counter()
    batch = 5000
    for offset in range(0, n, batch):
        orgs = [
            Organization(
                id=uuid.uuid4(),
                broker=broker,
                name=f"Customer {i:06d} {('Alpha', 'Beta', 'Gamma')[i % 3]}",
                primary_domain=f"customer{i}.example.com",
                notification_email=f"it@customer{i}.example.com",
                customer_number=f"C{i:07d}",
                billing_start_date=dt.date(2026, 1, 1),
                country="SE",
                city="Stockholm",
            )
            for i in range(offset, min(n, offset + batch))
        ]
        Organization.objects.bulk_create(orgs)
        through.objects.bulk_create(
            [
                through(organization_id=o.pk, organizationgroup_id=groups[i % 20].pk)
                for i, o in enumerate(orgs, start=offset)
            ]
        )
    print(f"built {n} organizations in {time.perf_counter() - start:.1f} s")
    from django.db import connection

    with connection.cursor() as cursor:  # fresh statistics, as autovacuum would have made them
        cursor.execute("ANALYZE")
    return admin, kam, groups


def measure(label, client, path, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    times.sort()
    p95 = times[max(0, int(len(times) * 0.95) - 1)]
    print(f"| {label} | {statistics.median(times):.1f} | {p95:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--organizations", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--postgres", help="server URL; a database cloudbroker_bench is (re)created there")
    args = parser.parse_args()
    prepare_environment(args)
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client

    from cloudbroker.accounts import services
    from cloudbroker.core.actors import actor_for_user

    settings.ALLOWED_HOSTS = ["testserver"]
    admin, kam, groups = build(args.organizations)
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(f"\n{args.organizations} organizations, {engine}, median and p95 of {args.repeat} requests (ms)\n")
    print("| request | median ms | p95 ms |\n|---|---|---|")
    for who, user in (("Super Admin", admin), ("KAM (2 of 20 groups)", kam)):
        page = Client()
        page.force_login(user)
        _, raw = services.create_api_token(actor=actor_for_user(user), name="bench")
        api = Client(headers={"Authorization": f"Bearer {raw}"})
        measure(f"{who}: page 1 of the list (portal)", page, "/organizations/", args.repeat)
        measure(f"{who}: page 1 of the list (API)", api, "/api/v1/organizations/", args.repeat)
        measure(f"{who}: search 'customer 0123' (portal)", page, "/organizations/?q=customer+0123", args.repeat)
        measure(f"{who}: search by customer number (API)", api, "/api/v1/organizations/?q=C0099999", args.repeat)
        measure(f"{who}: filter by group (portal)", page, f"/organizations/?group={groups[1].pk}", args.repeat)
        measure(
            f"{who}: sort newest first, page 200 (API)",
            api,
            "/api/v1/organizations/?sort=-created&page=200",
            args.repeat,
        )


if __name__ == "__main__":
    main()
