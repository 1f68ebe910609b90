"""Benchmark: the subscription list (API) of one organization with 500 subscriptions, and of the
whole broker with 100,000, against a plain Django query floor in the same run.

Builds a fresh database (SQLite in a temporary folder, or a `cloudbroker_bench_subscriptions`
database on the PostgreSQL server given with --postgres): 2,000 organizations in 20 groups, 300
item codes, 100,000 subscriptions (500 of them in one organization, the rest spread evenly; every
fifth an add-on of the one before) with one to three seat lots each, statistics refreshed with
ANALYZE. Then, for a Super Admin and for a Key Account Manager who sees 2 of the 20 groups (the
large organization among them), it times through Django's whole request stack, in process
(middleware, token authentication, scoping, serialization):

* ``GET /api/v1/subscriptions/?organization=<id>`` — page 1 and the last page (page size 100);
* ``GET /api/v1/subscriptions/`` — page 1 and the last page;

and, alternating with each request, the floor: a plain Django query of the same page
(``values()`` of the same columns, in the same order, narrowed to the same organizations) and the
lots of its rows by one more query. The count the API also answers (its pager) is timed on its
own, so the ratio is given against the rows alone and against rows plus count. The bench checks
that the API and the floor return the same rows and lots, and that every request costs the same
number of queries:

    .venv/bin/python bench/subscription_list.py
    .venv/bin/python bench/subscription_list.py --postgres postgres://postgres@127.0.0.1:5432/subbench

Prints the median and 95th percentile in milliseconds per request kind, then where the time of one
page goes (the stack's cost for one row, building the rows, validating and rendering them).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import statistics
import sys
import time
import uuid
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

PAGE_SIZE = 100
GROUPS = 20
ITEM_CODES = 300
FIELDS = (
    "id",
    "organization_id",
    "offer__item_code",
    "offer__product__title",
    "friendly_name",
    "po_number",
    "quantity",
    "status",
    "status_message",
    "change_pending",
    "term",
    "billing_plan",
    "start_date",
    "commitment_end",
    "auto_renew",
    "provision_on",
    "parent_id",
    "vendor_subscription_id",
    "currency",
    "unit_price",
    "unit_cost",
)
ORDER = ("organization_id", "created_at", "id")


def build(organizations: int, subscriptions: int, large: int):
    from django.core.management import call_command
    from django.db import connection

    from cloudbroker.accounts.models import User
    from cloudbroker.brokers.models import Broker
    from cloudbroker.catalog.models import Category, Offer, Product, ProductGroup, item_code
    from cloudbroker.core.permissions import StaffRole
    from cloudbroker.organizations.models import Organization, OrganizationGroup
    from cloudbroker.subscriptions.choices import SubscriptionStatus
    from cloudbroker.subscriptions.models import SeatLot, Subscription

    call_command("migrate", verbosity=0)
    broker = Broker.objects.create(
        name="Bench", slug="bench", notification_email="a@b.test", support_email="s@b.test", currency="EUR"
    )
    admin = User.objects.create_user("admin@bench.test", "x", broker=broker, staff_role=StaffRole.SUPER_ADMIN)
    kam = User.objects.create_user("kam@bench.test", "x", broker=broker, staff_role=StaffRole.KEY_ACCOUNT_MANAGER)
    groups = OrganizationGroup.objects.bulk_create(
        [OrganizationGroup(broker=broker, name=f"Group {i:02d}") for i in range(GROUPS)]
    )
    kam.assigned_groups.set(groups[:2])  # a manager with a tenth of the customers

    category = Category.objects.create(broker=broker, name="Licence-based", slug="licence-based")
    product_group = ProductGroup.objects.create(broker=broker, name="Microsoft 365", slug="m365")
    products = Product.objects.bulk_create(
        [
            Product(
                broker=broker,
                vendor_product_id=f"CFQ7TTC0{i:04d}",
                vendor_sku_id="0001",
                title=f"Microsoft 365 Plan {i:03d}",
                category=category,
                group=product_group,
            )
            for i in range(ITEM_CODES // 3)
        ]
    )
    terms = (("P1M", "monthly"), ("P1Y", "monthly"), ("P1Y", "annual"))
    offers = Offer.objects.bulk_create(
        [
            Offer(
                broker=broker,
                product=p,
                term=term,
                billing_plan=plan,
                item_code=item_code(p.product_sku, term, plan),
            )
            for p in products
            for term, plan in terms
        ]
    )
    orgs = Organization.objects.bulk_create(
        [
            Organization(
                id=uuid.uuid4(),
                broker=broker,
                name=f"Customer {i:05d}",
                primary_domain=f"customer{i}.example.com",
                notification_email=f"it@customer{i}.example.com",
                customer_number=f"C{i:07d}",
                billing_start_date=dt.date(2026, 1, 1),
                country="SE",
            )
            for i in range(organizations)
        ],
        batch_size=2000,
    )
    through = OrganizationGroup.organizations.through
    through.objects.bulk_create(
        [through(organization_id=o.pk, organizationgroup_id=groups[i % GROUPS].pk) for i, o in enumerate(orgs)],
        batch_size=5000,
    )
    big = orgs[0]  # in group 0: the manager sees it

    # Which organization each subscription belongs to: `large` for the big one, the rest in turn.
    owners = [big] * large + [orgs[1 + i % (organizations - 1)] for i in range(subscriptions - large)]
    statuses = (SubscriptionStatus.ACTIVE,) * 8 + (SubscriptionStatus.SUSPENDED, SubscriptionStatus.EXPIRED)
    start = time.perf_counter()
    batch = 5000
    previous: dict[uuid.UUID, uuid.UUID] = {}
    for offset in range(0, subscriptions, batch):
        subs, lots = [], []
        for i in range(offset, min(subscriptions, offset + batch)):
            org, offer = owners[i], offers[i % len(offers)]
            sid = uuid.uuid4()
            cost = Decimal(600 + i % 1800) / 100
            subs.append(
                Subscription(
                    id=sid,
                    broker=broker,
                    organization=org,
                    offer=offer,
                    parent_id=previous.get(org.pk) if i % 5 == 4 else None,
                    friendly_name=f"Seats {i}" if i % 2 else "",
                    po_number=f"PO-{i:06d}" if i % 3 == 0 else "",
                    quantity=5 + i % 40,
                    status=statuses[i % len(statuses)],
                    term=offer.term,
                    billing_plan=offer.billing_plan,
                    start_date=dt.date(2026, 1, 1) + dt.timedelta(days=i % 300),
                    commitment_end=dt.date(2027, 1, 1) + dt.timedelta(days=i % 300),
                    currency="EUR",
                    unit_cost=cost,
                    unit_price=(cost * Decimal("1.2")).quantize(Decimal("0.000001")) if i % 50 else None,
                    vendor_subscription_id=str(uuid.uuid4()),
                )
            )
            previous[org.pk] = sid
            added = dt.datetime(2026, 1, 1, 9, tzinfo=dt.UTC) + dt.timedelta(hours=i % 5000)
            for n in range(1 + i % 3):
                at = added + dt.timedelta(days=30 * n)
                lots.append(
                    SeatLot(subscription_id=sid, quantity=1 + n, added_at=at, reducible_until=at + dt.timedelta(days=7))
                )
        Subscription.objects.bulk_create(subs)
        SeatLot.objects.bulk_create(lots)
    print(
        f"built {subscriptions} subscriptions ({SeatLot.objects.count()} seat lots) for {organizations} "
        f"organizations in {time.perf_counter() - start:.1f} s"
    )
    with connection.cursor() as cursor:  # fresh statistics, as autovacuum would have made them
        cursor.execute("ANALYZE")
    return broker, admin, kam, big, groups[:2]


def floor(broker_id, *, organization=None, group_ids=None, page: int = 1):
    """The same page by a plain Django query: the columns with values(), the lots by one more query."""
    from cloudbroker.organizations.models import OrganizationGroup
    from cloudbroker.subscriptions.models import SeatLot, Subscription

    qs = Subscription.objects.filter(broker_id=broker_id)
    if organization is not None:
        qs = qs.filter(organization_id=organization)
    if group_ids is not None:
        members = OrganizationGroup.organizations.through.objects.filter(organizationgroup_id__in=group_ids)
        qs = qs.filter(organization_id__in=members.values("organization_id"))
    qs = qs.order_by(*ORDER)
    rows = list(qs.values(*FIELDS)[(page - 1) * PAGE_SIZE : page * PAGE_SIZE])
    lots = defaultdict(list)
    for lot in SeatLot.objects.filter(subscription_id__in=[r["id"] for r in rows]).values(
        "subscription_id", "quantity", "added_at", "reducible_until"
    ):
        lots[lot["subscription_id"]].append(lot)
    return rows, lots, qs


def breakdown(api, actor, broker_id, organization, repeat: int) -> None:
    """Where the time of a page goes: the same request for a page of one row (what the stack costs
    whatever the rows: middleware, token, scoping, count), building the page's rows, validating them
    against the response schema as django-ninja does, and dumping and rendering them as JSON."""
    import json

    from ninja import Schema
    from ninja.responses import NinjaJSONEncoder

    from cloudbroker.subscriptions.api import _list, _Page
    from cloudbroker.subscriptions.schemas import CostedSubscriptionOut, LotOut, MoneyOut

    class Paged(Schema):
        items: list[CostedSubscriptionOut]
        count: int

    path = f"/api/v1/subscriptions/?organization={organization}"
    qs = _list(actor).filter(organization_id=organization)
    items, count = _Page(qs, actor)[0:PAGE_SIZE], qs.count()
    validated = Paged.model_validate({"items": items, "count": count})
    dumped = validated.model_dump(exclude_unset=True)

    def constructed():
        """The same response models made without validation, for comparison (not what the API does)."""
        made = []
        for item in items:
            row = dict(item, lots=[LotOut.model_construct(**lot) for lot in item["lots"]])
            for key in ("unit_price", "unit_cost"):
                if row.get(key) is not None:
                    row[key] = MoneyOut.model_construct(**row[key])
            made.append(CostedSubscriptionOut.model_construct(**row))
        return Paged.model_construct(items=made, count=count)

    assert constructed().model_dump(exclude_unset=True) == dumped
    steps = {
        "the request (100 rows)": lambda: api.get(path),
        "the same request for a page of 1 row": lambda: api.get(path + "&page_size=1"),
        "floor: the rows and their lots": lambda: floor(broker_id, organization=organization),
        "building the 100 rows (`_Page`)": lambda: _Page(qs, actor)[0:PAGE_SIZE],
        "validating them against the response schema (as django-ninja does)": lambda: Paged.model_validate(
            {"items": items, "count": count}
        ),
        "for comparison: making the same response models without validation (`model_construct`)": constructed,
        "dumping and rendering them as JSON": lambda: json.dumps(
            validated.model_dump(exclude_unset=True), cls=NinjaJSONEncoder
        ),
    }
    # The steps reproduce the response: the same JSON.
    assert json.loads(api.get(path).content) == json.loads(json.dumps(dumped, cls=NinjaJSONEncoder))
    times: dict[str, list[float]] = defaultdict(list)
    for _ in range(repeat):
        for label, step in steps.items():
            t0 = time.perf_counter()
            step()
            times[label].append((time.perf_counter() - t0) * 1000)
    print("\nWhere the time of a page goes (Super Admin, the organization's page 1), median ms\n")
    print("| step | median ms |\n|---|---|")
    for label, spent in times.items():
        print(f"| {label} | {statistics.median(spent):.1f} |")


def percentiles(times: list[float]) -> tuple[float, float]:
    times = sorted(times)
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--organizations", type=int, default=2000)
    parser.add_argument("--subscriptions", type=int, default=100_000)
    parser.add_argument("--large", type=int, default=500, help="subscriptions of the one large organization")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument(
        "--postgres", help="server URL; a database cloudbroker_bench_subscriptions is (re)created there"
    )
    args = parser.parse_args()
    from bench._database import use_fresh_database

    use_fresh_database(args.postgres, "cloudbroker_bench_subscriptions")
    os.environ["DJANGO_SETTINGS_MODULE"] = "cloudbroker.settings"
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from cloudbroker.accounts import services
    from cloudbroker.core.actors import actor_for_user

    settings.ALLOWED_HOSTS = ["testserver"]
    # As in production: with DEBUG on (development mode) Django keeps the text of every SQL
    # statement, which costs the request and the floor time they would not spend in production.
    settings.DEBUG = False
    broker, admin, kam, big, kam_groups = build(args.organizations, args.subscriptions, args.large)
    gc.collect()  # what building left behind, as a server process would not carry it
    engine = connection.vendor
    print(
        f"\n{engine}: {args.subscriptions} subscriptions, one organization with {args.large}; "
        f"median and p95 of {args.repeat} requests (ms), each followed by its floor\n"
    )
    print(
        "| request | rows | queries | API median | API p95 | floor median | count median "
        "| API ÷ floor | API ÷ (floor + count) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    query_counts: dict[str, set[int]] = defaultdict(set)
    for who, user, group_ids in (
        ("Super Admin", admin, None),
        ("KAM (2 of 20 groups)", kam, [g.pk for g in kam_groups]),
    ):
        _, raw = services.create_api_token(actor=actor_for_user(user), name="bench")
        api = Client(headers={"Authorization": f"Bearer {raw}"})
        api.get("/api/v1/subscriptions/?page_size=1")  # the token's first use stamps it
        for scope, organization in (("organization", big.pk), ("broker-wide", None)):
            _, _, qs = floor(broker.pk, organization=organization, group_ids=group_ids)
            total = qs.count()
            last = (total + PAGE_SIZE - 1) // PAGE_SIZE
            for page in (1, last):
                path = f"/api/v1/subscriptions/?page={page}"
                if organization is not None:
                    path += f"&organization={organization}"
                with CaptureQueriesContext(connection) as queries:
                    body = api.get(path).json()
                n_queries = len(queries)
                rows, lots, _ = floor(broker.pk, organization=organization, group_ids=group_ids, page=page)
                assert body["count"] == total, (body["count"], total)
                assert [uuid.UUID(s["id"]) for s in body["items"]] == [r["id"] for r in rows], path
                assert [[lot["quantity"] for lot in s["lots"]] for s in body["items"]] == [
                    [lot["quantity"] for lot in lots[r["id"]]] for r in rows
                ], path
                query_counts[who].add(n_queries)
                ours, theirs, counts = [], [], []
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    response = api.get(path)
                    t1 = time.perf_counter()
                    floor(broker.pk, organization=organization, group_ids=group_ids, page=page)
                    t2 = time.perf_counter()
                    qs.count()
                    t3 = time.perf_counter()
                    assert response.status_code == 200, (path, response.status_code)
                    ours.append((t1 - t0) * 1000)
                    theirs.append((t2 - t1) * 1000)
                    counts.append((t3 - t2) * 1000)
                (ours_median, ours_p95), (floor_median, _), (count_median, _) = (
                    percentiles(ours),
                    percentiles(theirs),
                    percentiles(counts),
                )
                print(
                    f"| {who}: {scope}, page {page} of {last} | {len(rows)} | {n_queries} "
                    f"| {ours_median:.1f} | {ours_p95:.1f} | {floor_median:.1f} | {count_median:.1f} "
                    f"| {ours_median / floor_median:.2f}× | {ours_median / (floor_median + count_median):.2f}× |"
                )
    assert all(len(n) == 1 for n in query_counts.values()), f"the query count moved with the rows: {query_counts}"
    _, raw = services.create_api_token(actor=actor_for_user(admin), name="breakdown")
    api = Client(headers={"Authorization": f"Bearer {raw}"})
    api.get("/api/v1/subscriptions/?page_size=1")
    breakdown(api, actor_for_user(admin), broker.pk, big.pk, args.repeat)


if __name__ == "__main__":
    main()
